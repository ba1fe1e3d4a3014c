"""MLPClassifier against scikit-learn's own, started from the same weights: the same losses and weights.

Both estimators get `warm_start=True` and the same assigned `coefs_` and `intercepts_`, no
shuffling and the same batches, and train several epochs in float64. Four classes, so that
scikit-learn's output is a softmax as ours is (it gives two classes one logistic unit). Our sums
run in other orders than NumPy's (register tiles, lanes), so the two differ by rounding; after
5 epochs that stays far below the 1e-9 relative held here.
"""
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

import helpers
from helpers import seed_classifier
from scratchnet_fast import MLPClassifier

EPOCHS = 5
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    X = rng.random((250, 30))
    y = (X[:, :4].argmax(axis=1) + (X[:, 4] > 0.9)) % 4  # learnable, four classes
    return X, y


CASES = {
    "sgd": dict(solver="sgd", momentum=0.0),
    "sgd-momentum": dict(solver="sgd", momentum=0.9, nesterovs_momentum=False),
    "sgd-nesterov": dict(solver="sgd", momentum=0.9, nesterovs_momentum=True),
    "sgd-alpha": dict(solver="sgd", momentum=0.0, alpha=0.01),
    "sgd-nesterov-alpha": dict(solver="sgd", momentum=0.8, nesterovs_momentum=True, alpha=0.01),
    "adam": dict(solver="adam", beta_1=0.8, beta_2=0.99, epsilon=1e-7),
    "adam-alpha": dict(solver="adam", alpha=0.01),
}


def train_both(X, y, hidden, batch_size, rate, params):
    return helpers.train_both(SklearnMLP, MLPClassifier, X, y, 4, hidden, batch_size, rate, params, EPOCHS)


@pytest.mark.parametrize("hidden", [(16,), (16, 8)], ids=["1 hidden layer", "2 hidden layers"])
@pytest.mark.parametrize("case", list(CASES))
def test_losses_and_weights_match_scikit_learn(problem, case, hidden):
    X, y = problem
    ours, theirs = train_both(X, y, hidden, 32, 0.05, CASES[case])
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())
    assert ours.n_layers_ == theirs.n_layers_ and ours.n_outputs_ == theirs.n_outputs_
    assert ours.out_activation_ == theirs.out_activation_ == "softmax"
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("case", ["sgd-nesterov-alpha", "adam"])
def test_full_batch_matches_scikit_learn_too(problem, case):
    """A batch of every image: one update per epoch, made after the gradient is summed over blocks."""
    X, y = problem
    ours, theirs = train_both(X, y, (16,), len(X), 0.05, CASES[case])
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())


def test_coefs_are_scikit_learns_layout_and_warm_start_continues(problem):
    X, y = problem
    model = MLPClassifier(hidden_layer_sizes=(16,), batch_size=32, max_iter=2, solver="adam",
                          learning_rate_init=0.01, init="glorot", random_state=0).fit(X, y)
    assert [c.shape for c in model.coefs_] == [(30, 16), (16, 4)]
    assert [b.shape for b in model.intercepts_] == [(16,), (4,)]
    assert model.t_ == 2 * len(X) and model.loss_ == model.loss_curve_[-1] and model.best_loss_ == min(model.loss_curve_)
    before = [c.copy() for c in model.coefs_]
    model.set_params(warm_start=True, max_iter=1).fit(X, y)
    assert not np.array_equal(before[0], model.coefs_[0])
    assert model.n_iter_ == 1 and model.t_ == 3 * len(X) and len(model.loss_curve_) == 3
    assert model.loss_curve_[-1] < min(MLPClassifier(**{**model.get_params(), "warm_start": False})
                                       .fit(X, y).loss_curve_)  # it went on from where it was
    with pytest.raises(ValueError, match="warm_start: the weights to start from have shapes"):
        model.set_params(hidden_layer_sizes=(9,)).fit(X, y)


@pytest.mark.parametrize("params, words", [
    (dict(solver="newton"), "unknown solver 'newton': use one of 'adam', 'sgd', 'lbfgs'"),
    (dict(solver="lbfgs", max_fun=0), "max_fun must be >= 1"),
    (dict(momentum=1.5), "momentum must be in"),
    (dict(beta_1=1.0), "beta_1 must be in"),
    (dict(alpha=-1.0), "alpha must be a finite number >= 0"),
    (dict(epsilon=0.0), "epsilon must be positive"),
    (dict(learning_rate="optimal"), "unknown learning_rate 'optimal'"),
    (dict(tol=-1.0), "tol must be a finite number >= 0"),
    (dict(power_t=float("nan")), "power_t must be a finite number >= 0"),
    (dict(n_iter_no_change=0), "n_iter_no_change must be >= 1"),
    (dict(early_stopping=True, validation_fraction=1.5), "validation_fraction must be between 0 and 1"),
])
def test_bad_solver_parameters_are_clear_errors(problem, params, words):
    X, y = problem
    with pytest.raises(ValueError, match=words):
        MLPClassifier(max_iter=1, **params).fit(X, y)


