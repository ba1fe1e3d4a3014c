"""The training loop and the one place that picks the trainer for a network.

Both trainers meet one contract: `theta`, a flat vector holding every parameter, `step(alpha)`,
one pass over the training set returning (mean loss, accuracy), and `layers()`, copies of the
(W (n_out, n_in), b (n_out,)) pairs in the seed's layout.
"""
import warnings

import numpy as np

from .config import chunking
from .fused import fused_step, tile_order
from .kernels import nonzero_spans, sgd_update
from .layered import Layered
from .layout import LINE, empty_at


def chance(Y):
    """The accuracy of always guessing the most common of the labels Y (m,) int64."""
    return np.bincount(Y).max() / len(Y)


def trainer(X, Y, layers, batch_size=None, rng=None, optimizer=None, x_scale=1.0, rows=None):
    """The fastest trainer of `layers` on x_scale · X (m, d), Y (m,) int64: full batch when batch_size is None.

    X holds floats of the layers' dtype (x_scale 1), or uint8 pixels that the kernels read as they
    are, x_scale (1/255 for pixels) multiplying their sums. `rows` (distinct indices) trains on
    those rows of X and Y only, read in place: a held-out split costs no copy of the images.

    One hidden layer trained full-batch by plain gradient descent runs on the seed's fused step
    (`FullBatch`), which skips each tile's blank margins and measured faster there at every width
    from 10 to 128; anything else, on the mini-batch stages (`Layered`), which shuffle with rng
    every epoch (none without rng) and update by `optimizer` (an `optimizers.Optimizer`).
    """
    m = X.shape[0] if rows is None else len(rows)
    if len(layers) == 2 and (batch_size is None or batch_size >= m) and (optimizer is None or optimizer.plain):
        (W1, b1), (W2, b2) = layers
        return FullBatch(X, Y, W1, b1, W2, b2, x_scale, rows)
    batch = m if batch_size is None else min(batch_size, m)
    return Layered(X, Y, layers, batch, rng if batch < m else None, optimizer, x_scale, rows)


def _views(flat, h, d, c):
    """W1 (h, d), b1 (h,), W2 (c, h), b2 (c,) as views into one flat parameter vector."""
    ends = np.cumsum([h * d, h, c * h, c])
    W1, b1, W2, b2 = np.split(flat, ends[:-1])
    return W1.reshape(h, d), b1, W2.reshape(c, h), b2


class FullBatch:
    """A one-hidden-layer network trained on a fixed set: x_scale · X (m, d) rows, Y (m,) int64 labels.

    `rows` (all by default): the rows of X to train on, read where they are.
    The parameters live in one flat vector so the update is a single kernel call; `params` are
    views of it. Every buffer is allocated here, once, so `step` allocates nothing of size m; so
    are the rows' nonzero spans, which the fused step skips to, and the order it takes the rows
    in (24 bytes per image). The parameters' dtype is W1's; X holds floats of it, or uint8 pixels.
    Float weights and gradients begin at float X's offset within a cache line.
    """

    def __init__(self, X, Y, W1, b1, W2, b2, x_scale=1.0, rows=None):
        self.X, self.Y = X, Y
        d = X.shape[1]
        self.spans = np.empty((X.shape[0], 2), np.uint64)
        nonzero_spans(X, self.spans)
        self.order = tile_order(self.spans, rows)
        m = len(self.order)
        h, c = W1.shape[0], W2.shape[0]
        dtype = np.dtype(W1.dtype)
        self.x_scale = dtype.type(x_scale)
        offset = X.ctypes.data % LINE if X.dtype == dtype else 0
        self.theta = empty_at(h * d + h + c * h + c, dtype, offset)
        self.theta[:] = np.concatenate([np.ravel(p) for p in (W1, b1, W2, b2)])
        self.grad = empty_at(self.theta.shape, dtype, offset)
        self.grad[:] = 0
        self.params = _views(self.theta, h, d, c)
        self.grads = _views(self.grad, h, d, c)
        n_chunks = chunking(m)[0]
        self.parts = tuple(empty_at((n_chunks,) + g.shape, dtype, offset) for g in self.grads)
        self.scale = dtype.type(1.0 / m)

    def step(self, alpha):
        """One gradient-descent step at rate `alpha`; returns (mean loss, accuracy) before it."""
        W1, b1, W2, b2 = self.params
        gW1, gb1, gW2, gb2 = self.parts
        loss, correct = fused_step(self.X, self.x_scale, self.Y, self.spans, self.order, W1, b1, W2, b2, self.scale,
                                   gW1, gb1, gW2, gb2, *self.grads)
        with np.errstate(over="ignore"):  # a rate beyond the dtype's range is inf, and diverges
            rate = self.theta.dtype.type(alpha)
        sgd_update(self.theta, self.grad, rate, self.theta)
        m = len(self.order)
        return float(loss) / m, correct / m

    def layers(self):
        """Copies of [(W1, b1), (W2, b2)]."""
        W1, b1, W2, b2 = (p.copy() for p in self.params)
        return [(W1, b1), (W2, b2)]


