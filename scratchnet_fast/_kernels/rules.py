"""The update rules of scikit-learn's MLPClassifier solvers, applied a vector at a time to a layer's weights.

Every rule takes the mean gradient g of a batch and first adds the L2 penalty's, decay · W, to the
rows of weights (not to the bias row). Then, for W and its state S1, S2 (arrays shaped like W):

    PLAIN     W -= rate · g
    MOMENTUM  S1 = mu · S1 - rate · g;  W += S1
    NESTEROV  S1 = mu · S1 - rate · g;  W += mu · S1 - rate · g
    ADAM      S1 = b1 · S1 + (1 - b1) · g;  S2 = b2 · S2 + (1 - b2) · g²;  W -= rate_t · S1 / (√S2 + eps)

with rate_t = rate · √(1 - b2**t) / (1 - b1**t) at the t-th update: scikit-learn's SGDOptimizer
and AdamOptimizer, term by term. `apply_block` sweeps a layer's block once, reading its gradient
and state and writing the new weights and state. (Plain descent without a penalty, the seed's
update, is made inside the gradient stage instead: `dense.weight_gradient`.)
"""
from collections import namedtuple

import numpy as np
from numba import prange

from .._compile.options import inline, kernel
from .._simd import lanes

PLAIN, MOMENTUM, NESTEROV, ADAM = 0, 1, 2, 3
RATE, DECAY, MU, BETA1, BETA2, EPSILON, RATE_T = range(7)  # the slots of `hyper`

Layer = namedtuple("Layer", "W G S1 S2")
Layer.__doc__ = """A layer's block of parameters W (n_in + 1, P), row n_in the biases; its gradient G and the solver's
state S1, S2 (momentum's velocity, or Adam's two moments), each shaped like W."""


@inline
def for_batch(hyper, rule, rate, alpha, size, t):
    """Set hyper's per-batch slots for the t-th update (t >= 1), with `size` images in the batch (or, with sample
    weights, their weights' sum, by which scikit-learn divides the penalty then).

    Computed in float64 and rounded once, as scikit-learn computes them in Python floats.
    """
    hyper[RATE] = rate
    hyper[DECAY] = alpha / size
    if rule == ADAM:
        b1, b2 = np.float64(hyper[BETA1]), np.float64(hyper[BETA2])
        hyper[RATE_T] = rate * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)


@inline
def constants(hyper):
    """The slots of hyper as a tuple of scalars, read once before a kernel's loop: read from the array inside it, each
    vector's update reloaded them, since the compiler cannot tell that the stores to W and its state leave hyper alone."""
    return (hyper[RATE], hyper[DECAY], hyper[MU], hyper[BETA1], hyper[BETA2], hyper[EPSILON], hyper[RATE_T])


@inline
def penalised(W, k, j, g, hyper):
    """g plus the L2 penalty's gradient decay · W[k, j:j+L], for a row k of weights (never the bias row); hyper the
    `constants`."""
    if hyper[DECAY] != 0:
        return lanes.fma(g, hyper[DECAY], lanes.load(W, k, j))
    return g


@inline
def apply(W, S1, S2, k, j, g, hyper, rule):
    """Update the vector W[k, j:j+L] (and its state in S1, S2) by g, the batch's mean gradient with its penalty; hyper
    the `constants`."""
    w = lanes.load(W, k, j)
    if rule == PLAIN:
        w = lanes.fma(w, -hyper[RATE], g)
    elif rule == ADAM:
        b1, b2 = hyper[BETA1], hyper[BETA2]
        one = W.dtype.type(1)
        m = lanes.add(lanes.mul(lanes.splat(W, b1), lanes.load(S1, k, j)), lanes.mul(lanes.splat(W, one - b1), g))
        v = lanes.add(lanes.mul(lanes.splat(W, b2), lanes.load(S2, k, j)),
                      lanes.mul(lanes.splat(W, one - b2), lanes.mul(g, g)))
        lanes.store(S1, m, k, j)
        lanes.store(S2, v, k, j)
        step = lanes.div(lanes.mul(lanes.splat(W, hyper[RATE_T]), m), lanes.add(lanes.sqrt(v), lanes.splat(W, hyper[EPSILON])))
        w = lanes.sub(w, step)
    else:
        mu = lanes.splat(W, hyper[MU])
        descent = lanes.mul(lanes.splat(W, hyper[RATE]), g)
        v = lanes.sub(lanes.mul(mu, lanes.load(S1, k, j)), descent)
        lanes.store(S1, v, k, j)
        w = lanes.add(w, lanes.sub(lanes.mul(mu, v), descent) if rule == NESTEROV else v)
    lanes.store(W, w, k, j)


@kernel
def apply_block(layer, hyper, rule):
    """`apply` the gradient G to every vector of a `Layer`'s block W (n_in + 1, P), row n_in the biases."""
    W, G, S1, S2 = layer.W, layer.G, layer.S1, layer.S2  # taken out before the parallel loop, which must see arrays
    hyper = constants(hyper)
    n_in = W.shape[0] - 1
    L = lanes.count(W.dtype)
    P = W.shape[1]
    for k in prange(W.shape[0]):
        for j in range(0, P, L):
            g = lanes.load(G, k, j)
            apply(W, S1, S2, k, j, penalised(W, k, j, g, hyper) if k < n_in else g, hyper, rule)
