"""MLPClassifier: a scikit-learn estimator on the kernels, with scikit-learn's defaults; the seed's training on request."""
import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

import reference as ref
from helpers import seed_classifier
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
    model = seed_classifier(max_iter=20).fit(X, y)
    W1, b1, W2, b2 = expected
    for actual, e in zip((model.weights_[0], model.biases_[0], model.weights_[1], model.biases_[1]), (W1, b1.ravel(), W2, b2.ravel())):
        np.testing.assert_allclose(actual, e, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_size=32), dict(hidden_layer_sizes=(16, 12)),
                                    dict(hidden_layer_sizes=(16, 12), batch_size=50, dtype="float32")])
def test_learns_separable_classes(rng, kwargs):
    X, y = digits_like(rng)
    model = seed_classifier(random_state=0, learning_rate_init=0.5, max_iter=200, **kwargs).fit(X, y)
    assert model.score(X, y) > 0.95
    assert model.n_iter_ == 200 and len(model.loss_curve_) == 200
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_mini_batch_matches_the_reference_on_one_batch(rng):
    X, y = digits_like(rng, m=64)
    full = seed_classifier(random_state=3, max_iter=5, hidden_layer_sizes=(7, 5)).fit(X, y)
    one_batch = seed_classifier(random_state=3, max_iter=5, hidden_layer_sizes=(7, 5), batch_size=64).fit(X, y)
    for a, b in zip(full.weights_ + full.biases_, one_batch.weights_ + one_batch.biases_):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_any_labels_and_probabilities(rng):
    X, y = digits_like(rng, classes=3)
    labels = np.array(["cat", "dog", "eel"])[y]
    model = seed_classifier(random_state=0, learning_rate_init=0.5, max_iter=100).fit(X, labels)
    assert list(model.classes_) == ["cat", "dog", "eel"]
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])


def test_float32_trains_and_predicts_in_float32(rng):
    X, y = digits_like(rng)
    model = seed_classifier(dtype="float32", random_state=0).fit(X, y)
    assert model.weights_[0].dtype == np.float32
    assert model.predict_proba(X).dtype == np.float32


@pytest.mark.parametrize("given, dtype, expected", [
    (None, np.float32, np.float32), (None, np.float64, np.float64), (None, np.uint8, np.float64),
    (None, np.int64, np.float64), ("float64", np.float32, np.float64), ("float32", np.float64, np.float32),
])
def test_without_a_dtype_the_model_keeps_float32_x_as_scikit_learn_does(rng, given, dtype, expected):
    X, y = digits_like(rng, m=200)
    X = np.clip(X * 100, 0, 255).astype(dtype)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, dtype=given, random_state=0,
                          input_scale=0.01 if dtype == np.uint8 else None).fit(X, y)
    assert {a.dtype for a in model.coefs_ + model.intercepts_} == {np.dtype(expected)}
    assert model.predict_proba(X).dtype == expected and model.predict_proba(X.astype(np.float64)).dtype == expected
    model.partial_fit(X, y)  # goes on in the weights' dtype
    assert model.coefs_[0].dtype == expected


def test_weights_that_stop_being_finite_are_scikit_learns_value_error(rng):
    X, y = digits_like(rng, m=100)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights. The input data may contain "
                                         "large values and need to be preprocessed: training diverged at iteration"):
        seed_classifier(max_iter=3, random_state=0).fit(X * 1e300, y)


def test_fit_scores_a_validation_set_after_every_iteration(rng):
    from sklearn.metrics import log_loss

    X = rng.random((300, 20))
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    model = seed_classifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0, init="glorot")
    model.fit(X[:200], y[:200], validation=(X[200:], y[200:]))
    assert len(model.validation_loss_curve_) == len(model.validation_scores_) == model.n_iter_ == 15
    assert model.validation_scores_[-1] == model.score(X[200:], y[200:])
    assert model.validation_loss_curve_[-1] == pytest.approx(log_loss(y[200:], model.predict_proba(X[200:])), rel=1e-12)
    with pytest.raises(ValueError, match="validation labels \\[7\\] are not among the training labels"):
        model.fit(X[:200], y[:200], validation=(X[200:210], np.full(10, 7)))
    with pytest.raises(TypeError, match="validation must be a pair"):
        model.fit(X[:200], y[:200], validation=X[200:])


def pixels_and_labels(rng, m=400, d=784, classes=10):
    """Digit-like uint8 images: class-dependent strokes on a blank background."""
    y = rng.integers(0, classes, m)
    centers = rng.random((classes, d)) < 0.2
    noise = rng.random((m, d)) < 0.05
    P = ((centers[y] ^ noise) * rng.integers(100, 256, (m, d))).astype(np.uint8)
    return P, y


@pytest.mark.parametrize("kwargs", [dict(max_iter=15), dict(batch_size=64, max_iter=3),
                                    dict(hidden_layer_sizes=(32, 16), batch_size=50, solver="adam", learning_rate_init=1e-3,
                                         max_iter=3, alpha=1e-4),
                                    dict(max_iter=15, dtype="float32"), dict(batch_size=64, max_iter=3, dtype="float32"),
                                    dict(batch_size=64, max_iter=5, early_stopping=True, n_iter_no_change=2)])
