"""MLPRegressor against scikit-learn's own: the same losses, weights, stops and predictions from the same start.

As in test_sklearn_parity: both get the same assigned weights (or the same random_state), no shuffling, float64;
our sums run in other orders, so the two differ by rounding, far below the 1e-9 relative held here.
"""
import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPRegressor as SklearnMLP
from sklearn.utils.estimator_checks import check_estimator

import helpers
from scratchnet_fast import MLPRegressor, model_file

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EPOCHS = 5
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    X = rng.random((250, 30))
    Y = np.c_[np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2], X[:, 3] - 2 * X[:, 4] ** 2, X[:, 5:9].sum(axis=1)]
    return X, Y + 0.05 * rng.normal(size=Y.shape)


CASES = {
    "sgd": dict(solver="sgd", momentum=0.0),
    "sgd-momentum": dict(solver="sgd", momentum=0.9, nesterovs_momentum=False),
    "sgd-nesterov-alpha": dict(solver="sgd", momentum=0.8, nesterovs_momentum=True, alpha=0.01),
    "adam": dict(solver="adam", beta_1=0.8, beta_2=0.99, epsilon=1e-7),
    "adam-alpha": dict(solver="adam", alpha=0.01),
}


def train_both(X, y, hidden, batch_size, rate, params):
    return helpers.train_both(SklearnMLP, MLPRegressor, X, y, 1 if y.ndim == 1 else y.shape[1], hidden, batch_size, rate, params, EPOCHS)


@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("hidden", [(16,), (16, 8)], ids=["1 hidden layer", "2 hidden layers"])
@pytest.mark.parametrize("case", list(CASES))
def test_losses_weights_and_predictions_match_scikit_learn(problem, case, hidden, outputs):
    X, Y = problem
    y = Y[:, 0] if outputs == 1 else Y
    ours, theirs = train_both(X, y, hidden, 32, 0.02, CASES[case])
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)
    assert ours.n_layers_ == theirs.n_layers_ and ours.n_outputs_ == theirs.n_outputs_ == outputs
    assert ours.out_activation_ == theirs.out_activation_ == "identity"
    assert ours.predict(X).shape == theirs.predict(X).shape == y.shape
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8, atol=1e-10)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-8)
    assert not hasattr(ours, "accuracy_curve_") and not hasattr(ours, "classes_")


@pytest.mark.parametrize("case", ["sgd", "sgd-nesterov-alpha", "adam"])
def test_full_batch_matches_scikit_learn_too(problem, case):
    """A batch of every sample: on the mini-batch stages (the fused full-batch step has the softmax head only)."""
    X, Y = problem
    ours, theirs = train_both(X, Y, (16,), len(X), 0.05, CASES[case])
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)


@pytest.mark.parametrize("alpha", [0.0, 1e-3])
@pytest.mark.parametrize("hidden", [(16,), (16, 8)], ids=["1 hidden layer", "2 hidden layers"])
def test_lbfgs_follows_scikit_learns_to_the_same_weights(problem, hidden, alpha):
    X, Y = problem
    params = dict(hidden_layer_sizes=hidden, solver="lbfgs", max_iter=30, random_state=0, alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnMLP(activation="relu", **params).fit(X, Y)
        ours = MLPRegressor(dtype="float64", **params).fit(X, Y)
    assert ours.n_iter_ == theirs.n_iter_ == 30
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)
    assert not hasattr(ours, "partial_fit")


@pytest.mark.parametrize("params", [
    dict(solver="adam", learning_rate_init=0.01, early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
         tol=0.001, max_iter=300),
    dict(solver="sgd", momentum=0.9, learning_rate_init=0.02, n_iter_no_change=3, tol=1e-3, max_iter=300),
], ids=["early stopping on R²", "training loss stop"])
def test_stops_at_the_same_epoch_with_the_same_weights(problem, params):
    X, Y = problem
    common = dict(hidden_layer_sizes=(16,), batch_size=32, shuffle=False, random_state=0, alpha=0.0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnMLP(activation="relu", **common).fit(X, Y[:, 0])
        ours = MLPRegressor(dtype="float64", **common).fit(X, Y[:, 0])
    assert 5 < ours.n_iter_ == theirs.n_iter_ < params["max_iter"]
    if params.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-8)
        assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-8)
    else:
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=TOLERANCE)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_goes_on_like_scikit_learns(problem, solver):
    X, Y = problem
    params = dict(hidden_layer_sizes=(16,), solver=solver, batch_size=25, learning_rate_init=0.02, momentum=0.9,
                  shuffle=False, random_state=0, alpha=0.001)
    theirs = SklearnMLP(activation="relu", **params)
    ours = MLPRegressor(dtype="float64", **params)
    for part in np.array_split(np.arange(len(X)), 3):
        theirs.partial_fit(X[part], Y[part])
        ours.partial_fit(X[part], Y[part])
    assert ours.t_ == theirs.t_ == len(X)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)
    with pytest.raises(ValueError, match="y has 1 outputs, the calls before had 3"):
        ours.partial_fit(X, Y[:, 0])


