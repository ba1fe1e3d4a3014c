"""MLPClassifier: a scikit-learn estimator on the kernels, whose defaults are the seed's training."""
import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

import reference as ref
from scratchnet_fast import MLPClassifier


def digits_like(rng, m=600, d=20, classes=4):
    centers = rng.random((classes, d))
    y = rng.integers(0, classes, m)
    return centers[y] + 0.1 * rng.normal(size=(m, d)), y


@pytest.mark.filterwarnings("ignore:training accuracy is .* no better than always guessing")  # random labels: right to say
@pytest.mark.filterwarnings("ignore:the training loss grew from")
def test_passes_scikit_learns_check_estimator():
    results = check_estimator(MLPClassifier(), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed
    assert sum(r["status"] == "passed" for r in results) >= 50


def test_defaults_are_the_seeds_training(rng):
    X, y = rng.random((300, 784)), np.arange(300) % 10
    np.random.seed(4)
    expected = ref.gradient_descent(np.asfortranarray(X.T), y, 0.1, 20)
    np.random.seed(4)
    model = MLPClassifier(max_iter=20).fit(X, y)
    W1, b1, W2, b2 = expected
    for actual, e in zip((model.weights_[0], model.biases_[0], model.weights_[1], model.biases_[1]), (W1, b1.ravel(), W2, b2.ravel())):
        np.testing.assert_allclose(actual, e, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=32), dict(hidden_layer_sizes=(16, 12)),
                                    dict(hidden_layer_sizes=(16, 12), batch_size=50, dtype="float32")])
def test_learns_separable_classes(rng, kwargs):
    X, y = digits_like(rng)
    model = MLPClassifier(random_state=0, learning_rate_init=0.5, max_iter=200, **kwargs).fit(X, y)
    assert model.score(X, y) > 0.95
    assert model.n_iter_ == 200 and len(model.loss_curve_) == 200
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_mini_batch_matches_the_reference_on_one_batch(rng):
    X, y = digits_like(rng, m=64)
    full = MLPClassifier(random_state=3, max_iter=5, hidden_layer_sizes=(7, 5)).fit(X, y)
    one_batch = MLPClassifier(random_state=3, max_iter=5, hidden_layer_sizes=(7, 5), batch_size=64).fit(X, y)
    for a, b in zip(full.weights_ + full.biases_, one_batch.weights_ + one_batch.biases_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_any_labels_and_probabilities(rng):
    X, y = digits_like(rng, classes=3)
    labels = np.array(["cat", "dog", "eel"])[y]
    model = MLPClassifier(random_state=0, learning_rate_init=0.5, max_iter=100).fit(X, labels)
    assert list(model.classes_) == ["cat", "dog", "eel"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])


def test_float32_trains_and_predicts_in_float32(rng):
    X, y = digits_like(rng)
    model = MLPClassifier(dtype="float32", random_state=0).fit(X, y)
    assert model.weights_[0].dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32


def test_fit_scores_a_validation_set_after_every_iteration(rng):
    from sklearn.metrics import log_loss

    X = rng.random((300, 20))
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0, init="glorot")
    model.fit(X[:200], y[:200], validation=(X[200:], y[200:]))
    assert len(model.validation_loss_curve_) == len(model.validation_scores_) == model.n_iter_ == 15
    assert model.validation_scores_[-1] == model.score(X[200:], y[200:])
    assert model.validation_loss_curve_[-1] == pytest.approx(log_loss(y[200:], model.predict_proba(X[200:])), rel=1e-12)
    with pytest.raises(ValueError, match="validation labels \\[7\\] are not among the training labels"):
        model.fit(X[:200], y[:200], validation=(X[200:210], np.full(10, 7)))
    with pytest.raises(TypeError, match="validation must be a pair"):
        model.fit(X[:200], y[:200], validation=X[200:])
