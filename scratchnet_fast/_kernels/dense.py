"""Stages of the fused mini-batch step for any stack of hidden layers (any `activations` kind) and an output.

Layout. A layer is one block `Wt` (n_in + 1, P) of the flat parameter vector: row k < n_in holds
the weights from input k to the P outputs (scikit-learn's (n_in, n_out) layout), row n_in the
biases. P is the layer's width rounded up to whole vectors (`lanes.count`); the padding columns
are zero and stay zero, so a layer above reads its padded inputs as zeros. Activations are
(rows, P) buffers, one image per row. The first layer reads its images straight out of X through
the batch's slice of a permutation (`Rows`): no copy of X is made.

Arguments come in bundles: `Inputs` (the images or activations a stage reads, and their scale),
`Rows` (which of them make the batch), `Groups` (the rows nonzero in each tile of four inputs),
`rules.Layer` (a layer's block, its gradient and its solver state) and `Update` (what to do with
a gradient). Order: what is read, then how, then what is written. Each stage takes the arrays
out of its bundles before its parallel loop and hands the loop's inline pieces arrays: Numba
passes no array out of a tuple into a parallel loop reliably (a write through it can be lost).

Every stage splits its work into items that do not depend on the thread count, and each output
value is summed by one item in a fixed order: 1 and 2 threads give the same bits.

Register tiles: the affine map takes 4 images by 2 vectors of outputs (8 accumulators; per input
column, 2 loads of weights and 4 broadcasts feed 8 FMAs); the weight gradient takes 4 inputs by 2
vectors of outputs, summed over the batch; the backward delta takes 4 images by 2 inputs, dot
products over the outputs' vectors.
"""
from collections import namedtuple

import numpy as np
from numba import prange

from .._compile.options import inline, kernel
from .._simd import lanes
from .._simd.prefetch import prefetch
from . import activations
from .memory import LINE

ROWS = 4  # images (or inputs) per register tile

Inputs = namedtuple("Inputs", "A x_scale")
Inputs.__doc__ = """What a stage reads: A (m, ≥ n_in), the images (floats of the weights' dtype, or uint8 pixels) or a
layer's activations, and x_scale, the number every value of A stands multiplied by (1, or 1/255 for pixels)."""

Rows = namedtuple("Rows", "order start count")
Rows.__doc__ = """The batch: the rows order[start + t] of the inputs, t < count (order int64; for a layer's
activations, which hold the batch's rows in order, `order` is arange and `start` 0)."""

Groups = namedtuple("Groups", "counts members")
Groups.__doc__ = """For each tile κ of four inputs, members[κ, :counts[κ]], in order, the positions t of the batch's
rows that are nonzero there (`group_rows`); for a layer above the first, every t."""

Update = namedtuple("Update", "mode rate")
Update.__doc__ = """What `weight_gradient` does with a gradient: `mode` (APPLY, WRITE, ADD: `_deliver`), APPLY at `rate`."""

APPLY, WRITE, ADD = 0, 1, 2  # what `_deliver` does with a vector: W -= rate · it, G = it, G += it
NONE, HIDDEN, DERIVATIVE = 0, 1, 2
"""What `affine` applies to its sums: nothing (the output), the hidden activation (`activations`, of the kind it is
given), or that activation's derivative at the activations below (the delta of a hidden layer)."""


@inline
def _fma_tile(acc, x, u, t):
    """The tile's eight accumulators (v0, w0, v1, w1, v2, w2, v3, w3) plus x_s · u (the v_s) and x_s · t (the w_s): four
    scalars x by two vectors."""
    v0, w0, v1, w1, v2, w2, v3, w3 = acc
    x0, x1, x2, x3 = x
    return (lanes.fma(v0, x0, u), lanes.fma(w0, x0, t), lanes.fma(v1, x1, u), lanes.fma(w1, x1, t),
            lanes.fma(v2, x2, u), lanes.fma(w2, x2, t), lanes.fma(v3, x3, u), lanes.fma(w3, x3, t))


