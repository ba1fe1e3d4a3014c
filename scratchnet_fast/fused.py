"""The fused training step: forward, loss, backward and all gradients in one pass over the images.

Images go through in tiles of four. In the forward dot products one load of W1 feeds four FMAs
(one per image) and in the weight-gradient outer products one load and store of the gradient row
does; the four rows of X stay in L1 between the two, so X is read from memory once per step.
While the outer products of a tile run on cached data, the next tile is prefetched.
Both loops run only over the tile's span: the columns from its first nonzero pixel to its last
(`kernels.nonzero_spans`, computed once per training set). Zeros outside it add exactly nothing.
Within each chunk the images are taken in the order of where their spans start (`tile_order`),
so that the four of a tile have similar spans: on MNIST digits, centred with blank borders, the
tiles' spans then cover 69% of the columns instead of 78%.
Each chunk runs as one serial function with no array views in its loops: a view would touch the
reference count that both threads share.
"""
import numpy as np
from numba import prange

from .config import chunking, helper, inline, kernel
from .kernels import sum_chunks
from .prefetch import prefetch

TILE = 4


def tile_order(S):
    """The order in which the fused step takes the rows with nonzero spans S (m, 2); (m,) int64.

    Within each chunk (`chunking`), stably sorted by where the span starts. The chunks keep their
    images, so the order, like the sums, depends on the images alone, never on the thread count.
    """
    m = S.shape[0]
    size = chunking(m)[1]
    order = np.empty(m, np.int64)
    for start in range(0, m, size):
        order[start:start + size] = start + np.argsort(S[start:start + size, 0], kind="stable")
    return order


@inline
def _tile_span(S, r0, r1, r2, r3):
    """The union (lo, hi) of the nonzero spans S (m, 2) of rows r0..r3; lo <= hi."""
    lo = min(min(S[r0, 0], S[r1, 0]), min(S[r2, 0], S[r3, 0]))
    hi = max(max(S[r0, 1], S[r1, 1]), max(S[r2, 1], S[r3, 1]))
    return lo, max(lo, hi)


@inline
def _hidden_tile(W1, b1, X, r0, r1, r2, r3, lo, hi, z1):
    """z1[t] = W1 @ X[r_t] + b1 for the rows r0..r3 of X (m, d), zero outside columns lo..hi; -> z1 (4, h).

    Two hidden units at a time: eight independent FMA chains, enough to cover the FMA latency,
    and six loads per eight FMAs. An odd last unit is paired with itself.
    """
    h = W1.shape[0]
    zero = W1.dtype.type(0)
    for j in range(0, h, 2):
        u = min(j + 1, h - 1)
        a0 = zero
        a1 = zero
        a2 = zero
        a3 = zero
        c0 = zero
        c1 = zero
        c2 = zero
        c3 = zero
        for k in range(lo, hi):
            w = W1[j, k]
            v = W1[u, k]
            x0, x1, x2, x3 = X[r0, k], X[r1, k], X[r2, k], X[r3, k]
            a0 += w * x0
            a1 += w * x1
            a2 += w * x2
            a3 += w * x3
            c0 += v * x0
            c1 += v * x1
            c2 += v * x2
            c3 += v * x3
        z1[0, j] = a0 + b1[j]
        z1[1, j] = a1 + b1[j]
        z1[2, j] = a2 + b1[j]
        z1[3, j] = a3 + b1[j]
        z1[0, u] = c0 + b1[u]
        z1[1, u] = c1 + b1[u]
        z1[2, u] = c2 + b1[u]
        z1[3, u] = c3 + b1[u]


