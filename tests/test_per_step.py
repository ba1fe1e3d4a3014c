"""Each per-step kernel (`_kernels/per_step.py`) against its NumPy twin in reference.py, over shapes, hidden sizes and both dtypes."""
import numpy as np
import pytest

import reference as ref
from helpers import assert_close, blank_borders, network, pixels_of
from scratchnet_fast import _network
from scratchnet_fast._kernels import per_step
from scratchnet_fast._kernels.memory import LINE, empty_at
from scratchnet_fast._simd import lanes


def test_matmul_bias_matches_reference(net, dtype):
    X, _, W1, b1, _, _ = net
    out = np.empty((X.shape[0], W1.shape[0]), dtype)
    per_step.matmul_bias(X, W1, b1, dtype(1), out)
    assert out.dtype == dtype
    assert_close(out, ref.matmul_bias(X.astype(float), W1.astype(float), b1.astype(float)), dtype)


def test_matmul_bias_reads_uint8_pixels_scaled_once(rng, dtype, net):
    X, _, W1, b1, _, _ = net
    P = pixels_of(rng, *X.shape)
    out = np.empty((X.shape[0], W1.shape[0]), dtype)
    per_step.matmul_bias(P, W1, b1, dtype(1 / 255), out)
    assert_close(out, ref.matmul_bias(P / 255.0, W1.astype(float), b1.astype(float)), dtype)


def per_step_products(X, dZ, W1, b1):
    """matmul_bias(X, W1, b1) and weight_grad(dZ, X), the two per-step kernels that scan each tile's span."""
    dtype = W1.dtype
    Z = np.empty((X.shape[0], W1.shape[0]), dtype)
    per_step.matmul_bias(X, W1, b1, dtype.type(1), Z)
    dW, db = np.empty_like(W1), np.empty_like(b1)
    per_step.weight_grad(dZ, X, dtype.type(1), dW, db)
    return Z, dW, db


