"""The register-tiled products over images, shared by the fused step and the per-step kernels.

Images go through them in tiles of four, in vectors of one register's width of columns (`lanes`).
In the forward dot products one load of W feeds four FMAs (one per image) and in the
weight-gradient outer products one load and store of the gradient row does.
"""
import numpy as np

from . import lanes
from .config import inline
from .prefetch import prefetch

TILE = 4


@inline
def _dot_step(a0, a1, a2, a3, c0, c1, c2, c3, w, v, x0, x1, x2, x3):
    """One block of columns of the dot products of two weight rows (w, v) with four images (x_t): eight FMAs."""
    return (lanes.fma(a0, w, x0), lanes.fma(a1, w, x1), lanes.fma(a2, w, x2), lanes.fma(a3, w, x3),
            lanes.fma(c0, v, x0), lanes.fma(c1, v, x1), lanes.fma(c2, v, x2), lanes.fma(c3, v, x3))


@inline
def _outer_step(w, g0, g1, g2, g3, x0, x1, x2, x3):
    """w + Σ_t g_t x_t: one block of a gradient row plus the four images' outer-product terms, in image order."""
    return lanes.fma(lanes.fma(lanes.fma(lanes.fma(w, g0, x0), g1, x1), g2, x2), g3, x3)


@inline
def hidden_tile(W1, b1, X, scale, r0, r1, r2, r3, lo, hi, z1, u, F, n0, n1, n2, n3):
    """z1[:, u + t] = scale · (W1 @ X[r_t]) + b1, rows r0..r3 of X (m, d), zero outside columns lo..hi; z1 (h, lanes.count).

    Two hidden units at a time, in blocks of L = lanes.count columns: eight independent vector
    FMA chains, enough to cover the FMA latency, and six loads per eight FMAs. An odd last unit is
    paired with itself. Lane l of a chain holds the columns lo + l + n L, and where the loop begins
    depends on where X sits in memory (`spans`); `lanes.total` adds the lanes in a tree
    that gives the same bits whichever lane holds which columns, so the sums depend on the data
    alone. X may hold integers (uint8 pixels), converted to W1's dtype as they are loaded; `scale`
    (1 for floats, 1/255 for pixels) multiplies each finished sum once.
    The first pair of units reads the tile from memory; the others read it from cache and, like
    `outer_tile`, prefetch a tile to come, the rows n0..n3 of F (X itself, or the images that the
    fused step copies tiles of X from): pair p >= 1 the row n_((p - 1) mod 4).
    """
    h = W1.shape[0]
    L = lanes.count(W1.dtype)
    lo, hi = np.int64(lo), np.int64(hi)
    for j in range(0, h, 2):
        q = min(j + 1, h - 1)
        p = (j // 2 + TILE - 1) % TILE
        ahead = n0 if p == 0 else (n1 if p == 1 else (n2 if p == 2 else n3))
        a0 = a1 = a2 = a3 = c0 = c1 = c2 = c3 = lanes.splat(W1, 0)
        full = lo + (hi - lo) // L * L
        for k in range(lo, full, L):
            if j > 0:
                prefetch(F, ahead, k)
            w, v = lanes.load(W1, j, k), lanes.load(W1, q, k)
            x0, x1 = lanes.load_as(X, r0, k, W1), lanes.load_as(X, r1, k, W1)
            x2, x3 = lanes.load_as(X, r2, k, W1), lanes.load_as(X, r3, k, W1)
            a0, a1, a2, a3, c0, c1, c2, c3 = _dot_step(a0, a1, a2, a3, c0, c1, c2, c3, w, v, x0, x1, x2, x3)
        if full < hi:
            k = full
            w, v = lanes.load_below(W1, j, k, hi), lanes.load_below(W1, q, k, hi)
            x0, x1 = lanes.load_below_as(X, r0, k, hi, W1), lanes.load_below_as(X, r1, k, hi, W1)
            x2, x3 = lanes.load_below_as(X, r2, k, hi, W1), lanes.load_below_as(X, r3, k, hi, W1)
            a0, a1, a2, a3, c0, c1, c2, c3 = _dot_step(a0, a1, a2, a3, c0, c1, c2, c3, w, v, x0, x1, x2, x3)
        z1[j, u] = lanes.total(a0) * scale + b1[j]
        z1[j, u + 1] = lanes.total(a1) * scale + b1[j]
        z1[j, u + 2] = lanes.total(a2) * scale + b1[j]
        z1[j, u + 3] = lanes.total(a3) * scale + b1[j]
        z1[q, u] = lanes.total(c0) * scale + b1[q]
        z1[q, u + 1] = lanes.total(c1) * scale + b1[q]
        z1[q, u + 2] = lanes.total(c2) * scale + b1[q]
        z1[q, u + 3] = lanes.total(c3) * scale + b1[q]


@inline
def outer_tile(gW1, dz1, u, X, r0, r1, r2, r3, lo, hi, F, n0, n1, n2, n3):
    """gW1 += Σ_t dz1[:, u + t] ⊗ X[r_t] over the rows r0..r3 of X (m, d), columns lo..hi; dz1 (h, lanes.count) -> gW1 (h, d).

    X may hold integers (uint8 pixels), converted to gW1's dtype as they are loaded; the caller
    scales the finished sums.

    Two gradient rows at a time, in blocks of lanes.count columns, so each load of X feeds two
    FMAs. These products read only cached data, so they also fetch a tile to come, the rows
    n0..n3 of F (as in `hidden_tile`): pair p of gradient rows prefetches row n_(p mod 4) at the columns it is at, one
    prefetch per vector, spread through the loop. (A burst of prefetches would fill the CPU's
    queue of outstanding misses and stall it.) The next tile's span is close to this one's, the
    tiles being in order of where their spans start; with fewer than four pairs, the hardware
    prefetcher finds the remaining rows.
    """
    h = gW1.shape[0]
    L = lanes.count(gW1.dtype)
    lo, hi = np.int64(lo), np.int64(hi)
    for j in range(0, h, 2):
        q = min(j + 1, h - 1)
        p = j // 2 % TILE
        ahead = n0 if p == 0 else (n1 if p == 1 else (n2 if p == 2 else n3))
        g0, g1, g2, g3 = dz1[j, u], dz1[j, u + 1], dz1[j, u + 2], dz1[j, u + 3]
        e0, e1, e2, e3 = dz1[q, u], dz1[q, u + 1], dz1[q, u + 2], dz1[q, u + 3]
        full = lo + (hi - lo) // L * L
        if q == j:
            for k in range(lo, full, L):
                prefetch(F, ahead, k)
                x0, x1 = lanes.load_as(X, r0, k, gW1), lanes.load_as(X, r1, k, gW1)
                x2, x3 = lanes.load_as(X, r2, k, gW1), lanes.load_as(X, r3, k, gW1)
                w = lanes.load(gW1, j, k)
                lanes.store(gW1, _outer_step(w, g0, g1, g2, g3, x0, x1, x2, x3), j, k)
        else:
            for k in range(lo, full, L):
                prefetch(F, ahead, k)
                x0, x1 = lanes.load_as(X, r0, k, gW1), lanes.load_as(X, r1, k, gW1)
                x2, x3 = lanes.load_as(X, r2, k, gW1), lanes.load_as(X, r3, k, gW1)
                w, v = lanes.load(gW1, j, k), lanes.load(gW1, q, k)
                lanes.store(gW1, _outer_step(w, g0, g1, g2, g3, x0, x1, x2, x3), j, k)
                lanes.store(gW1, _outer_step(v, e0, e1, e2, e3, x0, x1, x2, x3), q, k)
        if full < hi:
            k = full
            x0, x1 = lanes.load_below_as(X, r0, k, hi, gW1), lanes.load_below_as(X, r1, k, hi, gW1)
            x2, x3 = lanes.load_below_as(X, r2, k, hi, gW1), lanes.load_below_as(X, r3, k, hi, gW1)
            w = lanes.load_below(gW1, j, k, hi)
            lanes.store_below(gW1, _outer_step(w, g0, g1, g2, g3, x0, x1, x2, x3), j, k, hi)
            if q != j:
                v = lanes.load_below(gW1, q, k, hi)
                lanes.store_below(gW1, _outer_step(v, e0, e1, e2, e3, x0, x1, x2, x3), q, k, hi)
