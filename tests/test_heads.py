"""The table of hidden activations (`activations`) and of output losses (`losses`), each entry in both of the
layouts the trainers use, against NumPy; the trainers' own tests hold them in place (test_fused, test_mini_batch)."""
import numba
import numpy as np
import pytest

import reference as ref
from helpers import assert_close
from scratchnet_fast._kernels import activations, losses
from scratchnet_fast._simd import lanes


@numba.njit
def _activation_rows(kind, Z, delta, a, d):
    for i in range(Z.shape[0]):
        for k in range(0, Z.shape[1], lanes.count(Z.dtype)):
            lanes.store(a, activations.activate(kind, lanes.load(Z, i, k)), i, k)
            lanes.store(d, activations.backward(kind, lanes.load(delta, i, k), lanes.load(a, i, k)), i, k)


def test_relu_and_its_derivative_from_the_activation(rng, dtype):
    L = lanes.count(dtype)
    Z = rng.normal(size=(3, 4 * L)).astype(dtype)
    Z[0, :5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    delta = rng.normal(size=Z.shape).astype(dtype)
    a, d = np.full_like(Z, 7), np.full_like(Z, 7)
    _activation_rows(activations.RELU, Z, delta, a, d)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(a, np.where(Z < 0, 0, Z))  # NaN stays NaN
        np.testing.assert_array_equal(d, np.where(Z > 0, delta, 0))


@numba.njit
def _scalars(kind, Z, out):
    zero = Z.dtype.type(0)
    for i in range(Z.shape[0]):
        for k in range(Z.shape[1]):
            out[i, k] = activations.activate_scalar(kind, Z[i, k], zero)


@pytest.mark.parametrize("name", list(activations.KINDS))
def test_every_activation_and_its_derivative_match_scikit_learns(rng, dtype, name):
    """f in vectors and one value at a time, from tiny to huge sums (tanh keeps the digits of small ones), and
    f' from the activations, against NumPy's (scikit-learn's formulas) in float64; NaN stays NaN."""
    L = lanes.count(dtype)
    values = np.concatenate([rng.normal(size=2 * L) * 4, np.geomspace(1e-12, 1e-2, L), -np.geomspace(1e-12, 1e-2, L),
                             [0.0, 1e4, -1e4, 30.0, -30.0, 90.0, -90.0, 700.0]])
    Z = np.concatenate([values, np.zeros(-len(values) % L)]).astype(dtype).reshape(-1, L)  # whole vectors, any width
    delta = rng.normal(size=Z.shape).astype(dtype)
    a, d, one = np.full_like(Z, 7), np.full_like(Z, 7), np.full_like(Z, 7)
    kind = activations.KINDS[name]
    _activation_rows(kind, Z, delta, a, d)
    _scalars(kind, Z, one)
    f, derivative = ref.HIDDEN[name]
    with np.errstate(over="ignore"):
        expected = f(Z.astype(float))
    assert_close(a, expected, dtype)
    assert_close(one, expected, dtype)
    if name == "tanh":  # relative accuracy near 0, where 1 - e^(-2|z|) would cancel
        small = np.abs(Z) < 1e-2
        np.testing.assert_allclose(a[small], expected[small], rtol=1e-14 if dtype == np.float64 else 1e-6)
    assert_close(d, delta.astype(float) * derivative(a.astype(float)), dtype)
    Z[0, 0] = np.nan
    _activation_rows(kind, Z, delta, a, d)
    _scalars(kind, Z, one)
    assert np.isnan(a[0, 0]) and np.isnan(one[0, 0])
    assert activations.moves_zero(kind) == (name == "logistic")


@numba.njit
def _lanes_head(P, ys, n, stats):
    return losses.softmax_cross_entropy_lanes(P, P.shape[0], ys, n, stats)


@pytest.mark.parametrize("c,n", [(2, 1), (10, 5), (10, None), (3, None)])
def test_softmax_cross_entropy_of_lanes_matches_reference(rng, dtype, c, n):
    """One image per lane, as the fused step holds them: loss, correct, p = softmax - onehot and zeros past n."""
    G = lanes.count(dtype)
    n = G if n is None else min(n, G)
    P = (rng.normal(size=(c, G)) * 5).astype(dtype)
    P[:, 0] = [1e4] + [-1e4] * (c - 1)  # extreme logits stay finite
    ys = rng.integers(0, c, G).astype(np.int64)
    Z = P[:, :n].T.astype(float)
    loss, correct = _lanes_head(P, ys, n, np.zeros((3, G), dtype))
    expected_loss, expected_correct, expected = ref.softmax_head(Z, c, ys[:n], 1.0)
    assert_close(loss, expected_loss.sum(), dtype)
    assert correct == expected_correct.sum()
    assert_close(P[:, :n].T, expected, dtype)
    assert not P[:, n:].any()
