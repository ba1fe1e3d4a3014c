"""Stages of the fused mini-batch step for any stack of ReLU layers and a softmax output.

Layout. A layer is one block `Wt` (n_in + 1, P) of the flat parameter vector: row k < n_in holds
the weights from input k to the P outputs (scikit-learn's (n_in, n_out) layout), row n_in the
biases. P is the layer's width rounded up to whole vectors (`lanes.count`); the padding columns
are zero and stay zero, so a layer above reads its padded inputs as zeros. Activations are
(rows, P) buffers, one image per row. The first layer reads its images straight out of X through
the batch's slice of a permutation R: no copy of X is made.

Every stage splits its work into items that do not depend on the thread count, and each output
value is summed by one item in a fixed order: 1 and 2 threads give the same bits.

Register tiles: the affine map takes 4 images by 2 vectors of outputs (8 accumulators; per input
column, 2 loads of weights and 4 broadcasts feed 8 FMAs); the weight gradient takes 4 inputs by 2
vectors of outputs, summed over the batch; the backward delta takes 4 images by 2 inputs, dot
products over the outputs' vectors.
"""
import numpy as np
from numba import prange

from . import lanes, optimizers
from .config import inline, kernel
from .layout import LINE
from .prefetch import prefetch

ROWS = 4  # images (or inputs) per register tile


@inline
def _relu(v):
    zero = lanes.splat(v, 0)
    return lanes.where_less(v, zero, zero, v)


@inline
def _fma_tile(v0, w0, v1, w1, v2, w2, v3, w3, x0, x1, x2, x3, u, t):
    """The tile's eight accumulators plus x_s · u (the v_s) and x_s · t (the w_s): four scalars by two vectors."""
    return (lanes.fma(v0, x0, u), lanes.fma(w0, x0, t), lanes.fma(v1, x1, u), lanes.fma(w1, x1, t),
            lanes.fma(v2, x2, u), lanes.fma(w2, x2, t), lanes.fma(v3, x3, u), lanes.fma(w3, x3, t))


NONE, RELU, MASK = 0, 1, 2  # what `affine` applies to its sums: nothing, ReLU, or the ReLU derivative of M


@inline
def _masked(v, M, t, j):
    """v where M[t, j:j+L] > 0, else 0: a delta times the ReLU derivative of the activations M."""
    zero = lanes.splat(v, 0)
    return lanes.where_less(zero, lanes.load(M, t, j), v, zero)


@inline
def _affine_tile(A, o, last, Wt, n_in, j, q, activation, M, Out, a):
    """Out[o + s, j:j+L | q:q+L] = f(A[o + s, :n_in] @ Wt[:n_in] + Wt[n_in]) for the first a of the four rows o + s.

    f per `activation` (NONE, RELU, or MASK: times M[o + s] > 0). L = lanes.count; A (rows, ≥ n_in),
    Wt (n_in + 1, P), M and Out (rows, P). Rows past `last` repeat it and are not stored.
    """
    o1, o2, o3 = min(o + 1, last), min(o + 2, last), min(o + 3, last)
    v0 = lanes.load(Wt, n_in, j)
    w0 = lanes.load(Wt, n_in, q)
    v1 = v2 = v3 = v0
    w1 = w2 = w3 = w0
    for k in range(n_in):
        v0, w0, v1, w1, v2, w2, v3, w3 = _fma_tile(v0, w0, v1, w1, v2, w2, v3, w3, A[o, k], A[o1, k], A[o2, k], A[o3, k],
                                                   lanes.load(Wt, k, j), lanes.load(Wt, k, q))
    if activation == RELU:
        v0, w0, v1, w1 = _relu(v0), _relu(w0), _relu(v1), _relu(w1)
        v2, w2, v3, w3 = _relu(v2), _relu(w2), _relu(v3), _relu(w3)
    elif activation == MASK:
        v0, w0, v1, w1 = _masked(v0, M, o, j), _masked(w0, M, o, q), _masked(v1, M, o1, j), _masked(w1, M, o1, q)
        v2, w2, v3, w3 = _masked(v2, M, o2, j), _masked(w2, M, o2, q), _masked(v3, M, o3, j), _masked(w3, M, o3, q)
    _deliver_rows(Wt, Out, WRITE, Wt.dtype.type(0), o, a, j, q, v0, w0, v1, w1, v2, w2, v3, w3)


