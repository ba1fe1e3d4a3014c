"""Spans of nonzero columns (`_kernels/spans.py`) and arrays placed within a cache line (`_kernels/memory.py`)."""
import numpy as np
import pytest

import reference as ref
from helpers import blank_borders
from scratchnet_fast._kernels.memory import LINE, empty_at
from scratchnet_fast._kernels.spans import nonzero_spans


@pytest.mark.parametrize("m", [1, 2, 5, 257, 3001])
def test_nonzero_spans_match_reference(rng, dtype, m):
    X = blank_borders(rng, rng.random((m, 97)).astype(dtype))
    X[m // 2] = -0.0
    out = np.empty((m, 2), np.uint64)
    nonzero_spans(X, out)
    np.testing.assert_array_equal(out, ref.nonzero_spans(X))


@pytest.mark.parametrize("offset", [0, 8, 40])
def test_empty_at_places_the_data_at_the_offset(offset):
    A = empty_at((3, 5), np.float64, offset)
    assert A.shape == (3, 5) and A.dtype == np.float64 and A.flags.c_contiguous and A.flags.writeable
    assert A.ctypes.data % LINE == offset