@inline
def _affine_tile(A, batch, o, Wt, cols, f, below, Out):
    """Out[o + s, j:j+L | q:q+L] = f(A[batch[o + s], :n_in] @ Wt[:n_in] + Wt[n_in]) for the rows o + s < n = batch.size.

    f = (kind, what): the `activations` kind and what of it (NONE, HIDDEN, or DERIVATIVE: times the kind's derivative
    at the activations below[o + s]). L = lanes.count, (j, q) = cols;
    A (≥ rows, ≥ n_in), floats of Wt's dtype or uint8 pixels (converted as read), batch the rows of A,
    Wt (n_in + 1, P), below and Out (≥ n, P). Rows past n - 1 repeat it and are not stored.
    """
    n_in = Wt.shape[0] - 1
    n = batch.shape[0]
    j, q = cols
    last = n - 1
    o1, o2, o3 = min(o + 1, last), min(o + 2, last), min(o + 3, last)
    i0, i1, i2, i3 = batch[o], batch[o1], batch[o2], batch[o3]
    v0 = lanes.load(Wt, n_in, j)
    w0 = lanes.load(Wt, n_in, q)
    acc = (v0, w0, v0, w0, v0, w0, v0, w0)
    for k in range(n_in):
        acc = _fma_tile(acc, (A[i0, k], A[i1, k], A[i2, k], A[i3, k]), lanes.load(Wt, k, j), lanes.load(Wt, k, q))
    kind, what = f
    for e in range(8):  # one call site of each piece, in a loop LLVM unrolls: eight inlined copies compile slowly
        s, col, stored = _entry(e, cols)
        if stored and o + s < n:
            v = acc[e]
            if what == HIDDEN:
                v = activations.activate(kind, v)
            elif what == DERIVATIVE:
                v = activations.backward(kind, v, lanes.load(below, o + s, col))
            lanes.store(Out, v, o + s, col)


@inline
def _entry(e, cols):
    """Where entry e of a tile's (v0, w0, v1, w1, ...) goes: (row offset s, column j or q of cols = (j, q), whether it is
    stored at all: w_s is not when the block has one vector, q == j)."""
    j, q = cols
    second = e % 2 == 1
    return e // 2, q if second else j, not (second and q == j)


@inline
def _columns(item, blocks, P, L):
    """The pair of output vectors (j, q) of work item `item`: block item % blocks, q = j when the block has one vector."""
    j = item % blocks * 2 * L
    return j, min(j + L, P - L)


