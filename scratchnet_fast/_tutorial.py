"""The seed's functions, same names, arguments, shapes and results, running on the kernels.

Arrays are in the seed's layout: X (784, m) with one image per column, Z and A (h, m), W1 (10, 784),
b1 (10, 1), W2 (10, 10), b2 (10, 1). Each function checks its input, picks the dtype NumPy would
compute in (float32 only when every float input is float32), transposes to the kernels' one image
per row layout (free for the seed's own arrays) and returns the transpose back.
"""
import numbers
import operator
import sys

import numpy as np

from . import _network, _threads
from ._kernels import per_step
from ._kernels.pixels import PIXEL_SCALE, as_pixels
from ._layout import contiguous, flat, rows
from ._train.choose import trainer
from ._train.loop import descend
from ._train.watch import PIXEL_ADVICE, chance, warn
from ._validation import features, finite, finite_through, float_dtype, labels, numeric_array, positive_number, integer, resolve_dtype


def init_params(n_in=784, n_hidden=10, n_out=10, dtype="float64"):
    """W1, b1, W2, b2 uniform in [-0.5, 0.5), drawn from NumPy's global state in the seed's order."""
    n_in, n_hidden, n_out = (integer(name, v, 1) for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)))
    dtype = resolve_dtype(dtype)
    W1 = np.random.rand(n_hidden, n_in) - 0.5
    b1 = np.random.rand(n_hidden, 1) - 0.5
    W2 = np.random.rand(n_out, n_hidden) - 0.5
    b2 = np.random.rand(n_out, 1) - 0.5
    return tuple(p.astype(dtype, copy=False) for p in (W1, b1, W2, b2))


def _elementwise(kernel, name, Z, out_dtype=None):
    """kernel(Z, out) on the flat values of Z, checked like the seed's inputs; out of Z's shape, in out_dtype or Z's."""
    _threads.check_not_forked()
    Z = finite(name, numeric_array(name, Z))
    dtype = float_dtype(Z)
    Z = contiguous(np.atleast_1d(Z), dtype)
    out = np.empty_like(Z, dtype=out_dtype or dtype)
    kernel(flat(Z), flat(out))
    return out.reshape(np.shape(Z)) if out.ndim else out


def ReLU(Z):
    """max(Z, 0) elementwise, in Z's float dtype."""
    return _elementwise(per_step.relu, "Z", Z)


def ReLU_deriv(Z):
    """Z > 0 elementwise, as booleans like the seed's."""
    return _elementwise(per_step.relu_mask, "Z", Z, out_dtype=np.bool_)


def softmax(Z):
    """Softmax of each column of Z (c, m), the maximum subtracted first: finite for any finite Z."""
    _threads.check_not_forked()
    Z = finite("Z", numeric_array("Z", Z, ndim=(1, 2)))
    dtype = float_dtype(Z)
    Zr = rows(Z.reshape(Z.shape[0], -1), dtype)
    out = np.empty_like(Zr)
    per_step.softmax_rows(Zr, out)
    return out.T.reshape(Z.shape)


def _transposed(X, features=None, images=None):
    """A hint for an error when X (rows, columns) fits one image per row where the seed wants one per column.

    That is when its columns match the number of `features` expected, or its rows the number of
    `images` (labels) given, and not the other way round.
    """
    rows, columns = X.shape
    if (features is not None and columns == features != rows) or (images is not None and rows == images != columns):
        return (f"; X looks transposed: its shape is {X.shape}, and the seed's layout is one image per column, "
                f"(features, images): pass X.T")
    return ""


def _warn_if_unscaled(X):
    """A warning when the images hold floats above 1: the seed's are pixels / 255, in [0, 1]."""
    top = np.max(X)
    if top > 1:
        warn(f"X holds values up to {top:g}, and the seed's images are scaled to [0, 1]: did you forget / 255?",
             RuntimeWarning)


def _labels_of(X, Y, n_classes):
    """labels() for the images of X (d, m), with a hint when X looks transposed."""
    try:
        return labels("Y", Y, X.shape[1], n_classes=n_classes)
    except ValueError as error:
        raise ValueError(str(error) + _transposed(X, images=np.shape(Y)[0] if np.ndim(Y) == 1 else None)) from None


