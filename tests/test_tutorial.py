"""The drop-in: the seed's functions from scratchnet_fast give the seed's results, in its layout."""
import numpy as np
import pytest

import reference as ref
import scratchnet_fast as sf
from helpers import DTYPES, assert_close


def seed_data(rng, m, d=784, dtype=np.float64, order="F"):
    """Images (d, m) in the seed's layout and dtype, Fortran-ordered like the seed's `X / 255.`."""
    X = np.asarray(rng.integers(0, 256, size=(d, m)) / 255.0, dtype=dtype, order=order)
    return X, rng.integers(0, 10, m)


def seed_params(dtype=np.float64):
    np.random.seed(3)
    return tuple(p.astype(dtype) for p in ref.init_params())


@pytest.fixture(params=DTYPES, ids=lambda t: t.__name__)
def dtype(request):
    return request.param


LAYOUTS = {
    "fortran": lambda X: np.asfortranarray(X),
    "c": lambda X: np.ascontiguousarray(X),
    "strided": lambda X: np.repeat(X, 2, axis=1)[:, ::2],
}


def test_init_params_draws_like_the_seed():
    np.random.seed(11)
    expected = ref.init_params()
    np.random.seed(11)
    actual = sf.init_params()
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_init_params_takes_other_sizes_and_dtypes():
    W1, b1, W2, b2 = sf.init_params(n_in=20, n_hidden=7, n_out=3, dtype="float32")
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((7, 20), (7, 1), (3, 7), (3, 1))
    assert {p.dtype for p in (W1, b1, W2, b2)} == {np.dtype(np.float32)}


@pytest.mark.parametrize("m", [1, 13, 2500])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_forward_prop_matches_the_seed(rng, dtype, m, layout):
    X, _ = seed_data(rng, m, dtype=dtype)
    X = LAYOUTS[layout](X)
    params = seed_params(dtype)
    actual = sf.forward_prop(*params, X)
    expected = ref.forward_prop(*(p.astype(float) for p in params), X.astype(float))
    for a, e in zip(actual, expected):
        assert a.shape == e.shape and a.dtype == dtype
        assert_close(a, e, dtype)


@pytest.mark.parametrize("m", [1, 13, 2500])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_backward_prop_matches_the_seed(rng, dtype, m, layout):
    X, Y = seed_data(rng, m, dtype=dtype)
    X = LAYOUTS[layout](X)
    params = seed_params(dtype)
    Y[0] = 9  # the seed's one_hot has Y.max() + 1 rows: make them the 10 classes
    Z1, A1, Z2, A2 = (np.asarray(a, dtype) for a in ref.forward_prop(*params, X))
    actual = sf.backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, Y)
    expected = ref.backward_prop(*(np.asarray(a, float) for a in (Z1, A1, Z2, A2, params[0], params[2], X)), Y)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape and a.dtype == dtype
        assert_close(a, e, dtype)


def test_elementwise_functions_match_the_seed(rng, dtype):
    Z = np.asfortranarray(rng.normal(size=(10, 301)).astype(dtype))
    np.testing.assert_array_equal(sf.ReLU(Z), ref.ReLU(Z))
    np.testing.assert_array_equal(sf.ReLU_deriv(Z), ref.ReLU_deriv(Z))
    assert sf.ReLU(Z).dtype == dtype and sf.ReLU_deriv(Z).dtype == np.bool_
    assert_close(sf.softmax(Z), ref.softmax(Z.astype(float)), dtype)
    assert sf.ReLU(Z[:, ::3]).shape == (10, 101)


def test_softmax_is_finite_for_logits_of_1e4():
    Z = np.array([[1e4, -1e4], [0.0, -1e4], [-1e4, -1e4]])
    A = sf.softmax(Z)
    assert np.all(np.isfinite(A))
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-15)


def test_one_hot_matches_the_seed(rng):
    Y = rng.integers(0, 10, 77)
    np.testing.assert_array_equal(sf.one_hot(Y), ref.one_hot(Y))


def test_update_params_matches_the_seed(rng, dtype):
    params = seed_params(dtype)
    grads = tuple(rng.normal(size=p.shape).astype(dtype) for p in params)
    actual = sf.update_params(*params, *grads, 0.1)
    expected = ref.update_params(*params, *grads, 0.1)
    for a, e, p in zip(actual, expected, params):
        assert a.dtype == dtype and a.shape == p.shape
        assert_close(a, e, dtype)


def test_predictions_and_accuracy_match_the_seed(rng, dtype):
    X, Y = seed_data(rng, 999, dtype=dtype)
    params = seed_params(dtype)
    predictions = sf.make_predictions(X, *params)
    np.testing.assert_array_equal(predictions, ref.make_predictions(X, *params))
    assert sf.get_accuracy(predictions, Y) == ref.get_accuracy(predictions, Y)
    assert sf.evaluate(X, Y, *params) == ref.evaluate(X, Y, *params)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_gradient_descent_matches_the_seed_after_50_iterations(rng, layout):
    X, Y = seed_data(rng, 2000)
    X = LAYOUTS[layout](X)
    np.random.seed(5)
    expected = ref.gradient_descent(X, Y, 0.1, 50)
    np.random.seed(5)
    actual = sf.gradient_descent(X, Y, 0.1, 50, verbose=False)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=0, atol=1e-9)


