"""The full-batch trainer of one hidden layer: a training set's buffers for the fused step, one call per iteration."""
import numpy as np

from .._kernels.chunks import chunking
from .._kernels.fused import FusedData, TwoLayers, fused_step, tile_order
from .._kernels.memory import LINE, empty_at
from .._kernels.per_step import sgd_update
from .._kernels.spans import nonzero_spans


def _views(flat, h, d, c):
    """W1 (h, d), b1 (h,), W2 (c, h), b2 (c,) as `TwoLayers` of views into one flat parameter vector."""
    ends = np.cumsum([h * d, h, c * h, c])
    W1, b1, W2, b2 = np.split(flat, ends[:-1])
    return TwoLayers(W1.reshape(h, d), b1, W2.reshape(c, h), b2)


class FullBatch:
    """A one-hidden-layer network trained on a fixed set: x_scale · X (m, d) rows, Y (m,) int64 labels.

    layers: [(W1, b1), (W2, b2)], copied in. `rows` (all by default): the rows of X to train on, read where they are.
    `mean_over` (the rows' number by default): the m whose 1/m scales the summed gradients, the seed's global m.
    The parameters live in one flat vector so the update is a single kernel call; `params` are
    views of it. Every buffer is allocated here, once, so `step` allocates nothing of size m; so
    are the rows' nonzero spans, which the fused step skips to, and the order it takes the rows
    in (24 bytes per image). The parameters' dtype is W1's; X holds floats of it, or uint8 pixels.
    Float weights and gradients begin at float X's offset within a cache line.
    """

    def __init__(self, X, Y, layers, *, x_scale=1.0, rows=None, mean_over=None):
        (W1, b1), (W2, b2) = layers
        d = X.shape[1]
        spans = np.empty((X.shape[0], 2), np.uint64)
        nonzero_spans(X, spans)
        order = tile_order(spans, rows)
        m = len(order)
        h, c = W1.shape[0], W2.shape[0]
        dtype = np.dtype(W1.dtype)
        self.data = FusedData(X, dtype.type(x_scale), Y, spans, order)
        offset = X.ctypes.data % LINE if X.dtype == dtype else 0
        self.theta = empty_at(h * d + h + c * h + c, dtype, offset)
        self.theta[:] = np.concatenate([np.ravel(p) for p in (W1, b1, W2, b2)])
        self.grad = empty_at(self.theta.shape, dtype, offset)
        self.grad[:] = 0
        self.params = _views(self.theta, h, d, c)
        self.grads = _views(self.grad, h, d, c)
        n_chunks = chunking(m)[0]
        self.parts = TwoLayers(*(empty_at((n_chunks,) + g.shape, dtype, offset) for g in self.grads))
        self.inv_m = dtype.type(1.0 / (m if mean_over is None else mean_over))

    def step(self, alpha):
        """One gradient-descent step at rate `alpha`; returns (mean loss, accuracy) before it."""
        loss, correct = fused_step(self.data, self.params, self.inv_m, self.parts, self.grads)
        with np.errstate(over="ignore"):  # a rate beyond the dtype's range is inf, and diverges
            rate = self.theta.dtype.type(alpha)
        sgd_update(self.theta, self.grad, rate, self.theta)
        m = len(self.data.order)
        return float(loss) / m, correct / m

    def layers(self):
        """Copies of [(W1, b1), (W2, b2)]."""
        W1, b1, W2, b2 = (p.copy() for p in self.params)
        return [(W1, b1), (W2, b2)]