@pytest.mark.parametrize("offset", [0, 8, 16, 40, 60])
@pytest.mark.parametrize("m,d", [(1, 784), (7, 33), (300, 784), (1001, 100), (3000, 784)])
def test_per_step_products_skip_blank_columns_exactly(rng, dtype, m, d, offset):
    """Blank margins, blank and -0.0 rows, anywhere in a cache line (rows 400 bytes apart keep no alignment)."""
    X, _, W1, b1, _, _ = network(rng, m, d, 11, 10, dtype)
    blank_borders(rng, X)[m // 2] = -0.0
    placed = empty_at(X.shape, dtype, offset)
    placed[:] = X
    dZ = rng.normal(size=(m, 11)).astype(dtype)
    Z, dW, db = per_step_products(placed, dZ, W1, b1)
    Xd = X.astype(float)
    assert_close(Z, ref.matmul_bias(Xd, W1.astype(float), b1.astype(float)), dtype)
    expected_W, expected_b = ref.weight_grad(dZ.astype(float), Xd, 1.0)
    assert_close(dW, expected_W, dtype)
    assert_close(db, expected_b, dtype)
    assert not np.any(dW[:, ~X.any(axis=0)])


def test_per_step_products_give_the_same_bits_wherever_x_sits(rng, dtype):
    X, _, W1, b1, _, _ = network(rng, 1000, 784, 10, 10, dtype)
    blank_borders(rng, X)
    dZ = rng.normal(size=(1000, 10)).astype(dtype)
    results = set()
    for offset in range(0, LINE, X.itemsize):
        placed = empty_at(X.shape, dtype, offset)
        placed[:] = X
        results.add(b"".join(a.tobytes() for a in per_step_products(placed, dZ, W1, b1)))
    assert len(results) == 1


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("column", [0, 1, 8, 391, 775, 782, 783])
def test_per_step_products_never_skip_nan_or_inf_beside_blanks(rng, dtype, bad, column):
    """A lone NaN or inf in an otherwise blank image, at either edge: the spans take it in, so it reaches the results."""
    X, _, W1, b1, _, _ = network(rng, 9, 784, 10, 10, dtype)
    X[:] = 0
    X[5, column] = bad
    Z, dW, _ = per_step_products(X, np.ones((9, 10), dtype), W1, b1)
    assert not np.isfinite(Z[5]).any() and np.isfinite(np.delete(Z, 5, axis=0)).all()
    assert not np.isfinite(dW[:, column]).any() and np.isfinite(np.delete(dW, column, axis=1)).all()


@pytest.mark.parametrize("m", [1, 7, 300, 3001])
@pytest.mark.parametrize("d,h", [(1, 1), (3, 10), (10, 10), (17, 37), (40, 5)])
def test_narrow_products_match_reference(rng, dtype, m, d, h):
    """The kernels with outputs in lanes, for layers of few inputs: any width, a row shorter or longer than a vector."""
    X = np.maximum(rng.normal(size=(m, d)), 0).astype(dtype)
    W, b = rng.normal(size=(h, d)).astype(dtype), rng.normal(size=h).astype(dtype)
    dZ = rng.normal(size=(m, h)).astype(dtype)
    Z = np.empty((m, h), dtype)
    per_step.matmul_bias_narrow(X, W, b, dtype(0.5), Z)
    assert_close(Z, ref.matmul_bias(0.5 * X.astype(float), W.astype(float), b.astype(float)), dtype)
    dW, db = np.empty((h, d), dtype), np.empty(h, dtype)
    per_step.weight_grad_narrow(dZ, X, dtype(1 / m), dW, db)
    expected_W, expected_b = ref.weight_grad(dZ.astype(float), X.astype(float), 1.0 / m)
    assert_close(dW, expected_W, dtype)
    assert_close(db, expected_b, dtype)


def test_matmul_bias_narrow_reads_uint8_pixels_scaled_once(rng, dtype):
    """Few-feature pixels (an estimator with input_scale on small images) go through the narrow kernel too."""
    P = pixels_of(rng, 50, 20)
    W, b = rng.normal(size=(7, 20)).astype(dtype), rng.normal(size=7).astype(dtype)
    out = np.empty((50, 7), dtype)
    per_step.matmul_bias_narrow(P, W, b, dtype(1 / 255), out)
    assert_close(out, ref.matmul_bias(P / 255.0, W.astype(float), b.astype(float)), dtype)


@pytest.mark.parametrize("past", [-1, 0])
def test_layers_on_either_side_of_narrow_agree(rng, dtype, past):
    """mlp's choice of kernel for a layer, one input below NARROW vectors of them and at it: both match the reference."""
    m, d, h = 301, _network.NARROW * lanes.count(dtype) + past, 10
    X = blank_borders(rng, rng.random((m, d)).astype(dtype))
    W, b = rng.normal(size=(h, d)).astype(dtype), rng.normal(size=h).astype(dtype)
    dZ = rng.normal(size=(m, h)).astype(dtype)
    Z, dW, db = np.empty((m, h), dtype), np.empty((h, d), dtype), np.empty(h, dtype)
    _network.matmul_bias(X, W, b, dtype(1), Z)
    _network.weight_grad(dZ, X, dtype(1), dW, db)
    assert_close(Z, ref.matmul_bias(X.astype(float), W.astype(float), b.astype(float)), dtype)
    expected_W, expected_b = ref.weight_grad(dZ.astype(float), X.astype(float), 1.0)
    assert_close(dW, expected_W, dtype)
    assert_close(db, expected_b, dtype)


def test_relu_and_mask_match_reference(rng, dtype):
    z = rng.normal(size=1001).astype(dtype)
    z[:3] = 0
    out = np.empty_like(z)
    mask = np.empty(z.shape, np.bool_)
    per_step.relu(z, out)
    per_step.relu_mask(z, mask)
    np.testing.assert_array_equal(out, ref.relu(z))
    np.testing.assert_array_equal(mask, ref.relu_mask(z))


def test_relu_keeps_nan(dtype):
    out = np.empty(2, dtype)
    per_step.relu(np.array([np.nan, -1], dtype), out)
    assert np.isnan(out[0]) and out[1] == 0


@pytest.mark.parametrize("m,c", [(1, 10), (5, 3), (2000, 10)])
def test_softmax_rows_matches_reference(rng, dtype, m, c):
    Z = (rng.normal(size=(m, c)) * 5).astype(dtype)
    out = np.empty_like(Z)
    per_step.softmax_rows(Z, out)
    assert out.dtype == dtype
    assert_close(out, ref.softmax_rows(Z.astype(float)), dtype)


def test_softmax_is_finite_and_sums_to_one_for_logits_of_1e4(dtype):
    Z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype)
    out = np.empty_like(Z)
    per_step.softmax_rows(Z, out)
    assert np.all(np.isfinite(out))
    assert_close(out.sum(axis=1), np.ones(3), dtype)
    assert_close(out, ref.softmax_rows(Z.astype(float)), dtype)


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_cross_entropy_matches_reference(rng, dtype, scale):
    Z = (rng.normal(size=(3000, 10)) * scale).astype(dtype)
    Y = rng.integers(0, 10, 3000)
    loss = per_step.cross_entropy_logits(Z, Y)
    assert np.isfinite(loss)
    assert_close(loss, ref.cross_entropy_logits(Z.astype(float), Y), dtype)


