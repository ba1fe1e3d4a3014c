"""Predictions: softmax (or logistic) probabilities of a batch of images through every layer (hidden ones of any
`activations` kind) in one parallel pass.

Layout: the mini-batch trainer's (`epoch`): every layer is a block Wt (n_in + 1, P) of one flat
vector theta, weights from input k in row k, biases in row n_in, P the width in whole vectors with
zero padding, and the layer table (`epoch.START` ... `WIDTH`) says where each block is. For pixels
the caller scales the first block's weights by x_scale, as `dense.scaled_weights` does for training,
so the kernel never multiplies a pixel.

Work items are ITEM consecutive images. An item takes them four at a time through every layer in
turn, the tile's activations held in two buffers of four rows (L1): what moves through memory is
X, the weights (L2-resident for the usual sizes) and the probabilities. Register tiles are four
images by four vectors of outputs, 16 accumulators, fed per input by four loads of weights and four
broadcasts. With `skip`, the first layer goes only through the columns where one of the tile's
four images is nonzero (38% of the columns of MNIST's test digits); a NaN counts as nonzero.

Each output is one sum in a fixed order, whatever the thread count: 1 and 2 threads give the same bits.
"""
import numpy as np
from numba import prange, types
from numba.extending import overload

from .._compile.options import helper, inline, kernel
from .._simd import lanes
from .._simd.exp import exp_nonpositive
from . import activations
from .epoch import N_IN, PADDED, START, WIDTH

ITEM = 32  # images per work item
TILE = 4  # images per register tile


@inline
def _nonzero_columns(A, r, cols, like):
    """cols[:n] = the columns k, in order, where one of the rows r = (r0, r1, r2, r3) of A (m, d) is nonzero (or NaN); n.

    A vector of columns of the four rows at a time (`like`: an array of the float dtype to compare in), its nonzero
    lanes' columns written by one compressing store. cols: int32 (≥ d + lanes.count).
    """
    r0, r1, r2, r3 = r
    d = A.shape[1]
    n = 0
    for k in range(0, d, lanes.count(like.dtype)):
        n = lanes.store_nonzero_columns(cols, n, k, lanes.load_below_as(A, r0, k, d, like),
                                        lanes.load_below_as(A, r1, k, d, like), lanes.load_below_as(A, r2, k, d, like),
                                        lanes.load_below_as(A, r3, k, d, like))
    return n


@inline
def _quad(block, L):
    """The four output vectors (their first columns) of block `block` of four vectors."""
    j = block * 4 * L
    return j, j + L, j + 2 * L, j + 3 * L


@inline
def _fma16(acc, x, u):
    """acc[4s + v] + x_s · u_v for the tile's four images s and four vectors v."""
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15 = acc
    x0, x1, x2, x3 = x
    u0, u1, u2, u3 = u
    return (lanes.fma(a0, x0, u0), lanes.fma(a1, x0, u1), lanes.fma(a2, x0, u2), lanes.fma(a3, x0, u3),
            lanes.fma(a4, x1, u0), lanes.fma(a5, x1, u1), lanes.fma(a6, x1, u2), lanes.fma(a7, x1, u3),
            lanes.fma(a8, x2, u0), lanes.fma(a9, x2, u1), lanes.fma(a10, x2, u2), lanes.fma(a11, x2, u3),
            lanes.fma(a12, x3, u0), lanes.fma(a13, x3, u1), lanes.fma(a14, x3, u2), lanes.fma(a15, x3, u3))


@inline
def _store4(Out, s, quad, v, f):
    """Out[s, j_v:j_v + L] = v_v (through the activation kind when hidden, f = (kind, hidden)) for the quad's four
    vectors: one call site of each piece, in a loop LLVM unrolls (an inlined copy per vector and image, as this was
    written out, cost seconds of compile)."""
    kind, hidden = f
    for e in range(4):
        x = v[e]
        if hidden:
            x = activations.activate(kind, x)
        lanes.store(Out, x, s, quad[e])


