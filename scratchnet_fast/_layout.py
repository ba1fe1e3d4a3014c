"""Conversions between the seed's layout and the kernels': free whenever the memory already fits."""
import numpy as np

from ._kernels.memory import empty_at


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
