"""Compilation options shared by every kernel, kept in one place so a change is one line."""
from numba import njit

from .kernel_cache import register

# Before any kernel below is decorated: cached kernels are keyed on all of the package's sources.
register()

# No 'nnan' or 'ninf': with them LLVM may delete the isnan/isinf checks that catch divergence.
# No 'afn': approximate exp/log would move results away from the reference.
# No 'reassoc': with it LLVM reordered scalar sums differently in a freshly compiled kernel and in
# the same kernel loaded from the cache (1 ulp in a bias gradient): the order of every sum is the
# code's own, written out in lanes where it needs vectors.
FASTMATH = frozenset({"nsz", "arcp", "contract"})

# error_model="numpy": division follows IEEE (x/0 is inf) with no zero check and raise per
# division, which kernels never need: they trust their inputs and never raise.
OPTIONS = dict(fastmath=set(FASTMATH), error_model="numpy")

kernel = njit(parallel=True, cache=True, **OPTIONS)
"""Decorator for a parallel kernel: compiled once per dtype, cached on disk."""

inline = njit(inline="always", **OPTIONS)
"""Decorator for a serial piece of a kernel, inlined into it at compile time.

A real call would incref and decref every array argument: atomics on reference counts that the
threads share, which cost more than the arithmetic of these small pieces.
"""

helper = njit(cache=True, **OPTIONS)
"""Decorator for a serial function called from Python or from a kernel's serial part."""

# Reductions over images run in chunks whose count depends only on the number of images, never
# on the thread count, and the chunks are summed in a fixed order: 1 and 2 threads give the same
# bits. MAX_CHUNKS bounds the per-chunk buffers; MIN_CHUNK keeps small batches in one chunk.
MIN_CHUNK = 256
MAX_CHUNKS = 64


@helper
def chunking(m):
    """Number of chunks and chunk length for m images: a function of m alone."""
    n_chunks = min(MAX_CHUNKS, max(1, (m + MIN_CHUNK - 1) // MIN_CHUNK))
    return n_chunks, (m + n_chunks - 1) // n_chunks
