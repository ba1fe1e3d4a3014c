"""Checks at the API edge: plain Python that runs before any kernel and names what is wrong."""
import numbers
import os
import stat

import numpy as np

FLOAT_DTYPES = {"float32": np.float32, "float64": np.float64}


def resolve_dtype(dtype):
    """The float dtype named by `dtype` ('float32', 'float64' or the NumPy types), else ValueError."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"unknown dtype {dtype!r}: use 'float32' or 'float64'") from None
    if resolved.name not in FLOAT_DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}: use 'float32' or 'float64'")
    return resolved


def float_dtype(*arrays):
    """The dtype NumPy would compute in: float32 only if every float input is float32."""
    result = np.result_type(*arrays)
    if result.kind in "biu":
        return np.dtype(np.float64)
    if result == np.float16:
        return np.dtype(np.float32)
    return resolve_dtype(result)


def numeric_array(name, value, ndim=None):
    """`value` as an ndarray of real numbers (bool, int or float), else TypeError naming it."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got a string")
    if type(value).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{name} is a scipy sparse matrix; these functions take dense arrays: pass {name}.toarray()")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{name} must be a numeric array: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if ndim is not None and array.ndim not in np.atleast_1d(ndim):
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
    return array


def _all_finite(array):
    """True if the float array holds no NaN or inf: one sum, whose overflow only sends to the slow check."""
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.isfinite(np.sum(array)))


def finite(name, array):
    """`array` unchanged if it holds no NaN or inf, else ValueError naming the first one."""
    if array.dtype.kind == "f" and not _all_finite(array):
        bad = ~np.isfinite(array)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} contains NaN or inf (first at index {where}: {array[where]})")
    return array


def finite_through(name, X, result, what):
    """ValueError naming X's first NaN or inf if `result`, computed from finite parameters and X, is not finite.

    NaN and inf in X reach every result that multiplies them, even by zero, so a finite result
    (far smaller than X) proves X finite. When X is finite after all, the product overflowed:
    the error names `what`.
    """
    if not _all_finite(result) and not np.isfinite(result).all():
        finite(name, X)
        raise ValueError(f"{what} overflows: it is not finite although {name} and the parameters are")
    return result


def features(name, X, check_finite=True):
    """X as a numeric (d, m) array with at least one image, the seed's layout; finite unless check_finite is False.

    A function that reads X once anyway checks what it computed from it instead (`finite_through`),
    which costs no extra pass over X.
    """
    X = numeric_array(name, X, ndim=2)
    if check_finite:
        X = finite(name, X)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {X.shape}, need (features, images) with both > 0")
    return X


def labels(name, Y, m, n_classes=None):
    """Y as int64 (m,) labels in [0, n_classes), else TypeError/ValueError naming the problem."""
    Y = numeric_array(name, Y, ndim=1)
    if Y.shape[0] != m:
        raise ValueError(f"{name} has {Y.shape[0]} labels but X has {m} images")
    if Y.dtype.kind == "f":
        if not np.all(np.isfinite(Y)) or not np.all(Y == np.round(Y)):
            raise TypeError(f"{name} must hold integer labels, got non-integer values")
    if Y.dtype.kind == "b":
        raise TypeError(f"{name} must hold integer labels, got booleans")
    if m and Y.min() < 0:
        raise ValueError(f"{name} has a negative label: {Y.min()}")
    if m and n_classes is not None and Y.max() >= n_classes:
        raise ValueError(f"{name} has label {Y.max()} but the model has {n_classes} classes (0..{n_classes - 1})")
    return np.ascontiguousarray(Y, dtype=np.int64)


def nonnegative_number(name, value):
    """`value` as a finite float >= 0, else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not 0 <= value < np.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def positive_number(name, value):
    """`value` as a positive finite float, else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return float(value)


def integer(name, value, minimum=0):
    """`value` as an int >= minimum, else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def shape(name, array, expected):
    """ValueError unless `array` has shape `expected`."""
    if array.shape != tuple(expected):
        raise ValueError(f"{name} must have shape {tuple(expected)}, got {array.shape}")
    return array


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def regular_file(path, what="file"):
    """Check that `path` is a regular file to read; a ValueError saying what it is otherwise (`what`: "file",
    "model file"): a folder, a FIFO or /dev/zero would otherwise hang, or fail as if missing."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise ValueError(f"no such {what}: {path}") from None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    for test, kind in _KINDS:
        if test(status.st_mode):
            raise ValueError(f"{path} is {kind}, not a {what}")
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"{path} is not a regular file")