def _check_weights(W1, W2, X):
    """W1 (h, d) and W2 (c, h) as finite numeric arrays that fit each other and the d input features of X (d, m)."""
    d = X.shape[0]
    W1 = finite("W1", numeric_array("W1", W1, ndim=2))
    if W1.shape[1] != d:
        raise ValueError(f"W1 has {W1.shape[1]} input features but X has {d} (W1 {W1.shape}, X {X.shape})"
                         + _transposed(X, features=W1.shape[1]))
    W2 = finite("W2", numeric_array("W2", W2, ndim=2))
    if W2.shape[1] != W1.shape[0]:
        raise ValueError(f"W2 must have {W1.shape[0]} columns to follow W1 {W1.shape}, got shape {W2.shape}")
    return W1, W2


def _check_params(W1, b1, W2, b2, X):
    W1, W2 = _check_weights(W1, W2, X)
    return W1, _bias("b1", b1, W1.shape[0]), W2, _bias("b2", b2, W2.shape[0])


def _bias(name, b, n):
    b = finite(name, numeric_array(name, b, ndim=(1, 2)))
    if b.shape not in ((n, 1), (n,)):
        raise ValueError(f"{name} must have shape ({n}, 1), got {b.shape}")
    return b


def _cast(dtype, *arrays):
    return tuple(np.ascontiguousarray(a, dtype=dtype) for a in arrays)


def _callers_global(name, depth=2):
    """The global `name` of the module that called the drop-in function (depth frames up), or None.

    The seed's script keeps its data in globals its functions read: backward_prop divides by `m`,
    the row count of the whole CSV (taken before the dev split), and test_prediction shows
    `X_train[:, index]`. The drop-in reads the same names where the seed does.
    """
    frame = sys._getframe(depth)
    return frame.f_globals.get(name)


def _seed_m(X, m):
    """The m whose 1/m scales the gradients: `m` given, else the caller's global integer m (the seed's), else X's images."""
    if m is None:
        m = _callers_global("m", depth=3)
        if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1:
            return X.shape[1]
    return integer("m", m, 1)


def _network_inputs(W1, b1, W2, b2, X):
    """(X checked in the seed's (d, m) layout, its images as the kernels' rows, the scale of those, the layers
    [(W1, b1), (W2, b2)]), all in the dtype NumPy would compute in: what forward_prop and make_predictions run on.

    The rows are a view of X when it is Fortran-ordered; when they would be a copy (the seed's C-ordered X_train)
    and X is pixels / 255, they are those uint8 pixels instead, an eighth of the copy in float64."""
    X = features("X", X, check_finite=False)
    W1, b1, W2, b2 = _check_params(W1, b1, W2, b2, X)
    dtype = float_dtype(W1, b1, W2, b2, X)
    W1, b1, W2, b2 = _cast(dtype, W1, b1.ravel(), W2, b2.ravel())
    layers = [(W1, b1), (W2, b2)]
    pixels = as_pixels(X.T) if X.dtype == dtype and not X.T.flags.c_contiguous else None
    if pixels is not None:
        return X, pixels, PIXEL_SCALE, layers
    return X, rows(X, dtype), 1.0, layers


def forward_prop(W1, b1, W2, b2, X):
    """Z1 = W1·X + b1, A1 = ReLU(Z1), Z2 = W2·A1 + b2, A2 = softmax(Z2); each (rows, m)."""
    _threads.check_not_forked()
    X, images, x_scale, layers = _network_inputs(W1, b1, W2, b2, X)
    (Z1, Z2), (_, A1, A2) = _network.forward(images, layers, x_scale)
    finite_through("X", X, Z1, "Z1 = W1·X + b1")
    return Z1.T, A1.T, Z2.T, A2.T


