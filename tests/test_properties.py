"""Properties that hold for all inputs, checked with hypothesis."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import reference as ref
from helpers import assert_close
from scratchnet_fast._kernels import per_step

dtypes = st.sampled_from([np.float32, np.float64])
logits = st.floats(-1e4, 1e4, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(st.data(), dtypes, st.integers(1, 40), st.integers(1, 12))
def test_softmax_rows_are_finite_nonnegative_and_sum_to_one(data, dtype, m, c):
    Z = data.draw(arrays(dtype, (m, c), elements=logits))
    out = np.empty_like(Z)
    per_step.softmax_rows(Z, out)
    assert np.all(np.isfinite(out)) and np.all(out >= 0)
    assert_close(out.sum(axis=1), np.ones(m), dtype)


@settings(max_examples=60, deadline=None)
@given(st.data(), dtypes, st.integers(1, 500))
def test_relu_is_idempotent_and_nonnegative(data, dtype, n):
    z = data.draw(arrays(dtype, n, elements=st.floats(-1e6, 1e6, width=32)))
    once, twice = np.empty_like(z), np.empty_like(z)
    per_step.relu(z, once)
    per_step.relu(once, twice)
    np.testing.assert_array_equal(once, twice)
    assert np.all(once >= 0)


@settings(max_examples=40, deadline=None)
@given(st.data(), dtypes, st.integers(1, 30), st.integers(1, 50), st.integers(1, 15))
def test_matmul_bias_matches_reference_for_any_shape(data, dtype, m, d, h):
    values = st.floats(-10, 10, width=32)
    X = data.draw(arrays(dtype, (m, d), elements=values))
    W = data.draw(arrays(dtype, (h, d), elements=values))
    b = data.draw(arrays(dtype, h, elements=values))
    out = np.empty((m, h), dtype)
    per_step.matmul_bias(X, W, b, dtype(1), out)
    expected = ref.matmul_bias(X.astype(float), W.astype(float), b.astype(float))
    tolerance = (np.abs(X.astype(float)) @ np.abs(W.astype(float)).T + np.abs(b)) * 4 * np.finfo(dtype).eps * d
    assert np.all(np.abs(out - expected) <= tolerance + np.finfo(dtype).tiny)


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(1, 600), st.integers(1, 10))
def test_cross_entropy_is_finite_and_nonnegative(data, m, c):
    Z = data.draw(arrays(np.float64, (m, c), elements=logits))
    Y = data.draw(arrays(np.int64, m, elements=st.integers(0, c - 1)))
    loss = per_step.cross_entropy_logits(Z, Y)
    assert np.isfinite(loss) and loss >= 0
    assert_close(loss, ref.cross_entropy_logits(Z, Y), np.float64)
