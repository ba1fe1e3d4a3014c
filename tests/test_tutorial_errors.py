"""Bad input to the drop-in functions is a clear ValueError or TypeError naming the problem."""
import re

import numpy as np
import pytest

import scratchnet_fast as sf


@pytest.fixture
def xy(rng):
    return rng.random((784, 50)), np.arange(50) % 10


@pytest.mark.parametrize("X, Y, error, words", [
    (np.ones(784), np.zeros(1, int), ValueError, "X must be 2-dimensional"),
    (np.ones((784, 5)), np.zeros(4, int), ValueError, "4 labels but X has 5 images"),
    (np.ones((784, 0)), np.zeros(0, int), ValueError, "X is empty"),
    (np.full((784, 3), "a"), np.zeros(3, int), TypeError, "X must be a numeric array"),
    (np.ones((784, 3), dtype=object), np.zeros(3, int), TypeError, "X must be a numeric array"),
    (np.ones((784, 3)), np.array([0.5, 1, 2]), TypeError, "integer labels"),
    (np.ones((784, 3)), np.array(["a", "b", "c"]), TypeError, "Y must be a numeric array"),
    (np.ones((784, 3)), np.array([0, 10, 2]), ValueError, "label 10 but the model has 10 classes"),
    (np.ones((784, 3)), np.array([0, -1, 2]), ValueError, "negative label: -1"),
])
def test_gradient_descent_rejects_bad_data(X, Y, error, words):
    with pytest.raises(error, match=words):
        sf.gradient_descent(X, Y, 0.1, 1, verbose=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_per_step_functions_name_the_first_nan_or_inf_in_X_from_their_results(xy, bad, dtype):
    """forward_prop and backward_prop check what they computed from X, not X itself, and still name X's first bad value."""
    X, Y = xy
    X = X.astype(dtype)
    np.random.seed(0)
    params = sf.init_params(dtype=dtype)
    Z1, A1, Z2, A2 = sf.forward_prop(*params, X)
    X[3, 7] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index \(3, 7\)"):
        sf.forward_prop(*params, X)
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index \(3, 7\)"):
        sf.backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, Y)
    for images, where in ((X, "(3, 7)"), (X[:, 5:10], "(3, 2)")):  # the predictions' batch pass, and few images
        with pytest.raises(ValueError, match=re.escape(f"X contains NaN or inf (first at index {where}")):
            sf.make_predictions(images, *params)


def test_forward_prop_says_when_finite_images_overflow(xy):
    X, Y = xy
    np.random.seed(0)
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match=r"Z1 = W1·X \+ b1 overflows"):
        sf.forward_prop(W1 * 1e300, b1, W2, b2, X * 1e300)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gradient_descent_rejects_nan_and_inf_in_X(xy, bad):
    X, Y = xy
    X[3, 7] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index \(3, 7\)"):
        sf.gradient_descent(X, Y, 0.1, 1, verbose=False)


@pytest.mark.parametrize("alpha, error, words", [
    (0, ValueError, "alpha must be positive and finite, got 0"),
    (-0.1, ValueError, "alpha must be positive and finite, got -0.1"),
    (float("nan"), ValueError, "alpha must be positive and finite, got nan"),
    (float("inf"), ValueError, "alpha must be positive and finite, got inf"),
    ("0.1", TypeError, "alpha must be a number, got '0.1'"),
])
def test_gradient_descent_rejects_bad_learning_rates(xy, alpha, error, words):
    with pytest.raises(error, match=words):
        sf.gradient_descent(*xy, alpha, 1, verbose=False)


@pytest.mark.parametrize("iterations, error, words", [
    (-1, ValueError, "iterations must be >= 0, got -1"),
    (2.5, TypeError, "iterations must be an integer, got 2.5"),
])
def test_gradient_descent_rejects_bad_iteration_counts(xy, iterations, error, words):
    with pytest.raises(error, match=words):
        sf.gradient_descent(*xy, 0.1, iterations, verbose=False)


@pytest.mark.parametrize("dtype", ["float16", "int32", "complex128", "bogus"])
def test_init_params_rejects_unknown_dtypes(dtype):
    with pytest.raises(ValueError, match="unknown dtype"):
        sf.init_params(dtype=dtype)


def test_forward_prop_rejects_a_feature_count_other_than_the_models():
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match="W1 has 784 input features but X has 100"):
        sf.forward_prop(W1, b1, W2, b2, np.ones((100, 3)))


def test_forward_prop_rejects_a_bias_of_the_wrong_shape():
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match=r"b1 must have shape \(10, 1\), got \(9, 1\)"):
        sf.forward_prop(W1, b1[:9], W2, b2, np.ones((784, 3)))


def test_backward_prop_rejects_activations_of_the_wrong_shape(xy):
    X, Y = xy
    W1, b1, W2, b2 = sf.init_params()
    Z1, A1, Z2, A2 = sf.forward_prop(W1, b1, W2, b2, X)
    with pytest.raises(ValueError, match=r"A2 must have shape \(10, 50\), got \(10, 49\)"):
        sf.backward_prop(Z1, A1, Z2, A2[:, :49], W1, W2, X, Y)


def test_update_params_rejects_a_gradient_of_another_shape():
    params = sf.init_params()
    grads = list(params)
    grads[2] = np.ones((10, 9))
    with pytest.raises(ValueError, match=r"dW2 must have the shape of W2, \(10, 10\), got \(10, 9\)"):
        sf.update_params(*params, *grads, 0.1)


def test_get_accuracy_rejects_lengths_that_differ():
    with pytest.raises(ValueError, match="predictions has 3 entries but Y has 2"):
        sf.get_accuracy(np.zeros(3, int), np.zeros(2, int))


def test_images_one_per_row_get_a_transpose_hint(xy):
    X, Y = xy
    np.random.seed(0)
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match=r"X looks transposed: its shape is \(50, 784\).*pass X\.T"):
        sf.forward_prop(W1, b1, W2, b2, X.T)
    with pytest.raises(ValueError, match=r"Y has 50 labels but X has 784 images; X looks transposed"):
        sf.gradient_descent(X.T, Y, 0.1, 1, verbose=False)


def test_a_sparse_matrix_gets_a_clear_error(xy):
    sparse = pytest.importorskip("scipy.sparse")
    X, Y = xy
    with pytest.raises(TypeError, match=r"X is a scipy sparse matrix.*X\.toarray\(\)"):
        sf.gradient_descent(sparse.csr_matrix(X), Y, 0.1, 1, verbose=False)


def test_unscaled_images_in_the_drop_in_get_a_warning(xy):
    X, Y = xy
    np.random.seed(0)
    with pytest.warns(RuntimeWarning, match=r"X holds values up to 2\d\d.*did you forget / 255\?"):
        sf.gradient_descent(X * 255, Y, 0.1, 1, verbose=False)
