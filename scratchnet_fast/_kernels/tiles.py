"""The register-tiled products over images, shared by the fused step and the per-step kernels.

Images go through them in tiles of four, in vectors of one register's width of columns (`lanes`).
In the forward dot products one load of W feeds four FMAs (one per image) and in the
weight-gradient outer products one load and store of the gradient row does.
"""
from collections import namedtuple

import numpy as np

from .._compile.options import inline
from .._simd import lanes
from .._simd.prefetch import prefetch

TILE = 4

Tile = namedtuple("Tile", "rows lo hi ahead lane")
Tile.__doc__ = """One tile of the products: the four rows (r0, r1, r2, r3) of the images, the columns lo..hi they run
over, the four rows of F to prefetch meanwhile (`ahead`), and the lane of z1 or dz1 that holds rows[0].

Integers only: a tile is made inside a parallel loop, where Numba passes no tuple of arrays
reliably (a write through an array taken out of a tuple there can be lost)."""


@inline
def _dot_step(acc, w, v, x):
    """One block of columns of the dot products of two weight rows (w, v) with four images (x): the eight accumulators
    (four of w, then four of v) after eight FMAs."""
    a0, a1, a2, a3, c0, c1, c2, c3 = acc
    x0, x1, x2, x3 = x
    return (lanes.fma(a0, w, x0), lanes.fma(a1, w, x1), lanes.fma(a2, w, x2), lanes.fma(a3, w, x3),
            lanes.fma(c0, v, x0), lanes.fma(c1, v, x1), lanes.fma(c2, v, x2), lanes.fma(c3, v, x3))


@inline
def _outer_step(w, g, x):
    """w + Σ_t g_t x_t: one block of a gradient row plus the four images' outer-product terms, in image order."""
    g0, g1, g2, g3 = g
    x0, x1, x2, x3 = x
    return lanes.fma(lanes.fma(lanes.fma(lanes.fma(w, g0, x0), g1, x1), g2, x2), g3, x3)


@inline
def _ahead_row(tile, p):
    """The p-th (0..3) of the rows to prefetch."""
    n0, n1, n2, n3 = tile.ahead
    return n0 if p == 0 else (n1 if p == 1 else (n2 if p == 2 else n3))


@inline
def _loaded(X, tile, k, like):
    """The vectors X[r_t, k:k + L] of the tile's four rows, in like's float dtype."""
    r0, r1, r2, r3 = tile.rows
    return (lanes.load_as(X, r0, k, like), lanes.load_as(X, r1, k, like),
            lanes.load_as(X, r2, k, like), lanes.load_as(X, r3, k, like))


@inline
def _loaded_below(X, tile, k, like):
    """_loaded with the columns from tile.hi on read as zeros."""
    r0, r1, r2, r3 = tile.rows
    hi = tile.hi
    return (lanes.load_below_as(X, r0, k, hi, like), lanes.load_below_as(X, r1, k, hi, like),
            lanes.load_below_as(X, r2, k, hi, like), lanes.load_below_as(X, r3, k, hi, like))


