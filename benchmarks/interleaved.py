"""Epochs side by side, interleaved: `python benchmarks/interleaved.py [--rounds 7] [--dtype float32] [--quick]`.

The machines here are shared VMs whose speed drifts by tens of percent within minutes, so a
benchmark that times ours and then a peer can compare two different machines. This one builds
every implementation first, then runs rounds in which each trains one epoch in turn (ours on 2
threads, ours on 1, JAX with the epoch jitted, PyTorch eager where installed, NumPy's SGEMM as
the yardstick), and reports each one's fastest epoch and the ratios of those: a slow spell of the
machine then costs every implementation of a round alike. The implementations and the data
are the pytest suite's (`test_epochs.py`, `conftest.features`); printed as a markdown table.
"""
import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import features  # noqa: E402
from report import dense_work  # noqa: E402
from scratchnet_fast._bench import PAUSE  # noqa: E402
from test_epochs import NETWORKS, jax_epoch, ours, pytorch  # noqa: E402


def sgemm(dtype, n=2048):
    A, B = (np.random.default_rng(0).random((n, n)).astype(dtype) for _ in range(2))
    A @ B
    return lambda: A @ B, 2 * n ** 3


def peers(X, Y, hidden, batch, solver, dtype):
    """(name, epoch) of each installed peer: JAX jitted, PyTorch eager."""
    found = []
    for name, make in (("JAX", lambda: jax_epoch(X, Y, hidden, batch, solver, dtype)[0]),
                       ("PyTorch", lambda: pytorch(X, Y, hidden, batch, solver, 2)[0])):
        try:
            found.append((name, make()))
        except pytest.skip.Exception:  # pytest.importorskip: the peer is not installed
            pass
    return found


def timed(run, threads):
    """Seconds of one run on `threads` of ours, after a pause: each runtime's threads (OpenMP's, OpenBLAS's, XLA's) spin
    on the cores for a while after its work, and would slow the next one down."""
    numba.set_num_threads(threads)
    time.sleep(PAUSE)
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--data", nargs="+", default=["mnist", "standardized", "normal"])
    parser.add_argument("--quick", action="store_true", help="2 rounds, 8,200 images")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype)
    m, rounds = (8200, 2) if args.quick else (41000, args.rounds)
    threads = numba.config.NUMBA_NUM_THREADS
    gemm, gemm_flops = sgemm(dtype)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, NumPy {np.__version__}, "
          f"Numba {numba.__version__}; {m} images, {dtype.name}, {rounds} interleaved rounds, fastest epoch of each\n")
    lines = []
    for hidden, batch, solver in NETWORKS:
        for data in args.data:
            X, Y, _, _ = features(data, m, dtype)
            epoch, _ = ours(X, Y, hidden, batch, solver, dtype)
            single, _ = ours(X, Y, hidden, batch, solver, dtype)
            runs = [("ours", epoch, threads), ("ours, 1 thread", single, 1)]
            runs += [(name, run, threads) for name, run in peers(X, Y, hidden, batch, solver, dtype)]
            runs.append(("SGEMM", gemm, threads))
            for _, run, n in runs:  # compile, load caches, warm up
                timed(run, n)
            best = {name: float("inf") for name, _, _ in runs}
            for _ in range(rounds):
                for name, run, n in runs:
                    best[name] = min(best[name], timed(run, n))
            numba.set_num_threads(threads)
            peak = gemm_flops / best.pop("SGEMM")
            rate = dense_work((X.shape[1],) + hidden + (10,), m) / best["ours"]
            cells = [f"{'-'.join(map(str, (X.shape[1],) + hidden + (10,)))}, {batch}, {solver}", data,
                     f"{best['ours']:.3f}", f"{rate / peak:.0%}",
                     f"{best['ours, 1 thread']:.3f} ({best['ours, 1 thread'] / best['ours']:.2f}×)"]
            for name in ("JAX", "PyTorch"):
                cells.append(f"{best[name]:.3f} ({best[name] / best['ours']:.2f}×)" if name in best else "")
            lines.append("| " + " | ".join(cells) + f" | {peak / 1e9:.0f} |")
            print(lines[-1], flush=True)
    print("\n| network, batch, solver | data | ours s | of peak | ours on 1 thread s (2 threads' gain) | JAX jitted s "
          "(ours faster by) | PyTorch eager s (ours faster by) | SGEMM GFLOP/s |\n|---|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
