"""Per-step kernels of the seed's network: one for each NumPy call of its trainer.

Layout: sample-major. Every batch array holds one image per row: X (m, d), Z and A (m, h), the
transpose of the seed's (d, m) layout, so an image's pixels are contiguous in memory. For the
seed's own arrays (Fortran-ordered after `X / 255.`) the transpose is free. Kernels trust their
arguments (C-contiguous, one float dtype, labels int64 in range, scalars of the arrays' dtype):
the API modules check and convert. Every kernel writes into output arrays the caller allocates.
"""
import numpy as np
from numba import prange

from .._compile.options import helper, inline, kernel
from .._simd import lanes
from .._simd.exp import exp_nonpositive
from .chunks import chunking, sum_chunks
from .spans import line_columns, scanned_span
from .tiles import TILE, Tile, hidden_tile, outer_tile


@kernel
def matmul_bias(X, W, b, x_scale, out):
    """out = x_scale · X @ W.T + b, i.e. Z = W·(x_scale X) + b per image; X (m, d) C-contiguous rows, W (h, d), b (h,) -> out (m, h).

    Tiles of four images through `tiles.hidden_tile`, the fused step's dot products, over
    each tile's span of nonzero columns (`spans.scanned_span`). X holds floats of W's dtype
    (x_scale 1) or uint8 pixels, converted as they are loaded (x_scale 1/255).
    """
    m = X.shape[0]
    h = W.shape[0]
    G = lanes.count(W.dtype)
    lines = line_columns(X)
    n_chunks, size = chunking(m)
    for ch in prange(n_chunks):
        z = np.empty((h, G), W.dtype)
        stop = min(m, (ch + 1) * size)
        last = stop - 1
        for i in range(ch * size, stop, TILE):
            rows = (i, min(i + 1, last), min(i + 2, last), min(i + 3, last))
            ahead = _rows_from(i + TILE, last)
            lo, hi = scanned_span(X, rows, lines, W, ahead)
            hidden_tile(W, b, x_scale, X, X, Tile(rows, lo, hi, ahead, 0), z)
            for t in range(min(TILE, stop - i)):
                for j in range(h):
                    out[i + t, j] = z[j, t]


@kernel
def matmul_bias_narrow(X, W, b, x_scale, out):
    """matmul_bias for X with few columns (a small layer's activations): out[i] = b + x_scale · Σ_k X[i, k] W[:, k]; X (m, d), W (h, d), b (h,) -> out (m, h).

    Per image, the h outputs in vectors, each a sum over k in order: no sums across lanes, which
    cost more than the multiply-adds of a row this short.
    """
    m, d = X.shape
    h = W.shape[0]
    L = lanes.count(W.dtype)
    Wt = _padded_rows(np.vstack((W.T, b.reshape((1, h)))))
    n_chunks, size = chunking(m)
    for ch in prange(n_chunks):
        for i in range(ch * size, min(m, (ch + 1) * size)):
            for j in range(0, h, L):
                lanes.store_below(out, lanes.fma(lanes.load(Wt, d, j), x_scale, _row_times(X, i, Wt, j)), i, j, h)


@inline
def _rows_from(f, last):
    """The four rows f..f+3, none past `last`: the tile to prefetch."""
    return (min(f, last), min(f + 1, last), min(f + 2, last), min(f + 3, last))


@inline
def _row_times(A, i, M, j):
    """Σ_k A[i, k] M[k, j:j + lanes.count], k in order over A's columns: row i of A (·, n) times the first n rows of M, one vector of columns."""
    acc = lanes.splat(M, 0)
    for k in range(A.shape[1]):
        acc = lanes.fma(acc, A[i, k], lanes.load(M, k, j))
    return acc


