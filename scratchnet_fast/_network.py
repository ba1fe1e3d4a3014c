"""Any number of hidden layers and a softmax, logistic or (for a regressor) identity output, on the per-step kernels: starting
weights, the forward pass and the gradients that the drop-in's functions, lbfgs and the scores use, and the predictions.
Hidden layers are ReLU on the per-step kernels; scikit-learn's other activations, there, are NumPy's and SciPy's
(`_activate`), as scikit-learn computes them; the predictions take any kind in their kernels (`_kernels.activations`).

Layers are (W (n_out, n_in), b (n_out,)) pairs in the seed's convention; batches are one image
per row, C-contiguous, in the parameters' dtype or uint8 pixels. Training runs on fused kernels instead
(`_train.choose.trainer`).
"""
import numpy as np
import scipy.sparse
import scipy.special

from ._kernels import activations, epoch, per_step, predict
from ._simd import lanes
from ._train import mini_batch


INITS = ("uniform", "glorot")


def init_layers(sizes, random_state, dtype, init="uniform", activation="relu"):
    """Weights and biases (W (n_out, n_in), b (n_out,)) for layers of the given sizes, drawn layer by layer.

    "uniform": the seed's start, every value uniform in [-0.5, 0.5), drawn in the seed's order
    (W1, b1, W2, …). "glorot": scikit-learn's start for ReLU layers, uniform in ±sqrt(6 / (fan_in +
    fan_out)), drawn as scikit-learn draws them (each coefs_ (n_in, n_out), then its intercepts),
    so a scikit-learn MLPClassifier with the same random_state starts from the same weights; for the logistic
    `activation`, scikit-learn's factor 2 instead of 6.
    """
    layers = []
    factor = 2.0 if activation == "logistic" else 6.0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if init == "glorot":
            bound = np.sqrt(factor / (n_in + n_out))
            W = random_state.uniform(-bound, bound, (n_in, n_out)).T
            b = random_state.uniform(-bound, bound, n_out)
        else:
            W = random_state.rand(n_out, n_in) - 0.5
            b = random_state.rand(n_out, 1) - 0.5
        layers.append((np.ascontiguousarray(W, dtype=dtype), b.ravel().astype(dtype)))
    return layers


NARROW = 4  # vectors: layers with fewer inputs than this many vectors' lanes go to the kernels with outputs in lanes


def _narrow(W):
    """Whether the layer of weights W (n_out, n_in) has few enough inputs for the `_narrow` kernels."""
    return W.shape[1] < NARROW * lanes.count(W.dtype)


def matmul_bias(X, W, b, x_scale, out):
    """per_step.matmul_bias, or its twin for few inputs (the seed's second layer): one call for any layer."""
    (per_step.matmul_bias_narrow if _narrow(W) else per_step.matmul_bias)(X, W, b, x_scale, out)


def weight_grad(dZ, A, inv_m, dW, db):
    """per_step.weight_grad, or its twin for few inputs: one call for any layer."""
    (per_step.weight_grad_narrow if _narrow(dW) else per_step.weight_grad)(dZ, A, inv_m, dW, db)


def _activate(activation, Z, A):
    """A = the hidden activation (scikit-learn's name) of Z: ReLU on the per-step kernel, the others as scikit-learn
    computes them (NumPy's tanh, SciPy's expit)."""
    if activation == "relu":
        per_step.relu(Z.reshape(-1), A.reshape(-1))
    elif activation == "tanh":
        np.tanh(Z, out=A)
    elif activation == "logistic":
        scipy.special.expit(Z, out=A)
    else:
        A[...] = Z


def _hidden_delta(activation, dZ, W, Z, A):
    """The delta (m, n_in) of a hidden layer below one of weights W (n_out, n_in) with delta dZ (m, n_out), from that
    hidden layer's sums Z and activations A: (dZ @ W) times the activation's derivative, as scikit-learn's."""
    below = np.empty_like(Z)
    if activation == "relu":
        per_step.hidden_delta(dZ, W, Z, below)
        return below
    np.matmul(dZ, W, out=below)
    if activation == "tanh":
        below *= 1 - A * A
    elif activation == "logistic":
        below *= A
        below *= 1 - A
    return below


