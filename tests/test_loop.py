"""The training loop: a run that diverges stops naming the iteration and keeps the last finite parameters; one that fails quietly says so."""
import numpy as np
import pytest

import scratchnet_fast as sf
from helpers import seed_classifier
from scratchnet_fast._train.full_batch import FullBatch
from scratchnet_fast._train.loop import descend


@pytest.fixture
def xy(rng):
    return rng.random((784, 50)), np.arange(50) % 10


def test_divergence_stops_gradient_descent_naming_the_iteration(xy):
    X, Y = xy
    with pytest.raises(FloatingPointError, match=r"diverged at iteration 0: .*try a smaller learning rate than 1e\+300"):
        sf.gradient_descent(X * 1e10, Y, 1e300, 50, verbose=False)


def test_inputs_that_overflow_are_named_beside_the_rate(xy):
    X, Y = xy
    with pytest.raises(FloatingPointError, match=r"learning rate than 0.1, and check that the features are on a common "
                                                 r"scale .*: X holds values up to 1e\+300"):
        seed_classifier(max_iter=3, random_state=0).fit(X.T * 1e300, Y)  # at a sound rate, 0.1: X is the cause


def test_divergence_leaves_the_last_finite_parameters(xy):
    X, Y = xy
    W1, b1, W2, b2 = sf.init_params()
    net = FullBatch(np.ascontiguousarray(X.T * 1e10), Y, [(W1, b1.ravel()), (W2, b2.ravel())])
    with pytest.raises(FloatingPointError, match="diverged at iteration 0"):
        descend(net, 1e300, 50)
    np.testing.assert_array_equal(net.params[0], W1)
    np.testing.assert_array_equal(net.params[3], b2.ravel())


@pytest.mark.parametrize("batch_size", [None, 10])
def test_divergence_stops_the_estimator(xy, batch_size):
    X, Y = xy
    model = seed_classifier(learning_rate_init=1e300, batch_size=batch_size, random_state=0)
    with pytest.raises(FloatingPointError, match="diverged at iteration 0"):
        model.fit(X.T * 1e10, Y)
    assert not hasattr(model, "weights_")


def test_training_that_fails_quietly_says_so(rng):
    """A runaway loss and an accuracy stuck at chance each get one warning; the stable softmax keeps the loss finite."""
    X = rng.random((300, 20))
    y = np.repeat([0, 1, 2], 100)
    with pytest.warns(RuntimeWarning) as caught:
        seed_classifier(max_iter=25, learning_rate_init=1e3, random_state=0).fit(X, y)
    messages = [str(w.message) for w in caught]
    assert sum("the training loss grew from" in m for m in messages) == 1
    assert sum("no better than always guessing the most common label (0.333)" in m for m in messages) == 1
    assert all(w.filename == __file__ for w in caught)  # each points at the line that called fit: this file's
    assert not any("pixels are scaled" in m for m in messages)  # these features are not pixels


def test_unscaled_pixels_get_the_pixel_advice(rng):
    P = rng.integers(0, 256, (300, 20), dtype=np.uint8)
    with pytest.warns(RuntimeWarning, match="check that the pixels are scaled to \\[0, 1\\]") as caught:
        seed_classifier(max_iter=25, learning_rate_init=1e3, random_state=0).fit(P, np.repeat([0, 1, 2], 100))
    assert all(w.filename == __file__ for w in caught)


def test_sound_training_gives_no_such_warning(rng):
    import warnings

    X = rng.random((300, 20))
    y = (X[:, 0] * 3).astype(int)  # three classes: a softmax, as the seed's (two train one logistic output, slower)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        seed_classifier(max_iter=40, random_state=0).fit(X, y)
