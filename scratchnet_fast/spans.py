"""The columns a tile of four images goes through the products over: its span of nonzero pixels.

Zeros outside the span add exactly nothing to the dot products and the outer products. On MNIST
digits, centred with blank borders, a tile's span is about 70% of the columns. Spans are widened
to whole cache lines of X, so that no vector load straddles two lines.
The fused step finds the spans of all images once per training set (`kernels.nonzero_spans`) and
merges them per tile (`tile_span`); the per-step kernels, which must read every image anyway,
scan each tile as they reach it (`scanned_span`).
"""
import numpy as np

from . import lanes
from .config import inline
from .layout import LINE
from .prefetch import prefetch


@inline
def line_columns(X):
    """(first, step) such that X[i, first + n step] begins a cache line in every row i of X (m, d).

    (0, 1), no alignment to keep, when the rows begin at different offsets within a line.
    """
    if X.strides[0] % LINE or X.ctypes.data % X.itemsize:
        return np.uint64(0), np.uint64(1)
    return np.uint64((LINE - X.ctypes.data % LINE) % LINE // X.itemsize), np.uint64(LINE // X.itemsize)


@inline
def _widened(lo, hi, first, step, d):
    """(lo, hi) widened to whole cache lines (lines begin at the columns first + n step); lo <= hi <= d."""
    if lo >= first:
        lo -= (lo - first) % step
    hi = max(lo, hi)
    if hi > first:
        hi = min(hi + (step - (hi - first) % step) % step, d)
    return lo, hi


@inline
def tile_span(S, r0, r1, r2, r3, first, step, d):
    """The union (lo, hi) of the nonzero spans S (m, 2) of rows r0..r3, widened to cache lines; lo <= hi <= d.

    lo moves down to the start of its cache line and hi up to the end of its own (`line_columns`):
    the loops then load whole lines of X, never one vector from two lines, and the columns added
    are zeros.
    """
    lo = min(min(S[r0, 0], S[r1, 0]), min(S[r2, 0], S[r3, 0]))
    hi = max(max(S[r0, 1], S[r1, 1]), max(S[r2, 1], S[r3, 1]))
    return _widened(lo, hi, first, step, d)


@inline
def _nonzero_at(X, r0, r1, r2, r3, k, like):
    """Whether any of the rows r0..r3 of X holds a nonzero (or NaN) in the vector of columns from k (to d at most)."""
    d = X.shape[1]
    return lanes.any_nonzero(lanes.load_below_as(X, r0, k, d, like), lanes.load_below_as(X, r1, k, d, like),
                             lanes.load_below_as(X, r2, k, d, like), lanes.load_below_as(X, r3, k, d, like))


@inline
def _prefetch_rows(F, n0, n1, n2, n3, k):
    prefetch(F, n0, k)
    prefetch(F, n1, k)
    prefetch(F, n2, k)
    prefetch(F, n3, k)


@inline
def scanned_span(X, r0, r1, r2, r3, first, step, like, n0, n1, n2, n3):
    """The span (lo, hi) of rows r0..r3 of X (m, d), found by scanning them, widened to cache lines; uint64.

    Vectors of lanes.count(like.dtype) columns, from the left and then from the right, until one
    holds a nonzero in any of the four rows; an all-zero tile gets (0, 0). The scans read the
    columns that the products skip: they prefetch the same columns of rows n0..n3 of X, the next
    tile, whose blank borders are much like this one's (the products prefetch the rest).
    """
    d = np.int64(X.shape[1])
    L = lanes.count(like.dtype)
    lo = np.int64(0)
    while lo < d and not _nonzero_at(X, r0, r1, r2, r3, lo, like):
        _prefetch_rows(X, n0, n1, n2, n3, lo)
        lo += L
    if lo >= d:
        return np.uint64(0), np.uint64(0)
    hi = (d - 1) // L * L
    while hi > lo and not _nonzero_at(X, r0, r1, r2, r3, hi, like):
        _prefetch_rows(X, n0, n1, n2, n3, hi)
        hi -= L
    lo, hi = _widened(lo, min(hi + L, d), np.int64(first), np.int64(step), d)
    return np.uint64(lo), np.uint64(hi)