@kernel
def affine(A, n, Wt, n_in, activation, M, Out):
    """Out[t] = f(A[t, :n_in] @ Wt[:n_in] + Wt[n_in]) for t < n; Out (≥ n, P), f per `activation` (`_affine_tile`).

    A layer above the first (RELU, or NONE for the output), or the delta of the layer below one,
    from its weights transposed (`transpose_weights`) and MASK with the activations M below.
    Tiles of four rows by two vectors of outputs.
    """
    L = lanes.count(Wt.dtype)
    P = Wt.shape[1]
    blocks = (P + 2 * L - 1) // (2 * L)
    tiles = (n + ROWS - 1) // ROWS
    for item in prange(tiles * blocks):
        o = item // blocks * ROWS
        j = item % blocks * 2 * L
        _affine_tile(A, o, n - 1, Wt, n_in, j, min(j + L, P - L), activation, M, Out, min(ROWS, n - o))


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
def affine_grouped(A, x_scale, R, r0, n, counts, members, Wt, relu, Out):
    """Out[t] = x_scale · A[R[r0 + t]] @ Wt[:n_in] + Wt[n_in], ReLU'd when `relu`, for t < n; Out (≥ n, P): the first layer.

    A holds floats of Wt's dtype (x_scale 1) or uint8 pixels, converted as they are read; x_scale
    multiplies each tile's weights once as they are loaded (an exact no-op at 1), never a pixel.

    Each tile of four inputs κ is added only to its member rows, members[κ, :counts[κ]]
    (`group_rows`), whose row of A is nonzero there: the rest would add exact zeros. Items are
    blocks of two vectors of outputs by chunks of rows, at least four items; each keeps its tile's
    weights in registers while it adds them to its rows.
    """
    n_in = A.shape[1]
    L = lanes.count(Wt.dtype)
    P = Wt.shape[1]
    blocks = (P + 2 * L - 1) // (2 * L)
    chunks = max(2, (4 + blocks - 1) // blocks)
    size = (n + chunks - 1) // chunks
    last = n_in - 1
    for item in prange(blocks * chunks):
        j = item % blocks * 2 * L
        q = min(j + L, P - L)
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
        if relu:
            for t in range(t0, t1):
                lanes.store(Out, _relu(lanes.load(Out, t, j)), t, j)
                lanes.store(Out, _relu(lanes.load(Out, t, q)), t, q)


@kernel
def softmax_head(Z, c, Y, R, r0, n, scale, dZ, loss, correct):
    """Softmax cross-entropy of the logits Z[t, :c] against labels Y[R[r0 + t]], t < n.

    Writes loss[t] (the cross-entropy), correct[t] (1 if the first largest logit is the label)
    and dZ[t] = scale · (softmax(Z[t]) - onehot), zero in the padding columns c..P.
    """
    P = Z.shape[1]
    zero = Z.dtype.type(0)
    for t in prange(n):
        y = Y[R[r0 + t]]
        top = Z[t, 0]
        best = 0
        for o in range(1, c):
            if Z[t, o] > top:
                top = Z[t, o]
                best = o
        total = zero
        for o in range(c):
            e = np.exp(Z[t, o] - top)
            dZ[t, o] = e
            total += e
        loss[t] = np.log(total) + top - Z[t, y]
        correct[t] = best == y
        inverse = scale / total
        for o in range(c):
            dZ[t, o] *= inverse
        dZ[t, y] -= scale
        for o in range(c, P):
            dZ[t, o] = zero


@kernel
def transpose_weights(Wt, n_in, WT):
    """WT[o, k] = Wt[k, o] for o < c = WT.shape[0] - 1 and k < n_in, and WT[c] = 0: a layer's weights as (outputs, inputs)
    rows and a zero bias row, for the delta of the layer below (`affine` with MASK)."""
    c = WT.shape[0] - 1
    zero = WT.dtype.type(0)
    for o in prange(c + 1):
        for k in range(n_in):
            WT[o, k] = Wt[k, o] if o < c else zero


@inline
def _gradient_tile(A, x_scale, R, r0, rows, count, k0, k1, k2, k3, dZ, j, q):
    """x_scale · Σ_t A[R[r0 + t], k_s] dZ[t, j:j+L | q:q+L] over the rows t = rows[:count] for the four inputs k_s: eight Lanes.

    The sums run on A's values as they are (uint8 pixels converted as read); x_scale multiplies each finished sum once.
    """
    v0 = v1 = v2 = v3 = w0 = w1 = w2 = w3 = lanes.splat(dZ, 0)
    for u in range(count):
        t = rows[u]
        i = R[r0 + t]
        v0, w0, v1, w1, v2, w2, v3, w3 = _fma_tile(v0, w0, v1, w1, v2, w2, v3, w3, A[i, k0], A[i, k1], A[i, k2], A[i, k3],
                                                   lanes.load(dZ, t, j), lanes.load(dZ, t, q))
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
def group_rows(M, R, r0, n, counts, members):
    """For each tile of four inputs κ: members[κ, :counts[κ]], in order, the t < n whose row R[r0 + t] is nonzero there.

    M: the rows' `nonzero_tiles` masks; counts (tiles,), members (tiles, ≥ n). The weight
    gradient of a tile sums over its members only: on MNIST digits 28% of the (image, tile)
    pairs are nonzero.
    """
    for tile in prange(counts.shape[0]):
        word, bit = tile // 64, np.uint64(tile % 64)
        count = 0
        for t in range(n):
            members[tile, count] = t
            count += np.int64((M[R[r0 + t], word] >> bit) & np.uint64(1))
        counts[tile] = count


@inline
def _bias_gradient(dZ, n, j):
    """Σ_t dZ[t, j:j+L] over t < n."""
    v = lanes.splat(dZ, 0)
    for t in range(n):
        v = lanes.add(v, lanes.load(dZ, t, j))
    return v


APPLY, WRITE, ADD = 0, 1, 2  # what `_deliver` does with a vector: W -= rate · it, G = it, G += it


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
def _deliver_rows(W, G, mode, rate, k, a, j, q, v0, w0, v1, w1, v2, w2, v3, w3):
    """`_deliver` (v_s, w_s) to rows k + s, columns j and q, for the first a rows s; w_s not when q == j."""
    _deliver(W, G, mode, rate, k, j, v0)
    if q != j:
        _deliver(W, G, mode, rate, k, q, w0)
    if a > 1:
        _deliver(W, G, mode, rate, k + 1, j, v1)
        if q != j:
            _deliver(W, G, mode, rate, k + 1, q, w1)
    if a > 2:
        _deliver(W, G, mode, rate, k + 2, j, v2)
        if q != j:
            _deliver(W, G, mode, rate, k + 2, q, w2)
    if a > 3:
        _deliver(W, G, mode, rate, k + 3, j, v3)
        if q != j:
            _deliver(W, G, mode, rate, k + 3, q, w3)


@kernel
def weight_gradient(A, x_scale, R, r0, n, n_in, counts, members, dZ, Wt, G, mode, rate, ahead, n_ahead, then_apply, optimizer):
    """The gradient dZ[:n]ᵀ-weighted sum of the inputs x_scale · A[R[r0 + t], :n_in] and of 1 (the bias row), delivered by `mode`.

    For every k < n_in: Σ_t A[R[r0 + t], k] dZ[t] is the gradient of Wt[k], and Σ_t dZ[t] that of
    the bias row Wt[n_in]. The sum of the tile of inputs 4κ..4κ+3 runs over the rows
    members[κ, :counts[κ]] only, in order: the others are zero there (`group_rows`; all n rows
    for a layer above the first). `mode` APPLY subtracts it at once, Wt -= rate · gradient; WRITE
    writes it to G (the shape of Wt); ADD adds it to G. With `then_apply` (and mode WRITE), each
    work item then applies the rows it wrote by `optimizers.apply`, optimizer = (S1, S2, hyper,
    rule): any solver's update, made where the gradient is, as plain descent's APPLY is.
    """
    L = lanes.count(Wt.dtype)
    P = Wt.shape[1]
    blocks = (P + 2 * L - 1) // (2 * L)
    tiles = (n_in + ROWS - 1) // ROWS
    for item in prange((tiles + 1) * blocks):
        tile = item // blocks
        j = item % blocks * 2 * L
        q = min(j + L, P - L)
        per_line = LINE // A.itemsize
        if j == 0 and tile * ROWS % per_line < ROWS:
            for t in range(n_ahead):
                prefetch(A, R[ahead + t], min(tile * ROWS, n_in - 1))
        if tile == tiles:
            k, a = n_in, 1
            _deliver(Wt, G, mode, rate, n_in, j, _bias_gradient(dZ, n, j))
            if q != j:
                _deliver(Wt, G, mode, rate, n_in, q, _bias_gradient(dZ, n, q))
        else:
            count = min(counts[tile], n)
            if count == 0 and mode != WRITE:
                continue
            k, a = tile * ROWS, min(ROWS, n_in - tile * ROWS)
            last = n_in - 1
            k1, k2, k3 = min(k + 1, last), min(k + 2, last), min(k + 3, last)
            v0, w0, v1, w1, v2, w2, v3, w3 = _gradient_tile(A, x_scale, R, r0, members[tile], count, k, k1, k2, k3, dZ, j, q)
            _deliver_rows(Wt, G, mode, rate, k, a, j, q, v0, w0, v1, w1, v2, w2, v3, w3)
        if then_apply:  # the rows just written to G, while they are in cache
            S1, S2, hyper, rule = optimizer
            for s in range(a):
                for c in range(j, q + L, L):
                    optimizers.apply(Wt, S1, S2, k + s, c, lanes.load(G, k + s, c), k + s < n_in, hyper, rule)
