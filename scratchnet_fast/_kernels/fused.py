"""The fused training step: forward, loss, backward and all gradients in one pass over the images.

Images go through the dot products in tiles of four, in vectors of one register's width of
columns (`lanes`). In the forward dot products one load of W1 feeds four FMAs (one per image)
and in the weight-gradient outer products one load and store of the gradient row does. The head
(ReLU, softmax, loss and the small second layer) takes a group of images, as many as a vector has
lanes, at once, one image per lane; the group's rows of X stay in cache between the forward and
the backward products, so X is read from memory once per step.
While the products of a tile run on cached data, they prefetch the tile after next.
Both loops run only over the tile's span: the columns from its first nonzero pixel to its last
(`spans.nonzero_spans`, computed once per training set, merged per tile by `spans.tile_span`),
widened to whole cache lines of X so that no vector load straddles two lines. Zeros outside it
add exactly nothing.
X may hold uint8 pixels (a quarter or an eighth of the bytes of floats): each tile of them is
converted once into a small float buffer that both products read, and 1/255 (`x_scale`) scales
the forward sums and the weight gradient once each, never a pixel.
Within each chunk the images are taken in the order of where their spans start (`tile_order`),
so that the four of a tile have similar spans: on MNIST digits, centred with blank borders, the
tiles' spans then cover 69% of the columns instead of 78%.
Each chunk runs as one serial function with no array views in its loops: a view would touch the
reference count that both threads share.
"""
from collections import namedtuple

import numpy as np
from numba import prange
from numba.core.extending import overload

from .._compile.options import helper, inline, kernel
from .._simd import lanes
from . import activations, losses
from .chunks import chunking, sum_chunks
from .spans import line_columns, tile_span
from .tiles import TILE, Tile, hidden_tile, outer_tile

AHEAD = 2 * TILE  # the outer products prefetch the tile this many images on; 4 to 32 measured alike


def tile_order(S, rows=None):
    """The order in which the fused step takes `rows` (all by default) of the rows with nonzero spans S (m, 2); int64.

    Within each chunk of the rows (`chunking`), stably sorted by where the span starts. The chunks
    keep their images, so the order, like the sums, depends on the images alone, never on the
    thread count.
    """
    rows = np.arange(S.shape[0]) if rows is None else np.asarray(rows, np.int64)
    m = len(rows)
    size = chunking(m)[1]
    order = np.empty(m, np.int64)
    for start in range(0, m, size):
        chunk = rows[start:start + size]
        order[start:start + size] = chunk[np.argsort(S[chunk, 0], kind="stable")]
    return order


@inline
def _stage(X, r, T, t, lo, hi):
    """T[t, lo:hi] = X[r, lo:hi] in T's float dtype: one row of a tile, converted once for both products."""
    L = lanes.count(T.dtype)
    lo, hi = np.int64(lo), np.int64(hi)
    full = lo + (hi - lo) // L * L
    for k in range(lo, full, L):
        lanes.store(T, lanes.load_as(X, r, k, T), t, k)
    if full < hi:
        lanes.store_below(T, lanes.load_below_as(X, r, full, hi, T), t, full, hi)


def _tile_source(X, T):
    """The array the products read a tile from: X itself when it holds T's floats, else T, the tile converted."""
    return X if X.dtype == T.dtype else T


def _tile_rows(X, T, rows, u, lo, hi, stage):
    """(array, its four rows) holding the tile X[rows] for the products; with `stage`, fills T first if needed.

    Float X is read where it is. Pixels are converted once per tile, columns lo..hi into the rows
    u..u+3 of T (lanes.count, d), where the forward and the backward products then read them:
    converting as each product loads them would cost ten conversions per pixel instead of one.
    """
    if X.dtype == T.dtype:
        return X, rows
    if stage:
        for t, r in enumerate(rows):
            _stage(X, r, T, u + t, lo, hi)
    return T, (u, u + 1, u + 2, u + 3)


@overload(_tile_source, inline="always")
def _tile_source_jitted(X, T):
    if X.dtype == T.dtype:
        return lambda X, T: X
    return lambda X, T: T


@overload(_tile_rows, inline="always")
def _tile_rows_jitted(X, T, rows, u, lo, hi, stage):
    if X.dtype == T.dtype:
        return lambda X, T, rows, u, lo, hi, stage: (X, rows)

    def staged(X, T, rows, u, lo, hi, stage):
        if stage:
            for t in range(4):  # one call site: Numba inlines each copy of `_stage` anew, four took 0.5 s to compile
                _stage(X, rows[t], T, u + t, lo, hi)
        return T, (u, u + 1, u + 2, u + 3)

    return staged


