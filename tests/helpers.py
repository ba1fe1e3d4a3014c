"""Shared test tools: tolerances per dtype and random inputs in the kernels' layout."""
import numpy as np

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
