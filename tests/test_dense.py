"""Each mini-batch stage (`_kernels/dense.py`) against its NumPy twin in reference.py; the whole epoch is in test_mini_batch."""
import numba
import numpy as np
import scipy.special
import pytest

import reference as ref
from helpers import assert_close, blank_borders
from scratchnet_fast._kernels import activations, dense, losses
from scratchnet_fast._kernels.rules import Layer
from scratchnet_fast._simd import lanes
from scratchnet_fast._train.mini_batch import padded

NOTHING = np.zeros(0, np.int64)  # no rows to prefetch
# (rows in the batch, inputs, outputs): one row, a partial tile, an odd vector count, a layer wider than a vector pair.
SHAPES = [(1, 5, 3), (7, 33, 10), (64, 784, 128), (130, 17, 40)]


def block(rng, n_in, width, dtype):
    """A layer's block (n_in + 1, P): random weights and biases, zero in the padding columns."""
    Wt = np.zeros((n_in + 1, padded(width, dtype)), dtype)
    Wt[:, :width] = rng.normal(size=(n_in + 1, width)) * 0.3
    return Wt


def batch_of(rng, m, n_in, dtype, pixels=False):
    """Blank-bordered images (2m + 3, n_in), floats or uint8 pixels, and the batch: m rows of them in shuffled order."""
    X = blank_borders(rng, rng.random((2 * m + 3, n_in)))
    X = np.minimum(X * 256, 255).astype(np.uint8) if pixels else X.astype(dtype)
    order = rng.permutation(len(X)).astype(np.int64)
    return X, dense.Rows(order, 3, m)


