"""The mini-batch trainer: a training set's buffers and parameters laid out for `_kernels.epoch`, one call per epoch."""
import numpy as np

from .._kernels import activations, dense
from .._kernels.dense import Groups
from .._kernels.epoch import (BLOCK, BUFFER, N_IN, PADDED, START, WIDTH, Buffers, Csr, EpochData, Network, Solver,
                              epoch, layer_block)
from .._kernels.memory import empty_at
from .._simd import lanes
from . import ahead
from .optimizer import Optimizer


SKIP_BELOW = 0.5
"""The first layer skips tiles of zeros when fewer than this fraction of the training images' tiles of four inputs hold
a nonzero. Skipping adds each tile's products to the rows' sums in memory; reading every input keeps the sums in
registers and runs about twice as fast per product. Measured (AMD EPYC Zen 4, 2 threads, float32, 41,000 images, an
epoch at batch 64 of 784-128-10 and at 128 of 784-256-128-10): skipping costs about 0.035 + 0.16 ρ and 0.13 + 0.21 ρ
seconds at a fraction ρ of nonzero tiles, reading everything 0.11 and 0.26 s: even at ρ near 0.5 and 0.6. MNIST's
digits have ρ = 0.28 (0.080 s skipping against 0.117 s), standardized or random features ρ near 1."""