def test_one_hot_rows_matches_reference(rng):
    Y = rng.integers(0, 7, 500)
    out = np.full((500, 7), 5.0)
    per_step.one_hot_rows(Y, out)
    np.testing.assert_array_equal(out, ref.one_hot_rows(Y, 7))


def test_backward_kernels_match_reference(net, dtype):
    X, Y, W1, b1, W2, b2 = net
    m, h, c = X.shape[0], W1.shape[0], W2.shape[0]
    Xd, W1d, b1d, W2d, b2d = (a.astype(float) for a in (X, W1, b1, W2, b2))
    Z1 = ref.matmul_bias(Xd, W1d, b1d).astype(dtype)
    A1 = ref.relu(Z1)
    A2 = ref.softmax_rows(ref.matmul_bias(A1.astype(float), W2d, b2d)).astype(dtype)
    dZ2 = np.empty((m, c), dtype)
    per_step.output_delta(A2, Y, dZ2)
    assert_close(dZ2, ref.output_delta(A2.astype(float), Y), dtype)
    dZ1 = np.empty((m, h), dtype)
    per_step.hidden_delta(dZ2, W2, Z1, dZ1)
    assert_close(dZ1, ref.hidden_delta(dZ2.astype(float), W2d, Z1), dtype)
    scale = dtype(1.0 / m)
    dW1, db1 = np.empty((h, X.shape[1]), dtype), np.empty(h, dtype)
    per_step.weight_grad(dZ1, X, scale, dW1, db1)
    expected_W, expected_b = ref.weight_grad(dZ1.astype(float), Xd, 1.0 / m)
    assert_close(dW1, expected_W, dtype)
    assert_close(db1, expected_b, dtype)
    assert dW1.dtype == db1.dtype == dtype


def test_sgd_update_matches_reference(rng, dtype):
    p, g = rng.normal(size=(2, 7850)).astype(dtype)
    out = np.empty_like(p)
    per_step.sgd_update(p, g, dtype(0.1), out)
    assert_close(out, ref.sgd_update(p.astype(float), g.astype(float), float(dtype(0.1))), dtype)


def test_argmax_rows_takes_the_first_maximum(rng, dtype):
    A = rng.integers(0, 3, size=(400, 6)).astype(dtype)
    out = np.empty(400, np.int64)
    per_step.argmax_rows(A, out)
    np.testing.assert_array_equal(out, ref.argmax_rows(A))


def test_count_equal_matches_reference(rng):
    a, b = rng.integers(0, 10, size=(2, 5001))
    assert per_step.count_equal(a, b) == ref.count_equal(a, b)
