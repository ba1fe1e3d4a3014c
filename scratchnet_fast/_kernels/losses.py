"""The output's loss, in one place: the trainers take the head of the network from here and nowhere else.

An entry is a kind of output with its loss and, for the layouts the trainers hold their outputs
in, a function from the output layer's sums to its loss and the delta that starts the backward
pass, delta = ∂loss/∂sums:
- softmax cross-entropy (classification, labels): `softmax_cross_entropy_rows`, one image per row
  (the mini-batch stages, `epoch`), and `softmax_cross_entropy_lanes`, one image per lane of a
  vector (the fused step, `fused`). delta = softmax(z) - onehot(label), and the loss is
  log Σ exp(z) - z[label], each computed from z - max z so that no exp overflows.
- squared error of an identity output (regression, float targets): `squared_error_rows`, one
  image per row. The loss is scikit-learn's, 0.5 · mean over the c outputs of (z - y)², and its
  delta scikit-learn's, z - y (the gradient of the sum over outputs, not of their mean).
- logistic cross-entropy of c independent logistic outputs (a classifier's two classes, one output,
  and multilabel indicators): `logistic_cross_entropy_rows`, one image per row. The loss is
  scikit-learn's binary log loss, summed over the outputs: Σ_o log(1 + e^z) - y_o z, computed as
  max(z, 0) + log1p(e^-|z|) - y_o z; the delta σ(z) - y.
- half the Poisson deviance of an exponential output (a regressor's loss="poisson", counts): `poisson_rows`, one
  image per row. The loss is scikit-learn's, Σ_o y log(y / e^z) - y + e^z (0 log 0 = 0), and its delta e^z - y.
`head_rows` takes the entry by the targets' type, labels (m,) int64, float targets (m, c), 0/1
indicators (m, c) uint8 or float counts (m, c) wrapped as `Counts`, so that an epoch compiles only its own.
"""
from collections import namedtuple

import numpy as np
from numba import types
from numba.extending import overload

from .._compile.options import helper, inline
from .._simd import lanes
from .._simd.exp import exp_nonpositive

@inline
def softmax_cross_entropy_lanes(p, c, ys, n, stats):
    """Softmax cross-entropy of the logits p[:c] (c, G) of a group of images, one per lane, labels ys[:n]; (loss, correct).

    G = lanes.count; loss is summed over the first n lanes, correct counts those whose first
    largest logit is the label. Leaves p = softmax - onehot in the first n lanes, zero in the
    rest; stats (3, G) is scratch (each lane's largest logit, its index, Σ exp). The fused step's
    head (`fused`): each step one vector operation across the group.
    """
    zero = lanes.splat(p, 0)
    top = lanes.load(p, 0, 0)
    best = zero
    for j in range(1, c):
        v = lanes.load(p, j, 0)
        best = lanes.where_less(top, v, lanes.splat(p, j), best)
        top = lanes.where_less(top, v, v, top)
    lanes.store(stats, top, 0, 0)
    lanes.store(stats, best, 1, 0)
    loss = p.dtype.type(0)
    correct = 0
    for t in range(n):
        y = ys[t]
        loss -= p[y, t] - stats[0, t]
        correct += stats[1, t] == y
    total = zero
    for j in range(c):
        e = exp_nonpositive(lanes.sub(lanes.load(p, j, 0), top), p)
        lanes.store(p, e, j, 0)
        total = lanes.add(total, e)
    lanes.store(stats, total, 2, 0)
    for t in range(n):
        loss += np.log(stats[2, t])
    for j in range(c):
        lanes.store(p, lanes.div(lanes.load(p, j, 0), total), j, 0)
    for t in range(n):
        p[ys[t], t] -= 1
    for j in range(c):
        for t in range(n, p.shape[1]):
            p[j, t] = 0
    return loss, correct


@helper
def softmax_cross_entropy_rows(Z, c, Y, rows, inv_m, dZ, loss, correct):
    """Softmax cross-entropy of the logits Z[t, :c] against labels Y[order[start + t]], t < count (`Rows`).

    Writes loss[t] (the cross-entropy), correct[t] (1 if the first largest logit is the label)
    and dZ[t] = inv_m · (softmax(Z[t]) - onehot), zero in the padding columns c..P. Serial: a block
    holds at most BLOCK rows of a few outputs each, less work than a parallel stage's fork and join
    (and its compile, 0.7 s).
    """
    R, r0, n = rows.order, rows.start, rows.count
    P = Z.shape[1]
    zero = Z.dtype.type(0)
    for t in range(n):
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
        inverse = inv_m / total
        for o in range(c):
            dZ[t, o] *= inverse
        dZ[t, y] -= inv_m
        for o in range(c, P):
            dZ[t, o] = zero