def divergence(iteration, loss, alpha):
    """The error that stops a run whose loss or parameters stopped being finite."""
    return FloatingPointError(
        f"training diverged at iteration {iteration}: the loss is {loss:.6g}; try a smaller learning rate than {alpha}"
    )


GROWTH = 3.0  # a loss this many times its first value has run away
CHANCE_AFTER = 20  # iterations after which training accuracy at chance is worth a word
CHANCE_MARGIN = 0.02  # within this of the largest class's share is chance


class Watch:
    """One warning each for the two ways training fails quietly: a loss that grows well past its
    start, and a training accuracy still at chance (the largest class's share) after CHANCE_AFTER
    iterations. The stable softmax keeps the loss finite, so neither ends in a FloatingPointError."""

    def __init__(self, alpha, chance):
        self.alpha, self.chance = alpha, chance
        self.first = None
        self.said = set()

    def __call__(self, i, loss, accuracy):
        if self.first is None:
            self.first = loss
        if "growth" not in self.said and loss > GROWTH * self.first > 0:
            self.said.add("growth")
            warnings.warn(f"the training loss grew from {self.first:.4g} to {loss:.4g} by iteration {i}: the "
                          f"learning rate {self.alpha} may be too large", RuntimeWarning, stacklevel=4)
        if "chance" not in self.said and self.chance is not None and i + 1 == CHANCE_AFTER \
                and accuracy <= self.chance + CHANCE_MARGIN:
            self.said.add("chance")
            warnings.warn(f"training accuracy is {accuracy:.3f} after {i + 1} iterations, no better than always "
                          f"guessing the most common label ({self.chance:.3f}): check that the pixels are scaled "
                          f"to [0, 1] (/ 255) and that the learning rate {self.alpha} is not too large",
                          RuntimeWarning, stacklevel=4)


def descend(net, alpha, iterations, report=None, chance=None, stop=None):
    """Run `iterations` steps of `net` at rate `alpha`, calling report(i, loss, accuracy) after each.

    `alpha` is a number, or a function giving the rate of each step (a schedule). A report that
    returns True ends the run there (it has converged).

    Raises FloatingPointError naming the iteration when the loss or the parameters stop being
    finite; the parameters then hold the last finite values, and so they do after a
    KeyboardInterrupt. Warns (`Watch`) when the loss runs away or the accuracy stays at
    `chance`, the largest class's share of the labels. With `stop` (a `stopping.Stop`), a
    signal ends the run at the last iteration completed before it arrived, by a KeyboardInterrupt
    raised when the step it arrived in returns: a signal during the first step, which compiles
    the kernels, leaves the starting parameters and no iteration done.
    """
    last_good = net.theta.copy()
    rate = alpha if callable(alpha) else (lambda: alpha)
    watch = Watch(rate(), chance)
    try:
        for i in range(iterations):
            alpha = rate()
            loss, accuracy = net.step(alpha)
            if stop is not None and stop.requested:  # the step the signal came in (the first compiles) is dropped
                raise KeyboardInterrupt(stop.requested)
            if not np.isfinite(loss) or not np.isfinite(net.theta).all():
                raise divergence(i, loss, alpha)
            last_good[:] = net.theta
            watch(i, loss, accuracy)
            if report is not None and report(i, loss, accuracy):
                break
    except (FloatingPointError, KeyboardInterrupt):
        net.theta[:] = last_good
        raise