def groups_of(X, rows, m):
    """The first layer's row groups for the batch, filled by `group_rows`."""
    masks = np.empty((len(X), -(-X.shape[1] // 256)), np.uint64)
    dense.nonzero_tiles(X, masks)
    tiles = -(-X.shape[1] // 4)
    groups = dense.Groups(np.zeros(tiles, np.int64), np.zeros((tiles, m), np.int32))
    dense.group_rows(masks, rows, groups)
    return groups


WHAT = {"none": dense.NONE, "hidden": dense.HIDDEN, "derivative": dense.DERIVATIVE}


@pytest.mark.parametrize("m,n_in,width", SHAPES)
@pytest.mark.parametrize("what", list(WHAT))
def test_affine_matches_reference(rng, dtype, m, n_in, width, what):
    A = rng.normal(size=(m, n_in)).astype(dtype)
    Wt = block(rng, n_in, width, dtype)
    below = rng.normal(size=(m, Wt.shape[1])).astype(dtype)
    out = np.full((m, Wt.shape[1]), np.nan, dtype)
    dense.affine(A, dense.Rows(np.arange(m), 0, m), Wt, activations.RELU, WHAT[what], below, out)
    assert_close(out, ref.affine(A.astype(float), Wt.astype(float), what, below), dtype)


@pytest.mark.parametrize("kind", ["tanh", "logistic", "identity"])
@pytest.mark.parametrize("what", ["hidden", "derivative"])
def test_affine_takes_every_activation_kind(rng, dtype, kind, what):
    """scikit-learn's other activations, and their derivatives from the activations below (values of f)."""
    m, n_in, width = 9, 37, 13
    A = rng.normal(size=(m, n_in)).astype(dtype)
    Wt = block(rng, n_in, width, dtype)
    below = ref.HIDDEN[kind][0](rng.normal(size=(m, Wt.shape[1]))).astype(dtype)
    out = np.full((m, Wt.shape[1]), np.nan, dtype)
    dense.affine(A, dense.Rows(np.arange(m), 0, m), Wt, activations.KINDS[kind], WHAT[what], below, out)
    assert_close(out, ref.affine(A.astype(float), Wt.astype(float), what, below.astype(float), kind), dtype)
    grouped = np.full_like(out, np.nan)
    if what == "hidden":
        X, rows = batch_of(rng, m, n_in, dtype, False)
        dense.affine(X, rows, Wt, activations.KINDS[kind], dense.HIDDEN, out, out)
        dense.affine_grouped(dense.Inputs(X, dtype(1)), rows, groups_of(X, rows, m), Wt, activations.KINDS[kind], True,
                             grouped)
        assert_close(grouped, out, dtype)


@pytest.mark.parametrize("m,n_in,width", SHAPES)
@pytest.mark.parametrize("pixels", [False, True], ids=["floats", "pixels"])
def test_affine_reads_the_batchs_rows_in_place_as_the_grouped_one_does(rng, dtype, m, n_in, width, pixels):
    """The first layer without skipping: the batch's rows of X through the permutation, pixels against scaled weights,
    the same bits as skipping the zero tiles (the same products, summed in the same order)."""
    X, rows = batch_of(rng, m, n_in, dtype, pixels)
    x_scale = dtype(1 / 255) if pixels else dtype(1)
    Wt = block(rng, n_in, width, dtype)
    scaled = np.full_like(Wt, np.nan)
    dense.scaled_weights(Wt, x_scale, scaled)
    out = np.full((m, Wt.shape[1]), np.nan, dtype)
    dense.affine(X, rows, scaled, activations.RELU, dense.HIDDEN, out, out)
    images = X[rows.order[3:3 + m]] * float(x_scale)
    assert_close(out, ref.affine(images, Wt.astype(float), "hidden"), dtype)
    grouped = np.full_like(out, np.nan)
    dense.affine_grouped(dense.Inputs(X, x_scale), rows, groups_of(X, rows, m), Wt, activations.RELU, True, grouped)
    np.testing.assert_array_equal(out, grouped)


@pytest.mark.parametrize("m,n_in,width", SHAPES)
@pytest.mark.parametrize("pixels", [False, True], ids=["floats", "pixels"])
@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
def test_affine_grouped_reads_the_batchs_rows_in_place(rng, dtype, m, n_in, width, pixels, relu):
    """The first layer: the batch's rows of X through the permutation, only each tile's nonzero rows, pixels scaled."""
    X, rows = batch_of(rng, m, n_in, dtype, pixels)
    x_scale = dtype(1 / 255) if pixels else dtype(1)
    Wt = block(rng, n_in, width, dtype)
    out = np.full((m, Wt.shape[1]), np.nan, dtype)
    dense.affine_grouped(dense.Inputs(X, x_scale), rows, groups_of(X, rows, m), Wt, activations.RELU, relu, out)
    images = X[rows.order[3:3 + m]] * float(x_scale)
    assert_close(out, ref.affine(images, Wt.astype(float), "hidden" if relu else "none"), dtype)


@pytest.mark.parametrize("m,c", [(1, 2), (9, 10), (300, 3)])
def test_softmax_cross_entropy_of_rows_matches_reference(rng, dtype, m, c):
    P = padded(c, dtype)
    Z = (rng.normal(size=(m, P)) * 5).astype(dtype)
    Z[0, :c] = [1e4] + [-1e4] * (c - 1)  # extreme logits stay finite
    Y = rng.integers(0, c, 2 * m).astype(np.int64)
    rows = dense.Rows(rng.permutation(2 * m).astype(np.int64), m // 2, m)
    dZ, loss, correct = np.full_like(Z, np.nan), np.zeros(m, dtype), np.zeros(m, np.int64)
    losses.softmax_cross_entropy_rows(Z, c, Y, rows, dtype(1 / m), dZ, loss, correct)
    y = Y[rows.order[m // 2:m // 2 + m]]
    expected_loss, expected_correct, expected_dZ = ref.softmax_head(Z.astype(float), c, y, 1 / m)
    assert_close(loss, expected_loss, dtype)
    assert_close(dZ, expected_dZ, dtype)
    np.testing.assert_array_equal(correct, expected_correct)


@numba.njit
def _head_rows(Z, c, Y, rows, inv_m, dZ, loss, correct):
    losses.head_rows(Z, c, Y, rows, inv_m, dZ, loss, correct)


@pytest.mark.parametrize("m,c", [(1, 1), (9, 3), (300, 17)])
def test_squared_error_of_rows_matches_reference_and_is_the_head_of_float_targets(rng, dtype, m, c):
    """scikit-learn's squared error: loss 0.5 · mean over outputs of (z - y)², delta inv_m · (z - y), zero padding;
    `head_rows` takes it for targets (m, c) and the softmax for labels (m,), in jitted code as in Python."""
    P = padded(c, dtype)
    Z = rng.normal(size=(m, P)).astype(dtype)
    Y = (rng.normal(size=(2 * m, c)) * 3).astype(dtype)
    rows = dense.Rows(rng.permutation(2 * m).astype(np.int64), m // 2, m)
    y = Y[rows.order[m // 2:m // 2 + m]].astype(float)
    error = Z[:, :c].astype(float) - y
    expected_dZ = np.zeros((m, P))
    expected_dZ[:, :c] = error / m
    for head in (losses.squared_error_rows, _head_rows, losses.head_rows):
        dZ, loss, correct = np.full_like(Z, np.nan), np.full(m, np.nan, dtype), np.full(m, 7, np.int64)
        head(Z, c, Y, rows, dtype(1 / m), dZ, loss, correct)
        assert_close(loss, 0.5 * (error ** 2).mean(axis=1), dtype)
        assert_close(dZ, expected_dZ, dtype)
        assert not correct.any()
    labels = rng.integers(0, c, 2 * m).astype(np.int64)
    dZ, loss, correct = np.full_like(Z, np.nan), np.zeros(m, dtype), np.zeros(m, np.int64)
    _head_rows(Z, c, labels, rows, dtype(1 / m), dZ, loss, correct)
    expected_loss, _, expected_dZ = ref.softmax_head(Z.astype(float), c, labels[rows.order[m // 2:m // 2 + m]], 1 / m)
    assert_close(loss, expected_loss, dtype)
    assert_close(dZ, expected_dZ, dtype)


@pytest.mark.parametrize("m,c", [(1, 1), (9, 3), (300, 17)])
@pytest.mark.parametrize("scale", [3.0, 1000.0], ids=["moderate", "extreme"])
def test_logistic_cross_entropy_of_rows_matches_reference_and_is_the_head_of_indicators(rng, dtype, m, c, scale):
    """scikit-learn's binary log loss summed over the outputs, its delta inv_m · (σ(z) - y), zero padding, correct when
    every output is on its indicator's side of 0; finite at logits of ±1000; `head_rows` takes it for uint8 (m, c)."""
    P = padded(c, dtype)
    Z = (rng.normal(size=(m, P)) * scale).astype(dtype)
    Y = (rng.random((2 * m, c)) < 0.4).astype(np.uint8)
    rows = dense.Rows(rng.permutation(2 * m).astype(np.int64), m // 2, m)
    y = Y[rows.order[m // 2:m // 2 + m]].astype(float)
    z = Z[:, :c].astype(float)
    z[m // 3] = np.where(y[m // 3] == 1, 1.0, -1.0) * (np.abs(z[m // 3]) + 0.1)
    Z[m // 3, :c] = z[m // 3]
    expected_loss = (np.logaddexp(0, z) - y * z).sum(axis=1)
    expected_dZ = np.zeros((m, P))
    expected_dZ[:, :c] = (scipy.special.expit(z) - y) / m
    expected_correct = ((z > 0) == (y == 1)).all(axis=1)
    assert expected_correct.any()
    for head in (losses.logistic_cross_entropy_rows, _head_rows, losses.head_rows):
        dZ, loss, correct = np.full_like(Z, np.nan), np.full(m, np.nan, dtype), np.full(m, 7, np.int64)
        head(Z, c, Y, rows, dtype(1 / m), dZ, loss, correct)
        assert np.isfinite(loss).all()
        assert_close(loss, expected_loss, dtype)
        assert_close(dZ, expected_dZ, dtype)
        np.testing.assert_array_equal(correct, expected_correct)


def test_transpose_weights_gives_outputs_by_inputs_and_a_zero_bias_row(rng, dtype):
    Wt = block(rng, 24, 10, dtype)
    WT = np.full((11, 24), np.nan, dtype)
    dense.transpose_weights(Wt, 24, WT)
    np.testing.assert_array_equal(WT[:10], Wt[:24, :10].T)
    assert not WT[10].any()


def layer(Wt):
    return Layer(Wt, np.full_like(Wt, np.nan), np.zeros_like(Wt), np.zeros_like(Wt))


@pytest.mark.parametrize("m,n_in,width", SHAPES)
@pytest.mark.parametrize("pixels", [False, True], ids=["floats", "pixels"])
def test_weight_gradient_of_the_first_layer_writes_adds_and_applies(rng, dtype, m, n_in, width, pixels):
    """WRITE gives the block's gradient, ADD adds it to what is there, APPLY subtracts rate times it from the weights."""
    X, rows = batch_of(rng, m, n_in, dtype, pixels)
    x_scale = dtype(1 / 255) if pixels else dtype(1)
    Wt = block(rng, n_in, width, dtype)
    dZ = rng.normal(size=(m, Wt.shape[1])).astype(dtype)
    dZ[:, width:] = 0
    inputs, groups = dense.Inputs(X, x_scale), groups_of(X, rows, m)
    images = X[rows.order[3:3 + m]] * float(x_scale)
    expected = ref.layer_gradient(images, dZ.astype(float), n_in)
    target = layer(Wt.copy())
    dense.weight_gradient(inputs, rows, groups, dZ, target, dense.Update(dense.WRITE, dtype(0.1)), NOTHING)
    assert_close(target.G, expected, dtype)
    dense.weight_gradient(inputs, rows, groups, dZ, target, dense.Update(dense.ADD, dtype(0.1)), NOTHING)
    assert_close(target.G, 2 * expected, dtype)
    dense.weight_gradient(inputs, rows, groups, dZ, target, dense.Update(dense.APPLY, dtype(0.1)),
                          rows.order[3 + m:3 + m + min(m, len(X) - 3 - m)])
    assert_close(target.W, Wt.astype(float) - float(dtype(0.1)) * expected, dtype)


def test_weight_gradient_above_the_first_layer_sums_every_row(rng, dtype):
    m, n_in, width = 40, padded(33, dtype), 10
    A = np.maximum(rng.normal(size=(m, n_in)), 0).astype(dtype)
    Wt = block(rng, n_in, width, dtype)
    dZ = rng.normal(size=(m, Wt.shape[1])).astype(dtype)
    tiles = -(-n_in // 4)
    every = dense.Groups(np.full(tiles, m, np.int64), np.tile(np.arange(m, dtype=np.int32), (tiles, 1)))
    target = layer(Wt)
    dense.weight_gradient(dense.Inputs(A, dtype(1)), dense.Rows(np.arange(m, dtype=np.int64), 0, m), every, dZ, target,
                          dense.Update(dense.WRITE, dtype(0.1)), NOTHING)
    assert_close(target.G, ref.layer_gradient(A.astype(float), dZ.astype(float), n_in), dtype)


@pytest.mark.parametrize("d", [1, 7, 784, 1030])
def test_nonzero_tiles_match_reference(rng, d):
    X = blank_borders(rng, rng.random((50, d)))
    out = np.empty((50, -(-d // 256)), np.uint64)
    dense.nonzero_tiles(X, out)
    np.testing.assert_array_equal(out, ref.nonzero_tiles(X))


def test_padding_is_whole_vectors(dtype):
    L = lanes.count(dtype)
    assert [padded(w, dtype) for w in (1, L, L + 1)] == [L, L, 2 * L]