def test_uint8_pixels_with_input_scale_train_the_model_of_floats_over_255(rng, kwargs):
    P, y = pixels_and_labels(rng)
    pixels = seed_classifier(random_state=0, input_scale=1 / 255, **kwargs).fit(P, y)
    floats = seed_classifier(random_state=0, **kwargs).fit(P / 255.0, y)
    tolerance = 1e-5 if kwargs.get("dtype") == "float32" else 1e-12
    assert pixels.n_iter_ == floats.n_iter_
    for a, b in zip(pixels.coefs_ + pixels.intercepts_, floats.coefs_ + floats.intercepts_):
        assert a.dtype == b.dtype == np.dtype(kwargs.get("dtype", "float64"))
        np.testing.assert_allclose(a, b, rtol=0, atol=tolerance * max(1, np.abs(b).max()))
    np.testing.assert_allclose(pixels.loss_curve_, floats.loss_curve_, rtol=tolerance)
    np.testing.assert_allclose(pixels.predict_proba(P), floats.predict_proba(P / 255.0), rtol=0, atol=tolerance)
    # input_scale applies to float inputs too, and predictions take pixels or their floats alike
    np.testing.assert_allclose(pixels.predict_proba(P.astype(np.float32)), floats.predict_proba(P / 255.0), atol=tolerance)


def test_uint8_pixels_are_not_copied_to_floats(rng):
    """fit and predict read uint8 X in place: NumPy never allocates anything near a float copy of it."""
    import tracemalloc

    P, y = pixels_and_labels(rng, m=3000)
    float_copy = P.size * 8
    for kwargs in (dict(max_iter=2), dict(batch_size=100, max_iter=1)):
        model = seed_classifier(random_state=0, input_scale=1 / 255, **kwargs)
        model.fit(P[:50], y[:50]).predict(P[:50])  # compile outside the measurement
        tracemalloc.start()
        model.fit(P, y).predict(P)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < float_copy / 4, (kwargs, peak, float_copy)


@pytest.mark.parametrize("bad", [0, -1 / 255, float("nan"), float("inf"), "1/255", True])
def test_a_bad_input_scale_is_named(bad):
    with pytest.raises((ValueError, TypeError), match="input_scale"):
        seed_classifier(input_scale=bad).fit(np.zeros((4, 3), np.uint8), [0, 1, 0, 1])


@pytest.mark.parametrize("kwargs", [dict(max_iter=10), dict(batch_size=32, max_iter=3),
                                    dict(batch_size=32, max_iter=6, early_stopping=True, n_iter_no_change=2, solver="adam",
                                         learning_rate_init=1e-3)])
def test_fit_on_rows_equals_fit_on_their_copy(rng, kwargs):
    P, y = pixels_and_labels(rng, m=300)
    rows = rng.permutation(300)[:220]
    y = y.copy()
    y[np.setdiff1d(np.arange(300), rows)] = 99  # a label never trained on: rows left out are not read
    copied = seed_classifier(random_state=0, input_scale=1 / 255, **kwargs).fit(P[rows], y[rows])
    in_place = seed_classifier(random_state=0, input_scale=1 / 255, **kwargs).fit(P, y, rows=rows)
    np.testing.assert_array_equal(in_place.classes_, copied.classes_)
    assert in_place.n_iter_ == copied.n_iter_ and in_place.t_ == copied.t_
    assert in_place.loss_curve_ == copied.loss_curve_
    for a, b in zip(in_place.coefs_ + in_place.intercepts_, copied.coefs_ + copied.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("rows,error", [([0, 0, 1], "more than once"), ([-1, 2], "between 0 and 9"), ([10], "between 0 and 9"),
                                        ([], "empty"), ([[1, 2]], "1-D"), ([0.5, 1.0], "integer")])
def test_bad_rows_are_named(rows, error):
    with pytest.raises((ValueError, TypeError), match=error):
        seed_classifier().fit(np.zeros((10, 3)), np.arange(10) % 2, rows=rows)


def test_coefs_items_assigned_one_by_one_are_the_weights_trained_from(rng):
    """coefs_ and intercepts_ are lists held as scikit-learn holds them: items assigned one by one (as scikit-learn's
    own test_fit does) are the start of a partial_fit, as the whole lists assigned are; weights_ reads them in the
    seed's layout."""
    X, y = rng.random((40, 6)), np.arange(40) % 3
    coefs = [rng.uniform(-0.5, 0.5, (6, 4)), rng.uniform(-0.5, 0.5, (4, 3))]
    intercepts = [rng.uniform(-0.5, 0.5, 4), rng.uniform(-0.5, 0.5, 3)]
    by_item, whole = (MLPClassifier(hidden_layer_sizes=(4,), solver="sgd", batch_size=10, shuffle=False, dtype="float64")
                      for _ in range(2))
    by_item.coefs_, by_item.intercepts_ = [0] * 2, [0] * 2
    for i in range(2):
        by_item.coefs_[i], by_item.intercepts_[i] = coefs[i], intercepts[i]
    np.testing.assert_array_equal(by_item.weights_[0], coefs[0].T)
    assert by_item.weights_[0].flags.c_contiguous
    whole.coefs_, whole.intercepts_ = [c.copy() for c in coefs], [b.copy() for b in intercepts]
    for model in (by_item, whole):
        model.partial_fit(X, y, classes=[0, 1, 2])
    for a, b in zip(by_item.coefs_ + by_item.intercepts_, whole.coefs_ + whole.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(by_item.coefs_[0], coefs[0])  # trained from there
