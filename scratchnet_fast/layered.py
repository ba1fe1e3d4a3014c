"""Mini-batch gradient descent for any stack of ReLU layers and a softmax output, on the `dense` stages.

An epoch runs as one jitted loop: each batch is a slice of a permutation of the images, read in
place from X; its forward pass, loss, backward pass and update are a handful of parallel stages
over buffers allocated once. A batch of at most BLOCK images updates the weights inside the
gradient stage itself; a larger one (full-batch training of a big set) is taken BLOCK images at a
time, its gradient summed in a buffer, and applied once at the end.
"""
import numpy as np

from . import dense, lanes, optimizers
from .config import helper
from .layout import empty_at

BLOCK = 256  # images whose activations are held at once


@helper
def _layer(theta, table, l):
    """The block Wt (n_in + 1, P) of layer l in the flat vector theta."""
    start, n_in, P = table[l, 0], table[l, 1], table[l, 2]
    return theta[start:start + (n_in + 1) * P].reshape((n_in + 1, P))


@helper
def _rows(buffer, table, l, block):
    """The (block, P) activation or delta buffer of layer l in a flat buffer laid out like theta's widths."""
    start = table[l, 3]
    P = table[l, 2]
    return buffer[start:start + block * P].reshape((block, P))


@helper
def _squared_weights(theta, table):
    """Σ W² over every layer's weights, biases left out: the L2 penalty's sum."""
    total = 0.0
    for l in range(table.shape[0]):
        Wt = _layer(theta, table, l)
        for k in range(table[l, 1]):
            for j in range(Wt.shape[1]):
                total += Wt[k, j] * Wt[k, j]
    return total


@helper
def epoch(X, x_scale, Y, M, order, batch, theta, grad, state, table, widths, acts, deltas, transposed, identity, counts, members,
          every, rate, alpha, hyper, rule, clock, loss, correct):
    """One pass of mini-batch gradient descent over x_scale · X (m, d) in the order `order`; (summed loss, correct count).

    X holds floats of theta's dtype (x_scale 1) or uint8 pixels, read in place as they are.
    M (m, words): the `dense.nonzero_tiles` masks of X's rows. table (layers, 4): each layer's
    offset in theta, n_in, padded width P and offset in acts and deltas (BLOCK rows each);
    widths (layers,) the unpadded widths. transposed: scratch for a layer's weights, transposed. loss and
    correct (BLOCK,) are scratch; identity is arange(BLOCK). counts and members hold the first
    layer's row groups (`dense.group_rows`); `every` (members, counts) lists all rows of a block
    for every tile of a layer above. The update is the optimizer `rule` at `rate` with the L2
    penalty `alpha` (`optimizers`), its state in state (2, theta.size) and its count of updates in
    clock[0]; the summed loss includes the penalty, 0.5 · alpha · Σ W² per batch, as
    scikit-learn's does. The update is made inside the gradient stage: plain descent without a
    penalty as each vector of the gradient is made, any other rule by each work item on the rows
    it has just written to grad (one inlined copy of the rule, not one per vector: those tripled
    the compile time). A batch too big to take at once is applied by `optimizers.apply_block`.
    """
    m = order.shape[0]
    layers = table.shape[0]
    dtype = theta.dtype
    total_loss = 0.0
    total_correct = 0
    block = identity.shape[0]
    S1, S2 = state[0], state[1]
    fused = rule == optimizers.PLAIN and alpha == 0  # the seed's update, made inside the gradient stage
    for s in range(0, m, batch):
        size = min(batch, m - s)
        scale = dtype.type(1.0 / size)
        at_once = size <= block
        clock[0] += 1
        optimizers.for_batch(hyper, rule, rate, alpha, size, clock[0])
        if alpha != 0:
            total_loss += 0.5 * alpha * _squared_weights(theta, table)
        for r in range(s, s + size, block):
            n = min(block, s + size - r)
            dense.group_rows(M, order, r, n, counts, members)
            for l in range(layers):
                Out = _rows(acts, table, l, block)
                if l == 0:
                    dense.affine_grouped(X, x_scale, order, r, n, counts, members, _layer(theta, table, l), l < layers - 1, Out)
                else:
                    activation = dense.RELU if l < layers - 1 else dense.NONE
                    dense.affine(_rows(acts, table, l - 1, block), n, _layer(theta, table, l), table[l, 1], activation, Out, Out)
            top = layers - 1
            dense.softmax_head(_rows(acts, table, top, block), widths[top], Y, order, r, n, scale, _rows(deltas, table, top, block), loss, correct)
            for t in range(n):
                total_loss += loss[t]
                total_correct += correct[t]
            mode = (dense.APPLY if fused else dense.WRITE) if at_once else (dense.WRITE if r == s else dense.ADD)
            then_apply = at_once and not fused
            for l in range(top, -1, -1):
                dZ = _rows(deltas, table, l, block)
                Wt = _layer(theta, table, l)
                G = _layer(grad, table, l)
                if l == 0:
                    ahead = r + n  # the next block's rows, to prefetch
                    dense.weight_gradient(X, x_scale, order, r, n, table[l, 1], counts, members, dZ, Wt, G, mode, rate, ahead,
                                          min(block, batch, m - ahead), then_apply, (_layer(S1, table, l),
                                          _layer(S2, table, l), hyper, rule))
                else:
                    below = _rows(acts, table, l - 1, block)
                    n_in = table[l, 1]
                    WT = transposed[:(widths[l] + 1) * n_in].reshape((widths[l] + 1, n_in))
                    dense.transpose_weights(Wt, n_in, WT)
                    dense.affine(dZ, n, WT, widths[l], dense.MASK, below, _rows(deltas, table, l - 1, block))
                    dense.weight_gradient(below, dtype.type(1), identity, 0, n, table[l, 1], every[1], every[0], dZ, Wt, G, mode, rate, 0, 0,
                                          then_apply, (_layer(S1, table, l), _layer(S2, table, l), hyper, rule))
        if not at_once:
            for l in range(layers):
                optimizers.apply_block(_layer(theta, table, l), _layer(grad, table, l), _layer(S1, table, l),
                                       _layer(S2, table, l), table[l, 1], hyper, rule)
    return total_loss, total_correct


