"""Conversions between the seed's layout and the kernels': free whenever the memory already fits."""
import numpy as np


LINE = 64  # bytes in a cache line


def empty_at(shape, dtype, offset=0):
    """An uninitialised C-contiguous array whose data begins `offset` bytes past a cache-line boundary.

    The fused step loads X a cache line at a time; buffers it reads and writes alongside X (the
    weights, the gradients) begin at X's own offset, so that their lines line up with X's.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(size + LINE, np.uint8)
    start = (offset - buffer.ctypes.data) % LINE
    return buffer[start:start + size].view(dtype).reshape(shape)


def rows(A, dtype):
    """The seed's (k, m) array as a C-contiguous (m, k) array of `dtype`, one image per row.

    A view when A is Fortran-ordered, as the seed's `X / 255.` and our own outputs are; otherwise
    a copy, which begins on a cache line.
    """
    T = np.asarray(A).T
    if T.flags.c_contiguous and T.dtype == dtype:
        return T
    out = empty_at(T.shape, dtype)
    out[...] = T
    return out


def contiguous(A, dtype):
    """A as a C- or Fortran-contiguous array of `dtype`, copied only when it is neither."""
    A = np.asarray(A, dtype=dtype)
    if A.flags.c_contiguous or A.flags.f_contiguous:
        return A
    return np.ascontiguousarray(A)


def flat(A):
    """The elements of a contiguous array in memory order, as a 1-D view."""
    return A.reshape(-1, order="F" if A.flags.f_contiguous and not A.flags.c_contiguous else "C")
