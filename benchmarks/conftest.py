"""Benchmarks: each group pairs the NumPy reference with our Numba code on identical inputs.

Run through `python benchmarks/report.py` (add `--quick` for one small size), which prints the
speedup table; `pytest benchmarks` runs them directly. They are not part of the default test run.
"""
import os
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

QUICK = os.environ.get("SCRATCHNET_BENCH_QUICK") == "1"
SIZES = [1000] if QUICK else [1000, 10000, 41000]
DTYPES = [np.float64, np.float32]
THREADS = [1, 2] if numba.config.NUMBA_NUM_THREADS >= 2 else [1]
DATA = Path(os.environ.get("SCRATCHNET_BENCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def pixels(m):
    """The uint8 pixels (m, 784) and labels (m,) int64 that `digits` scales: what the loaders give."""
    path = DATA / "train-images-idx3-ubyte.gz"
    if path.is_file():
        from scratchnet_fast.data import load_idx

        images, labels = load_idx(path, DATA / "train-labels-idx1-ubyte.gz")
        return np.ascontiguousarray(images[:m]), labels[:m].astype(np.int64), True
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (m, 784), dtype=np.uint8), rng.integers(0, 10, m), False


def digits(m, dtype):
    """Images X (m, 784) in [0, 1] of dtype, one per row, labels Y (m,) int64, and whether they are real.

    The first m of MNIST's 60,000 training digits when ../shared/data (or $SCRATCHNET_BENCH_DATA)
    holds them: real, distinct digits, as Kaggle's 42,000 are. Random pixels otherwise. Timings
    of the fused full-batch step depend on the pixels: it skips each tile's blank margins, which
    real digits have and random pixels do not.
    """
    images, labels, real = pixels(m)
    return (images / 255.0).astype(dtype), labels, real


def features(kind, m, dtype):
    """(X (m, 784) of dtype, Y, real, transform): digits as the first layer sees them, and the same map for test images.

    "mnist": the pixels / 255, blank margins and all (our first layer skips their zeros);
    "standardized": MNIST after scikit-learn's StandardScaler, as its docs advise before an MLP:
    no zeros but the pixels that are blank in every image; "normal": random normal features, no
    zero anywhere (labels from MNIST, so accuracy means nothing there).
    """
    X, Y, real = digits(m, dtype)
    if kind == "mnist":
        return X, Y, real, lambda T: T
    if kind == "standardized":
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X.astype(np.float64))
        return scaler.transform(X).astype(dtype), Y, real, lambda T: scaler.transform(T)
    return np.random.default_rng(1).standard_normal(X.shape).astype(dtype), Y, False, None


def held_out_digits():
    """The 10,000 MNIST test digits as (X (n, 784) in [0, 1] float64, y), or None without ../shared/data."""
    path = DATA / "t10k-images-idx3-ubyte.gz"
    if not path.is_file():
        return None
    from scratchnet_fast.data import load_idx

    pixels, labels = load_idx(path, DATA / "t10k-labels-idx1-ubyte.gz")
    return pixels / 255.0, labels.astype(np.int64)


def images(m, dtype):
    """X (784, m) Fortran-ordered like the seed's `X / 255.`, and labels Y (m,): `digits` in the seed's layout."""
    X, Y, _ = digits(m, dtype)
    return X.T, Y


@pytest.fixture(params=SIZES, ids=lambda m: f"m{m}")
def m(request):
    return request.param


@pytest.fixture(params=DTYPES, ids=lambda t: t.__name__)
def dtype(request):
    return request.param


@pytest.fixture(params=THREADS, ids=lambda t: f"threads{t}")
def threads(request):
    numba.set_num_threads(request.param)
    yield request.param
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def group(benchmark, name, m, dtype, threads):
    benchmark.group = f"{name} | {m} | {np.dtype(dtype).name} | {threads}"
