"""Mini-batch gradient descent for any stack of hidden layers (any `activations` kind) and an output with its loss
(`losses.head_rows`), on the `dense` stages.

An epoch runs as one jitted loop: each batch is a slice of a permutation of the images, read in
place from X; its forward pass, loss, backward pass and update are a handful of parallel stages
over buffers allocated once. A batch of at most BLOCK images updates the weights inside the
gradient stage itself; a larger one (full-batch training of a big set) is taken BLOCK images at a
time, its gradient summed in a buffer, and applied once at the end.
"""
from collections import namedtuple

import numpy as np
from numba import types
from numba.extending import overload

from .._compile.options import helper
from .._simd import lanes
from . import activations, dense, losses, rules
from .dense import Inputs, Rows, Update
from .rules import Layer

BLOCK = 256  # images whose activations are held at once

START, N_IN, PADDED, BUFFER, WIDTH = range(5)
"""The columns of a network's layer table (layers, 5), int64: where layer l's block begins in theta, its inputs
n_in, its width padded to whole vectors P, where its rows begin in the activation and delta buffers, and
its width."""

EpochData = namedtuple("EpochData", "X x_scale Y masks order weights")
EpochData.__doc__ = """The training set as an epoch reads it: images X (m, d), floats of the parameters' dtype (x_scale
1) or uint8 pixels (x_scale 1/255), read in place; labels Y (m,) int64 (a softmax output), 0/1 indicators Y (m, c)
uint8 (logistic outputs), float targets Y (m, c) of the parameters' dtype (an identity output, squared error) or
`losses.Counts` of them (an exponential output, Poisson deviance): the head is `losses.head_rows`'s entry for Y's
type; masks (m, words) the rows'
`dense.nonzero_tiles` when the first layer skips the tiles of zeros they mark (`dense.affine_grouped`), or None when
it reads every input (`dense.affine`): a choice made by type, so that an epoch compiles only the path it takes (for
sparse X, `Csr`, masks is a (BLOCK, words) buffer that each block's panel is marked in);
order (n,) int64, the rows to train on in this epoch's order; weights (m,) float64, the rows' sample weights, or None
for every row weighing 1 (again a choice by type: an unweighted epoch compiles none of the weighing)."""

Network = namedtuple("Network", "theta grad table hidden")
Network.__doc__ = """Every layer's parameters in one flat vector theta, a gradient buffer grad laid out the same, the
layer table (`START` ... `WIDTH`) that says where each layer's block is, and the hidden layers' `activations` kind
(its type chooses what an epoch compiles)."""

Solver = namedtuple("Solver", "rule plain alpha hyper state clock")
Solver.__doc__ = """The update: the `rules` rule, whether it is plain descent without a penalty (`plain`, made inside
the gradient stage), the L2 penalty alpha, the constants `hyper`, the state (2, theta.size) and the
count of updates made, clock[0]."""

Csr = namedtuple("Csr", "data indptr indices")
Csr.__doc__ = """Sparse images as the epoch reads them: scipy's CSR arrays, row i's values data[indptr[i]:indptr[i + 1]]
(floats of the parameters' dtype or uint8 pixels) in the columns indices[...] (int64), each column at most once. An
epoch on them scatters each block's rows into a dense panel (`_block_inputs`), read as dense rows are: every input,
or (with `EpochData.masks` a (BLOCK, words) buffer) skipping the zero tiles marked for the panel's rows."""

Buffers = namedtuple("Buffers", "acts deltas transposed scaled identity first above loss correct panel")
Buffers.__doc__ = """An epoch's scratch, allocated once: activations and deltas (BLOCK rows per layer, laid out by the
table's BUFFER), room for one layer's weights transposed and for the first layer's scaled for pixels
read without skipping (`dense.scaled_weights`; empty otherwise), identity = arange(BLOCK), the first
layer's row groups (`Groups`: filled per block when the epoch skips zeros, else every row) and the
groups of every layer above (every row), per-row loss and correct (BLOCK,), and for sparse images (`Csr`) the panel
(BLOCK, d) of X's dtype that a block's rows are scattered into (empty otherwise)."""


@helper
def layer_block(theta, table, l):
    """The block Wt (n_in + 1, P) of layer l in the flat vector theta (or in a buffer laid out like it)."""
    start, n_in, P = table[l, START], table[l, N_IN], table[l, PADDED]
    return theta[start:start + (n_in + 1) * P].reshape((n_in + 1, P))