FusedData = namedtuple("FusedData", "X x_scale Y spans order")
FusedData.__doc__ = """The training set as the fused step reads it: images X (m, d), floats of the weights' dtype
(x_scale 1) or uint8 pixels (x_scale 1/255); labels Y (m,) int64; the rows' nonzero spans (m, 2)
uint64 (`spans.nonzero_spans`); order (n,) int64, the rows to train on, each once, in the order to
take them (`tile_order`)."""

TwoLayers = namedtuple("TwoLayers", "W1 b1 W2 b2")
TwoLayers.__doc__ = """W1 (h, d), b1 (h,), W2 (c, h), b2 (c,): the seed's network's parameters, their gradients, or
the gradients of every chunk (a leading axis of chunks)."""

HeadScratch = namedtuple("HeadScratch", "a1 p stats ys")
HeadScratch.__doc__ = """A group's scratch in the head, one image per lane (G = lanes.count): a1 (h, G), p (c, G), stats
(3, G), ys (G,) the group's labels."""

LaneSums = namedtuple("LaneSums", "W2 b2 b1")
LaneSums.__doc__ = """Per-lane sums of a chunk's gradients, (c·h, G), (c, G), (h, G): each lane's images' in order."""


@inline
def _head(layer2, z1, n, scratch, sums, dz1):
    """ReLU, softmax, loss and backward down to dz1 for a group's first n images; (loss, correct).

    With G = lanes.count lanes, z1 (h, G) holds the hidden pre-activations of the group's images,
    one per lane, whose labels are scratch.ys. layer2 = (W2 (c, h), b2 (c,)). Writes dz1 (h, G) =
    (W2ᵀ (softmax - onehot)) ⊙ (z1 > 0), zero in the lanes past n, and adds each lane's gradients to
    `sums` (`LaneSums`). Each step is one vector operation across the group: the images' work is
    side by side in the lanes.
    """
    W2, b2 = layer2
    a1, p, stats, ys = scratch
    sum_W2, sum_b2, sum_b1 = sums  # written through these names: a write through sums.b2[...] can be lost
    c, h = W2.shape
    zero = lanes.splat(p, 0)
    for k in range(h):
        z = lanes.load(z1, k, 0)
        lanes.store(a1, activations.activate(activations.RELU, z), k, 0)
    for j in range(c):
        acc = lanes.splat(p, b2[j])
        for k in range(h):
            acc = lanes.fma(acc, W2[j, k], lanes.load(a1, k, 0))
        lanes.store(p, acc, j, 0)
    loss, correct = losses.softmax_cross_entropy_lanes(p, c, ys, n, stats)
    for j in range(c):
        pj = lanes.load(p, j, 0)
        lanes.store(sum_b2, lanes.add(lanes.load(sum_b2, j, 0), pj), j, 0)
        for k in range(h):
            row = j * h + k
            lanes.store(sum_W2, lanes.fma(lanes.load(sum_W2, row, 0), pj, lanes.load(a1, k, 0)), row, 0)
    for k in range(h):
        acc = zero
        for j in range(c):
            acc = lanes.fma(acc, W2[j, k], lanes.load(p, j, 0))
        dz = activations.backward(activations.RELU, acc, lanes.load(a1, k, 0))
        lanes.store(dz1, dz, k, 0)
        lanes.store(sum_b1, lanes.add(lanes.load(sum_b1, k, 0), dz), k, 0)
    return loss, correct


@inline
def _lane_sum(A, k):
    """Σ_t A[k, t] over the lanes of A (n, lanes.count), in lane order."""
    acc = A.dtype.type(0)
    for t in range(A.shape[1]):
        acc += A[k, t]
    return acc


@inline
def _four_rows(O, i, last):
    """The rows O[i..i+3], none past O[last]: a tile's rows, or those of the tile to prefetch."""
    return O[min(i, last)], O[min(i + 1, last)], O[min(i + 2, last)], O[min(i + 3, last)]