def train_both_from_random_state(X, y, **params):
    """Both from random_state=0: Glorot weights drawn alike, then scikit-learn's early-stopping split from the same
    generator."""
    common = dict(hidden_layer_sizes=(16,), batch_size=32, shuffle=False, random_state=0, alpha=0.0)
    common.update(params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnMLP(activation="relu", **{"n_iter_no_change": 10, **common}).fit(X, y)
        ours = MLPClassifier(init="glorot", dtype="float64", **common).fit(X, y)
    return ours, theirs


@pytest.mark.parametrize("params", [
    dict(solver="adam", learning_rate_init=0.01, early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
         tol=0.01, max_iter=200),
    dict(solver="sgd", momentum=0.9, learning_rate_init=0.05, early_stopping=True, validation_fraction=0.3,
         n_iter_no_change=2, tol=0.0, max_iter=200),
], ids=["adam", "sgd-nesterov"])
def test_early_stopping_stops_at_the_same_epoch_with_the_same_weights(problem, params):
    X, y = problem
    ours, theirs = train_both_from_random_state(X, y, **params)
    assert 5 < ours.n_iter_ == theirs.n_iter_ < params["max_iter"]
    assert ours.validation_scores_ == theirs.validation_scores_
    assert ours.best_validation_score_ == theirs.best_validation_score_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):  # the best epoch's
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())


@pytest.mark.parametrize("params", [
    dict(learning_rate="invscaling", power_t=0.3, learning_rate_init=0.2, max_iter=8),
    dict(learning_rate="adaptive", learning_rate_init=0.3, momentum=0.5, n_iter_no_change=1, tol=0.02, max_iter=25),
    dict(learning_rate="constant", learning_rate_init=0.1, n_iter_no_change=2, tol=0.01, max_iter=100),
], ids=["invscaling", "adaptive", "no-improvement stop"])
def test_schedules_and_the_training_loss_stop_match_scikit_learn(problem, params):
    X, y = problem
    ours, theirs = train_both_from_random_state(X, y, solver="sgd", **{"momentum": 0.0, **params})
    assert ours.n_iter_ == theirs.n_iter_
    if params["learning_rate"] == "constant":
        assert ours.n_iter_ < params["max_iter"]  # the stop was reached, not max_iter
    else:
        assert theirs._optimizer.learning_rate < params["learning_rate_init"] / 4  # the schedule did change it
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())


@pytest.mark.parametrize("params", [
    dict(learning_rate="invscaling", power_t=0.3, learning_rate_init=0.2, n_iter_no_change=10),
    dict(learning_rate="adaptive", learning_rate_init=0.3, momentum=0.5, n_iter_no_change=1, tol=0.02),
], ids=["invscaling", "adaptive"])
def test_a_warm_fit_goes_on_counting_as_scikit_learns(problem, params):
    """A second fit with warm_start continues t_ (the invscaling rate), the loss curve, the best loss and the
    no-improvement count; the optimizer and its rate start again, and n_iter_ counts this fit's epochs."""
    X, y = problem
    ours, theirs = train_both_from_random_state(X, y, solver="sgd", warm_start=True, max_iter=4,
                                                **{"momentum": 0.0, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
        ours.fit(X, y)
    assert ours.t_ == theirs.t_ == 8 * len(X) and ours.n_iter_ == theirs.n_iter_ == 4
    assert len(ours.loss_curve_) == 8
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())


def test_a_warm_fit_onto_other_labels_is_refused_as_scikit_learn_does(problem):
    X, y = problem
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=1, warm_start=True, n_iter_no_change=np.inf).fit(X, y)
    with pytest.raises(ValueError, match=r"warm_start can only be used where `y` has the same classes as in the "
                                         r"previous call to fit. Previously got \[0 1 2 3\], `y` has \[0 1 2 4\]"):
        model.fit(X, np.where(y == 3, 4, y))  # as many labels as before, one of them another
    model.set_params(warm_start=False).fit(X, np.where(y == 3, 4, y))  # a cold fit may change them
    assert model.classes_.tolist() == [0, 1, 2, 4]