@inline
def _layer_tile(A, r, Wt, cols, n, quad, f, Out):
    """Out[s, quad] = f(Σ_u A[r_s, cols[u]] Wt[cols[u], quad] + Wt[n_in, quad]) for s < 4, f = (kind, hidden): the
    activation kind when hidden, else none;
    returns Σ (sum - sum) over the 16 sums: 0 when every sum is finite, NaN otherwise.

    A (·, ≥ n_in) floats of Wt's dtype or uint8 (converted as read), r four of its rows, cols[:n] the inputs to add.
    """
    n_in = Wt.shape[0] - 1
    j0, j1, j2, j3 = quad
    r0, r1, r2, r3 = r
    b0, b1, b2, b3 = lanes.load(Wt, n_in, j0), lanes.load(Wt, n_in, j1), lanes.load(Wt, n_in, j2), lanes.load(Wt, n_in, j3)
    acc = (b0, b1, b2, b3, b0, b1, b2, b3, b0, b1, b2, b3, b0, b1, b2, b3)
    for u in range(n):
        k = cols[u]
        acc = _fma16(acc, (A[r0, k], A[r1, k], A[r2, k], A[r3, k]),
                     (lanes.load(Wt, k, j0), lanes.load(Wt, k, j1), lanes.load(Wt, k, j2), lanes.load(Wt, k, j3)))
    a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15 = acc
    check = lanes.splat(Wt, 0)
    for v in (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15):
        check = lanes.add(check, lanes.sub(v, v))
    for s in range(4):
        _store4(Out, s, quad, (acc[4 * s], acc[4 * s + 1], acc[4 * s + 2], acc[4 * s + 3]), f)
    return check


@inline
def _layer_tile1(A, r, Wt, cols, n, j, f, Out):
    """`_layer_tile` for the one vector of outputs at column j: the vectors of a layer past its last whole four."""
    n_in = Wt.shape[0] - 1
    r0, r1, r2, r3 = r
    v0 = v1 = v2 = v3 = lanes.load(Wt, n_in, j)
    for u in range(n):
        k = cols[u]
        w = lanes.load(Wt, k, j)
        v0, v1, v2, v3 = (lanes.fma(v0, A[r0, k], w), lanes.fma(v1, A[r1, k], w), lanes.fma(v2, A[r2, k], w),
                          lanes.fma(v3, A[r3, k], w))
    check = lanes.add(lanes.add(lanes.sub(v0, v0), lanes.sub(v1, v1)), lanes.add(lanes.sub(v2, v2), lanes.sub(v3, v3)))
    kind, hidden = f
    for s, v in ((0, v0), (1, v1), (2, v2), (3, v3)):
        lanes.store(Out, activations.activate(kind, v) if hidden else v, s, j)
    return check


@inline
def _layer(A, r, Wt, cols, n, f, Out):
    """Out[s] = f(A[r_s, cols[:n]] @ Wt[cols[:n]] + Wt[n_in]) for the tile's four images s, every vector of the layer:
    four at a time (`_layer_tile`), the rest one by one (`_layer_tile1`); returns their `_layer_tile` checks, summed."""
    P = Wt.shape[1]
    L = lanes.count(Wt.dtype)
    quads = P // (4 * L)
    check = lanes.splat(Wt, 0)
    for block in range(quads):
        check = lanes.add(check, _layer_tile(A, r, Wt, cols, n, _quad(block, L), f, Out))
    for j in range(quads * 4 * L, P, L):
        check = lanes.add(check, _layer_tile1(A, r, Wt, cols, n, j, f, Out))
    return check


@inline
def _softmax_rows(Z, c, out, i, count):
    """out[i + s, :c] = softmax(Z[s, :c]) for s < count, from Z - max Z, a vector of Z's row at a time (`exp_nonpositive`);
    Z (4, P) is overwritten."""
    for s in range(count):
        top = Z[s, 0]
        for o in range(1, c):
            top = max(top, Z[s, o])
        for j in range(0, Z.shape[1], lanes.count(Z.dtype)):
            lanes.store(Z, exp_nonpositive(lanes.sub(lanes.load(Z, s, j), lanes.splat(Z, top)), Z), s, j)
        total = Z.dtype.type(0)
        for o in range(c):
            total += Z[s, o]
        for o in range(c):
            out[i + s, o] = Z[s, o] / total


@inline
def _activated_rows(output, Z, c, out, i, count):
    """out[i + s, :c] = output(Z[s, :c]) for s < count, value by value: the `activations` kind `output` (LOGISTIC)."""
    zero = Z.dtype.type(0)
    for s in range(count):
        for o in range(c):
            out[i + s, o] = activations.activate_scalar(output, Z[s, o], zero)


def output_rows(output, Z, c, out, i, count):
    """The output's probabilities of the tile's sums Z (4, P) into out[i:i + count]: `_softmax_rows` for output None,
    `_activated_rows` for an `activations` kind (LOGISTIC: two classes, multilabel). Chosen by type (`_output_rows_for`)."""
    if output is None:
        _softmax_rows(Z, c, out, i, count)
    else:
        _activated_rows(output, Z, c, out, i, count)


@overload(output_rows)
def _output_rows_for(output, Z, c, out, i, count):
    if isinstance(output, (types.NoneType, types.Omitted)):
        return lambda output, Z, c, out, i, count: _softmax_rows(Z, c, out, i, count)
    return lambda output, Z, c, out, i, count: _activated_rows(output, Z, c, out, i, count)