@helper
def squared_error_rows(Z, c, Y, rows, inv_m, dZ, loss, correct):
    """Squared error of the outputs Z[t, :c] against targets Y[order[start + t], :c], t < count (`Rows`).

    Writes loss[t] = 0.5 · Σ_o (Z[t, o] - y_o)² / c, correct[t] = 0 (no labels to match) and
    dZ[t] = inv_m · (Z[t] - y), zero in the padding columns c..P. Serial, as the softmax's.
    """
    R, r0, n = rows.order, rows.start, rows.count
    P = Z.shape[1]
    zero = Z.dtype.type(0)
    half_mean = 0.5 / c
    for t in range(n):
        i = R[r0 + t]
        total = 0.0
        for o in range(c):
            e = Z[t, o] - Y[i, o]
            total += e * e
            dZ[t, o] = inv_m * e
        loss[t] = half_mean * total
        correct[t] = 0
        for o in range(c, P):
            dZ[t, o] = zero


@helper
def logistic_cross_entropy_rows(Z, c, Y, rows, inv_m, dZ, loss, correct):
    """Logistic cross-entropy of the outputs Z[t, :c] against 0/1 indicators Y[order[start + t], :c], t < count (`Rows`).

    Writes loss[t] = Σ_o max(z, 0) + log1p(e^-|z|) - y_o · z (z = Z[t, o]), correct[t] = 1 if every output is on the
    side of 0 its indicator says (z > 0 for 1), and dZ[t] = inv_m · (σ(Z[t]) - y), zero in the padding columns c..P;
    σ(z) from e^-|z|, which never overflows. Serial, as the softmax's.
    """
    R, r0, n = rows.order, rows.start, rows.count
    P = Z.shape[1]
    zero, one = Z.dtype.type(0), Z.dtype.type(1)
    for t in range(n):
        i = R[r0 + t]
        total = 0.0
        right = 1
        for o in range(c):
            z = Z[t, o]
            y = Z.dtype.type(Y[i, o])
            e = np.exp(-abs(z))
            total += max(z, zero) + np.log1p(e) - y * z
            p = one / (one + e) if z >= zero else e / (one + e)
            dZ[t, o] = inv_m * (p - y)
            if (z > zero) != (y > zero):
                right = 0
        loss[t] = total
        correct[t] = right
        for o in range(c, P):
            dZ[t, o] = zero


@helper
def poisson_rows(Z, c, Y, rows, inv_m, dZ, loss, correct):
    """Half the Poisson deviance of the outputs e^Z[t, :c] against counts Y.values[order[start + t], :c] (`Counts`),
    t < count (`Rows`).

    Writes loss[t] = Σ_o y log y - y · z - y + e^z (z = Z[t, o], 0 log 0 = 0), correct[t] = 0 (no labels to match)
    and dZ[t] = inv_m · (e^Z[t] - y), zero in the padding columns c..P. Serial, as the softmax's.
    """
    R, r0, n = rows.order, rows.start, rows.count
    T = Y.values
    P = Z.shape[1]
    zero = Z.dtype.type(0)
    for t in range(n):
        i = R[r0 + t]
        total = 0.0
        for o in range(c):
            z = Z[t, o]
            y = T[i, o]
            e = np.exp(z)
            total += (y * np.log(y) if y > zero else zero) - y * z - y + e
            dZ[t, o] = inv_m * (e - y)
        loss[t] = total
        correct[t] = 0
        for o in range(c, P):
            dZ[t, o] = zero


Counts = namedtuple("Counts", "values")
Counts.__doc__ = """A regressor's targets values (m, c) of the parameters' dtype under loss="poisson": their type makes
`head_rows` take `poisson_rows`."""


def _entry_for(Y):
    """The entry for targets Y: labels (m,) take the softmax's, float targets (m, c) the squared error's, integer
    indicators (m, c) the logistic's, `Counts` the Poisson deviance's."""
    if isinstance(Y, Counts) or (isinstance(Y, types.BaseNamedTuple) and Y.instance_class is Counts):
        return poisson_rows
    if Y.ndim == 1:
        return softmax_cross_entropy_rows
    return logistic_cross_entropy_rows if _integer(Y.dtype) else squared_error_rows


def _integer(dtype):
    return isinstance(dtype, types.Integer) if isinstance(dtype, types.Type) else np.issubdtype(dtype, np.integer)


def head_rows(Z, c, Y, rows, inv_m, dZ, loss, correct):
    """The output's loss and delta, one image per row, by the targets' type (`_entry_for`). In jitted code the entry is
    chosen when the epoch compiles (`_head_rows_for`)."""
    _entry_for(Y)(Z, c, Y, rows, inv_m, dZ, loss, correct)


@overload(head_rows)
def _head_rows_for(Z, c, Y, rows, inv_m, dZ, loss, correct):
    entry = _entry_for(Y)

    def head(Z, c, Y, rows, inv_m, dZ, loss, correct):
        entry(Z, c, Y, rows, inv_m, dZ, loss, correct)
    return head
