"""Model files: an .npz of the weights with everything needed to check them, written atomically."""
import json
import math
import os
import re
import stat
import tempfile
import time
import zipfile

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import __version__
from ._estimator import MLPClassifier
from ._validation import FLOAT_DTYPES, regular_file

FORMAT = "scratchnet-fast-model/1"


def save(model, path, **metadata):
    """Write a fitted MLPClassifier to `path` (.npz): weights, sizes, dtype, classes and `metadata`; returns the file written.

    Written atomically, by the rules of `write_atomically`. An MLPRegressor is refused (a TypeError): pickle it, as any
    scikit-learn estimator.
    """
    if not isinstance(model, MLPClassifier):
        raise TypeError(f"model files hold a fitted MLPClassifier, got {type(model).__name__}: pickle or joblib.dump "
                        f"other estimators")
    check_is_fitted(model)
    if _multilabel(model):
        raise TypeError("model files hold a classifier of labels, not of multilabel indicators: pickle or joblib.dump "
                        "this one")
    layers = list(zip(model.weights_, model.biases_))
    if not all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in layers):
        raise ValueError("refusing to save a model with NaN or inf parameters")
    sizes = [model.weights_[0].shape[1]] + [W.shape[0] for W in model.weights_]
    header = {
        "format": FORMAT,
        "package_version": __version__,
        "sizes": sizes,
        "dtype": model.weights_[0].dtype.name,
        "params": {k: v for k, v in model.get_params().items() if k != "random_state"},
        "metadata": metadata,
    }
    arrays = {f"W{i}": W for i, W in enumerate(model.weights_)}
    arrays.update({f"b{i}": b for i, b in enumerate(model.biases_)})
    return write_atomically(path, lambda f: np.savez(f, header=np.array(json.dumps(header)), classes=model.classes_,
                                                     **arrays))


def _multilabel(model):
    """Whether the fitted classifier `model` was trained on an indicator matrix (logistic outputs, one per label)."""
    return getattr(model, "out_activation_", "softmax") == "logistic" and model.weights_[-1].shape[0] > 1


TEMPORARY = ".scratchnet-fast-tmp-"  # the prefix of our temporary files, beside the file they become
STALE = 3600  # seconds after which a temporary file of ours is one a killed run left behind


def _remove_stale(folder):
    """Delete the temporary files of ours in `folder` older than STALE: left by a run killed while writing."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        try:
            if entry.name.startswith(TEMPORARY) and entry.is_file(follow_symlinks=False) \
                    and now - entry.stat(follow_symlinks=False).st_mtime > STALE:
                os.unlink(entry.path)
        except OSError:
            pass


def write_atomically(path, write):
    """Write a file at `path` by write(binary file), into a temporary file beside it renamed into place; the file written.

    `path` then holds either the old file or the whole new one, never a part. A symbolic link is
    followed: its target is replaced and returned. A path that exists and is not a regular file (a
    device such as /dev/null or /dev/stdout, a folder, a pipe) is refused (`check_target`). The file
    gets the permissions of the one it replaces, or those of any new file (0666 less the umask). The
    temporary file has a short name of its own (any legal name can be written), is removed on every
    error, and those that a killed run left behind are removed by the next write to that folder.
    """
    mode = check_target(path)
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    _remove_stale(folder)
    fd, tmp = tempfile.mkstemp(prefix=TEMPORARY, dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
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


def _names_a_descriptor(path):
    """Whether `path`, or a link on the way to its target, is a process's file descriptor (/dev/stdout, /proc/self/fd/1,
    /dev/fd/3, ...): a stream, even when the descriptor is open on a regular file that a rename would replace."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of links
        if re.match(r"/(proc/[^/]+/fd|dev/fd)/", current) or current in ("/dev/stdin", "/dev/stdout", "/dev/stderr"):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return False


def check_target(path):
    """The permission bits a file written to `path` gets; ValueError naming `path` if it cannot be written there.

    Called before training too, so that a run does not end in an error about its output.
    """
    check_folder(path)
    if _names_a_descriptor(path):
        raise ValueError(f"refusing to write over {path}: it exists and is not a regular file (it names a file "
                         f"descriptor; predict writes to standard output with --out -)")
    try:
        status = os.stat(path)  # through any link: /dev/stdout is a link to a descriptor, not a file to replace
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
    if not stat.S_ISREG(status.st_mode):
        raise ValueError(f"refusing to write over {path}: it exists and is not a regular file")
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


HEADER_BYTES = 1 << 20  # the JSON header of a model file is a few hundred bytes


def _npy_header(archive, info):
    """(shape, dtype, bytes before the data) of a member's .npy header, reading nothing after it."""
    with archive.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"an .npy format version {version}")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(f)
        return shape, dtype, f.tell()


