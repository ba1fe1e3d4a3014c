"""How many threads the kernels run on: NUMBA_NUM_THREADS at most, fewer on request."""
import contextlib
import numbers

import numba


def resolve(n):
    """The thread count `n` asks for: None keeps the current one, -1 is all NUMBA_NUM_THREADS; else ValueError/TypeError."""
    most = numba.config.NUMBA_NUM_THREADS
    if n is None:
        return numba.get_num_threads()
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"the number of threads must be an integer, got {n!r}")
    if n == -1:
        return most
    if not 1 <= n <= most:
        raise ValueError(f"the number of threads must be between 1 and {most} (NUMBA_NUM_THREADS), or -1 for all; got {n}")
    return int(n)


@contextlib.contextmanager
def limited(n):
    """Run the kernels inside the block on `resolve(n)` threads, then go back to the previous count (n None: as they are)."""
    if n is None:
        yield
        return
    wanted, before = resolve(n), numba.get_num_threads()
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(before)