def one_hot(Y):
    """The labels Y (m,) as columns of a (Y.max() + 1, m) float64 matrix, like the seed's."""
    _threads.check_not_forked()
    Y = numeric_array("Y", Y, ndim=1)
    Y = labels("Y", Y, Y.shape[0])
    if Y.size == 0:
        raise ValueError("Y is empty: need at least one label")
    out = np.empty((Y.size, int(Y.max()) + 1))
    per_step.one_hot_rows(Y, out)
    return out.T


def backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y, *, m=None):
    """dW1, db1, dW2, db2 of the cross-entropy summed over X's images and divided by m.

    m, as the seed's: the global `m` of the calling script when it is an integer (the seed's is the
    row count of its whole CSV, before the dev split), else X.shape[1], the mean.
    """
    _threads.check_not_forked()
    X = features("X", X, check_finite=False)
    scale_m = _seed_m(X, m)
    d, m = X.shape
    W1, W2 = _check_weights(W1, W2, X)
    h, c = W1.shape[0], W2.shape[0]
    named = {"Z1": (Z1, h), "A1": (A1, h), "Z2": (Z2, c), "A2": (A2, c)}
    checked = {}
    for name, (A, n) in named.items():
        A = finite(name, numeric_array(name, A, ndim=2))
        if A.shape != (n, m):
            raise ValueError(f"{name} must have shape {(n, m)}, got {A.shape}")
        checked[name] = A
    Y = _labels_of(X, Y, c)
    dtype = float_dtype(X, W1, W2, *checked.values())
    Z1r, A1r, A2r = (rows(checked[k], dtype) for k in ("Z1", "A1", "A2"))
    W1, W2 = _cast(dtype, W1, W2)
    (dW1, db1), (dW2, db2) = _network.gradients([Z1r], [rows(X, dtype), A1r, A2r], Y, [W1, W2], scale_m)
    finite_through("X", X, dW1, "dW1 = dZ1·Xᵀ / m")
    return dW1, db1.reshape(h, 1), dW2, db2.reshape(c, 1)


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha):
    """Each parameter minus alpha times its gradient, as new arrays."""
    _threads.check_not_forked()
    alpha = positive_number("alpha", alpha)
    pairs = (("W1", W1, dW1), ("b1", b1, db1), ("W2", W2, dW2), ("b2", b2, db2))
    updated = []
    for name, p, g in pairs:
        p = finite(name, numeric_array(name, p))
        g = finite("d" + name, numeric_array("d" + name, g))
        if p.shape != g.shape:
            raise ValueError(f"d{name} must have the shape of {name}, {p.shape}, got {g.shape}")
        dtype = float_dtype(p, g)
        p, g = _cast(dtype, p, g)
        out = np.empty_like(p)
        per_step.sgd_update(p.reshape(-1), g.reshape(-1), dtype.type(alpha), out.reshape(-1))
        updated.append(out)
    return tuple(updated)


def get_predictions(A2):
    """The index of the largest entry of each column of A2 (c, m): the predicted digits (m,)."""
    _threads.check_not_forked()
    A2 = numeric_array("A2", A2, ndim=2)
    if A2.shape[0] == 0:
        raise ValueError("A2 has no rows: need at least one class")
    out = np.empty(A2.shape[1], np.int64)
    per_step.argmax_rows(rows(A2, float_dtype(A2)), out)
    return out


def get_accuracy(predictions, Y):
    """The fraction of predictions equal to Y."""
    _threads.check_not_forked()
    predictions = numeric_array("predictions", predictions, ndim=1)
    Y = numeric_array("Y", Y, ndim=1)
    if predictions.shape != Y.shape:
        raise ValueError(f"predictions has {predictions.size} entries but Y has {Y.size}")
    if Y.size == 0:
        raise ValueError("Y is empty: accuracy needs at least one label")
    hits = per_step.count_equal(*_cast(np.int64, predictions, Y))
    return np.float64(hits / Y.size)


