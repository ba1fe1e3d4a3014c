"""Logistic outputs, as scikit-learn's MLPClassifier has them: one for two classes, one per label for a multilabel
indicator matrix; trained on the kernels' logistic head (`losses.logistic_cross_entropy_rows`) and held to scikit-learn."""
import pickle
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnClassifier

import helpers
from scratchnet_fast import MLPClassifier, model_file

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EPOCHS = 5
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def problem():
    """X (240, 20), two-class labels (strings, so that classes_ is not 0, 1) and a multilabel indicator matrix of 3."""
    rng = np.random.default_rng(5)
    X = rng.random((240, 20))
    binary = np.where(X[:, :3].sum(axis=1) + 0.3 * rng.random(240) > 1.6, "yes", "no")
    multilabel = np.c_[X[:, 0] > 0.5, X[:, 1] + X[:, 2] > 1.2, X[:, 3] * X[:, 4] > 0.2].astype(np.int64)
    return X, {"binary": binary, "multilabel": multilabel}


@pytest.mark.parametrize("batch_size", [40, 240], ids=["mini-batch", "full batch"])
@pytest.mark.parametrize("params", [dict(solver="sgd", momentum=0.0), dict(solver="sgd", momentum=0.9, alpha=0.01),
                                    dict(solver="adam", alpha=0.001)], ids=["sgd", "nesterov-alpha", "adam-alpha"])
@pytest.mark.parametrize("hidden", [(12,), (12, 6)], ids=["1 hidden layer", "2 hidden layers"])
@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_logistic_outputs_train_as_scikit_learns(problem, target, hidden, params, batch_size):
    """Same losses, weights, probabilities and predictions as scikit-learn's, epoch by epoch."""
    X, ys = problem
    y = ys[target]
    outputs = 1 if target == "binary" else y.shape[1]
    ours, theirs = helpers.train_both(SklearnClassifier, MLPClassifier, X, y, outputs, hidden, batch_size, 0.05, params,
                                      EPOCHS)
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    assert ours.n_outputs_ == theirs.n_outputs_ == outputs
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict(X).dtype == theirs.predict(X).dtype
    assert ours.score(X, y) == theirs.score(X, y)


@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_lbfgs_early_stopping_and_partial_fit_follow_scikit_learn(problem, target):
    """lbfgs (its binary log loss), early stopping (stratified for two classes only, as scikit-learn splits) and
    partial_fit reach scikit-learn's weights and scores from the same random_state."""
    X, ys = problem
    y = ys[target]
    runs = [dict(solver="lbfgs", max_iter=30, alpha=1e-3),
            dict(solver="adam", early_stopping=True, validation_fraction=0.2, max_iter=12, batch_size=30,
                 learning_rate_init=0.01, n_iter_no_change=100)]
    for params in runs:
        labels = y
        if target == "binary" and params.get("early_stopping") and helpers.SKLEARN_BEFORE_1_7:
            labels = np.where(y == "yes", 7, 3)  # its held-out score calls np.isnan on the predicted labels: not strings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            theirs = SklearnClassifier(hidden_layer_sizes=(9,), random_state=3, **params).fit(X, labels)
            ours = MLPClassifier(hidden_layer_sizes=(9,), random_state=3, dtype="float64", **params).fit(X, labels)
        helpers.assert_same_weights(ours, theirs, 1e-8)
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-9)
        if params.get("early_stopping"):
            np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    params = dict(hidden_layer_sizes=(9,), random_state=3, batch_size=50, solver="sgd", shuffle=False)
    theirs = SklearnClassifier(**params)
    ours = MLPClassifier(dtype="float64", **params)
    classes = np.unique(y) if target == "binary" else [0, 1, 2]
    for part in (slice(0, 120), slice(120, 240), slice(0, 240)):
        theirs.partial_fit(X[part], y[part], classes=classes)
        ours.partial_fit(X[part], y[part], classes=classes)
    helpers.assert_same_weights(ours, theirs)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=TOLERANCE)
    coefs, intercepts = helpers.glorot_start((20, 9, 1 if target == "binary" else 3), seed=4)
    runs = []
    for model in (MLPClassifier(dtype="float64", **params), MLPClassifier(dtype="float64", warm_start=True, max_iter=1,
                                                                         n_iter_no_change=None, **params)):
        model.coefs_, model.intercepts_ = [c.copy() for c in coefs], [b.copy() for b in intercepts]
        runs.append(model.partial_fit(X, y, classes=classes) if len(runs) == 0 else model.fit(X, y))
    helpers.assert_same_weights(*runs, 1e-12)  # a first partial_fit goes on from weights assigned, as scikit-learn's


