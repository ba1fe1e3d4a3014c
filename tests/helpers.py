"""Shared test tools: tolerances per dtype, random inputs in the kernels' layout, the fused step, data files."""
import gzip

import numpy as np
import pytest
import sklearn

SKLEARN_BEFORE_1_7 = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 7)
WEIGHTED_SKLEARN = pytest.mark.skipif(SKLEARN_BEFORE_1_7, reason="scikit-learn's MLP takes sample_weight since 1.7")
"""Marks a test that gives scikit-learn's MLP sample_weight (the oldest-versions CI environment has 1.6)."""

RTOL = {np.float64: 1e-12, np.float32: 1e-5}
DTYPES = (np.float64, np.float32)


def assert_close(actual, expected, dtype):
    """actual == expected to the dtype's relative tolerance, measured against expected's scale.

    Sums with cancellation (gradients) have no small relative error element by element, so the
    absolute tolerance is the relative one times the largest magnitude in `expected`.
    """
    rtol = RTOL[np.dtype(dtype).type]
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=rtol * scale)


def network(rng, m, d, h, c, dtype):
    """Random images X (m, d) in [0, 1), labels Y (m,), and parameters W1, b1, W2, b2 like init_params'."""
    X = rng.random((m, d)).astype(dtype)
    Y = rng.integers(0, c, m).astype(np.int64)
    W1 = (rng.random((h, d)) - 0.5).astype(dtype)
    b1 = (rng.random(h) - 0.5).astype(dtype)
    W2 = (rng.random((c, h)) - 0.5).astype(dtype)
    b2 = (rng.random(c) - 0.5).astype(dtype)
    return X, Y, W1, b1, W2, b2


def blank_borders(rng, X):
    """X with digit-like zeros in place: blank margins of varied width, blank pixels, blank rows.

    Every fourth row keeps its first or last column, so tiles mix wide and narrow spans.
    """
    m, d = X.shape
    for i in range(m):
        lo, hi = sorted(rng.integers(0, d + 1, 2))
        X[i, :lo] = 0
        X[i, hi:] = 0
    X[rng.random(X.shape) < 0.3] = 0
    X[::4, 0] = X.dtype.type(0.5)
    X[1::4, -1] = X.dtype.type(0.25)
    X[2::7] = 0
    return X


def run_fused(X, Y, W1, b1, W2, b2, order=None, x_scale=1.0):
    """The fused step's (gradients [dW1, db1, dW2, db2], summed loss, correct count) on X (m, d), rows taken in
    order(spans) (`tile_order` by default)."""
    from scratchnet_fast._kernels.chunks import chunking
    from scratchnet_fast._kernels.fused import FusedData, TwoLayers, fused_step, tile_order
    from scratchnet_fast._kernels.spans import nonzero_spans

    m, d = X.shape
    h, c = W1.shape[0], W2.shape[0]
    n = chunking(m)[0]
    dtype = W1.dtype
    parts = TwoLayers(np.empty((n, h, d), dtype), np.empty((n, h), dtype), np.empty((n, c, h), dtype), np.empty((n, c), dtype))
    grads = TwoLayers(np.empty((h, d), dtype), np.empty(h, dtype), np.empty((c, h), dtype), np.empty(c, dtype))
    spans = np.empty((m, 2), np.uint64)
    nonzero_spans(X, spans)
    data = FusedData(X, dtype.type(x_scale), Y, spans, (order or tile_order)(spans))
    loss, correct = fused_step(data, TwoLayers(W1, b1, W2, b2), dtype.type(1.0 / m), parts, grads)
    return list(grads), loss, correct


def write_csv(path, X, y=None):
    header = ([] if y is None else ["label"]) + [f"pixel{i}" for i in range(X.shape[1])]
    rows = X if y is None else np.column_stack([y, X])
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def write_idx(path, array, compress):
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    raw = header + array.tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


# (images, features, hidden, classes): one image, a few, more than one chunk, many chunks.
SHAPES = [(1, 784, 10, 10), (7, 5, 3, 4), (300, 784, 10, 10), (1000, 64, 37, 10), (3000, 784, 16, 12)]


def pixels_of(rng, m, d):
    """Digit-like uint8 pixels (m, d): blank margins and blank pixels, values 0 to 255 with both ends present."""
    P = blank_borders(rng, rng.random((m, d))) * 256
    P = np.minimum(P, 255).astype(np.uint8)
    P[0, :2] = 255
    return P


def seed_classifier(**params):
    """An MLPClassifier that trains as the seed does (`SEED_TRAINING`), with `params` changed."""
    from scratchnet_fast import SEED_TRAINING, MLPClassifier

    return MLPClassifier(**{**SEED_TRAINING, **params})


def glorot_start(sizes, seed=0):
    """Weights (n_in, n_out) and intercepts for layers of `sizes`, Glorot-uniform, in scikit-learn's layout:
    the start both estimators are given in the parity tests."""
    rng = np.random.default_rng(seed)
    coefs, intercepts = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6 / (n_in + n_out))
        coefs.append(rng.uniform(-bound, bound, (n_in, n_out)))
        intercepts.append(rng.uniform(-bound, bound, n_out))
    return coefs, intercepts


def assert_same_weights(ours, theirs, tolerance=1e-9):
    """Every coefs_ and intercepts_ of two fitted MLPs equal to `tolerance` relative (absolute: times the largest)."""
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance * np.abs(b).max())


def train_both(Theirs, Ours, X, y, outputs, hidden, batch_size, rate, params, epochs, **fit_params):
    """scikit-learn's estimator class Theirs and ours, Ours, each trained `epochs` epochs in float64 on X, y from the
    same `glorot_start` weights, unshuffled, with the same parameters (and `fit_params`, such as sample_weight, given
    to both fits); (ours, theirs)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    coefs, intercepts = glorot_start((X.shape[1],) + hidden + (outputs,))
    common = dict(hidden_layer_sizes=hidden, batch_size=batch_size, learning_rate_init=rate, shuffle=False,
                  warm_start=True, n_iter_no_change=10 ** 6, **{"alpha": 0.0, **params})
    theirs = Theirs(activation="relu", max_iter=1, random_state=0, **common)
    ours = Ours(max_iter=epochs, dtype="float64", **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y, **fit_params)  # builds its layers; the weights are replaced below, the optimizer starts afresh
        theirs.coefs_ = [c.copy() for c in coefs]
        theirs.intercepts_ = [b.copy() for b in intercepts]
        theirs.set_params(max_iter=epochs).fit(X, y, **fit_params)
        ours.coefs_, ours.intercepts_ = [c.copy() for c in coefs], [b.copy() for b in intercepts]
        ours.fit(X, y, **fit_params)
    return ours, theirs