def test_n_iter_no_change_inf_never_stops_as_scikit_learns(problem):
    X, y = problem
    params = dict(solver="sgd", tol=1e9, max_iter=12, n_iter_no_change=np.inf)  # no epoch improves by 1e9
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(12\\) reached"):
        ours, theirs = train_both_from_random_state(X, y, **params)  # inside: ConvergenceWarning ignored for theirs
        MLPClassifier(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 12
    with pytest.raises(TypeError, match="n_iter_no_change must be an integer"):
        MLPClassifier(n_iter_no_change=2.5).fit(X, y)


@pytest.mark.parametrize("alpha", [0.0, 1e-3])
@pytest.mark.parametrize("hidden", [(16,), (16, 8)], ids=["1 hidden layer", "2 hidden layers"])
def test_lbfgs_follows_scikit_learns_to_the_same_weights(problem, hidden, alpha):
    """scipy's L-BFGS-B on our full-batch loss and gradient: the same iterations, loss and weights as scikit-learn's."""
    X, y = problem
    params = dict(hidden_layer_sizes=hidden, solver="lbfgs", max_iter=30, random_state=0, alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SklearnMLP(activation="relu", **params).fit(X, y)
        ours = MLPClassifier(dtype="float64", **params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ == 30 and ours.t_ == theirs.t_ == 0
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())


def test_lbfgs_stops_at_max_fun_and_max_iter_with_scikit_learns_warning(problem):
    X, y = problem
    for limit, words in ((dict(max_fun=8), "lbfgs failed to converge after"), (dict(max_iter=5), r"max_iter=5\)")):
        params = dict(hidden_layer_sizes=(16,), solver="lbfgs", random_state=0, **{"max_iter": 200, **limit})
        with pytest.warns(ConvergenceWarning, match=words):
            ours = MLPClassifier(**params).fit(X, y)
        with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):  # its words vary by version
            theirs = SklearnMLP(activation="relu", **params).fit(X, y)
        assert ours.n_iter_ == theirs.n_iter_ <= limit.get("max_iter", 8)


def test_lbfgs_has_no_partial_fit_and_trains_on_pixels_as_on_their_floats(problem):
    X, y = problem
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit") and hasattr(MLPClassifier(), "partial_fit")
    pixels = np.round(X * 255).astype(np.uint8)
    params = dict(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=20, random_state=0, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        from_pixels = MLPClassifier(input_scale=1 / 255, **params).fit(pixels, y)
        from_floats = MLPClassifier(**params).fit(pixels / 255.0, y)
    for a, b in zip(from_pixels.coefs_, from_floats.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * np.abs(b).max())
    with pytest.raises(ValueError, match="solver='lbfgs' has none"):
        MLPClassifier(**params).fit(X, y, validation=(X, y))


def test_the_defaults_are_scikit_learns_and_train_as_it_does(problem):
    X, y = problem
    ours, theirs = MLPClassifier(), SklearnMLP()
    assert {k: v for k, v in ours.get_params().items() if k in theirs.get_params()} == \
        {k: v for k, v in theirs.get_params().items() if k in ours.get_params()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.set_params(random_state=0, max_iter=30).fit(X, y)
        theirs.set_params(random_state=0, max_iter=30).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_prints_scikit_learns_lines(problem, capsys, early_stopping):
    X, y = problem
    printed = []
    for model in (MLPClassifier, SklearnMLP):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model(verbose=True, random_state=0, max_iter=60, n_iter_no_change=3, early_stopping=early_stopping,
                  learning_rate_init=0.05, tol=0.01).fit(X, y)
        printed.append(capsys.readouterr().out.splitlines())
    ours, theirs = printed
    assert len(ours) == len(theirs) > 3 and ours[-1] == theirs[-1] and ours[-1].endswith("Stopping.")
    for a, b in zip(ours[:-1], theirs[:-1]):  # "Iteration 3, loss = 1.42472439", "Validation score: 0.420000"
        assert a.split("=")[0].split(":")[0] == b.split("=")[0].split(":")[0]
        assert float(a.split()[-1]) == pytest.approx(float(b.split()[-1]), rel=1e-6, abs=1e-7)


def test_a_convergence_warning_where_scikit_learn_gives_one(problem):
    X, y = problem
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(3\\) reached"):
        MLPClassifier(max_iter=3, n_iter_no_change=10).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        seed_classifier(max_iter=3).fit(X, y)  # the seed's training does not check for convergence


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_goes_on_like_scikit_learns(problem, solver):
    """Three calls on three parts of the data: one epoch each, the solver's state kept between them."""
    X, y = problem
    params = dict(hidden_layer_sizes=(16,), solver=solver, batch_size=25, learning_rate_init=0.05, momentum=0.9,
                  shuffle=False, random_state=0, alpha=0.001)
    theirs = SklearnMLP(activation="relu", **params)
    ours = MLPClassifier(init="glorot", dtype="float64", **params)
    for part in np.array_split(np.arange(len(y)), 3):
        theirs.partial_fit(X[part], y[part], classes=[0, 1, 2, 3])
        ours.partial_fit(X[part], y[part], classes=[0, 1, 2, 3])
    assert ours.n_iter_ == theirs.n_iter_ == 1 and ours.t_ == theirs.t_ == len(y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE * np.abs(b).max())


def test_partial_fit_needs_the_classes_first_and_keeps_them(problem):
    X, y = problem
    model = MLPClassifier(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    model.partial_fit(X[:10], y[:10], classes=[0, 1, 2, 3, 4])
    assert model.classes_.tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="differ from those of the first call"):
        model.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        model.partial_fit(X[:3], [0, 9, 1])
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2, 3])
