"""Reductions over images in chunks: how many chunks, and their sum in a fixed order.

Reductions over images run in chunks whose count depends only on the number of images, never
on the thread count, and the chunks are summed in a fixed order: 1 and 2 threads give the same
bits. MAX_CHUNKS bounds the per-chunk buffers; MIN_CHUNK keeps small batches in one chunk.
"""
from numba import prange

from .._compile.options import helper, kernel

MIN_CHUNK = 256
MAX_CHUNKS = 64


@helper
def chunking(m):
    """Number of chunks and chunk length for m images: a function of m alone."""
    n_chunks = min(MAX_CHUNKS, max(1, (m + MIN_CHUNK - 1) // MIN_CHUNK))
    return n_chunks, (m + n_chunks - 1) // n_chunks


@kernel
def sum_chunks(parts, factor, out):
    """out = factor · Σ_ch parts[ch], summed in chunk order; parts (n_chunks, n) -> out (n,)."""
    n_chunks, n = parts.shape
    for k in prange(n):
        acc = parts[0, k]
        for ch in range(1, n_chunks):
            acc += parts[ch, k]
        out[k] = factor * acc
