"""Predictions (`_kernels.predict`, `_network.predict_proba`) held to the NumPy reference, and the estimator's fast path."""
import threading

import numba
import numpy as np
import pytest
import scipy.special

from scratchnet_fast import MLPClassifier, _network
from scratchnet_fast._kernels import predict

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
SIZES = [(784, 10, 10), (784, 128, 10), (20, 100, 3), (784, 256, 128, 10), (5, 7, 2), (31, 33, 70, 40, 17)]
IMAGES = [1, 3, predict.FEW, predict.FEW + 1, 33, 1000]


def layers_of(rng, sizes, dtype, scale=0.3):
    return [(rng.uniform(-scale, scale, (o, i)).astype(dtype), rng.uniform(-scale, scale, o).astype(dtype))
            for i, o in zip(sizes[:-1], sizes[1:])]


def reference(X, layers, x_scale=1.0):
    """Softmax probabilities of ReLU layers in float64 NumPy."""
    A = X.astype(np.float64) * x_scale
    for index, (W, b) in enumerate(layers):
        A = A @ W.T.astype(np.float64) + b
        if index < len(layers) - 1:
            A = np.maximum(A, 0)
    A = np.exp(A - A.max(axis=1, keepdims=True))
    return A / A.sum(axis=1, keepdims=True)


def images(rng, kind, m, d, dtype):
    if kind == "pixels":
        P = rng.integers(0, 256, (m, d), dtype=np.uint8)
        P[P < 200] = 0
        return P, 1 / 255
    X = rng.standard_normal((m, d)).astype(dtype)
    if kind == "zeros":
        X[rng.random(X.shape) < 0.8] = 0
    return X, 1.0


@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("m", IMAGES)
@pytest.mark.parametrize("kind", ["dense", "zeros", "pixels"])
def test_probabilities_match_the_reference(rng, dtype, sizes, m, kind):
    layers = layers_of(rng, sizes, dtype)
    X, x_scale = images(rng, kind, m, sizes[0], dtype)
    got, finite = _network.predict_proba(X, layers, x_scale)
    assert finite and got.dtype == dtype and got.shape == (m, sizes[-1])
    np.testing.assert_allclose(got, reference(X, layers, x_scale), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("outputs", [1, 3], ids=["two classes", "multilabel"])
@pytest.mark.parametrize("m", [1, predict.FEW + 1, 300])
@pytest.mark.parametrize("kind", ["dense", "pixels"])
def test_logistic_outputs_match_the_reference(rng, dtype, outputs, m, kind):
    """output="logistic": σ of each output's sum, in the batch kernel and the few-image pass, float64 logits of ±40."""
    layers = layers_of(rng, (784, 40, outputs), dtype)
    X, x_scale = images(rng, kind, m, 784, dtype)
    far = 30 if dtype == np.float64 else 3  # sums far out on both sides (float32's rounding of them grows with them)
    layers[-1] = (layers[-1][0] * far, layers[-1][1])
    got, finite = _network.predict_proba(X, layers, x_scale, output="logistic")
    A = np.maximum(X.astype(np.float64) * x_scale @ layers[0][0].T.astype(np.float64) + layers[0][1], 0)
    expected = scipy.special.expit(A @ layers[1][0].T.astype(np.float64) + layers[1][1])
    assert finite and got.dtype == dtype and got.shape == (m, outputs)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("skip", [False, True])
def test_skipping_zero_columns_or_not_gives_the_reference(rng, dtype, skip, monkeypatch):
    layers = layers_of(rng, (784, 128, 10), dtype)
    for kind in ("dense", "zeros", "pixels"):
        X, x_scale = images(rng, kind, 101, 784, dtype)
        monkeypatch.setattr(_network, "skips_zeros", lambda X: skip)
        got, _ = _network.predict_proba(X, layers, x_scale)
        np.testing.assert_allclose(got, reference(X, layers, x_scale), rtol=0, atol=TOLERANCE[dtype])


def test_zeros_are_skipped_on_digits_and_not_on_dense_features(rng):
    digits = np.zeros((300, 784), np.float32)
    digits[:, 300:400] = rng.random((300, 100))
    assert _network.skips_zeros(digits)
    assert not _network.skips_zeros(rng.standard_normal((300, 784)))
    assert not _network.skips_zeros(digits[:2])  # fewer images than a tile: nothing to measure


def test_extreme_logits_give_finite_probabilities(rng, dtype):
    layers = layers_of(rng, (30, 16, 5), dtype, scale=30.0)
    X = (rng.standard_normal((50, 30)) * 30).astype(dtype)
    for rows in (X, X[:2]):
        got, finite = _network.predict_proba(rows, layers)
        assert finite and np.isfinite(got).all()
        np.testing.assert_allclose(got.sum(axis=1), 1, atol=TOLERANCE[dtype] * 10)
        np.testing.assert_allclose(got, reference(rows, layers), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("m", [2, 100])
def test_a_nan_or_infinity_in_X_is_flagged(rng, dtype, bad, m):
    layers = layers_of(rng, (40, 16, 3), dtype)
    X = rng.standard_normal((m, 40)).astype(dtype)
    assert _network.predict_proba(X, layers)[1]
    X[m // 2, 7] = bad
    assert not _network.predict_proba(X, layers)[1]


def test_one_and_two_threads_give_the_same_bits(rng, dtype):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs NUMBA_NUM_THREADS >= 2")
    layers = layers_of(rng, (784, 128, 10), dtype)
    X, _ = images(rng, "zeros", 777, 784, dtype)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _network.predict_proba(X, layers)[0]
        numba.set_num_threads(2)
        two = _network.predict_proba(X, layers)[0]
    finally:
        numba.set_num_threads(before)
    assert one.tobytes() == two.tobytes()


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    X = rng.random((300, 64)).astype(np.float32)
    X[X < 0.5] = 0
    y = rng.integers(0, 4, 300)
    return MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, dtype="float32", random_state=0).fit(X, y), X


def test_the_fast_path_and_scikit_learns_checks_give_the_same_answers(fitted):
    model, X = fitted
    expected = model.predict_proba(X)
    for same in (np.asfortranarray(X), X.astype(np.float64), X.tolist(), X[::1].copy()):
        np.testing.assert_allclose(model.predict_proba(same), expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(model.predict(X[:1]), model.predict(X)[:1])
    np.testing.assert_allclose(model.predict_proba(X[:3]), expected[:3], rtol=0, atol=1e-6)


@pytest.mark.parametrize("m", [1, 50])
def test_the_fast_path_keeps_scikit_learns_errors(fitted, m):
    model, X = fitted
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(np.zeros((m, 63), np.float32))
    for bad, word in ((np.nan, "NaN"), (np.inf, "infinity")):
        Z = X[:m].copy()
        Z[0, 5] = bad
        with pytest.raises(ValueError, match=word):
            model.predict(Z)
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        MLPClassifier().predict_proba(X[:m])


def test_huge_finite_inputs_predict_without_an_error(fitted):
    model, X = fitted
    got = model.predict_proba(X[:20] * np.float32(3e38))  # finite X whose sums overflow: scikit-learn's checks pass
    assert got.shape == (20, 4)


def test_predictions_from_several_threads_at_once_agree(fitted):
    model, X = fitted
    expected = {m: model.predict_proba(X[:m]) for m in (1, 300)}
    errors, results = [], []

    def work(seed):
        try:
            for m in (1, 300, 1, 300):
                results.append(np.array_equal(model.predict_proba(X[:m]), expected[m]))
        except Exception as error:  # noqa: BLE001 - any failure in a thread is the test's failure
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and all(results) and len(results) == 16