OUTPUTS = ("softmax", "logistic", "identity", "exp")  # scikit-learn's out_activation_ names


def output_of(Y):
    """The output the targets Y call for, scikit-learn's name: "softmax" for labels (m,), "logistic" for 0/1 indicators
    (m, c) of an integer dtype (two classes, one column, or multilabel), "identity" for float targets (m, c) (a
    regressor's "exp", of loss="poisson", is the regressor's choice: its targets are floats too)."""
    if Y.ndim == 1:
        return "softmax"
    return "logistic" if np.issubdtype(Y.dtype, np.integer) else "identity"


def forward(X, layers, x_scale=1.0, output="softmax", activation="relu"):
    """Pre-activations Z and activations A of every layer, for the images x_scale · X; A[-1] is the `output` (one of
    OUTPUTS) of the last sums: softmax probabilities, logistic ones (SciPy's expit, as scikit-learn's), the sums
    themselves (identity, a regressor's: A[-1] is Z[-1]) or their exponentials (exp, a Poisson regressor's). The hidden
    layers' `activation` is scikit-learn's name.

    X holds floats of the layers' dtype, or uint8 pixels (x_scale 1/255 for the seed's scaling); a scipy sparse X is
    made dense first (the held-out scores and lbfgs on sparse X; a regressor's predictions go through `outputs`).
    """
    if scipy.sparse.issparse(X):
        X = X.toarray()
    m = X.shape[0]
    Zs, As = [], [X]
    for index, (W, b) in enumerate(layers):
        Z = np.empty((m, W.shape[0]), W.dtype)
        matmul_bias(As[-1], W, b, W.dtype.type(x_scale if index == 0 else 1), Z)
        if index < len(layers) - 1:
            A = np.empty_like(Z)
            _activate(activation, Z, A)
        elif output == "softmax":
            A = np.empty_like(Z)
            per_step.softmax_rows(Z, A)
        elif output == "logistic":
            A = scipy.special.expit(Z)
        elif output == "exp":
            A = np.exp(Z)
        else:
            A = Z
        Zs.append(Z)
        As.append(A)
    return Zs, As


SKIP_BELOW = 0.7
"""Predictions skip the first layer's zero columns when fewer than this fraction of the columns of a tile of four images
hold a nonzero, in a sample of the images (`skips_zeros`); MNIST's test digits have 0.38."""
SAMPLE = 256  # images whose zeros `skips_zeros` counts


