"""Compilation options shared by every kernel, kept in one place so a change is one line."""
from numba import njit

# No 'nnan' or 'ninf': with them LLVM may delete the isnan/isinf checks that catch divergence.
# No 'afn': approximate exp/log would move results away from the reference.
# No 'reassoc', 'contract' or 'arcp': with them LLVM may round a kernel differently where it is
# compiled into another. A kernel that its caller compiled alongside it, and the same kernel loaded
# from the cache (or compiled by `_train.ahead`'s helper), gave other bits, 1 ulp at a time:
# 'reassoc' reordered scalar sums (a bias gradient), 'contract' fused a multiply into an add in
# Adam's update (`rules.apply_block`). The order of every sum is the code's own, written out in
# lanes where it needs vectors; every fused multiply-add is an explicit `lanes.fma`; every division
# is one.
FASTMATH = frozenset({"nsz"})

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