@inline
def _prefetch_part(X, n0, n1, n2, n3, lo, hi, part, parts):
    """Prefetch the part-th of `parts` slices of columns lo..hi of the rows n0..n3 of X."""
    step = 64 // X.itemsize
    width = np.int64(hi - lo)
    size = ((width + parts - 1) // parts + step - 1) // step * step
    start = np.int64(lo) + part * size
    for k in range(start, min(start + size, np.int64(hi)), step):
        prefetch(X, n0, k)
        prefetch(X, n1, k)
        prefetch(X, n2, k)
        prefetch(X, n3, k)


@inline
def _outer_tile(gW1, dz1, X, r0, r1, r2, r3, lo, hi, n0, n1, n2, n3, next_lo, next_hi):
    """gW1 += Σ_t dz1[t] ⊗ X[r_t] over the rows r0..r3 of X (m, d), columns lo..hi; dz1 (4, h) -> gW1 (h, d).

    Two gradient rows at a time, so each load of X feeds two FMAs; the rows of a pair must be
    distinct for LLVM to vectorize, so an odd last row goes on its own. Before each pair, a slice
    of the next tile (rows n0..n3, columns next_lo..next_hi) is prefetched; the odd row's slice is
    past the end, and so empty, unless it is the only row.
    """
    h = gW1.shape[0]
    pairs = max(1, h // 2)
    for j in range(0, h - 1, 2):
        _prefetch_part(X, n0, n1, n2, n3, next_lo, next_hi, j // 2, pairs)
        g0, g1, g2, g3 = dz1[0, j], dz1[1, j], dz1[2, j], dz1[3, j]
        e0, e1, e2, e3 = dz1[0, j + 1], dz1[1, j + 1], dz1[2, j + 1], dz1[3, j + 1]
        for k in range(lo, hi):
            x0, x1, x2, x3 = X[r0, k], X[r1, k], X[r2, k], X[r3, k]
            gW1[j, k] += g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3
            gW1[j + 1, k] += e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3
    if h % 2:
        j = h - 1
        _prefetch_part(X, n0, n1, n2, n3, next_lo, next_hi, j // 2, pairs)
        g0, g1, g2, g3 = dz1[0, j], dz1[1, j], dz1[2, j], dz1[3, j]
        for k in range(lo, hi):
            gW1[j, k] += g0 * X[r0, k] + g1 * X[r1, k] + g2 * X[r2, k] + g3 * X[r3, k]


@inline
def _head_tile(z1, dz1, n, Y, O, i, W2, b2, gW2, gb2, gb1, a1, p):
    """ReLU, softmax, loss and backward down to dz1 for the tile's first n images; (loss, correct).

    z1 (4, h) hidden pre-activations of the images O[i..i+3], Y (m,) all labels; accumulates gW2 (c, h),
    gb2 (c,), gb1 (h,) and writes dz1 (4, h) = (W2ᵀ (softmax - onehot)) ⊙ (z1 > 0), zero for
    images past n. a1 (h, 4) and p (c, 4) are scratch with the image innermost, so that each
    small matrix product is a 4-wide vector FMA rather than a latency-bound chain of 10.
    """
    c, h = W2.shape
    zero = W2.dtype.type(0)
    one = W2.dtype.type(1)
    for k in range(h):
        for t in range(TILE):
            a1[k, t] = zero if z1[t, k] < zero else z1[t, k]
    for j in range(c):
        for t in range(TILE):
            p[j, t] = zero
        for k in range(h):
            w = W2[j, k]
            for t in range(TILE):
                p[j, t] += w * a1[k, t]
        for t in range(TILE):
            p[j, t] += b2[j]
    loss = zero
    correct = 0
    for t in range(n):
        y = Y[O[i + t]]
        best = 0
        for j in range(1, c):
            if p[j, t] > p[best, t]:
                best = j
        top = p[best, t]
        margin = p[y, t] - top
        total = zero
        for j in range(c):
            e = np.exp(p[j, t] - top)
            p[j, t] = e
            total += e
        for j in range(c):
            p[j, t] /= total
        p[y, t] -= one
        loss += np.log(total) - margin
        correct += best == y
    for t in range(n, TILE):
        for j in range(c):
            p[j, t] = zero
    for j in range(c):
        for t in range(TILE):
            gb2[j] += p[j, t]
        for k in range(h):
            acc = zero
            for t in range(TILE):
                acc += p[j, t] * a1[k, t]
            gW2[j, k] += acc
    for k in range(h):
        for t in range(TILE):
            acc = zero
            for j in range(c):
                acc += W2[j, k] * p[j, t]
            dz1[t, k] = acc if z1[t, k] > zero else zero
            gb1[k] += dz1[t, k]
    return loss, correct


@helper
def _chunk_gradients(X, Y, S, O, start, stop, W1, b1, W2, b2, gW1, gb1, gW2, gb2):
    """Unscaled gradient sums of the rows O[start..stop] of X (m, d) into gW1, gb1, gW2, gb2.

    Y (m,) are the rows' labels, S (m, 2) their nonzero spans. Returns (summed loss, correct count). A last, partial
    tile repeats its final image with a zero gradient, which adds exactly nothing.
    """
    h, c = W1.shape[0], W2.shape[0]
    zero = X.dtype.type(0)
    gW1[:] = zero
    gb1[:] = zero
    gW2[:] = zero
    gb2[:] = zero
    z1 = np.empty((TILE, h), X.dtype)
    dz1 = np.empty((TILE, h), X.dtype)
    a1 = np.empty((h, TILE), X.dtype)
    p = np.empty((c, TILE), X.dtype)
    loss = zero
    correct = 0
    last = stop - 1
    for i in range(start, stop, TILE):
        n = min(TILE, stop - i)
        r0, r1, r2, r3 = O[i], O[min(i + 1, last)], O[min(i + 2, last)], O[min(i + 3, last)]
        lo, hi = _tile_span(S, r0, r1, r2, r3)
        _hidden_tile(W1, b1, X, r0, r1, r2, r3, lo, hi, z1)
        tile_loss, tile_correct = _head_tile(z1, dz1, n, Y, O, i, W2, b2, gW2, gb2, gb1, a1, p)
        loss += tile_loss
        correct += tile_correct
        n0, n1 = O[min(i + TILE, last)], O[min(i + TILE + 1, last)]
        n2, n3 = O[min(i + TILE + 2, last)], O[min(i + TILE + 3, last)]
        next_lo, next_hi = _tile_span(S, n0, n1, n2, n3)
        _outer_tile(gW1, dz1, X, r0, r1, r2, r3, lo, hi, n0, n1, n2, n3, next_lo, next_hi)
    return loss, correct


@kernel
def fused_step(X, Y, S, O, W1, b1, W2, b2, scale, part_W1, part_b1, part_W2, part_b2, dW1, db1, dW2, db2):
    """Gradients of the mean softmax cross-entropy of ReLU(X W1ᵀ + b1) W2ᵀ + b2, in one pass.

    X (m, d), Y (m,), S (m, 2) the nonzero spans of X's rows (`kernels.nonzero_spans`), O (m,) a
    permutation of the rows, the order to take them in (`tile_order`), W1 (h, d), b1 (h,),
    W2 (c, h), b2 (c,); part_* hold one gradient per chunk (chunking(m) of them); writes
    dW1 (h, d), db1 (h,), dW2 (c, h), db2 (c,) scaled by `scale` (1/m for the mean) and returns
    (summed loss, number of correct predictions) of this forward pass.
    """
    m, d = X.shape
    h = W1.shape[0]
    c = W2.shape[0]
    n_chunks, size = chunking(m)
    loss_parts = np.zeros(n_chunks, X.dtype)
    correct_parts = np.zeros(n_chunks, np.int64)
    for ch in prange(n_chunks):
        loss_parts[ch], correct_parts[ch] = _chunk_gradients(
            X, Y, S, O, ch * size, min(m, (ch + 1) * size), W1, b1, W2, b2, part_W1[ch], part_b1[ch], part_W2[ch], part_b2[ch]
        )
    sum_chunks(part_W1.reshape((n_chunks, h * d)), scale, dW1.reshape(h * d))
    sum_chunks(part_b1, scale, db1)
    sum_chunks(part_W2.reshape((n_chunks, c * h)), scale, dW2.reshape(c * h))
    sum_chunks(part_b2, scale, db2)
    total_loss = X.dtype.type(0)
    total_correct = 0
    for ch in range(n_chunks):
        total_loss += loss_parts[ch]
        total_correct += correct_parts[ch]
    return total_loss, total_correct
