"""The seed's images as the uint8 pixels they came from: `X / 255.` undone, exactly, when it can be.

The seed hands the drop-in floats, pixels / 255. The fused step reads uint8 pixels in an eighth
(float64) or a quarter (float32) of the bytes, scaling its sums by 1/255 instead; it can take them
when every value of X is k / 255 for an integer k in 0..255, computed in X's dtype, which one pass
over X checks while it writes the pixels.
"""
import numpy as np
from numba import prange

from .._compile.options import kernel
from .chunks import chunking

PIXEL_SCALE = 1 / 255  # the seed's X / 255.: what the drop-in and the command line scale pixels by


@kernel
def to_pixels(X, levels, out):
    """out = X · 255 as uint8 if every X[i, j] is exactly levels[k] for an integer k, and True; else False.

    X (m, d) floats, levels (256,) the values k / 255 in X's dtype (divided by NumPy: the kernels'
    fast-math flags would let a division become a multiplication by 1/255, off by an ulp for some
    k), out (m, d) uint8, whose contents are undefined when the answer is False.
    """
    m, d = X.shape
    n_chunks, size = chunking(m)
    ok = np.ones(n_chunks, np.bool_)
    top = X.dtype.type(255)
    for ch in prange(n_chunks):
        for i in range(ch * size, min(m, (ch + 1) * size)):
            for j in range(d):
                v = X[i, j]
                k = np.rint(v * top)
                if not (k >= 0 and k <= top and levels[np.int64(k)] == v):
                    ok[ch] = False
                    break
                out[i, j] = np.uint8(k)
            if not ok[ch]:
                break
    return ok.all()


def as_pixels(X):
    """The uint8 pixels (m, d) that X (m, d), floats, is pixels / 255 of, or None when it is not exactly that."""
    out = np.empty(X.shape, np.uint8)
    levels = np.arange(256, dtype=X.dtype) / X.dtype.type(255)
    return out if to_pixels(X, levels, out) else None
