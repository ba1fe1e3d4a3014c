"""How many threads the kernels run on: NUMBA_NUM_THREADS at most, fewer on request; and whether they can run here."""
import contextlib
import numbers
import os

import numba

_forked = False  # set in a child of os.fork()


def _in_child():
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_in_child)


def check_not_forked():
    """RuntimeError when this process is a fork of one whose kernels had run on GNU OpenMP's threads.

    GNU OpenMP cannot start its threads again in such a child: the kernel's first parallel loop
    would end the process by SIGTERM ("fork() called from a process already using GNU OpenMP"),
    and a multiprocessing pool of such children would wait for ever. Called at the API's entry.
    """
    if not _forked:
        return
    try:
        layer = numba.threading_layer()
    except ValueError:  # no kernel ran before the fork: the child starts its threads afresh
        return
    if layer == "omp":
        raise RuntimeError("this process was forked from one whose kernels had run on GNU OpenMP threads, which "
                           "cannot start again in a forked child: start worker processes with multiprocessing's "
                           "'spawn' or 'forkserver' method (joblib's default backend, loky, does), or install tbb "
                           "and set NUMBA_THREADING_LAYER=tbb before the first kernel runs")


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
    """Run the kernels inside the block on `resolve(n)` threads, then go back to the previous count (n None: as they are).

    Refuses to start in a forked child that could not run them (`check_not_forked`)."""
    check_not_forked()
    if n is None:
        yield
        return
    wanted, before = resolve(n), numba.get_num_threads()
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(before)
