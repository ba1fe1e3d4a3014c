"""MLPRegressor(loss="poisson"), as scikit-learn's (since 1.7): an exponential output trained on half the Poisson
deviance (`losses.poisson_rows`), held to NumPy at kernel level and to scikit-learn's regressor end to end."""
import warnings

import numba
import numpy as np
import pytest
import scipy.special
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor as SklearnMLP

import helpers
from helpers import assert_close
from scratchnet_fast import MLPRegressor
from scratchnet_fast._kernels import dense, losses
from scratchnet_fast._train.mini_batch import padded

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EPOCHS = 5
TOLERANCE = 1e-9
POISSON_SKLEARN = pytest.mark.skipif(helpers.SKLEARN_BEFORE_1_7, reason="scikit-learn's MLP has loss='poisson' since 1.7")


@pytest.fixture(scope="module")
def problem():
    """X (240, 12), and counts y (240, 2) drawn from exp of a smooth function of X (zeros among them)."""
    rng = np.random.default_rng(11)
    X = rng.random((240, 12))
    rates = np.exp(np.c_[X[:, 0] + X[:, 1] - 0.5, 2 * X[:, 2] * X[:, 3]])
    return X, rng.poisson(rates).astype(float)


@numba.njit
def _head_rows(Z, c, Y, rows, inv_m, dZ, loss, correct):
    losses.head_rows(Z, c, Y, rows, inv_m, dZ, loss, correct)


@pytest.mark.parametrize("m,c", [(1, 1), (9, 3), (300, 17)])
def test_poisson_deviance_of_rows_matches_reference_and_is_the_head_of_counts(rng, dtype, m, c):
    """Half the Poisson deviance summed over the outputs, Σ_o y log(y / e^z) - y + e^z (0 log 0 = 0), its delta
    inv_m · (e^z - y), zero padding; `head_rows` takes it for targets wrapped as `losses.Counts`, in jitted code as in
    Python."""
    P = padded(c, dtype)
    Z = rng.normal(size=(m, P)).astype(dtype)
    Y = rng.poisson(2.0, size=(2 * m, c)).astype(dtype)
    Y[0] = 0  # zero counts: 0 log 0 = 0
    rows = dense.Rows(rng.permutation(2 * m).astype(np.int64), m // 2, m)
    y = Y[rows.order[m // 2:m // 2 + m]].astype(float)
    z = Z[:, :c].astype(float)
    expected_loss = (scipy.special.xlogy(y, y) - y * z - y + np.exp(z)).sum(axis=1)
    expected_dZ = np.zeros((m, P))
    expected_dZ[:, :c] = (np.exp(z) - y) / m
    for head in (losses.poisson_rows, _head_rows, losses.head_rows):
        dZ, loss, correct = np.full_like(Z, np.nan), np.full(m, np.nan, dtype), np.full(m, 7, np.int64)
        head(Z, c, losses.Counts(Y), rows, dtype(1 / m), dZ, loss, correct)
        assert_close(loss, expected_loss, dtype)
        assert_close(dZ, expected_dZ, dtype)
        assert not correct.any()


@POISSON_SKLEARN
@pytest.mark.parametrize("outputs", [1, 2])
@pytest.mark.parametrize("hidden", [(10,), (10, 6)], ids=["1 hidden layer", "2 hidden layers"])
@pytest.mark.parametrize("params", [dict(solver="sgd", momentum=0.0), dict(solver="adam", alpha=0.01)],
                         ids=["sgd", "adam-alpha"])
@pytest.mark.parametrize("batch_size", [32, 240], ids=["mini-batch", "full batch"])
def test_poisson_losses_weights_and_predictions_match_scikit_learn(problem, params, hidden, outputs, batch_size):
    X, Y = problem
    y = Y[:, 0] if outputs == 1 else Y
    ours, theirs = helpers.train_both(SklearnMLP, MLPRegressor, X, y, outputs, hidden, batch_size, 0.01,
                                      dict(loss="poisson", **params), EPOCHS)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)
    assert (ours.predict(X) > 0).all()
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=1e-8)


@POISSON_SKLEARN
def test_poisson_lbfgs_early_stopping_and_weights_follow_scikit_learn(problem):
    X, Y = problem
    y = Y[:, 1]
    weights = np.random.default_rng(3).random(len(y)) + 0.5
    runs = [(dict(solver="lbfgs", max_iter=40, alpha=1e-3), {}),
            (dict(solver="lbfgs", max_iter=20), dict(sample_weight=weights)),
            (dict(solver="adam", early_stopping=True, max_iter=8, batch_size=40, learning_rate_init=0.01,
                  n_iter_no_change=100), {})]
    for params, fit_params in runs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            theirs = SklearnMLP(loss="poisson", hidden_layer_sizes=(8,), random_state=2, **params).fit(X, y, **fit_params)
            ours = MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), random_state=2, dtype="float64",
                                **params).fit(X, y, **fit_params)
        helpers.assert_same_weights(ours, theirs, 1e-8)
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
        if params.get("early_stopping"):
            np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-9)


def test_poisson_trains_in_float32_and_partial_fit_goes_on(problem):
    """float32 and partial_fit on the same head: the deviance falls, the predictions are positive rates near the
    counts' mean scale."""
    X, Y = problem
    y = Y[:, 0]
    model = MLPRegressor(loss="poisson", hidden_layer_sizes=(16,), max_iter=30, random_state=0, dtype="float32",
                         learning_rate_init=0.01).fit(X, y)
    assert model.coefs_[0].dtype == np.float32
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    predicted = model.predict(X.astype(np.float32))
    assert predicted.dtype == np.float32 and (predicted > 0).all()
    assert 0.5 * y.mean() < predicted.mean() < 2 * y.mean()
    partial = MLPRegressor(loss="poisson", hidden_layer_sizes=(16,), random_state=0, solver="sgd",
                           learning_rate_init=0.01)
    for _ in range(3):
        partial.partial_fit(X, y)
    assert partial.out_activation_ == "exp" and len(partial.loss_curve_) == 3


def test_negative_targets_are_refused(problem):
    X, Y = problem
    with pytest.raises(ValueError, match="poisson.*negative"):
        MLPRegressor(loss="poisson", max_iter=2).fit(X, Y[:, 0] - 1)
    with pytest.raises(ValueError, match="poisson.*negative"):
        MLPRegressor(loss="poisson", solver="sgd").partial_fit(X, Y[:, 0] - 1)
