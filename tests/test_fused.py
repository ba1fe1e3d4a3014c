"""The fused full-batch step (`_kernels/fused.py`) against the reference's step: shapes, dtypes, pixels, orders, offsets."""
import numpy as np
import pytest

import reference as ref
from helpers import SHAPES, assert_close, blank_borders, network, pixels_of, run_fused
from scratchnet_fast._kernels.chunks import chunking
from scratchnet_fast._kernels.fused import tile_order
from scratchnet_fast._kernels.memory import LINE, empty_at
from scratchnet_fast._kernels.spans import nonzero_spans


def fused_against_reference(X, Y, W1, b1, W2, b2, order=tile_order):
    """run_fused's gradients and loss held to the reference's; returns (grads, loss, correct, expected correct)."""
    dtype = X.dtype.type
    grads, loss, correct = run_fused(X, Y, W1, b1, W2, b2, order)
    expected, expected_loss, expected_correct = ref.fused_step(X.astype(float), Y, *(p.astype(float) for p in (W1, b1, W2, b2)))
    for g, e in zip(grads, expected):
        assert g.dtype == dtype
        assert_close(g, e, dtype)
    assert_close(loss, expected_loss, dtype)
    return grads, loss, correct, expected_correct


def test_fused_step_matches_reference(net, dtype):
    _, _, correct, expected_correct = fused_against_reference(*net)
    if dtype == np.float64:
        assert correct == expected_correct
    else:
        assert abs(correct - expected_correct) <= max(1, net[0].shape[0] // 1000)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_fused_step_on_uint8_pixels_matches_reference_on_pixels_over_255(rng, dtype, shape):
    """The pixels are read as uint8 and 1/255 scales the sums: the reference gets the floats pixels / 255."""
    m, d, h, c = shape
    _, Y, W1, b1, W2, b2 = network(rng, *shape, dtype)
    P = pixels_of(rng, m, d)
    grads, loss, correct = run_fused(P, Y, W1, b1, W2, b2, x_scale=1 / 255)
    expected, expected_loss, expected_correct = ref.fused_step(P / 255.0, Y, *(p.astype(float) for p in (W1, b1, W2, b2)))
    for g, e in zip(grads, expected):
        assert g.dtype == dtype
        assert_close(g, e, dtype)
    assert_close(loss, expected_loss, dtype)
    assert abs(correct - expected_correct) <= (0 if dtype == np.float64 else max(1, m // 1000))


@pytest.mark.parametrize("m", [1, 5, 256, 257, 3001, 41000])
def test_tile_order_matches_reference(rng, m):
    X = blank_borders(rng, rng.random((m, 50)))
    spans = np.empty((m, 2), np.uint64)
    nonzero_spans(X, spans)
    order = tile_order(spans)
    assert order.dtype == np.int64
    np.testing.assert_array_equal(order, ref.tile_order(spans, chunking(m)[1]))


@pytest.mark.parametrize("order", ["identity", "reversed", "random"])
def test_fused_step_takes_rows_in_any_order(rng, dtype, order):
    X, Y, W1, b1, W2, b2 = network(rng, 1001, 784, 10, 10, dtype)
    blank_borders(rng, X)
    permutations = {"identity": np.arange, "reversed": lambda m: np.arange(m)[::-1].copy(), "random": rng.permutation}
    fused_against_reference(X, Y, W1, b1, W2, b2, order=lambda spans: permutations[order](len(spans)))


@pytest.mark.parametrize("offset", [0, 2, 4, 8, 16, 24, 40, 60])
@pytest.mark.parametrize("d", [784, 100])
def test_fused_step_at_any_offset_within_a_cache_line(rng, dtype, offset, d):
    """Spans widen to X's cache lines wherever X begins; rows 400 bytes apart (d = 100) keep no alignment."""
    X, Y, W1, b1, W2, b2 = network(rng, 300, d, 10, 10, dtype)
    placed = empty_at(X.shape, dtype, offset)
    placed[:] = blank_borders(rng, X)
    assert placed.ctypes.data % LINE == offset
    grads, _, _, _ = fused_against_reference(placed, Y, W1, b1, W2, b2)
    assert not np.any(grads[0][:, ~X.any(axis=0)])


def test_fused_step_gives_the_same_bits_wherever_x_sits(rng, dtype):
    """Where X begins within a cache line moves where the loops begin, but no bit of the result."""
    X, Y, W1, b1, W2, b2 = network(rng, 1000, 784, 10, 10, dtype)
    blank_borders(rng, X)
    results = []
    for offset in range(0, LINE, X.itemsize):
        placed = empty_at(X.shape, dtype, offset)
        placed[:] = X
        grads, loss, correct = run_fused(placed, Y, W1, b1, W2, b2)
        results.append(b"".join(g.tobytes() for g in grads) + np.array([loss, correct], np.float64).tobytes())
    assert len(set(results)) == 1


@pytest.mark.parametrize("shape", [(1, 784, 10, 10), (6, 33, 1, 3), (257, 784, 10, 10), (3001, 200, 11, 10)])
def test_fused_step_skips_blank_columns_exactly(rng, dtype, shape):
    X, Y, W1, b1, W2, b2 = network(rng, *shape, dtype)
    blank_borders(rng, X)
    grads, _, _, _ = fused_against_reference(X, Y, W1, b1, W2, b2)
    assert not np.any(grads[0][:, ~X.any(axis=0)])


def test_fused_step_on_all_zero_images(rng, dtype):
    X, Y, W1, b1, W2, b2 = network(rng, 513, 784, 10, 10, dtype)
    X[:] = 0
    grads, _, _, _ = fused_against_reference(X, Y, W1, b1, W2, b2)
    assert not np.any(grads[0])


def test_fused_step_is_finite_for_logits_of_1e4(rng, dtype):
    X, Y, W1, b1, W2, b2 = network(rng, 300, 20, 5, 10, dtype)
    W2 *= dtype(1e4)
    b2 *= dtype(1e4)
    grads, loss, _, _ = fused_against_reference(X, Y, W1, b1, W2, b2)
    assert np.isfinite(loss)
    assert all(np.all(np.isfinite(g)) for g in grads)
