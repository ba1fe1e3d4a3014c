"""activation= as scikit-learn's: 'relu', 'tanh', 'logistic' and 'identity' hidden layers, both estimators, every
solver, against scikit-learn's own from the same start (the kernels' entries are held to NumPy in test_heads and
test_dense)."""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnClassifier
from sklearn.neural_network import MLPRegressor as SklearnRegressor

import helpers
from scratchnet_fast import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EPOCHS = 5
TOLERANCE = 1e-9
KINDS = ["tanh", "logistic", "identity"]


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(250, 30))
    labels = (X[:, :4].argmax(axis=1) + (X[:, 4] > 1.5)) % 4
    return X, labels, np.c_[np.sin(X[:, 0]) + X[:, 1] * X[:, 2], X[:, 3]]


def with_activation(cls, activation):
    return lambda **params: cls(**{**params, "activation": activation})


@pytest.mark.parametrize("hidden, batch_size", [((16,), 32), ((13, 7), 250)], ids=["1 layer, batches", "2 layers, full"])
@pytest.mark.parametrize("params", [dict(solver="sgd", momentum=0.9, alpha=0.01), dict(solver="adam")],
                         ids=["nesterov-alpha", "adam"])
@pytest.mark.parametrize("kind", KINDS)
def test_each_activation_trains_and_predicts_as_scikit_learns(problem, kind, params, hidden, batch_size):
    """Widths 13 and 7 leave padding in the last vector, which the logistic's f(0) = 0.5 must not leak into."""
    X, labels, targets = problem
    for Theirs, Ours, y, outputs in ((SklearnClassifier, MLPClassifier, labels, 4),
                                     (SklearnRegressor, MLPRegressor, targets, 2)):
        ours, theirs = helpers.train_both(with_activation(Theirs, kind), with_activation(Ours, kind), X, y, outputs,
                                          hidden, batch_size, 0.02, params, EPOCHS)
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
        helpers.assert_same_weights(ours, theirs)
        if Ours is MLPClassifier:
            many, few = ours.predict_proba(X), ours.predict_proba(X[:3])  # the parallel kernel, and `few_rows`
            np.testing.assert_allclose(many, theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(few, many[:3], rtol=1e-12, atol=1e-14)
        else:
            np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_lbfgs_follows_scikit_learns_with_each_activation(problem, kind):
    X, labels, targets = problem
    for Theirs, Ours, y in ((SklearnClassifier, MLPClassifier, labels), (SklearnRegressor, MLPRegressor, targets)):
        params = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=30, random_state=0, alpha=1e-3,
                      activation=kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            theirs = Theirs(**params).fit(X, y)
            ours = Ours(dtype="float64", **params).fit(X, y)
        assert ours.n_iter_ == theirs.n_iter_
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-8)
        for a, b in zip(ours.coefs_, theirs.coefs_):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_the_logistic_start_is_scikit_learns_and_float32_keeps_close(problem):
    """Glorot's bound with scikit-learn's factor 2 for the logistic (6 for the others), drawn from the same random_state:
    the same weights after a fit with shuffling; float32 stays near float64."""
    X, labels, _ = problem
    params = dict(hidden_layer_sizes=(12,), activation="logistic", batch_size=50, max_iter=3, random_state=4,
                  learning_rate_init=0.01)
    theirs = SklearnClassifier(**params).fit(X, labels)
    ours = MLPClassifier(dtype="float64", **params).fit(X, labels)
    helpers.assert_same_weights(ours, theirs)
    single = MLPClassifier(dtype="float32", **params).fit(X.astype(np.float32), labels)
    for a, b in zip(single.coefs_, ours.coefs_):
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-5)


def test_an_unknown_activation_is_a_clear_error(problem):
    X, labels, _ = problem
    with pytest.raises(ValueError, match="unknown activation 'softplus': use one of 'relu', 'tanh', 'logistic'"):
        MLPClassifier(activation="softplus").fit(X, labels)