@kernel
def affine(A, rows, Wt, kind, what, below, Out):
    """Out[t] = f(A[order[start + t], :n_in] @ Wt[:n_in] + Wt[n_in]) for t < count (`Rows`), n_in = Wt.shape[0] - 1;
    Out (≥ count, P), f per the `activations` kind and `what` of it (`_affine_tile`).

    The first layer on images without zeros to skip (the batch's rows of X read in place; pixels
    against `scaled_weights`), a layer above it (HIDDEN, or NONE for the output), or the delta of the
    layer below one, from its weights transposed (`transpose_weights`) and DERIVATIVE with the
    activations below. One item per tile of four rows by two vectors of outputs.
    """
    R, r0, n = rows.order, rows.start, rows.count
    batch = R[r0:r0 + n]
    L = lanes.count(Wt.dtype)
    P = Wt.shape[1]
    blocks = (P + 2 * L - 1) // (2 * L)
    tiles = (n + ROWS - 1) // ROWS
    for item in prange(tiles * blocks):
        _affine_tile(A, batch, item // blocks * ROWS, Wt, _columns(item, blocks, P, L), (kind, what), below, Out)


@kernel
def scaled_weights(Wt, x_scale, Out):
    """Out[k] = x_scale · Wt[k] for the weights' rows k < n_in, Out[n_in] = Wt[n_in] (the biases); Wt, Out (n_in + 1, P).

    The first layer's weights as `affine` reads them for pixels: the product `affine_grouped` makes
    as it loads them, rounded the same, so both paths give the same sums.
    """
    n_in = Wt.shape[0] - 1
    L = lanes.count(Wt.dtype)
    s = lanes.splat(Wt, x_scale)
    for k in prange(n_in + 1):
        for j in range(0, Wt.shape[1], L):
            v = lanes.load(Wt, k, j)
            lanes.store(Out, lanes.mul(v, s) if k < n_in else v, k, j)


@inline
def _tile_weights(Wt, k, n_in, j, x_scale):
    """x_scale · Wt[k + s, j:j+L] for s < 4, zero for the inputs k + s >= n_in."""
    zero = lanes.splat(Wt, 0)
    u0 = lanes.mul(lanes.load(Wt, k, j), lanes.splat(Wt, x_scale))
    u1 = lanes.mul(lanes.load(Wt, k + 1, j), lanes.splat(Wt, x_scale)) if k + 1 < n_in else zero
    u2 = lanes.mul(lanes.load(Wt, k + 2, j), lanes.splat(Wt, x_scale)) if k + 2 < n_in else zero
    u3 = lanes.mul(lanes.load(Wt, k + 3, j), lanes.splat(Wt, x_scale)) if k + 3 < n_in else zero
    return u0, u1, u2, u3


@kernel
def affine_grouped(inputs, rows, groups, Wt, kind, hidden, Out):
    """Out[t] = x_scale · A[order[start + t]] @ Wt[:n_in] + Wt[n_in], through the activation `kind` when `hidden`, for
    t < count; Out (≥ count, P): the first layer (`Inputs`, `Rows`, `Groups`).

    A holds floats of Wt's dtype (x_scale 1) or uint8 pixels, converted as they are read; x_scale
    multiplies each tile's weights once as they are loaded (an exact no-op at 1), never a pixel.

    Each tile of four inputs κ is added only to its member rows (`group_rows`), whose row of A is
    nonzero there: the rest would add exact zeros. Items are blocks of two vectors of outputs by
    chunks of rows, at least four items; each keeps its tile's weights in registers while it adds
    them to its rows.
    """
    A, x_scale = inputs.A, inputs.x_scale
    R, r0, n = rows.order, rows.start, rows.count
    counts, members = groups.counts, groups.members
    n_in = A.shape[1]
    L = lanes.count(Wt.dtype)
    P = Wt.shape[1]
    blocks = (P + 2 * L - 1) // (2 * L)
    chunks = max(2, (4 + blocks - 1) // blocks)
    size = (n + chunks - 1) // chunks
    last = n_in - 1
    for item in prange(blocks * chunks):
        j, q = _columns(item, blocks, P, L)
        t0 = item // blocks * size
        t1 = min(n, t0 + size)
        b0, b1 = lanes.load(Wt, n_in, j), lanes.load(Wt, n_in, q)
        for t in range(t0, t1):
            lanes.store(Out, b0, t, j)
            lanes.store(Out, b1, t, q)
        for tile in range(counts.shape[0]):
            count = counts[tile]
            u = 0
            while u < count and members[tile, u] < t0:
                u += 1
            if u == count or members[tile, u] >= t1:
                continue
            k = tile * ROWS
            k1, k2, k3 = min(k + 1, last), min(k + 2, last), min(k + 3, last)
            g0, g1, g2, g3 = _tile_weights(Wt, k, n_in, j, x_scale)
            h0, h1, h2, h3 = _tile_weights(Wt, k, n_in, q, x_scale)
            while u < count and members[tile, u] < t1:
                t = members[tile, u]
                i = R[r0 + t]
                x0, x1, x2, x3 = A[i, k], A[i, k1], A[i, k2], A[i, k3]
                z = lanes.fma(lanes.fma(lanes.fma(lanes.fma(lanes.load(Out, t, j), x0, g0), x1, g1), x2, g2), x3, g3)
                y = lanes.fma(lanes.fma(lanes.fma(lanes.fma(lanes.load(Out, t, q), x0, h0), x1, h1), x2, h2), x3, h3)
                lanes.store(Out, z, t, j)
                lanes.store(Out, y, t, q)
                u += 1
        if hidden:
            for t in range(t0, t1):
                for e in range(2):  # one call site of the activation, in a loop LLVM unrolls
                    _, col, stored = _entry(e, (j, q))
                    if stored:
                        lanes.store(Out, activations.activate(kind, lanes.load(Out, t, col)), t, col)


@kernel
def transpose_weights(Wt, n_in, WT):
    """WT[o, k] = Wt[k, o] for o < c = WT.shape[0] - 1 and k < n_in, and WT[c] = 0: a layer's weights as (outputs, inputs)
    rows and a zero bias row, for the delta of the layer below (`affine` with DERIVATIVE)."""
    c = WT.shape[0] - 1
    zero = WT.dtype.type(0)
    for o in prange(c + 1):
        for k in range(n_in):
            WT[o, k] = Wt[k, o] if o < c else zero


@inline
def _gradient_tile(A, x_scale, batch, members, count, ks, dZ, cols):
    """x_scale · Σ_t A[batch[t], k_s] dZ[t, j:j+L | q:q+L] over the batch positions t = members[:count], for the four
    inputs ks: eight Lanes, (v0, w0, v1, w1, v2, w2, v3, w3).

    The sums run on A's values as they are (uint8 pixels converted as read); x_scale multiplies each finished sum once.
    """
    k0, k1, k2, k3 = ks
    j, q = cols
    zero = lanes.splat(dZ, 0)
    acc = (zero, zero, zero, zero, zero, zero, zero, zero)
    for u in range(count):
        t = members[u]
        i = batch[t]
        acc = _fma_tile(acc, (A[i, k0], A[i, k1], A[i, k2], A[i, k3]), lanes.load(dZ, t, j), lanes.load(dZ, t, q))
    v0, w0, v1, w1, v2, w2, v3, w3 = acc
    s = lanes.splat(dZ, x_scale)
    return (lanes.mul(v0, s), lanes.mul(w0, s), lanes.mul(v1, s), lanes.mul(w1, s),
            lanes.mul(v2, s), lanes.mul(w2, s), lanes.mul(v3, s), lanes.mul(w3, s))


@kernel
def nonzero_tiles(A, out):
    """Bit κ % 64 of out[i, κ // 64] = 1 if A[i, 4κ:4κ+4] holds a nonzero; A (m, n_in) -> out (m, ⌈n_in / 256⌉) uint64."""
    m, n_in = A.shape
    zero = A.dtype.type(0)
    for i in prange(m):
        for w in range(out.shape[1]):
            out[i, w] = 0
        for k in range(n_in):
            if A[i, k] != zero:
                tile = k // ROWS
                out[i, tile // 64] |= np.uint64(1) << np.uint64(tile % 64)


@kernel
def group_rows(masks, rows, groups):
    """For each tile of four inputs κ: members[κ, :counts[κ]], in order, the t < count whose row order[start + t] is nonzero there.

    masks: the rows' `nonzero_tiles`; rows: `Rows`; groups: `Groups` to fill, counts (tiles,),
    members (tiles, ≥ count). The weight gradient of a tile sums over its members only: on MNIST
    digits 28% of the (image, tile) pairs are nonzero.
    """
    R, r0, n = rows.order, rows.start, rows.count
    counts, members = groups.counts, groups.members
    for tile in prange(counts.shape[0]):
        word, bit = tile // 64, np.uint64(tile % 64)
        count = 0
        for t in range(n):
            members[tile, count] = t
            count += np.int64((masks[R[r0 + t], word] >> bit) & np.uint64(1))
        counts[tile] = count


@inline
def _bias_gradient(dZ, n, j):
    """Σ_t dZ[t, j:j+L] over t < n."""
    v = lanes.splat(dZ, 0)
    for t in range(n):
        v = lanes.add(v, lanes.load(dZ, t, j))
    return v


@inline
def _deliver(W, G, mode, rate, k, j, g):
    """Hand the vector g of row k, columns j:j+L on: APPLY W -= rate · g, WRITE G = g, ADD G += g."""
    if mode == APPLY:
        lanes.store(W, lanes.fma(lanes.load(W, k, j), -rate, g), k, j)
    elif mode == WRITE:
        lanes.store(G, g, k, j)
    else:
        lanes.store(G, lanes.add(lanes.load(G, k, j), g), k, j)


@inline
def _deliver_rows(W, G, mode, rate, k, a, cols, acc):
    """`_deliver` acc = (v0, w0, v1, w1, ...), (v_s, w_s) to rows k + s, columns (j, q) = cols, for the first a rows s; w_s
    not when q == j.

    One call site in a loop of constant count, which LLVM unrolls: eight inlined copies of `_deliver`, as this was
    written out, took a second of the kernel's compile.
    """
    for e in range(8):
        s, col, stored = _entry(e, cols)
        if stored and s < a:
            _deliver(W, G, mode, rate, k + s, col, acc[e])


@kernel
def weight_gradient(inputs, rows, groups, dZ, layer, update, ahead):
    """The gradient dZ[:count]ᵀ-weighted sum of the inputs x_scale · A[order[start + t], :n_in] and of 1 (the bias row),
    delivered by `update` to layer (`rules.Layer`), n_in = layer.W.shape[0] - 1.

    For every k < n_in: Σ_t A[order[start + t], k] dZ[t] is the gradient of W[k], and Σ_t dZ[t] that
    of the bias row W[n_in]. The sum of the tile of inputs 4κ..4κ+3 runs over its members only, in
    order (`Groups`): the others are zero there (all rows for a layer above the first). `Update`
    mode APPLY subtracts it at once, W -= rate · gradient (plain descent); WRITE writes it to layer.G;
    ADD adds it to layer.G (any other solver, applied by `rules.apply_block`). `ahead`: the rows of A to
    prefetch, the next block's (an array, not a tuple, so that "none" is no other signature to compile).
    """
    A, x_scale = inputs.A, inputs.x_scale
    R, r0, n = rows.order, rows.start, rows.count
    counts, members = groups.counts, groups.members
    Wt, G = layer.W, layer.G
    mode, rate = update.mode, update.rate
    batch = R[r0:r0 + n]
    n_in = Wt.shape[0] - 1
    L = lanes.count(Wt.dtype)
    P = Wt.shape[1]
    blocks = (P + 2 * L - 1) // (2 * L)
    tiles = (n_in + ROWS - 1) // ROWS
    for item in prange((tiles + 1) * blocks):
        tile = item // blocks
        cols = _columns(item, blocks, P, L)
        j, q = cols
        per_line = LINE // A.itemsize
        if j == 0 and tile * ROWS % per_line < ROWS:
            for t in range(ahead.shape[0]):
                prefetch(A, ahead[t], min(tile * ROWS, n_in - 1))
        if tile == tiles:
            for e in range(2):
                _, col, stored = _entry(e, cols)
                if stored:
                    _deliver(Wt, G, mode, rate, n_in, col, _bias_gradient(dZ, n, col))
        else:
            count = min(counts[tile], n)
            if count == 0 and mode != WRITE:
                continue
            k, a = tile * ROWS, min(ROWS, n_in - tile * ROWS)
            last = n_in - 1
            ks = (k, min(k + 1, last), min(k + 2, last), min(k + 3, last))
            acc = _gradient_tile(A, x_scale, batch, members[tile], count, ks, dZ, cols)
            _deliver_rows(Wt, G, mode, rate, k, a, cols, acc)