def test_gradient_descent_trains_on_the_pixels_of_x_over_255_and_on_floats_otherwise(rng, dtype, monkeypatch):
    """X / 255. exactly: the uint8 pixels are what trains; one value off k / 255: the floats; the same model."""
    from scratchnet_fast import _tutorial as seed

    X, Y = seed_data(rng, 2000, dtype=dtype)
    off = X.copy()
    off[3, 4] = np.nextafter(off[3, 4], dtype(2))
    trained_on = []
    real = seed.trainer
    monkeypatch.setattr(seed, "trainer", lambda images, *a, **k: trained_on.append(images.dtype) or real(images, *a, **k))
    np.random.seed(5)
    pixels = sf.gradient_descent(X, Y, 0.1, 50, verbose=False)
    np.random.seed(5)
    floats = sf.gradient_descent(off, Y, 0.1, 50, verbose=False)
    assert trained_on == [np.uint8, dtype]
    for a, e in zip(pixels, floats):
        assert a.dtype == e.dtype == dtype
        assert_close(a, e, dtype)


def test_the_seeds_c_ordered_x_trains_and_predicts_without_a_float_copy(rng, dtype):
    """The seed's own X_train, `data_train[1:n] / 255.`, is C-ordered (784, m): its pixels are read off it where it is,
    never copied to float rows, and train the same model as the Fortran order does."""
    import tracemalloc

    X, Y = seed_data(rng, 3000, dtype=dtype, order="C")
    F, params = np.asfortranarray(X), seed_params(dtype)
    small = np.ascontiguousarray(X[:, :40])
    calls = {
        "gradient_descent": lambda A: sf.gradient_descent(A, Y[:A.shape[1]], 0.1, 2, verbose=False),
        "make_predictions": lambda A: (sf.make_predictions(A, *params),),
        "forward_prop": lambda A: sf.forward_prop(*params, A),
    }
    for name, call in calls.items():
        np.random.seed(5)
        call(small)  # compile outside the measurement
        np.random.seed(5)
        tracemalloc.start()
        from_c = call(X)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < X.nbytes / 2, (name, peak, X.nbytes)  # a float copy is X.nbytes; the uint8 pixels 1/4 or 1/8
        np.random.seed(5)
        for a, e in zip(from_c, call(F)):
            assert_close(a, e, dtype)


def test_gradient_descent_trains_in_float32_for_float32_input(rng):
    X, Y = seed_data(rng, 2000)
    np.random.seed(5)
    expected = ref.gradient_descent(X, Y, 0.1, 20)
    np.random.seed(5)
    actual = sf.gradient_descent(X.astype(np.float32), Y, 0.1, 20, verbose=False)
    for a, e in zip(actual, expected):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, e, rtol=0, atol=1e-4)


def test_gradient_descent_takes_another_hidden_size(rng):
    X, Y = seed_data(rng, 500, d=30)
    W1, b1, W2, b2 = sf.gradient_descent(X, Y, 0.1, 3, n_hidden=17, verbose=False)
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((17, 30), (17, 1), (10, 17), (10, 1))


def test_gradient_descent_reports_like_the_seed(rng, capsys):
    X, Y = seed_data(rng, 300)
    np.random.seed(5)
    W1, b1, W2, b2 = ref.init_params()
    accuracies = []
    for i in range(21):
        Z1, A1, Z2, A2 = ref.forward_prop(W1, b1, W2, b2, X)
        if i % 10 == 0:
            accuracies.append(ref.get_accuracy(ref.get_predictions(A2), Y))
        W1, b1, W2, b2 = ref.update_params(W1, b1, W2, b2, *ref.backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y), 0.1)
    np.random.seed(5)
    sf.gradient_descent(X, Y, 0.1, 21)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0::2] == ["Iteration:  0", "Iteration:  10", "Iteration:  20"]
    assert [float(v) for v in lines[1::2]] == accuracies


def test_gradient_descent_is_quiet_when_asked(rng, capsys):
    X, Y = seed_data(rng, 50)
    sf.gradient_descent(X, Y, 0.1, 11, verbose=False)
    assert capsys.readouterr().out == ""


