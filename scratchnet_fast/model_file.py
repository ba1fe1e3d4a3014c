"""Model files: an .npz of the weights with everything needed to check them, written atomically."""
import json
import os
import stat
import tempfile
import zipfile

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import __version__
from ._estimator import MLPClassifier

FORMAT = "scratchnet-fast-model/1"


def save(model, path, **metadata):
    """Write a fitted MLPClassifier to `path` (.npz): weights, sizes, dtype, classes and `metadata`; returns the file written.

    The file is written beside its destination and renamed into place, so `path` holds either
    the old file or the whole new one, never a part. A symbolic link is followed: its target is
    replaced and returned. A path that exists and is not a regular file (a device such as
    /dev/null, a directory, a pipe) is refused. The file gets the permissions of the one it
    replaces, or those of any new file (0666 less the umask).
    """
    check_is_fitted(model)
    layers = list(zip(model.weights_, model.biases_))
    if not all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in layers):
        raise ValueError("refusing to save a model with NaN or inf parameters")
    sizes = [model.weights_[0].shape[1]] + [W.shape[0] for W in model.weights_]
    header = {
        "format": FORMAT,
        "package_version": __version__,
        "sizes": sizes,
        "dtype": np.dtype(model.dtype).name,
        "params": {k: v for k, v in model.get_params().items() if k != "random_state"},
        "metadata": metadata,
    }
    arrays = {f"W{i}": W for i, W in enumerate(model.weights_)}
    arrays.update({f"b{i}": b for i, b in enumerate(model.biases_)})
    target = os.path.realpath(path)
    mode = check_target(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, header=np.array(json.dumps(header)), classes=model.classes_, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return target


def check_folder(path):
    """The resolved `path`, after checking that its folder exists and is writable; ValueError naming `path` if not."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise ValueError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {path}: the folder {folder} is not writable")
    return target


def check_target(path):
    """The permission bits a model file written to `path` gets; ValueError naming `path` if it cannot be written there.

    Called before training too, so that a run does not end in an error about its output.
    """
    target = check_folder(path)
    try:
        status = os.stat(target)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"refusing to write a model over {path}: it exists and is not a regular file")
    return stat.S_IMODE(status.st_mode)


LOOKS_LIKE = ("A model file is the .npz that `scratchnet-fast train` or `model_file.save` writes: a 'header' entry "
              "(JSON), the classes and the weights W0, b0, W1, b1, ...")


def _what_it_is(path, error):
    """What a file that NumPy could not open as an .npz looks like, for the error that names it."""
    with open(path, "rb") as file:
        start = file.read(512)
    if start[:1] == b"\x80" and start[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return f": it is a pickle (a joblib or pickle file), which is never loaded here. {LOOKS_LIKE}"
    try:
        text = start.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text and all(c.isprintable() or c.isspace() for c in text):
        first = text.splitlines()[0][:40] if text.strip() else ""
        return f": it is a text file, starting {first!r}. {LOOKS_LIKE}"
    return f" (corrupt or truncated): {error}"


def load(path):
    """A fitted MLPClassifier from a model file, after checking every part of it; (model, header)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"no such model file: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a scratchnet-fast model file{_what_it_is(path, error)}") from None
    if "header" not in arrays:
        raise ValueError(f"{path} is not a scratchnet-fast model file: an .npz of the arrays {sorted(arrays)}, with no "
                         f"'header' entry (bad or missing header). {LOOKS_LIKE}")
    try:
        header = json.loads(str(arrays.pop("header")))
        classes = arrays.pop("classes")
        sizes, dtype = header["sizes"], np.dtype(header["dtype"])
        if header["format"] != FORMAT:
            raise ValueError(f"format {header['format']!r}, expected {FORMAT!r}")
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path} is not a scratchnet-fast model file: bad or missing header ({error})") from None
    n_layers = len(sizes) - 1
    if set(arrays) != {f"{p}{i}" for p in "Wb" for i in range(n_layers)}:
        raise ValueError(f"{path}: expected arrays for {n_layers} layers, found {sorted(arrays)}")
    weights, biases = [], []
    for i in range(n_layers):
        W, b = arrays[f"W{i}"], arrays[f"b{i}"]
        if W.shape != (sizes[i + 1], sizes[i]) or b.shape != (sizes[i + 1],):
            raise ValueError(f"{path}: layer {i} has W {W.shape}, b {b.shape}; its sizes say ({sizes[i + 1]}, {sizes[i]})")
        if W.dtype != dtype or b.dtype != dtype:
            raise ValueError(f"{path}: layer {i} is {W.dtype}, the header says {dtype}")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(f"{path}: layer {i} holds NaN or inf")
        weights.append(W)
        biases.append(b)
    if classes.shape != (sizes[-1],):
        raise ValueError(f"{path}: {classes.shape[0] if classes.ndim else 0} classes for {sizes[-1]} outputs")
    params = dict(header["params"])
    if "hidden_layer_sizes" in params:  # JSON has no tuples
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    model = MLPClassifier(**params)
    model.weights_, model.biases_ = weights, biases
    model.classes_, model.n_features_in_ = classes, sizes[0]
    return model, header