@helpers.WEIGHTED_SKLEARN
@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_weighted_logistic_outputs_match_scikit_learn(problem, target):
    X, ys = problem
    weights = np.random.default_rng(2).random(len(X)) * 2
    ours, theirs = helpers.train_both(SklearnClassifier, MLPClassifier, X, ys[target],
                                      1 if target == "binary" else 3, (10,), 48, 0.05, dict(solver="sgd"), EPOCHS,
                                      sample_weight=weights)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-EPOCHS:], rtol=TOLERANCE)
    helpers.assert_same_weights(ours, theirs)


@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_logistic_outputs_train_on_pixels_as_on_their_floats_and_in_float32(problem, target):
    """uint8 pixels with input_scale train as their floats do; float32 follows float64 to float32's precision."""
    X, ys = problem
    y = ys[target]
    pixels = np.round(X * 255).astype(np.uint8)
    params = dict(hidden_layer_sizes=(10,), batch_size=32, max_iter=4, random_state=1, solver="sgd",
                  learning_rate_init=0.05)
    from_pixels = MLPClassifier(input_scale=1 / 255, dtype="float64", **params).fit(pixels, y)
    from_floats = MLPClassifier(dtype="float64", **params).fit(pixels / 255, y)
    helpers.assert_same_weights(from_pixels, from_floats, 1e-12)
    np.testing.assert_array_equal(from_pixels.predict(pixels), from_floats.predict(pixels / 255))
    single = MLPClassifier(dtype="float32", **params).fit(pixels / 255, y)
    assert single.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(single.predict_proba(pixels / 255), from_floats.predict_proba(pixels / 255), atol=1e-4)


def test_two_classes_keep_labels_shapes_and_files(problem, tmp_path):
    """Two classes: coefs_[-1] (h, 1), predict_proba (n, 2) summing to 1 with p of classes_[1], string labels back,
    a model file and a pickle that predict the same; a multilabel model is refused by model files with a TypeError."""
    X, ys = problem
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=40, learning_rate_init=0.01, random_state=0).fit(
        X, ys["binary"])
    assert model.coefs_[-1].shape == (8, 1)
    P = model.predict_proba(X)
    assert P.shape == (len(X), 2)
    np.testing.assert_allclose(P.sum(axis=1), 1)
    np.testing.assert_array_equal(model.predict(X), model.classes_[(P[:, 1] > 0.5).astype(int)])
    assert set(model.predict(X)) <= {"no", "yes"}
    path = model_file.save(model, tmp_path / "binary.npz")
    loaded, _ = model_file.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), P)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), model.predict(X))
    multilabel = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, ys["multilabel"])
    with pytest.raises(TypeError, match="multilabel"):
        model_file.save(multilabel, tmp_path / "multilabel.npz")
    assert not (tmp_path / "multilabel.npz").exists()


def test_targets_that_are_neither_labels_nor_indicators_are_refused_as_scikit_learn_refuses_them(problem):
    X, ys = problem
    y = ys["multilabel"]
    with pytest.raises(ValueError, match="Multioutput target data is not supported with label binarization"):
        MLPClassifier(max_iter=2).fit(X, y * 2 + (X[:, :3] > 0.3))  # four values: multiclass-multioutput
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, solver="sgd")
    with pytest.raises(ValueError, match="2 labels per sample, the model 3"):
        model.fit(X[:200], y[:200], validation=(X[200:], y[200:, :2]))
    model.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="2 labels per sample, the model 3"):
        model.partial_fit(X[100:], y[100:, :2])
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2).fit(X, ys["binary"])
    with pytest.raises(ValueError, match="not among the training labels"):
        model.fit(X[:200], ys["binary"][:200], validation=(X[200:], np.full(40, "maybe")))
