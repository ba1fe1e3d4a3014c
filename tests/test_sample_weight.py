"""sample_weight in fit and partial_fit, both estimators, against scikit-learn's weighted objective: the weighted mean
loss, each sample's delta weighed, a batch's gradient and penalty over its weights' sum."""
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
ESTIMATORS = {"classifier": (SklearnClassifier, MLPClassifier), "regressor": (SklearnRegressor, MLPRegressor)}


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(11)
    X = rng.random((250, 30))
    labels = (X[:, :4].argmax(axis=1) + (X[:, 4] > 0.9)) % 4
    targets = np.c_[X[:, 0] * X[:, 1], X[:, 2] - X[:, 3] ** 2]
    weights = rng.random(250) * 2
    weights[rng.permutation(250)[:30]] = 0  # zero weights, scattered
    return X, {"classifier": labels, "regressor": targets}, weights


def fit_both(estimator, X, y, weights, **params):
    Theirs, Ours = ESTIMATORS[estimator]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = Theirs(activation="relu", **params).fit(X, y, sample_weight=weights)
        ours = Ours(dtype="float64", **params).fit(X, y, sample_weight=weights)
    return ours, theirs


@helpers.WEIGHTED_SKLEARN
@pytest.mark.parametrize("batch_size", [32, 250], ids=["mini-batch", "full batch"])
@pytest.mark.parametrize("params", [dict(solver="sgd", momentum=0.0), dict(solver="sgd", momentum=0.9, alpha=0.01),
                                    dict(solver="adam", alpha=0.001)], ids=["sgd", "nesterov-alpha", "adam-alpha"])
@pytest.mark.parametrize("hidden", [(16,), (16, 8)], ids=["1 hidden layer", "2 hidden layers"])
@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_weighted_losses_and_weights_match_scikit_learn(problem, estimator, hidden, params, batch_size):
    X, ys, weights = problem
    y = ys[estimator]
    Theirs, Ours = ESTIMATORS[estimator]
    ours, theirs = helpers.train_both(Theirs, Ours, X, y, 4 if y.ndim == 1 else y.shape[1], hidden, batch_size, 0.02,
                                      params, EPOCHS, sample_weight=weights)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)


@helpers.WEIGHTED_SKLEARN
@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_weighted_lbfgs_follows_scikit_learns_and_integer_weights_repeat_rows(problem, estimator):
    X, ys, weights = problem
    y = ys[estimator]
    params = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=30, random_state=0, alpha=1e-3)
    ours, theirs = fit_both(estimator, X, y, weights, **params)
    assert ours.n_iter_ == theirs.n_iter_ and ours.loss_ == pytest.approx(theirs.loss_, rel=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)
    counts = np.arange(250) % 3  # each row 0, 1 or 2 times: the same objective, to rounding
    repeated, _ = fit_both(estimator, np.repeat(X, counts, axis=0), np.repeat(y, counts, axis=0), None, **params)
    weighted, _ = fit_both(estimator, X, y, counts.astype(float), **params)
    for a, b in zip(weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


@helpers.WEIGHTED_SKLEARN
@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_weighted_early_stopping_stops_at_the_same_epoch_as_scikit_learn(problem, estimator):
    """The held-out part keeps its rows' weights, and scores with them (accuracy or R²)."""
    X, ys, weights = problem
    ours, theirs = fit_both(estimator, X, ys[estimator], weights, hidden_layer_sizes=(16,), batch_size=32,
                            shuffle=False, random_state=0, alpha=0.0, solver="adam", learning_rate_init=0.01,
                            early_stopping=True, validation_fraction=0.2, n_iter_no_change=3, tol=1e-3, max_iter=200)
    assert 3 < ours.n_iter_ == theirs.n_iter_ < 200
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-9)
    helpers.assert_same_weights(ours, theirs)


@helpers.WEIGHTED_SKLEARN
@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_weighted_partial_fit_goes_on_like_scikit_learns(problem, estimator):
    X, ys, weights = problem
    y = ys[estimator]
    Theirs, Ours = ESTIMATORS[estimator]
    params = dict(hidden_layer_sizes=(16,), solver="adam", batch_size=25, learning_rate_init=0.02, shuffle=False,
                  random_state=0)
    theirs, ours = Theirs(activation="relu", **params), Ours(dtype="float64", **params)
    extra = dict(classes=[0, 1, 2, 3]) if estimator == "classifier" else {}
    for part in np.array_split(np.arange(250), 3):
        theirs.partial_fit(X[part], y[part], sample_weight=weights[part], **extra)
        ours.partial_fit(X[part], y[part], sample_weight=weights[part], **extra)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)


def test_weights_of_one_give_the_same_bits_as_none_and_a_number_weighs_all(problem):
    X, ys, _ = problem
    params = dict(hidden_layer_sizes=(12,), batch_size=20, max_iter=3, random_state=0, dtype="float32")
    plain = MLPClassifier(**params).fit(X, ys["classifier"])
    ones = MLPClassifier(**params).fit(X, ys["classifier"], sample_weight=np.ones(250))
    scalar = MLPClassifier(**params).fit(X, ys["classifier"], sample_weight=1)
    for a, b, c in zip(plain.coefs_, ones.coefs_, scalar.coefs_):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert plain.loss_curve_ == ones.loss_curve_ == scalar.loss_curve_


@pytest.mark.parametrize("weights, words", [
    (-np.ones(250), "Negative values in data passed to `sample_weight`"),
    (np.zeros(250), "Sample weights must contain at least one non-zero number"),
    (np.ones(249), r"sample_weight.shape == \(249,\), expected \(250,\)!"),
    (np.ones((250, 1)), "Sample weights must be 1D array or scalar"),
    (np.full(250, np.nan), "sample_weight"),
])
def test_bad_sample_weights_are_clear_errors(problem, weights, words):
    X, ys, _ = problem
    for estimator in ESTIMATORS:
        with pytest.raises(ValueError, match=words):
            ESTIMATORS[estimator][1](max_iter=1).fit(X, ys[estimator], sample_weight=weights)
    rows = np.arange(100)
    only_unused = np.r_[np.zeros(100), np.ones(150)]
    with pytest.raises(ValueError, match="at least one non-zero number"):
        MLPClassifier(max_iter=1).fit(X, ys["classifier"], sample_weight=only_unused, rows=rows)