def gradient_descent(X, Y, alpha, iterations, *, n_hidden=10, n_out=10, verbose=True, m=None):
    """Train the seed's network by full-batch gradient descent in X's float dtype; returns W1, b1, W2, b2.

    Parameters come from `init_params` (so `np.random.seed` makes runs repeatable). With `verbose`,
    prints the iteration and the training accuracy every 10 iterations, as the seed does; that
    accuracy comes from the training pass itself. When X is the seed's `pixels / 255.` exactly,
    training reads the uint8 pixels instead, 1/255 scaling the kernels' sums (`_kernels/pixels.py`): the same
    model to rounding (1e-12 in float64, 1e-5 in float32). The gradients are divided by m as the
    seed's backward_prop divides them (`backward_prop`): the calling script's global `m` when it is
    an integer, else X's images.
    """
    _threads.check_not_forked()
    X = features("X", X)
    scale_m = _seed_m(X, m)
    Y = _labels_of(X, Y, n_out)
    _warn_if_unscaled(X)
    alpha = positive_number("alpha", alpha)
    iterations = integer("iterations", iterations)
    dtype = float_dtype(X)
    W1, b1, W2, b2 = init_params(X.shape[0], n_hidden, n_out, dtype)
    layers = [(W1, b1.ravel()), (W2, b2.ravel())]
    # The seed's X / 255.: train on the uint8 pixels, an eighth of the bytes in float64, read off X in either order
    # (the seed's own X_train is C-ordered (784, m), whose float rows would be a copy of every image).
    pixels = as_pixels(X.T) if X.dtype == dtype else None
    if pixels is None:
        net = trainer(rows(X, dtype), Y, layers, mean_over=scale_m)
    else:
        net = trainer(pixels, Y, layers, x_scale=PIXEL_SCALE, mean_over=scale_m)

    def report(i, loss, accuracy):
        if i % 10 == 0:
            print("Iteration: ", i)
            print(accuracy)

    descend(net, alpha, iterations, report if verbose else None, chance(Y), advice=PIXEL_ADVICE)
    (W1, b1), (W2, b2) = net.layers()
    return W1, b1.reshape(-1, 1), W2, b2.reshape(-1, 1)


def make_predictions(X, W1, b1, W2, b2):
    """The predicted digit of each image (column) of X: the largest of forward_prop's A2, on the prediction kernels."""
    _threads.check_not_forked()
    X, images, x_scale, layers = _network_inputs(W1, b1, W2, b2, X)
    A2, finite = _network.predict_proba(images, layers, x_scale)
    if not finite:
        forward_prop(W1, b1, W2, b2, X)  # its error names the input that is not finite
    out = np.empty(A2.shape[0], np.int64)
    per_step.argmax_rows(A2, out)
    return out


def test_prediction(index, W1, b1, W2, b2, X=None, Y=None):
    """The seed's test_prediction: prints the prediction for image `index` of X (784, m) and its label, then shows it.

    As the seed's, it reads the calling script's globals X_train and Y_train when X is not given;
    X (and Y) may be passed instead. Shows the image with matplotlib, as the seed does.
    """
    if X is None:
        X, Y = _callers_global("X_train"), _callers_global("Y_train")
        if X is None:
            raise ValueError("test_prediction(index, W1, b1, W2, b2) shows image `index` of the global X_train, as the "
                             "seed's does, and there is no X_train here: define it, or pass the images as "
                             "test_prediction(index, W1, b1, W2, b2, X, Y)")
    X = features("X", X, check_finite=False)
    m = X.shape[1]
    index = operator.index(index)
    if not -m <= index < m:
        raise ValueError(f"index {index} is out of range for X's {m} images")
    current_image = X[:, index, None]
    prediction = make_predictions(current_image, W1, b1, W2, b2)
    print("Prediction: ", prediction)
    if Y is not None:
        print("Label: ", _labels_of(X, Y, None)[index])
    import matplotlib.pyplot as plt

    plt.gray()
    plt.imshow(current_image.reshape((28, 28)) * 255, interpolation="nearest")
    plt.show()


test_prediction.__test__ = False  # not a test for pytest, whatever module imports it


def evaluate(X, Y, W1, b1, W2, b2):
    """The accuracy of the network on images X (d, m) with labels Y (m,)."""
    return get_accuracy(make_predictions(X, W1, b1, W2, b2), Y)