@inline
def hidden_tile(W1, b1, x_scale, X, F, tile, z1):
    """z1[:, u + t] = x_scale · (W1 @ X[r_t]) + b1 for the tile's rows r_t of X (m, d), zero outside its columns lo..hi;
    W1 (h, d), b1 (h,), z1 (h, lanes.count), u = tile.lane.

    Two hidden units at a time, in blocks of L = lanes.count columns: eight independent vector
    FMA chains, enough to cover the FMA latency, and six loads per eight FMAs. An odd last unit is
    paired with itself. Lane l of a chain holds the columns lo + l + n L, and where the loop begins
    depends on where X sits in memory (`spans`); `lanes.total` adds the lanes in a tree
    that gives the same bits whichever lane holds which columns, so the sums depend on the data
    alone. X may hold integers (uint8 pixels), converted to W1's dtype as they are loaded; `x_scale`
    (1 for floats, 1/255 for pixels) multiplies each finished sum once.
    The first pair of units reads the tile from memory; the others read it from cache and, like
    `outer_tile`, prefetch a tile to come, the rows tile.ahead of F (X itself, or the images that the
    fused step copies tiles of X from): pair p >= 1 the row ahead[(p - 1) mod 4].
    """
    h = W1.shape[0]
    L = lanes.count(W1.dtype)
    u = tile.lane
    lo, hi = np.int64(tile.lo), np.int64(tile.hi)
    for j0 in range(0, h, 2):
        j1 = min(j0 + 1, h - 1)
        ahead = _ahead_row(tile, (j0 // 2 + TILE - 1) % TILE)
        zero = lanes.splat(W1, 0)
        acc = (zero, zero, zero, zero, zero, zero, zero, zero)
        full = lo + (hi - lo) // L * L
        for k in range(lo, full, L):
            if j0 > 0:
                prefetch(F, ahead, k)
            acc = _dot_step(acc, lanes.load(W1, j0, k), lanes.load(W1, j1, k), _loaded(X, tile, k, W1))
        if full < hi:
            k = full
            acc = _dot_step(acc, lanes.load_below(W1, j0, k, hi), lanes.load_below(W1, j1, k, hi),
                            _loaded_below(X, tile, k, W1))
        a0, a1, a2, a3, c0, c1, c2, c3 = acc
        z1[j0, u] = lanes.total(a0) * x_scale + b1[j0]
        z1[j0, u + 1] = lanes.total(a1) * x_scale + b1[j0]
        z1[j0, u + 2] = lanes.total(a2) * x_scale + b1[j0]
        z1[j0, u + 3] = lanes.total(a3) * x_scale + b1[j0]
        z1[j1, u] = lanes.total(c0) * x_scale + b1[j1]
        z1[j1, u + 1] = lanes.total(c1) * x_scale + b1[j1]
        z1[j1, u + 2] = lanes.total(c2) * x_scale + b1[j1]
        z1[j1, u + 3] = lanes.total(c3) * x_scale + b1[j1]


@inline
def outer_tile(dz1, X, F, tile, gW1):
    """gW1 += Σ_t dz1[:, u + t] ⊗ X[r_t] over the tile's rows r_t of X (m, d), columns lo..hi; dz1 (h, lanes.count),
    u = tile.lane -> gW1 (h, d).

    X may hold integers (uint8 pixels), converted to gW1's dtype as they are loaded; the caller
    scales the finished sums.

    Two gradient rows at a time, in blocks of lanes.count columns, so each load of X feeds two
    FMAs. These products read only cached data, so they also fetch a tile to come, the rows
    tile.ahead of F (as in `hidden_tile`): pair p of gradient rows prefetches ahead[p mod 4] at the columns it is
    at, one prefetch per vector, spread through the loop. (A burst of prefetches would fill the CPU's
    queue of outstanding misses and stall it.) The next tile's span is close to this one's, the
    tiles being in order of where their spans start; with fewer than four pairs, the hardware
    prefetcher finds the remaining rows.
    """
    h = gW1.shape[0]
    L = lanes.count(gW1.dtype)
    u = tile.lane
    lo, hi = np.int64(tile.lo), np.int64(tile.hi)
    for j0 in range(0, h, 2):
        j1 = min(j0 + 1, h - 1)
        ahead = _ahead_row(tile, j0 // 2 % TILE)
        g = (dz1[j0, u], dz1[j0, u + 1], dz1[j0, u + 2], dz1[j0, u + 3])
        e = (dz1[j1, u], dz1[j1, u + 1], dz1[j1, u + 2], dz1[j1, u + 3])
        full = lo + (hi - lo) // L * L
        if j1 == j0:
            for k in range(lo, full, L):
                prefetch(F, ahead, k)
                x = _loaded(X, tile, k, gW1)
                lanes.store(gW1, _outer_step(lanes.load(gW1, j0, k), g, x), j0, k)
        else:
            for k in range(lo, full, L):
                prefetch(F, ahead, k)
                x = _loaded(X, tile, k, gW1)
                w, v = lanes.load(gW1, j0, k), lanes.load(gW1, j1, k)
                lanes.store(gW1, _outer_step(w, g, x), j0, k)
                lanes.store(gW1, _outer_step(v, e, x), j1, k)
        if full < hi:
            k = full
            x = _loaded_below(X, tile, k, gW1)
            lanes.store_below(gW1, _outer_step(lanes.load_below(gW1, j0, k, hi), g, x), j0, k, hi)
            if j1 != j0:
                lanes.store_below(gW1, _outer_step(lanes.load_below(gW1, j1, k, hi), e, x), j1, k, hi)