def padded(width, dtype):
    """width rounded up to whole vectors of dtype."""
    L = lanes.count(dtype)
    return -(-width // L) * L


class Layered:
    """ReLU layers and a softmax output trained by mini-batch gradient descent on x_scale · X (m, d), Y (m,) int64.

    layers: (W (n_out, n_in), b (n_out,)) pairs, copied in. batch: images per step (m for full
    batch). rng: a RandomState shuffling the images every epoch, or None to keep their order.
    optimizer: an `optimizers.Optimizer`, plain gradient descent by default. The parameters' dtype
    is the layers'; X holds floats of it, or uint8 pixels. `rows` (all by default): the rows of X
    to train on, read where they are; an epoch shuffles them.
    """

    def __init__(self, X, Y, layers, batch, rng=None, optimizer=None, x_scale=1.0, rows=None):
        self.X, self.Y = X, Y
        self.optimizer = optimizer or optimizers.Optimizer()
        self.rows = np.arange(X.shape[0], dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        m, d = len(self.rows), X.shape[1]
        dtype = np.dtype(layers[0][0].dtype)
        self.x_scale = dtype.type(x_scale)
        self.batch, self.rng = min(batch, m), rng
        self.widths = np.array([W.shape[0] for W, _ in layers], np.int64)
        block = min(BLOCK, self.batch)
        table, size, rows = [], 0, 0
        n_in = d
        for width in self.widths:
            P = padded(width, dtype)
            table.append((size, n_in, P, rows))
            size += (n_in + 1) * P
            rows += block * P
            n_in = P
        self.table = np.array(table, np.int64)
        self.theta = empty_at(size, dtype)
        self.theta[:] = 0
        for l, (W, b) in enumerate(layers):
            Wt = _layer(self.theta, self.table, l)
            Wt[:W.shape[1], :W.shape[0]] = W.T
            Wt[-1, :W.shape[0]] = b
        self.grad = np.zeros_like(self.theta)
        state = self.optimizer.state
        if state is None or state.shape != (2, size) or state.dtype != dtype:
            self.optimizer.state = np.zeros((2, size), dtype)
        self.hyper = self.optimizer.hyper(dtype)
        self.transposed = np.zeros(max(n_in * (width + 1) for (_, n_in, _, _), width in zip(table, self.widths)), dtype)
        self.acts = np.zeros(rows, dtype)
        self.deltas = np.zeros(rows, dtype)
        self.identity = np.arange(block, dtype=np.int64)
        tiles = -(-d // dense.ROWS)
        self.counts = np.zeros(tiles, np.int64)
        self.members = np.zeros((tiles, block), np.int32)
        above = -(-max(P for _, _, P, _ in table) // dense.ROWS)
        self.every = (np.tile(self.identity.astype(np.int32), (above, 1)), np.full(above, block, np.int64))
        self.masks = np.empty((X.shape[0], -(-d // (64 * dense.ROWS))), np.uint64)
        dense.nonzero_tiles(X, self.masks)
        self.loss = np.zeros(block, dtype)
        self.correct = np.zeros(block, np.int64)
        self.order = self.rows.copy()

    def layers(self):
        """Copies of the (W (n_out, n_in), b (n_out,)) pairs, in the seed's layout."""
        out = []
        n_in = self.X.shape[1]
        for l, width in enumerate(self.widths):
            Wt = _layer(self.theta, self.table, l)
            out.append((np.ascontiguousarray(Wt[:n_in, :width].T), Wt[-1, :width].copy()))
            n_in = width
        return out

    def step(self, alpha):
        """One epoch at rate alpha; returns (mean loss, accuracy) of its forward passes."""
        if self.rng is not None:
            self.order[:] = self.rows[self.rng.permutation(len(self.order))]
        with np.errstate(over="ignore"):
            rate = self.theta.dtype.type(alpha)
        optimizer = self.optimizer
        loss, correct = epoch(self.X, self.x_scale, self.Y, self.masks, self.order, self.batch, self.theta, self.grad, optimizer.state,
                              self.table, self.widths, self.acts, self.deltas, self.transposed, self.identity,
                              self.counts, self.members, self.every, rate, float(optimizer.alpha), self.hyper,
                              optimizer.rule, optimizer.clock, self.loss, self.correct)
        m = len(self.order)
        return float(loss) / m, correct / m