@helper
def _rows(buffer, table, l, block):
    """The (block, P) activation or delta buffer of layer l in a flat buffer laid out by the table's BUFFER."""
    start = table[l, BUFFER]
    P = table[l, PADDED]
    return buffer[start:start + block * P].reshape((block, P))


@helper
def _layer(net, solver, l):
    """Layer l of the network as a `rules.Layer`: its block, gradient and solver state."""
    table = net.table
    return Layer(layer_block(net.theta, table, l), layer_block(net.grad, table, l),
                 layer_block(solver.state[0], table, l), layer_block(solver.state[1], table, l))


@helper
def _first_weights(Wt, x_scale, scaled):
    """The first layer's block as `dense.affine` reads it: Wt itself for floats (x_scale 1), else scaled by x_scale."""
    if x_scale == 1:
        return Wt
    out = scaled[:Wt.size].reshape(Wt.shape)
    dense.scaled_weights(Wt, x_scale, out)
    return out


def _read_every_input(masks, inputs, rows, buffers, Wt, f, Out):
    """`_first_layer` reading every input (`dense.affine`; for pixels on weights scaled by x_scale)."""
    kind, hidden = f
    dense.affine(inputs.A, rows, _first_weights(Wt, inputs.x_scale, buffers.scaled), kind,
                 dense.HIDDEN if hidden else dense.NONE, Out, Out)


def _skip_zero_tiles(masks, inputs, rows, buffers, Wt, f, Out):
    """`_first_layer` skipping the zero tiles that masks mark (`dense.group_rows`, then `dense.affine_grouped`)."""
    kind, hidden = f
    dense.group_rows(masks, rows, buffers.first)
    dense.affine_grouped(inputs, rows, buffers.first, Wt, kind, hidden, Out)


def _first_layer(masks, inputs, rows, buffers, Wt, f, Out):
    """Out = the first layer's sums of the images inputs.A[order[start:start + count]] (`Inputs`, `Rows`), f = (kind,
    hidden): through the activation kind when `hidden`; skipping the zero tiles that masks mark, or, when masks is None,
    reading every input. In jitted code the choice is made by masks' type (`_first_layer_for`), so that an epoch
    compiles only its path."""
    (_read_every_input if masks is None else _skip_zero_tiles)(masks, inputs, rows, buffers, Wt, f, Out)


@overload(_first_layer)
def _first_layer_for(masks, inputs, rows, buffers, Wt, f, Out):
    return _read_every_input if isinstance(masks, types.NoneType) else _skip_zero_tiles


def _block_inputs(X, masks, rows, buffers, ahead):
    """(A, its masks, its rows, the rows of A to prefetch) that the first layer reads for the block `rows`: X itself,
    masks, rows and the next block's rows `ahead` for an ndarray; for sparse images (`Csr`) the rows scattered into
    buffers.panel (`_scattered`), the panel's `dense.nonzero_tiles` in masks (a (BLOCK, words) buffer) when it is not
    None, the panel's first count rows and none to prefetch. In jitted code the choice is made by the types of X and
    masks (`_block_inputs_for`)."""
    if not isinstance(X, Csr):
        return X, masks, rows, ahead
    return (_scattered_unmarked if masks is None else _scattered_and_marked)(X, masks, rows, buffers)


@helper
def _scattered(X, rows, buffers):
    """(panel, Rows(identity, 0, count), no rows): panel[t] = the sparse row order[start + t] of X (`Csr`), t < count,
    walking its nonzeros (the rest of the row zeroed first)."""
    panel, identity = buffers.panel, buffers.identity
    R, r0, n = rows.order, rows.start, rows.count
    zero = panel.dtype.type(0)
    for t in range(n):
        panel[t, :] = zero
        i = R[r0 + t]
        for p in range(X.indptr[i], X.indptr[i + 1]):
            panel[t, X.indices[p]] = X.data[p]
    return panel, Rows(identity, 0, n), identity[:0]