def skips_zeros(X):
    """Whether `predict.probabilities` should skip zero columns of the first layer on images X (m, d): measured on the
    first SAMPLE images, in tiles of four as the kernel takes them."""
    tiles = X[:max(1, min(len(X), SAMPLE) // predict.TILE) * predict.TILE]
    if len(tiles) < predict.TILE:
        return False
    nonzero = (tiles.reshape(-1, predict.TILE, X.shape[1]) != 0).any(axis=1)
    return np.count_nonzero(nonzero) < SKIP_BELOW * nonzero.size


def _few_probabilities(X, layers, x_scale, kind, output):
    """`predict_proba` of a few images (`predict.FEW`), a layer at a time through `predict.few_rows`; a logistic `output`
    is the top layer's activation."""
    A = X
    for index, (W, b) in enumerate(layers):
        top = index == len(layers) - 1
        out = np.empty((X.shape[0], W.shape[0]), W.dtype)
        if top and output is not None:
            predict.few_rows(A, W.dtype.type(x_scale if index == 0 else 1), W, b, output, predict.HIDDEN, out)
        else:
            predict.few_rows(A, W.dtype.type(x_scale if index == 0 else 1), W, b, kind,
                             predict.SOFTMAX if top else predict.HIDDEN, out)
        if index == 0:
            finite = np.isfinite(out).all()
        A = out
    return A, finite


def predict_proba(X, layers, x_scale=1.0, activation="relu", output="softmax"):
    """(probabilities (m, n_outputs) of the images x_scale · X (m, d), whether every first-layer sum was finite): the
    `output`'s, "softmax" or "logistic" (one per output).

    X holds floats of the layers' dtype or uint8 pixels, C-contiguous. One parallel pass
    (`_kernels.predict`): memory beyond X and the result is the weights' and stays the same for any m.
    A sum that is not finite comes from a NaN or infinity in X, or from finite values so large they overflow. The
    hidden layers' `activation` is scikit-learn's name.
    """
    if scipy.sparse.issparse(X):
        return _sparse_probabilities(X, layers, x_scale, activation, output)
    kind = activations.KINDS[activation]
    top = None if output == "softmax" else activations.KINDS[output]
    if X.shape[0] <= predict.FEW:
        return _few_probabilities(X, layers, x_scale, kind, top)
    theta, table = mini_batch.packed(layers, predict.TILE)
    if x_scale != 1:
        first = epoch.layer_block(theta, table, 0)
        first[:-1] *= first.dtype.type(x_scale)
    out = np.empty((X.shape[0], layers[-1][0].shape[0]), theta.dtype)
    check = np.empty(-(-X.shape[0] // predict.ITEM), theta.dtype)
    predict.probabilities(X, theta, table, kind, top, skips_zeros(X), out, check)
    return out, not np.isnan(check).any()


SPARSE_BLOCK = 4096  # rows of a sparse X made dense at a time for the prediction kernel


def _dense_blocks(X):
    """(start, rows start.. of a scipy sparse X made dense), SPARSE_BLOCK rows at a time: memory that of a block, not of
    X dense."""
    X = X.tocsr()
    for start in range(0, X.shape[0], SPARSE_BLOCK):
        yield start, X[start:start + SPARSE_BLOCK].toarray()


def _sparse_probabilities(X, layers, x_scale, activation, output):
    """`predict_proba` of a scipy sparse X (m, d), a block of `_dense_blocks` at a time."""
    out = np.empty((X.shape[0], layers[-1][0].shape[0]), layers[0][0].dtype)
    finite = True
    for start, block in _dense_blocks(X):
        out[start:start + len(block)], ok = predict_proba(block, layers, x_scale, activation, output)
        finite = finite and ok
    return out, finite


def outputs(X, layers, x_scale=1.0, output="identity", activation="relu"):
    """The last layer's `forward` output A[-1] of x_scale · X (m, d) (a regressor's predictions); a scipy sparse X a
    block of `_dense_blocks` at a time."""
    if not scipy.sparse.issparse(X):
        return forward(X, layers, x_scale, output, activation)[1][-1]
    out = np.empty((X.shape[0], layers[-1][0].shape[0]), layers[0][0].dtype)
    for start, block in _dense_blocks(X):
        out[start:start + len(block)] = forward(block, layers, x_scale, output, activation)[1][-1]
    return out


def squared_loss(Y, out, sample_weight=None):
    """scikit-learn's loss of a regressor: 0.5 · the mean over samples (weighted by sample_weight) and over outputs of
    (out - Y)², Y and out (m, c)."""
    squares = np.square(out - Y, dtype=np.float64)
    return 0.5 * float(np.average(squares, weights=sample_weight, axis=0).mean())


def poisson_loss(Y, out, sample_weight=None):
    """scikit-learn's loss of a Poisson regressor: the sum over outputs of the mean over samples (weighted by
    sample_weight) of half the Poisson deviance, y log(y / out) - y + out, Y and the exponential outputs out (m, c)."""
    deviance = scipy.special.xlogy(Y, Y / out) - Y + out
    return float(np.average(deviance, weights=sample_weight, axis=0).sum())


def regression_scores(X, Y, layers, x_scale=1.0, sample_weight=None, activation="relu", output="identity"):
    """(loss, R²) of the network with an identity output (its squared loss) or an exponential one ("exp", its Poisson
    loss) on images x_scale · X (m, d) against targets Y (m, c), weighted by sample_weight; R² as scikit-learn's
    r2_score, averaged over the outputs (NaN if an output is not finite)."""
    from sklearn.metrics import r2_score

    out = forward(X, layers, x_scale, output=output, activation=activation)[1][-1]
    r2 = float(r2_score(Y, out, sample_weight=sample_weight)) if np.isfinite(out).all() else float("nan")
    return (poisson_loss if output == "exp" else squared_loss)(Y, out, sample_weight), r2


def logistic_loss(Y, P, sample_weight=None):
    """scikit-learn's binary log loss of logistic outputs P (m, c) against 0/1 indicators Y (m, c): the mean over samples
    (weighted by sample_weight) of -Σ_o y log p + (1 - y) log(1 - p), p clipped to [eps, 1 - eps] of P's dtype."""
    eps = np.finfo(P.dtype).eps
    P = np.clip(P, eps, 1 - eps)
    per_sample = -(scipy.special.xlogy(Y, P) + scipy.special.xlogy(1 - Y, 1 - P)).sum(axis=1, dtype=np.float64)
    return float(np.average(per_sample, weights=sample_weight))


def scores(X, Y, layers, x_scale=1.0, sample_weight=None, activation="relu"):
    """(mean cross-entropy, accuracy) of the network on images x_scale · X (m, d) with class indices Y (m,) int64, or
    with 0/1 indicators Y (m, c) of its logistic outputs (the accuracy then of whole rows, as scikit-learn's
    accuracy_score of multilabel predictions); with sample_weight (m,), the accuracy is the weighted share of the right
    ones, as accuracy_score's."""
    if Y.ndim == 2:
        P = forward(X, layers, x_scale, output="logistic", activation=activation)[1][-1]
        right = ((P > 0.5) == (Y != 0)).all(axis=1)
        return logistic_loss(Y, P, sample_weight), float(np.average(right, weights=sample_weight))
    Zs, As = forward(X, layers, x_scale, activation=activation)
    predicted = np.empty(len(Y), np.int64)
    per_step.argmax_rows(As[-1], predicted)
    loss = float(per_step.cross_entropy_logits(Zs[-1], Y))
    if sample_weight is not None:
        return loss, float(np.average(predicted == Y, weights=sample_weight))
    return loss, per_step.count_equal(predicted, Y) / len(Y)


def gradients(hidden_Zs, As, Y, weights, m=None, sample_weight=None, activation="relu"):
    """(dW, db) of the cross-entropy summed over the images and divided by m (their number by default), first layer first.

    hidden_Zs are the hidden layers' pre-activations, As the layer inputs followed by the softmax
    output (as `forward` returns them), weights the W of each layer; one image per row. With targets
    Y (m, c) instead of labels, the output is an identity one (As[-1] its sums) with scikit-learn's squared error for
    float Y, an exponential one with its Poisson loss, or a logistic one with its log loss for 0/1 indicators; each
    delta is scikit-learn's: out - Y. With sample_weight (m,), each
    image's delta is weighed by it, as scikit-learn's (m is then the weights' sum). `activation`: the hidden layers',
    as `forward`'s.
    """
    m = As[0].shape[0] if m is None else m
    inv_m = As[0].dtype.type(1.0 / m)
    if Y.ndim == 2:
        dZ = np.subtract(As[-1], Y, dtype=As[-1].dtype)
    else:
        dZ = np.empty_like(As[-1])
        per_step.output_delta(As[-1], Y, dZ)
    if sample_weight is not None:
        dZ *= sample_weight.astype(dZ.dtype)[:, None]
    grads = []
    for index in range(len(weights) - 1, -1, -1):
        W = weights[index]
        dW, db = np.empty_like(W), np.empty(W.shape[0], W.dtype)
        weight_grad(dZ, As[index], inv_m, dW, db)
        if index > 0:
            dZ = _hidden_delta(activation, dZ, W, hidden_Zs[index - 1], As[index])
        grads.append((dW, db))
    return grads[::-1]