@kernel
def probabilities(X, theta, table, kind, output, skip, out, check):
    """out[i] = g(W_L f(... f(X[i] @ W_1 + b_1) ...) + b_L), f the `activations` kind, g the softmax (output None) or the
    kind `output` applied to each sum (LOGISTIC); X (m, d), out (m, c); check (items,).

    theta, table: the layers' blocks (module docstring); X floats of theta's dtype or uint8 pixels
    (the first block's weights scaled to match); skip: the first layer skips columns where a
    tile's four images are zero. check[item] is 0 when every first-layer sum of its images is finite, NaN otherwise
    (a NaN or infinity in X makes one).
    """
    m, d = X.shape
    layers = table.shape[0]
    top = layers - 1
    c = table[top, WIDTH]
    L = lanes.count(theta.dtype)
    widest = table[:, PADDED].max()
    identity = np.arange(max(d, widest), dtype=np.int32)
    for item in prange((m + ITEM - 1) // ITEM):
        cols = np.empty(d + L, np.int32)
        H = np.empty((2, TILE, widest), theta.dtype)
        flag = lanes.splat(theta, 0)
        stop = min(m, (item + 1) * ITEM)
        for i in range(item * ITEM, stop, TILE):
            count = min(TILE, stop - i)
            last = stop - 1
            r = (i, min(i + 1, last), min(i + 2, last), min(i + 3, last))
            n = _nonzero_columns(X, r, cols, theta) if skip else d
            start, n_in, P = table[0, START], table[0, N_IN], table[0, PADDED]
            Wt = theta[start:start + (n_in + 1) * P].reshape((n_in + 1, P))
            flag = lanes.add(flag, _layer(X, r, Wt, cols if skip else identity, n, (kind, top > 0), H[0]))
            for l in range(1, layers):
                start, n_in, P = table[l, START], table[l, N_IN], table[l, PADDED]
                Wt = theta[start:start + (n_in + 1) * P].reshape((n_in + 1, P))
                _layer(H[(l - 1) % 2], (0, 1, 2, 3), Wt, identity, n_in, (kind, l < top), H[l % 2])
            output_rows(output, H[top % 2], c, out, i, count)
        check[item] = lanes.total(flag)


FEW = 8
"""Up to this many images are predicted by `few_rows`, layer by layer on the weights as they are: no parallel pass to start
and no copy of the weights to make, which for one image cost more than its arithmetic."""

HIDDEN, SOFTMAX = 0, 1  # what `few_rows` applies to a layer's sums: a hidden layer's activation, or the output's


@inline
def _dots4(A, i, x_scale, W, j, like):
    """x_scale · (A[i] · W[j + s]) for the four rows j + s of W (h, d) (past h, the last again): four sums of vectors."""
    d = W.shape[1]
    last = W.shape[0] - 1
    j1, j2, j3 = min(j + 1, last), min(j + 2, last), min(j + 3, last)
    v0 = v1 = v2 = v3 = lanes.splat(W, 0)
    for k in range(0, d, lanes.count(W.dtype)):
        x = lanes.load_below_as(A, i, k, d, like)
        v0 = lanes.fma(v0, x, lanes.load_below(W, j, k, d))
        v1 = lanes.fma(v1, x, lanes.load_below(W, j1, k, d))
        v2 = lanes.fma(v2, x, lanes.load_below(W, j2, k, d))
        v3 = lanes.fma(v3, x, lanes.load_below(W, j3, k, d))
    return (lanes.total(v0) * x_scale, lanes.total(v1) * x_scale, lanes.total(v2) * x_scale, lanes.total(v3) * x_scale)


@helper
def few_rows(A, x_scale, W, b, kind, f, out):
    """out[i] = f(x_scale · W @ A[i] + b) for each row i of A (m, d), f per HIDDEN (the `activations` kind) or SOFTMAX;
    W (h, d), out (m, h).

    Serial, for a few images (FEW): four dot products at a time over A's row in vectors, on W in the seed's layout.
    A holds floats of W's dtype or uint8 pixels (converted as read).
    """
    h = W.shape[0]
    zero = W.dtype.type(0)
    for i in range(A.shape[0]):
        for j in range(0, h, 4):
            sums = _dots4(A, i, x_scale, W, j, W)
            for s in range(min(4, h - j)):
                z = sums[s] + b[j + s]
                out[i, j + s] = activations.activate_scalar(kind, z, zero) if f == HIDDEN else z
        if f == SOFTMAX:
            top = out[i, 0]
            for o in range(1, h):
                top = max(top, out[i, o])
            total = zero
            for o in range(h):
                out[i, o] = np.exp(out[i, o] - top)
                total += out[i, o]
            for o in range(h):
                out[i, o] /= total
