import os
from pathlib import Path

import numpy as np
import pytest

# No helper process compiling a first epoch's kernels on the other core (`_train/ahead.py`): pytest-xdist's two
# processes already compile on both, and the helpers only contended with them (cold run on the 2-core Zen 4 VM, 2026-12-07:
# 7 min 1 s with them, 6 min 5 s without). Its own tests turn it on; set it to 1 to run everything with it.
os.environ.setdefault("SCRATCHNET_FAST_COMPILE_AHEAD", "0")

from helpers import DTYPES, SHAPES, network

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


@pytest.fixture(scope="session")
def mnist():
    """The 10,000 real MNIST test digits from ../shared/data as (X (n, 784) uint8, y (n,)), if present."""
    images = DATA / "t10k-images-idx3-ubyte.gz"
    labels = DATA / "t10k-labels-idx1-ubyte.gz"
    if not (images.is_file() and labels.is_file()):
        pytest.skip(f"real MNIST digits not found in {DATA}")
    from scratchnet_fast.data import load_idx

    return load_idx(images, labels)


@pytest.fixture(params=DTYPES, ids=lambda t: t.__name__)
def dtype(request):
    return request.param


@pytest.fixture(params=SHAPES, ids=lambda s: "x".join(map(str, s)))
def net(request, rng, dtype):
    return network(rng, *request.param, dtype)