@helper
def _scattered_and_marked(X, masks, rows, buffers):
    """`_block_inputs` of sparse images whose first layer skips zero tiles: the panel, and masks[t] its row t's
    `dense.nonzero_tiles`, marked from the nonzeros' columns as they are scattered."""
    A, read, none = _scattered(X, rows, buffers)
    R, r0 = rows.order, rows.start
    zero = A.dtype.type(0)
    for t in range(rows.count):
        masks[t, :] = 0
        i = R[r0 + t]
        for p in range(X.indptr[i], X.indptr[i + 1]):
            if X.data[p] != zero:
                tile = X.indices[p] // dense.ROWS
                masks[t, tile // 64] |= np.uint64(1) << np.uint64(tile % 64)
    return A, masks, read, none


@helper
def _scattered_unmarked(X, masks, rows, buffers):
    """`_block_inputs` of sparse images whose first layer reads every input: the panel, and masks (None)."""
    A, read, none = _scattered(X, rows, buffers)
    return A, masks, read, none


@overload(_block_inputs)
def _block_inputs_for(X, masks, rows, buffers, ahead):
    if isinstance(X, types.Array):
        return lambda X, masks, rows, buffers, ahead: (X, masks, rows, ahead)
    if isinstance(masks, types.NoneType):
        return lambda X, masks, rows, buffers, ahead: _scattered_unmarked(X, masks, rows, buffers)
    return lambda X, masks, rows, buffers, ahead: _scattered_and_marked(X, masks, rows, buffers)


@helper
def _clear_padding(kind, Out, n, width):
    """Out[t, width:] = 0 for t < n, where the activation kind moves the padding columns' zero sums (LOGISTIC's 0.5), so
    that the layer above reads zeros there; nothing for the others (a branch on a constant, compiled away)."""
    if activations.moves_zero(kind):
        zero = Out.dtype.type(0)
        for t in range(n):
            for o in range(width, Out.shape[1]):
                Out[t, o] = zero


def _batch_weight(weights, order, start, size):
    """Σ of the sample weights of the batch's rows order[start:start + size], or its size when weights is None. In
    jitted code the choice is made by weights' type (`_batch_weight_for`)."""
    return float(size) if weights is None else _weighted_sum(weights, order, start, size)


@overload(_batch_weight)
def _batch_weight_for(weights, order, start, size):
    if isinstance(weights, types.NoneType):
        return lambda weights, order, start, size: float(size)
    return lambda weights, order, start, size: _weighted_sum(weights, order, start, size)


@helper
def _weighted_sum(weights, order, start, size):
    """Σ weights[order[t]] for start <= t < start + size, in order."""
    total = 0.0
    for t in range(start, start + size):
        total += weights[order[t]]
    return total


def _weigh(weights, rows, dZ, loss):
    """dZ[t] and loss[t] times the sample weight of row order[start + t], t < count (`Rows`); nothing when weights is
    None."""
    if weights is not None:
        _weigh_rows(weights, rows, dZ, loss)


@overload(_weigh)
def _weigh_for(weights, rows, dZ, loss):
    if isinstance(weights, types.NoneType):
        return lambda weights, rows, dZ, loss: None
    return lambda weights, rows, dZ, loss: _weigh_rows(weights, rows, dZ, loss)


@helper
def _weigh_rows(weights, rows, dZ, loss):
    """dZ[t] *= w and loss[t] *= w for w the sample weight of row order[start + t], t < count (`Rows`)."""
    R, r0 = rows.order, rows.start
    for t in range(rows.count):
        w = weights[R[r0 + t]]
        for o in range(dZ.shape[1]):
            dZ[t, o] *= dZ.dtype.type(w)
        loss[t] *= loss.dtype.type(w)


@helper
def _squared_weights(theta, table):
    """Σ W² over every layer's weights, biases left out: the L2 penalty's sum, made once per batch.

    Each row of a block is summed in vectors of its dtype, then added to a float64 total: one
    scalar loop over every weight, as it was, cost a third of an epoch of 784-128-10 at batch 64.
    """
    total = 0.0
    for l in range(table.shape[0]):
        Wt = layer_block(theta, table, l)
        L = lanes.count(Wt.dtype)
        for k in range(table[l, N_IN]):
            v = lanes.splat(Wt, 0)
            for j in range(0, Wt.shape[1], L):
                w = lanes.load(Wt, k, j)
                v = lanes.fma(v, w, w)
            total += lanes.total(v)
    return total


@helper
def epoch(data, batch, net, solver, buffers, rate):
    """One pass of mini-batch gradient descent over x_scale · X in the order data.order; (summed loss, correct count).

    With sample weights (data.weights), as scikit-learn's: each row's loss and delta weighed, a batch's gradient and
    penalty divided by its weights' sum instead of its size, and its weighted mean loss counted size times.

    data: `EpochData`; net: `Network`; solver: `Solver`; buffers: `Buffers`; batch: images per step;
    rate: the learning rate. The summed loss includes the penalty, 0.5 · alpha · Σ W² per batch, as
    scikit-learn's does. Plain descent without a penalty is made inside the gradient stage, as each
    vector of the gradient is made; any other rule, or a batch too big to take at once, writes the
    gradient to grad and `rules.apply_block` applies it, layer by layer, after the backward pass.
    (Each work item of the gradient stage applying the rule to the rows it had just written, as
    before, cost 4 to 5 times as much: the rule's code in the stage's loop slowed its products.)
    """
    order, table = data.order, net.table
    m = order.shape[0]
    layers = table.shape[0]
    dtype = net.theta.dtype
    total_loss = 0.0
    total_correct = 0
    block = buffers.identity.shape[0]
    clock, hyper = solver.clock, solver.hyper  # written through these names, never through solver.clock[...]
    for s in range(0, m, batch):
        size = min(batch, m - s)
        weight = _batch_weight(data.weights, order, s, size)  # size, unless the rows are weighted
        scale = size / weight  # the batch's share of the epoch's mean loss, per unit of its weighted sum: 1 unweighted
        inv_m = dtype.type(1.0 / weight)
        at_once = size <= block
        clock[0] += 1
        rules.for_batch(hyper, solver.rule, rate, solver.alpha, weight, clock[0])
        if solver.alpha != 0:
            total_loss += scale * (0.5 * solver.alpha * _squared_weights(net.theta, table))
        for r in range(s, s + size, block):
            n = min(block, s + size - r)
            rows = Rows(order, r, n)
            ahead = r + n  # the next block's rows, to prefetch
            A, masks, read, prefetched = _block_inputs(data.X, data.masks, rows, buffers,
                                                       order[ahead:ahead + min(block, batch, m - ahead)])
            inputs = Inputs(A, data.x_scale)
            kind = net.hidden
            # typed int64: a literal 0 compiled _rows and layer_block once more, for Literal[int](0)
            first = np.int64(0)
            Out = _rows(buffers.acts, table, first, block)
            _first_layer(masks, inputs, read, buffers, layer_block(net.theta, table, first), (kind, layers > 1), Out)
            for l in range(1, layers):
                _clear_padding(kind, Out, n, table[l - 1, WIDTH])
                below = Out
                Out = _rows(buffers.acts, table, l, block)
                dense.affine(below, Rows(buffers.identity, 0, n), layer_block(net.theta, table, l), kind,
                             dense.HIDDEN if l < layers - 1 else dense.NONE, Out, Out)
            top = layers - 1
            losses.head_rows(_rows(buffers.acts, table, top, block), table[top, WIDTH], data.Y, rows, inv_m,
                             _rows(buffers.deltas, table, top, block), buffers.loss, buffers.correct)
            _weigh(data.weights, rows, _rows(buffers.deltas, table, top, block), buffers.loss)
            for t in range(n):
                total_loss += scale * buffers.loss[t]
                total_correct += buffers.correct[t]
            mode = (dense.APPLY if solver.plain else dense.WRITE) if at_once else (dense.WRITE if r == s else dense.ADD)
            update = Update(mode, rate)
            for l in range(top, -1, -1):
                dZ = _rows(buffers.deltas, table, l, block)
                layer = _layer(net, solver, l)
                if l == 0:
                    dense.weight_gradient(inputs, read, buffers.first, dZ, layer, update, prefetched)
                else:
                    below = _rows(buffers.acts, table, l - 1, block)
                    width, n_in = table[l, WIDTH], table[l, N_IN]
                    WT = buffers.transposed[:(width + 1) * n_in].reshape((width + 1, n_in))
                    dense.transpose_weights(layer.W, n_in, WT)
                    dense.affine(dZ, Rows(buffers.identity, 0, n), WT, net.hidden, dense.DERIVATIVE, below,
                                 _rows(buffers.deltas, table, l - 1, block))
                    dense.weight_gradient(Inputs(below, dtype.type(1)), Rows(buffers.identity, 0, n), buffers.above, dZ, layer,
                                          update, buffers.identity[:0])
        if not (at_once and solver.plain):
            for l in range(layers):
                rules.apply_block(_layer(net, solver, l), solver.hyper, solver.rule)
    return total_loss, total_correct