def skips_zeros(masks, rows, d):
    """Whether the first layer should skip its inputs' zero tiles: measured once, on the `dense.nonzero_tiles` masks of
    the training rows, against SKIP_BELOW."""
    tiles = -(-d // dense.ROWS)
    if len(rows) == 0:
        return False
    nonzero = np.unpackbits(np.ascontiguousarray(masks[rows]).view(np.uint8)).sum()
    return nonzero < SKIP_BELOW * tiles * len(rows)


def _dense_tiles(X, d):
    """`dense.nonzero_tiles` of the rows of X (m, d)."""
    masks = np.empty((X.shape[0], -(-d // (64 * dense.ROWS))), np.uint64)
    dense.nonzero_tiles(X, masks)
    return masks


def _sparse_tiles(X, d):
    """`dense.nonzero_tiles` of the rows of a scipy CSR matrix X (m, d), from its column indices."""
    masks = np.zeros((X.shape[0], -(-d // (64 * dense.ROWS))), np.uint64)
    tile = X.indices[X.data != 0] // dense.ROWS
    row = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[X.data != 0]
    np.bitwise_or.at(masks, (row, tile // 64), np.left_shift(np.uint64(1), (tile % 64).astype(np.uint64)))
    return masks


def _first_rows_of(A, k):
    """A copy of A[:k] that Numba types as A: laid out as A is (C, F or neither), read-only if A is; None for None."""
    if A is None:
        return None
    out = A[:k]
    if A.flags.c_contiguous:
        out = np.array(out, order="C")
    elif A.flags.f_contiguous:
        out = np.array(out, order="F")
    else:  # every other column of a copy twice as wide
        out = np.repeat(out, 2, axis=-1)[..., ::2]
    out.flags.writeable = A.flags.writeable
    return out


def padded(width, dtype):
    """width rounded up to whole vectors of dtype."""
    L = lanes.count(dtype)
    return -(-width // L) * L


def packed(layers, block):
    """(theta, table): copies of the layers (W (n_out, n_in), b (n_out,)) as blocks of one flat vector, and their layer
    table (`epoch.START` ... `WIDTH`), activations laid out for `block` rows."""
    dtype = np.dtype(layers[0][0].dtype)
    table, size, buffer = [], 0, 0
    n_in = layers[0][0].shape[1]
    for W, _ in layers:
        P = padded(W.shape[0], dtype)
        row = [0] * 5
        row[START], row[N_IN], row[PADDED], row[BUFFER], row[WIDTH] = size, n_in, P, buffer, W.shape[0]
        table.append(row)
        size += (n_in + 1) * P
        buffer += block * P
        n_in = P
    table = np.array(table, np.int64)
    theta = empty_at(size, dtype)
    theta[:] = 0
    for l, (W, b) in enumerate(layers):
        Wt = layer_block(theta, table, l)
        Wt[:W.shape[1], :W.shape[0]] = W.T
        Wt[-1, :W.shape[0]] = b
    return theta, table


class Layered:
    """Hidden layers and an output trained by mini-batch gradient descent on x_scale · X (m, d) and Y: a softmax on labels
    (m,) int64, logistic outputs on 0/1 indicators (m, c) uint8, an identity on a regressor's float targets (m, c), an
    exponential on `losses.Counts` of them (loss="poisson").

    layers: (W (n_out, n_in), b (n_out,)) pairs, copied in. batch: images per step (m for full
    batch). rng: a RandomState shuffling the images every epoch, or None to keep their order.
    optimizer: an `optimizer.Optimizer`, plain gradient descent by default. The parameters' dtype
    is the layers'; X holds floats of it, or uint8 pixels, as an ndarray or a scipy CSR matrix with each column at most
    once per row (each block's rows scattered into a dense panel: `epoch.Csr`). `rows` (all by default): the rows of X
    to train on, read where they are; each epoch shuffles the order of the one before. `weights` (m,): the rows'
    sample weights (scikit-learn's objective: `epoch.epoch`), None for all ones. `activation`: the hidden layers'
    `activations` kind.
    """

    def __init__(self, X, Y, layers, batch, *, rng=None, optimizer=None, x_scale=1.0, rows=None, weights=None,
                 activation=activations.RELU):
        self.optimizer = optimizer or Optimizer()
        self.rows = np.arange(X.shape[0], dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        m, d = len(self.rows), X.shape[1]
        dtype = np.dtype(layers[0][0].dtype)
        self.batch, self.rng = min(batch, m), rng
        block = min(BLOCK, self.batch)
        theta, table = packed(layers, block)
        size = theta.size
        buffer = int(table[-1, BUFFER] + block * table[-1, PADDED])
        self.net = Network(theta, np.zeros_like(theta), table, activation)
        state = self.optimizer.state
        if state is None or state.shape != (2, size) or state.dtype != dtype:
            self.optimizer.state = np.zeros((2, size), dtype)
        self.hyper = self.optimizer.hyper(dtype)
        sparse = hasattr(X, "indptr")  # scipy's CSR: each block's rows scattered into a panel, read as dense ones
        masks = (_sparse_tiles if sparse else _dense_tiles)(X, d)
        skip = skips_zeros(masks, self.rows, d)
        if sparse:
            masks = np.empty((block, masks.shape[1]), np.uint64)  # each block's panel is marked in it
        identity = np.arange(block, dtype=np.int64)

        def every_row(tiles):
            return Groups(np.full(tiles, block, np.int64), np.tile(identity.astype(np.int32), (tiles, 1)))

        tiles = -(-d // dense.ROWS)
        first = Groups(np.zeros(tiles, np.int64), np.zeros((tiles, block), np.int32)) if skip else every_row(tiles)
        pixels = x_scale != 1 and not skip
        self.buffers = Buffers(
            acts=np.zeros(buffer, dtype), deltas=np.zeros(buffer, dtype),
            transposed=np.zeros(max(row[N_IN] * (row[WIDTH] + 1) for row in table), dtype),
            scaled=np.zeros((d + 1) * table[0, PADDED] if pixels else 0, dtype), identity=identity,
            first=first, above=every_row(-(-table[:, PADDED].max() // dense.ROWS)),
            loss=np.zeros(block, dtype), correct=np.zeros(block, np.int64),
            panel=np.zeros((block, d) if sparse else (0, 0), X.dtype))
        weights = None if weights is None else np.ascontiguousarray(weights, np.float64)
        if sparse:
            X = Csr(X.data, X.indptr.astype(np.int64), X.indices.astype(np.int64))
        self.data = EpochData(X, dtype.type(x_scale), Y, masks if skip else None, self.rows.copy(), weights)

    @property
    def theta(self):
        """Every parameter, in one flat vector (the layers' blocks, `epoch.layer_block`)."""
        return self.net.theta

    def _first_rows(self):
        """The epoch's data cut to its first rows, one batch of them, copied: the same types in a few rows
        (`ahead.call`)."""
        data = self.data
        k = min(self.batch, len(data.order))
        X = data.X
        if isinstance(X, Csr):
            end = X.indptr[k]
            X = Csr(X.data[:end].copy(), X.indptr[:k + 1].copy(), X.indices[:end].copy())
            masks = data.masks  # a (BLOCK, words) buffer that each block's panel is marked in
        else:
            X, masks = _first_rows_of(X, k), _first_rows_of(data.masks, k)
        Y = data.Y
        Y = type(Y)(*(_first_rows_of(v, k) for v in Y)) if isinstance(Y, tuple) else _first_rows_of(Y, k)
        return data._replace(X=X, Y=Y, masks=masks, order=np.arange(k, dtype=np.int64),
                             weights=_first_rows_of(data.weights, k))

    def layers(self):
        """Copies of the (W (n_out, n_in), b (n_out,)) pairs, in the seed's layout."""
        out = []
        n_in = self.net.table[0, N_IN]
        for l, width in enumerate(self.net.table[:, WIDTH]):
            Wt = layer_block(self.net.theta, self.net.table, l)
            out.append((np.ascontiguousarray(Wt[:n_in, :width].T), Wt[-1, :width].copy()))
            n_in = width
        return out

    def step(self, alpha):
        """One epoch at rate alpha; returns (mean loss, accuracy) of its forward passes."""
        order = self.data.order
        if self.rng is not None:  # the last epoch's order shuffled again, as scikit-learn shuffles its sample_idx
            order[:] = order[self.rng.permutation(len(order))]
        with np.errstate(over="ignore"):
            rate = self.net.theta.dtype.type(alpha)
        o = self.optimizer
        solver = Solver(o.rule, o.plain, float(o.alpha), self.hyper, o.state, o.clock)
        args = (self.data, self.batch, self.net, solver, self.buffers, rate)
        loss, correct = ahead.call(epoch, args, lambda: (self._first_rows(),) + args[1:])
        m = len(order)
        return float(loss) / m, correct / m
