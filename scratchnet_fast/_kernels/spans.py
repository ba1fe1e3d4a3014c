"""The columns a tile of four images goes through the products over: its span of nonzero pixels.

Zeros outside the span add exactly nothing to the dot products and the outer products. On MNIST
digits, centred with blank borders, a tile's span is about 70% of the columns. Spans are widened
to whole cache lines of X, so that no vector load straddles two lines.
The fused step finds the spans of all images once per training set (`nonzero_spans`) and
merges them per tile (`tile_span`); the per-step kernels, which must read every image anyway,
scan each tile as they reach it (`scanned_span`).
"""
import numpy as np

from .._compile.options import helper, inline
from .._simd import lanes
from .._simd.prefetch import prefetch
from .memory import LINE


@helper
def nonzero_spans(X, out):
    """out[i] = (first column of a nonzero in X[i], one past the last); X (m, d) -> out (m, 2).

    A row of zeros gets (d, 0), an empty span that widens nothing it is merged with. uint64, so
    that loops over a span index with unsigned integers and LLVM still vectorizes them. Serial:
    it runs once per training set, and a parallel loop would add a second of compile time.
    """
    m, d = X.shape
    zero = X.dtype.type(0)
    for i in range(m):
        lo = 0
        while lo < d and X[i, lo] == zero:
            lo += 1
        hi = d
        while hi > lo and X[i, hi - 1] == zero:
            hi -= 1
        out[i, 0] = lo if lo < hi else d
        out[i, 1] = hi if lo < hi else 0


@inline
def line_columns(X):
    """lines = (first, step) such that X[i, first + n step] begins a cache line in every row i of X (m, d).

    (0, 1), no alignment to keep, when the rows begin at different offsets within a line.
    """
    if X.strides[0] % LINE or X.ctypes.data % X.itemsize:
        return np.uint64(0), np.uint64(1)
    return np.uint64((LINE - X.ctypes.data % LINE) % LINE // X.itemsize), np.uint64(LINE // X.itemsize)


@inline
def _widened(lo, hi, lines, d):
    """(lo, hi) widened to whole cache lines (lines = (first, step): lines begin at the columns first + n step); lo <= hi <= d."""
    first, step = lines
    if lo >= first:
        lo -= (lo - first) % step
    hi = max(lo, hi)
    if hi > first:
        hi = min(hi + (step - (hi - first) % step) % step, d)
    return lo, hi


@inline
def tile_span(S, rows, lines, d):
    """The union (lo, hi) of the nonzero spans S (m, 2) of the four rows, widened to cache lines; lo <= hi <= d.

    lo moves down to the start of its cache line and hi up to the end of its own (`line_columns`):
    the loops then load whole lines of X, never one vector from two lines, and the columns added
    are zeros.
    """
    r0, r1, r2, r3 = rows
    lo = min(min(S[r0, 0], S[r1, 0]), min(S[r2, 0], S[r3, 0]))
    hi = max(max(S[r0, 1], S[r1, 1]), max(S[r2, 1], S[r3, 1]))
    return _widened(lo, hi, lines, d)


@inline
def _nonzero_at(X, rows, k, like):
    """Whether any of the four rows of X holds a nonzero (or NaN) in the vector of columns from k (to d at most)."""
    d = X.shape[1]
    r0, r1, r2, r3 = rows
    return lanes.any_nonzero(lanes.load_below_as(X, r0, k, d, like), lanes.load_below_as(X, r1, k, d, like),
                             lanes.load_below_as(X, r2, k, d, like), lanes.load_below_as(X, r3, k, d, like))


@inline
def _prefetch_rows(F, rows, k):
    n0, n1, n2, n3 = rows
    prefetch(F, n0, k)
    prefetch(F, n1, k)
    prefetch(F, n2, k)
    prefetch(F, n3, k)


@inline
def scanned_span(X, rows, lines, like, ahead):
    """The span (lo, hi) of the four rows of X (m, d), found by scanning them, widened to cache lines; uint64.

    Vectors of lanes.count(like.dtype) columns, from the left and then from the right, until one
    holds a nonzero in any of the four rows; an all-zero tile gets (0, 0). The scans read the
    columns that the products skip: they prefetch the same columns of the rows `ahead` of X, the next
    tile, whose blank borders are much like this one's (the products prefetch the rest).
    """
    d = np.int64(X.shape[1])
    L = lanes.count(like.dtype)
    lo = np.int64(0)
    while lo < d and not _nonzero_at(X, rows, lo, like):
        _prefetch_rows(X, ahead, lo)
        lo += L
    if lo >= d:
        return np.uint64(0), np.uint64(0)
    hi = (d - 1) // L * L
    while hi > lo and not _nonzero_at(X, rows, hi, like):
        _prefetch_rows(X, ahead, hi)
        hi -= L
    first, step = lines
    lo, hi = _widened(lo, min(hi + L, d), (np.int64(first), np.int64(step)), d)
    return np.uint64(lo), np.uint64(hi)