def _member(archive, members, name, shape, dtypes):
    """The array `name` of the archive, after its .npy header says it has `shape` (None: any 0-d or 1-d shape) and a
    dtype in `dtypes` (kinds, or exact dtypes) and its declared size matches: nothing is read before that."""
    info = members[name]
    found, dtype, offset = _npy_header(archive, info)
    if dtype.hasobject or not (dtype.name in dtypes or dtype.kind in dtypes):
        raise ValueError(f"{name} is {dtype}: expected {' or '.join(dtypes)}")
    if (shape is not None and found != shape) or (shape is None and len(found) > 1):
        raise ValueError(f"{name} has shape {found}, expected {shape if shape is not None else 'a vector'}")
    if info.file_size != offset + math.prod(found) * dtype.itemsize:
        raise ValueError(f"{name} holds {info.file_size} bytes where its header says {offset} + {found} of {dtype}")
    with archive.open(info) as f:
        return np.lib.format.read_array(f, allow_pickle=False)


def _checked_header(archive, members):
    """The JSON header, with sizes (positive ints), dtype (float32/float64) and params (a dict) checked."""
    if members["header"].file_size > HEADER_BYTES:
        raise ValueError(f"a header of {members['header'].file_size} bytes")
    header = json.loads(str(_member(archive, members, "header", (), ("U",))))
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"format {header.get('format') if isinstance(header, dict) else header!r}, expected {FORMAT!r}")
    sizes = header.get("sizes")
    if not (isinstance(sizes, list) and len(sizes) >= 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes)):
        raise ValueError(f"sizes {sizes!r}: expected two or more positive whole numbers")
    if header.get("dtype") not in FLOAT_DTYPES:
        raise ValueError(f"dtype {header.get('dtype')!r}: model files hold float32 or float64 weights")
    params = header.get("params")
    if not isinstance(params, dict):
        raise ValueError(f"params {params!r}: expected the estimator's parameters")
    scale = params.get("input_scale")
    if scale is not None and not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"input_scale {scale!r}: expected a positive number")
    return header


def load(path):
    """A fitted MLPClassifier from a model file, after checking every part of it; (model, header).

    Each array's .npy header (shape, dtype, size) is checked against the model's sizes and dtype
    before any of its data is read, so a crafted file costs no more memory than the model it
    claims to be; pickles are never loaded.
    """
    path = os.fspath(path)
    regular_file(path, "model file")
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a scratchnet-fast model file{_what_it_is(path, error)}") from None
    with archive:
        members = {info.filename[:-4]: info for info in archive.infolist() if info.filename.endswith(".npy")}
        if "header" not in members:
            raise ValueError(f"{path} is not a scratchnet-fast model file: an .npz of the arrays {sorted(members)}, "
                             f"with no 'header' entry (bad or missing header). {LOOKS_LIKE}")
        try:
            header = _checked_header(archive, members)
        except (KeyError, TypeError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path} is not a scratchnet-fast model file: bad or missing header ({error})") from None
        sizes, dtype = header["sizes"], header["dtype"]
        n_layers = len(sizes) - 1
        expected = {"header", "classes"} | {f"{p}{i}" for p in "Wb" for i in range(n_layers)}
        names = {info.filename for info in archive.infolist()}
        if set(members) != expected or len(names) != len(expected):
            found = sorted(names - {"header.npy", "classes.npy"})
            raise ValueError(f"{path}: expected the arrays W0, b0 ... W{n_layers - 1}, b{n_layers - 1} and classes "
                             f"for {n_layers} layers, found {found}")
        weights, biases = [], []
        try:
            for i in range(n_layers):
                W = _member(archive, members, f"W{i}", (sizes[i + 1], sizes[i]), (dtype,))
                b = _member(archive, members, f"b{i}", (sizes[i + 1],), (dtype,))
                if not (np.isfinite(W).all() and np.isfinite(b).all()):
                    raise ValueError(f"layer {i} holds NaN or inf")
                weights.append(W)
                biases.append(b)
            classes = _member(archive, members, "classes", None, tuple("biufU"))
        except (ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path}: {error}") from None
    if classes.shape != (sizes[-1],) and not (classes.shape == (2,) and sizes[-1] == 1):  # two: one logistic output
        raise ValueError(f"{path}: {classes.shape[0] if classes.ndim else 0} classes for {sizes[-1]} outputs")
    if len(np.unique(classes)) != len(classes):
        raise ValueError(f"{path}: its classes repeat: {classes.tolist()}")
    params = dict(header["params"])
    if "hidden_layer_sizes" in params:  # JSON has no tuples
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    try:
        model = MLPClassifier(**params)
    except TypeError as error:
        raise ValueError(f"{path}: its params are not MLPClassifier's: {error}") from None
    model.weights_, model.biases_ = weights, biases
    model.classes_, model.n_features_in_ = classes, sizes[0]
    model.n_layers_, model.n_outputs_ = len(sizes), sizes[-1]
    model.out_activation_ = "logistic" if sizes[-1] == 1 else "softmax"
    return model, header