@helper
def _chunk_gradients(data, params, parts, ch, start, stop):
    """Unscaled gradient sums of the rows order[start..stop] of x_scale · X (`FusedData`) into chunk ch of parts (`TwoLayers`).

    X is float in W1's dtype, or uint8 pixels; the W1 gradient is then left in pixel units, to be
    scaled by x_scale with the mean's 1/m. Returns (summed loss, correct count).
    Images go in groups of lanes.count through the head, one per vector lane, and in tiles of TILE
    through the dot products. A last, partial tile repeats its final image with a zero gradient,
    which adds exactly nothing; so do the lanes of a last, partial group, which hold stale values.
    """
    X, O = data.X, data.order
    W1, b1, W2 = params.W1, params.b1, params.W2
    gW1, gb1, gW2, gb2 = parts.W1[ch], parts.b1[ch], parts.W2[ch], parts.b2[ch]
    h, c = W1.shape[0], W2.shape[0]
    dtype = W1.dtype
    G = lanes.count(dtype)
    gW1[:] = dtype.type(0)
    z1 = np.zeros((h, G), dtype)
    dz1 = np.empty((h, G), dtype)
    ys = np.zeros(G, np.int64)  # written through this name: a write through scratch.ys[t] was lost (Numba 0.68)
    scratch = HeadScratch(np.empty((h, G), dtype), np.empty((c, G), dtype), np.empty((3, G), dtype), ys)
    sums = LaneSums(np.zeros((c * h, G), dtype), np.zeros((c, G), dtype), np.zeros((h, G), dtype))
    layer2 = (W2, params.b2)
    loss = dtype.type(0)
    correct = 0
    last = stop - 1
    T = np.empty((G, X.shape[1]), dtype)
    lines = line_columns(_tile_source(X, T))
    d = np.uint64(X.shape[1])
    for g in range(start, stop, G):
        n = min(G, stop - g)
        for u in range(0, n, TILE):
            i = g + u
            rows = _four_rows(O, i, last)
            lo, hi = tile_span(data.spans, rows, lines, d)
            A, in_A = _tile_rows(X, T, rows, u, lo, hi, True)
            hidden_tile(W1, b1, data.x_scale, A, X, Tile(in_A, lo, hi, _four_rows(O, i + AHEAD, last), u), z1)
        for t in range(n):
            ys[t] = data.Y[O[g + t]]
        group_loss, group_correct = _head(layer2, z1, n, scratch, sums, dz1)
        loss += group_loss
        correct += group_correct
        for u in range(0, n, TILE):
            i = g + u
            rows = _four_rows(O, i, last)
            lo, hi = tile_span(data.spans, rows, lines, d)
            A, in_A = _tile_rows(X, T, rows, u, lo, hi, False)
            outer_tile(dz1, A, X, Tile(in_A, lo, hi, _four_rows(O, i + AHEAD, last), u), gW1)
    for j in range(c):
        gb2[j] = _lane_sum(sums.b2, j)
        for k in range(h):
            gW2[j, k] = _lane_sum(sums.W2, j * h + k)
    for k in range(h):
        gb1[k] = _lane_sum(sums.b1, k)
    return loss, correct


@kernel
def fused_step(data, params, inv_m, parts, grads):
    """Gradients of the mean softmax cross-entropy of ReLU(x_scale · X W1ᵀ + b1) W2ᵀ + b2, in one pass.

    data: `FusedData`; params: `TwoLayers`, W1 (h, d), b1 (h,), W2 (c, h), b2 (c,); parts: `TwoLayers`
    with one gradient per chunk (chunking(m) of them); writes grads (`TwoLayers`) scaled by inv_m
    (1/m for the mean) and returns (summed loss, number of correct predictions) of this forward pass.
    Each chunk is one call of a serial function that takes the bundles as they are: inside the
    parallel loop Numba passes no array out of a tuple reliably, so the loop touches none.
    """
    m, d = data.order.shape[0], data.X.shape[1]
    h = params.W1.shape[0]
    c = params.W2.shape[0]
    n_chunks, size = chunking(m)
    loss_parts = np.zeros(n_chunks, params.W1.dtype)
    correct_parts = np.zeros(n_chunks, np.int64)
    for ch in prange(n_chunks):
        # np.int64: the parallel loop's index is unsigned when lowered, and a second type would compile the chunk twice
        loss_parts[ch], correct_parts[ch] = _chunk_gradients(data, params, parts, np.int64(ch), ch * size, min(m, (ch + 1) * size))
    sum_chunks(parts.W1.reshape((n_chunks, h * d)), inv_m * data.x_scale, grads.W1.reshape(h * d))
    sum_chunks(parts.b1, inv_m, grads.b1)
    sum_chunks(parts.W2.reshape((n_chunks, c * h)), inv_m, grads.W2.reshape(c * h))
    sum_chunks(parts.b2, inv_m, grads.b2)
    total_loss = params.W1.dtype.type(0)
    total_correct = 0
    for ch in range(n_chunks):
        total_loss += loss_parts[ch]
        total_correct += correct_parts[ch]
    return total_loss, total_correct
