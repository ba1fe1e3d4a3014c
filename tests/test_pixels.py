"""pixels.as_pixels: X / 255. undone exactly, or None."""
import numpy as np
import pytest

from helpers import DTYPES
from scratchnet_fast._kernels.pixels import as_pixels


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("m", [1, 300, 3001])
def test_every_level_comes_back_exactly(rng, dtype, m):
    P = rng.integers(0, 256, (m, 784)).astype(np.uint8)
    P[0, :256] = np.arange(256)
    X = (P / dtype(255)).astype(dtype) if dtype == np.float32 else P / 255.0
    np.testing.assert_array_equal(as_pixels(np.ascontiguousarray(X)), P)


def test_float32_from_the_seeds_float64_division_comes_back():
    P = np.arange(256, dtype=np.uint8)[None, :]
    np.testing.assert_array_equal(as_pixels((P / 255.0).astype(np.float32)), P)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("bad", ["next", np.nan, np.inf, -1 / 255, 256 / 255, 0.5, 1e-30])
def test_anything_else_is_none(rng, dtype, bad):
    X = rng.integers(0, 256, (700, 784)) / dtype(255)
    X = np.ascontiguousarray(X, dtype)
    where = (699, 783) if bad != 0.5 else (350, 0)
    X[where] = np.nextafter(X[where], dtype(2)) if bad == "next" else bad
    assert as_pixels(X) is None


def test_negative_zero_is_pixel_zero():
    np.testing.assert_array_equal(as_pixels(np.array([[-0.0, 1.0]])), [[0, 255]])