def test_test_prediction_prints_and_shows_like_the_seed(capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scratchnet_fast import data

    X, y = data.load_sample()
    X = X[:50].T / 255.0
    plt.close("all")
    np.random.seed(0)
    W1, b1, W2, b2 = sf.init_params()
    sf.test_prediction(7, W1, b1, W2, b2, X, y[:50])
    expected = sf.make_predictions(X[:, 7, None], W1, b1, W2, b2)
    assert capsys.readouterr().out == f"Prediction:  {expected}\nLabel:  {y[7]}\n"
    shown = plt.gca().get_images()[0].get_array()
    np.testing.assert_allclose(shown, X[:, 7].reshape(28, 28) * 255)
    plt.close("all")
    with pytest.raises(ValueError, match="index 50 is out of range for X's 50 images"):
        sf.test_prediction(50, W1, b1, W2, b2, X)


SEED_SCRIPT = '''
import numpy as np
import pandas as pd
import matplotlib
matplotlib.use("Agg")
from matplotlib import pyplot as plt

np.random.seed(0)
data = pd.read_csv("train.csv")
data = np.array(data)
m, n = data.shape
np.random.shuffle(data)

data_dev = data[0:1000].T
Y_dev = data_dev[0]
X_dev = data_dev[1:n]
X_dev = X_dev / 255.

data_train = data[1000:m].T
Y_train = data_train[0]
X_train = data_train[1:n]
X_train = X_train / 255.
_, m_train = X_train.shape
{definitions}
W1, b1, W2, b2 = gradient_descent(X_train, Y_train, 0.10, 200)
test_prediction(0, W1, b1, W2, b2)
test_prediction(3, W1, b1, W2, b2)
dev_predictions = make_predictions(X_dev, W1, b1, W2, b2)
print(get_accuracy(dev_predictions, Y_dev))
'''

SEED_DEFINITIONS = """
def init_params():
    W1 = np.random.rand(10, 784) - 0.5
    b1 = np.random.rand(10, 1) - 0.5
    W2 = np.random.rand(10, 10) - 0.5
    b2 = np.random.rand(10, 1) - 0.5
    return W1, b1, W2, b2


def ReLU(Z):
    return np.maximum(Z, 0)


def softmax(Z):
    return np.exp(Z) / np.sum(np.exp(Z), axis=0)


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = ReLU(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def ReLU_deriv(Z):
    return Z > 0


def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    one_hot_Y = one_hot_Y.T
    return one_hot_Y


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y):
    one_hot_Y = one_hot(Y)
    dZ2 = A2 - one_hot_Y
    dW2 = 1 / m * dZ2.dot(A1.T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1)
    dW1 = 1 / m * dZ1.dot(X.T)
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    W1 = W1 - alpha * dW1
    b1 = b1 - alpha * db1
    W2 = W2 - alpha * dW2
    b2 = b2 - alpha * db2
    return W1, b1, W2, b2


def get_predictions(A2):
    return np.argmax(A2, 0)


def get_accuracy(predictions, Y):
    return np.sum(predictions == Y) / Y.size


def gradient_descent(X, Y, alpha, iterations):
    W1, b1, W2, b2 = init_params()
    for i in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
        if i % 10 == 0:
            print("Iteration: ", i)
            predictions = get_predictions(A2)
            print(get_accuracy(predictions, Y))
    return W1, b1, W2, b2


def make_predictions(X, W1, b1, W2, b2):
    _, _, _, A2 = forward_prop(W1, b1, W2, b2, X)
    predictions = get_predictions(A2)
    return predictions


def test_prediction(index, W1, b1, W2, b2):
    current_image = X_train[:, index, None]
    prediction = make_predictions(X_train[:, index, None], W1, b1, W2, b2)
    label = Y_train[index]
    print("Prediction: ", prediction)
    print("Label: ", label)
    current_image = current_image.reshape((28, 28)) * 255
    plt.gray()
    plt.imshow(current_image, interpolation="nearest")
    plt.show()
"""


def run_script(text, folder):
    """The lines a script prints when run as __main__ in `folder`."""
    import contextlib
    import io
    import os

    out = io.StringIO()
    here = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(text, "seed_script.py", "exec"), {"__name__": "__main__"})
    finally:
        os.chdir(here)
    return out.getvalue().splitlines()


def test_the_seeds_script_with_the_import_swapped_prints_the_seeds_lines(tmp_path):
    """The seed's script, its data flow (the CSV's shuffle, the dev split, the global m of the whole CSV, test_prediction
    reading X_train and Y_train) unchanged, run with its definitions and with `from scratchnet_fast import *`: the
    same printed lines, iteration by iteration, predictions, labels and the dev accuracy."""
    from helpers import write_csv
    from scratchnet_fast.data import load_sample

    X, y = load_sample()
    rows = np.random.default_rng(0).permutation(len(y))[:2500]  # the sample is in label order
    write_csv(tmp_path / "train.csv", X[rows], y[rows])
    seed = run_script(SEED_SCRIPT.format(definitions=SEED_DEFINITIONS), tmp_path)
    ours = run_script(SEED_SCRIPT.format(definitions="from scratchnet_fast import *"), tmp_path)
    assert len(seed) == 2 * 20 + 4 + 1 and seed[0] == "Iteration:  0"
    assert ours == seed


def test_test_prediction_without_x_train_says_what_it_needs():
    np.random.seed(0)
    params = sf.init_params()
    with pytest.raises(ValueError, match="the global X_train, as the seed's does, and there is no X_train here"):
        sf.test_prediction(0, *params)