@helper
def _padded_rows(W):
    """W (r, n) in a zeroed (r, n rounded up to whole vectors) array, so that every row loads as whole vectors."""
    r, n = W.shape
    L = lanes.count(W.dtype)
    out = np.zeros((r, (n + L - 1) // L * L), W.dtype)
    out[:, :n] = W
    return out


@kernel
def relu(z, out):
    """out = max(z, 0) elementwise, NaN kept; z, out (n,) flat views of any shape."""
    zero = z.dtype.type(0)
    for i in prange(z.shape[0]):
        out[i] = zero if z[i] < zero else z[i]


@kernel
def relu_mask(z, out):
    """out = z > 0 elementwise, the ReLU derivative as booleans; z (n,) -> out (n,) bool."""
    zero = z.dtype.type(0)
    for i in prange(z.shape[0]):
        out[i] = z[i] > zero


@kernel
def softmax_rows(Z, out):
    """out[i] = exp(Z[i] - max Z[i]) / Σ exp(Z[i] - max Z[i]); Z, out (m, c), one image per row.

    Images go a vector's lanes at a time (lanes.count), one per lane, through the vector exp of
    the fused step (`exp.exp_nonpositive`), which floors exp at e**-87 where a term is negligible
    beside the largest, 1.
    """
    m, c = Z.shape
    G = lanes.count(Z.dtype)
    n_chunks, size = chunking(m)
    for ch in prange(n_chunks):
        z = np.empty((c, G), Z.dtype)
        stop = min(m, (ch + 1) * size)
        last = stop - 1
        for i in range(ch * size, stop, G):
            for j in range(c):
                for t in range(G):
                    z[j, t] = Z[min(i + t, last), j]
            top = lanes.load(z, 0, 0)
            for j in range(1, c):
                v = lanes.load(z, j, 0)
                top = lanes.where_less(top, v, v, top)
            total = lanes.splat(z, 0)
            for j in range(c):
                e = exp_nonpositive(lanes.sub(lanes.load(z, j, 0), top), z)
                lanes.store(z, e, j, 0)
                total = lanes.add(total, e)
            for j in range(c):
                lanes.store(z, lanes.div(lanes.load(z, j, 0), total), j, 0)
            for t in range(min(G, stop - i)):
                for j in range(c):
                    out[i + t, j] = z[j, t]


@kernel
def cross_entropy_logits(Z, Y):
    """Mean over images of logsumexp(Z[i]) - Z[i, Y[i]], the softmax cross-entropy; Z (m, c), Y (m,)."""
    m, c = Z.shape
    n_chunks, size = chunking(m)
    zero = Z.dtype.type(0)
    partial = np.zeros(n_chunks, Z.dtype)
    for ch in prange(n_chunks):
        acc = zero
        for i in range(ch * size, min(m, (ch + 1) * size)):
            top = Z[i, 0]
            for j in range(1, c):
                top = max(top, Z[i, j])
            total = zero
            for j in range(c):
                total += np.exp(Z[i, j] - top)
            acc += np.log(total) + top - Z[i, Y[i]]
        partial[ch] = acc
    loss = zero
    for ch in range(n_chunks):
        loss += partial[ch]
    return loss / Z.dtype.type(m)


@kernel
def one_hot_rows(Y, out):
    """out[i, j] = 1 if Y[i] == j else 0; Y (m,) -> out (m, c)."""
    one = out.dtype.type(1)
    zero = out.dtype.type(0)
    for i in prange(Y.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = zero
        out[i, Y[i]] = one


@kernel
def output_delta(A, Y, out):
    """out = A - onehot(Y), dZ2 of softmax with cross-entropy; A (m, c), Y (m,) -> out (m, c)."""
    one = A.dtype.type(1)
    for i in prange(A.shape[0]):
        for j in range(A.shape[1]):
            out[i, j] = A[i, j]
        out[i, Y[i]] -= one


@kernel
def hidden_delta(dZ, W, Z, out):
    """out = (dZ @ W) ⊙ (Z > 0), i.e. dZ1 = W2ᵀ·dZ2 ⊙ ReLU'(Z1); dZ (m, c), W (c, h), Z (m, h) -> out (m, h).

    Per image, the h outputs in vectors (`_padded_rows` of W), each a sum over k in order.
    """
    m = dZ.shape[0]
    h = W.shape[1]
    L = lanes.count(W.dtype)
    Wp = _padded_rows(W)
    zero = lanes.splat(W, 0)
    n_chunks, size = chunking(m)
    for ch in prange(n_chunks):
        for i in range(ch * size, min(m, (ch + 1) * size)):
            for j in range(0, h, L):
                acc = _row_times(dZ, i, Wp, j)
                lanes.store_below(out, lanes.where_less(zero, lanes.load_below(Z, i, j, h), acc, zero), i, j, h)


@kernel
def weight_grad(dZ, A, inv_m, dW, db):
    """dW = inv_m · dZᵀ A, db = inv_m · Σ_i dZ[i] (inv_m: 1/m for the mean over m images); dZ (m, h), A (m, d) C-contiguous rows -> dW (h, d), db (h,).

    Per chunk of images, tiles of four through `tiles.outer_tile`, the fused step's outer
    products, over each tile's span of nonzero columns of A (`spans.scanned_span`); the chunks'
    sums are added in a fixed order.
    """
    m, h = dZ.shape
    d = A.shape[1]
    G = lanes.count(dZ.dtype)
    lines = line_columns(A)
    n_chunks, size = chunking(m)
    part_W = np.empty((n_chunks, h, d), dZ.dtype)
    part_b = np.empty((n_chunks, h), dZ.dtype)
    zero = dZ.dtype.type(0)
    for ch in prange(n_chunks):
        g = np.zeros((h, G), dZ.dtype)
        gW = part_W[ch]
        gW[:] = zero
        start, stop = ch * size, min(m, (ch + 1) * size)
        last = stop - 1
        for j in range(h):
            part_b[ch, j] = zero
        for i in range(start, stop, TILE):
            n = min(TILE, stop - i)
            for j in range(h):
                for t in range(TILE):
                    g[j, t] = dZ[i + t, j] if t < n else zero
                part_b[ch, j] += ((g[j, 0] + g[j, 1]) + g[j, 2]) + g[j, 3]
            rows = (i, min(i + 1, last), min(i + 2, last), min(i + 3, last))
            ahead = _rows_from(i + 2 * TILE, last)
            lo, hi = scanned_span(A, rows, lines, dZ, ahead)
            outer_tile(g, A, A, Tile(rows, lo, hi, ahead, 0), gW)
    sum_chunks(part_W.reshape((n_chunks, h * d)), inv_m, dW.reshape(h * d))
    sum_chunks(part_b, inv_m, db)


@kernel
def weight_grad_narrow(dZ, A, inv_m, dW, db):
    """weight_grad for A with few columns: dW = inv_m · Σ_i dZ[i]ᵀ A[i], db = inv_m · Σ_i dZ[i]; dZ (m, h), A (m, d) -> dW (h, d), db (h,).

    Per chunk of images, in order, each image's row of A in vectors added into every gradient row,
    rows padded to whole vectors (a masked store would stall the load of the next image's sum);
    the chunks' sums are added in a fixed order.
    """
    m, h = dZ.shape
    d = A.shape[1]
    L = lanes.count(dZ.dtype)
    padded = (d + L - 1) // L * L
    n_chunks, size = chunking(m)
    part_W = np.zeros((n_chunks, h, padded), dZ.dtype)
    part_b = np.zeros((n_chunks, h), dZ.dtype)
    for ch in prange(n_chunks):
        gW = part_W[ch]
        for i in range(ch * size, min(m, (ch + 1) * size)):
            for k in range(0, d, L):
                a = lanes.load_below(A, i, k, d)
                for j in range(h):
                    lanes.store(gW, lanes.fma(lanes.load(gW, j, k), dZ[i, j], a), j, k)
            for j in range(h):
                part_b[ch, j] += dZ[i, j]
    total = np.empty((h, padded), dZ.dtype)
    sum_chunks(part_W.reshape((n_chunks, h * padded)), inv_m, total.reshape(h * padded))
    dW[:] = total[:, :d]
    sum_chunks(part_b, inv_m, db)


@helper
def sgd_update(p, grad, alpha, out):
    """out = p - alpha · grad elementwise; p, grad, out (n,) contiguous flat views of a parameter.

    Serial, in explicit vectors: the parameters of these networks are small enough that starting
    the threads would cost more than the update, and LLVM leaves the loop scalar when out is p.
    """
    n = p.shape[0]
    L = lanes.count(p.dtype)
    P, G, O = p.reshape((1, n)), grad.reshape((1, n)), out.reshape((1, n))
    full = n // L * L
    for k in range(0, full, L):
        lanes.store(O, lanes.fma(lanes.load(P, 0, k), -alpha, lanes.load(G, 0, k)), 0, k)
    for k in range(full, n):
        out[k] = p[k] - alpha * grad[k]


@kernel
def argmax_rows(A, out):
    """out[i] = the first j maximising A[i, j]; A (m, c) -> out (m,) int64."""
    for i in prange(A.shape[0]):
        best = 0
        for j in range(1, A.shape[1]):
            if A[i, j] > A[i, best]:
                best = j
        out[i] = best


@kernel
def count_equal(a, b):
    """Σ_i [a[i] == b[i]], exact in any order; a, b (m,) int64."""
    n = 0
    for i in prange(a.shape[0]):
        if a[i] == b[i]:
            n += 1
    return n
