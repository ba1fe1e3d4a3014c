"""The output's loss, in one place: the trainers take the head of the network from here and nowhere else.

An entry is a kind of output with its loss (softmax cross-entropy, the only one yet) and, for
each of the two layouts the trainers hold their outputs in, a function from the output layer's
sums to its loss and the delta that starts the backward pass, delta = ∂loss/∂sums:
- `softmax_cross_entropy_rows`: one image per row (the mini-batch stages, `epoch`);
- `softmax_cross_entropy_lanes`: one image per lane of a vector (the fused step, `fused`).
For softmax cross-entropy, delta = softmax(z) - onehot(label), and the loss is
log Σ exp(z) - z[label], each computed from z - max z so that no exp overflows.
"""
import numpy as np

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