def test_float32_trains_in_float32_close_to_float64(problem):
    X, Y = problem
    params = dict(hidden_layer_sizes=(16,), batch_size=32, max_iter=5, random_state=0, shuffle=False,
                  learning_rate_init=0.01)
    single = MLPRegressor(**params).fit(X.astype(np.float32), Y.astype(np.float32))
    double = MLPRegressor(**params).fit(X, Y)
    assert single.coefs_[0].dtype == np.float32 and single.predict(X.astype(np.float32)).dtype == np.float32
    assert double.coefs_[0].dtype == np.float64
    for a, b in zip(single.coefs_, double.coefs_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)


def test_pixels_with_input_scale_train_as_their_floats(rng):
    pixels = rng.integers(0, 256, (120, 49)).astype(np.uint8)
    pixels[pixels < 160] = 0  # zeros, as digits have
    y = pixels[:, :7].mean(axis=1) / 255
    params = dict(hidden_layer_sizes=(12,), batch_size=16, max_iter=3, random_state=0, dtype="float64")
    on_pixels = MLPRegressor(input_scale=1 / 255, **params).fit(pixels, y)
    on_floats = MLPRegressor(**params).fit(pixels / 255, y)
    for a, b in zip(on_pixels.coefs_, on_floats.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(on_pixels.predict(pixels), on_floats.predict(pixels / 255), rtol=1e-10, atol=1e-12)


def test_a_warm_fit_goes_on_counting_and_a_validation_set_scores_r2(problem):
    X, Y = problem
    model = MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, batch_size=50, random_state=0, warm_start=True,
                         n_iter_no_change=None)
    model.fit(X[:200], Y[:200], validation=(X[200:], Y[200:]))
    assert model.t_ == 400 and len(model.validation_scores_) == 2
    assert model.validation_scores_[-1] == pytest.approx(model.score(X[200:], Y[200:]), rel=1e-6)
    model.fit(X[:200], Y[:200])
    assert model.t_ == 800 and len(model.loss_curve_) == 4
    with pytest.raises(ValueError, match="warm_start: y has 1 outputs, the fit before had 3"):
        model.fit(X, Y[:, 0])


def test_clear_errors_and_scikit_learns_tools(problem):
    X, Y = problem
    with pytest.raises(ValueError, match="unknown loss 'huber'"):
        MLPRegressor(loss="huber").fit(X, Y)
    with pytest.raises(NotFittedError):
        MLPRegressor().predict(X)
    model = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y)
        with pytest.raises(ValueError, match="features"):
            model.predict(X[:, :5])
        scores = cross_val_score(MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0), X, Y[:, 0], cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), model.predict(X))
    with pytest.raises(TypeError, match="model files hold a fitted MLPClassifier, got MLPRegressor"):
        model_file.save(model, "never-written.npz")


def test_a_diverging_run_with_early_stopping_keeps_its_best_epoch_as_scikit_learns(problem):
    """scikit-learn's non-regression test for its issue 29504: no error, a NaN validation score last, the best weights."""
    X, Y = problem
    model = MLPRegressor(hidden_layer_sizes=(32,), activation="identity", solver="sgd", learning_rate_init=1.0,
                         early_stopping=True, max_iter=20, random_state=0)
    with pytest.warns(RuntimeWarning, match="training diverged at iteration .*keeping the weights of the best"):
        model.fit(X * 50, Y[:, 0])
    assert np.isnan(model.validation_scores_[-1]) and np.isfinite(model.best_validation_score_)
    assert all(np.isfinite(c).all() for c in model.coefs_) and np.isfinite(model.predict(X)).all()
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        model.set_params(early_stopping=False).fit(X * 50, Y[:, 0])


@pytest.mark.filterwarnings("ignore:the training loss grew from")
def test_passes_scikit_learns_check_estimator():
    results = check_estimator(MLPRegressor(), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed
    assert sum(r["status"] == "passed" for r in results) >= 45
