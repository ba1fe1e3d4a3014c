"""The one place that picks the trainer for a network: the drop-in, the estimator and the command line all come here.

Both trainers meet one contract: `theta`, a flat vector holding every parameter, `step(alpha)`,
one pass over the training set returning (mean loss, accuracy), and `layers()`, copies of the
(W (n_out, n_in), b (n_out,)) pairs in the seed's layout.
"""
from .._kernels import activations
from .full_batch import FullBatch
from .mini_batch import Layered


def trainer(X, Y, layers, *, batch_size=None, rng=None, optimizer=None, x_scale=1.0, rows=None, mean_over=None,
            weights=None, activation=activations.RELU):
    """The fastest trainer of `layers` on x_scale · X (m, d), Y (m,) int64 labels (a softmax output), (m, c) uint8
    indicators (logistic outputs), (m, c) float targets (an identity output, a regressor's) or `losses.Counts` of them
    (an exponential output, a Poisson regressor's): full batch when batch_size is None.

    X holds floats of the layers' dtype (x_scale 1), or uint8 pixels that the kernels read as they
    are, x_scale (1/255 for pixels) multiplying their sums. `rows` (distinct indices) trains on
    those rows of X and Y only, read in place: a held-out split costs no copy of the images.

    One hidden layer trained full-batch by plain gradient descent runs on the seed's fused step
    (`FullBatch`), which skips each tile's blank margins and measured faster there at every width
    from 10 to 128; anything else, on the mini-batch stages (`Layered`), which shuffle with rng
    every epoch (none without rng) and update by `optimizer` (an `optimizer.Optimizer`), as do rows with sample
    `weights` (m,), indexed as X's rows, hidden layers of another `activations` kind than ReLU, and sparse X (a
    scipy CSR matrix).
    """
    m = X.shape[0] if rows is None else len(rows)
    if mean_over not in (None, m) and not (len(layers) == 2 and batch_size is None):
        raise ValueError("mean_over (the seed's global m) applies to the seed's full-batch network only")
    labels = getattr(Y, "ndim", None) == 1  # else targets, whose losses only the mini-batch stages have
    sparse = hasattr(X, "indptr")  # a scipy CSR matrix, which only the mini-batch stages read
    seeds = labels and weights is None and activation is activations.RELU and not sparse  # the seed's fused step's
    if seeds and len(layers) == 2 and (batch_size is None or batch_size >= m) and (optimizer is None or optimizer.plain):
        return FullBatch(X, Y, layers, x_scale=x_scale, rows=rows, mean_over=mean_over)
    batch = m if batch_size is None else min(batch_size, m)
    return Layered(X, Y, layers, batch, rng=rng if batch < m else None, optimizer=optimizer, x_scale=x_scale, rows=rows,
                   weights=weights, activation=activation)
