"""Bad parameters and data for MLPClassifier are clear errors; Ctrl-C keeps the last completed iteration."""
import numpy as np
import pytest

from helpers import seed_classifier


@pytest.fixture
def xy(rng):
    return rng.random((784, 50)), np.arange(50) % 10


@pytest.mark.parametrize("params, words", [
    (dict(learning_rate_init=0), "learning_rate_init must be positive and finite"),
    (dict(max_iter=-1), "max_iter must be >= 1, got -1"),
    (dict(max_iter=0), "max_iter must be >= 1, got 0"),
    (dict(dtype="float16"), "unknown dtype 'float16'"),
    (dict(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes entries must be >= 1, got 0"),
    (dict(batch_size=0), "batch_size must be >= 1, got 0"),
])
def test_estimator_rejects_bad_parameters(xy, params, words):
    X, Y = xy
    with pytest.raises(ValueError, match=words):
        seed_classifier(**params).fit(X.T, Y)


def test_estimator_rejects_nan_and_wrong_feature_counts(xy):
    X, Y = xy
    model = seed_classifier(max_iter=2).fit(X.T, Y)
    with pytest.raises(ValueError, match="X has 783 features, but MLPClassifier is expecting 784"):
        model.predict(X.T[:, 1:])
    bad = X.T.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        seed_classifier().fit(bad, Y)


def test_keyboard_interrupt_keeps_the_last_completed_iteration(xy):
    X, Y = xy

    def stop_at_five(i, loss, accuracy):
        if i == 4:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 5 iterations"):
        model = seed_classifier(random_state=0, max_iter=100).fit(X.T, Y, callback=stop_at_five)
    expected = seed_classifier(random_state=0, max_iter=5).fit(X.T, Y)
    assert model.interrupted_ and model.n_iter_ == 5
    for a, b in zip(model.weights_ + model.biases_, expected.weights_ + expected.biases_):
        np.testing.assert_array_equal(a, b)
