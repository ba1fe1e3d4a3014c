"""Training beside another busy program: `python benchmarks/busy.py [--epochs 16] [--iterations 100]`.

Trains 784-128-10 at batch 64 (SGD, float32) on 41,000 MNIST digits for --epochs epochs, and the seed's network
full batch for --iterations iterations, first on a quiet machine and then with a second process spinning on a core:
each on the thread count training picks itself (`_train/pace.py`), on one thread, and on every thread fixed
(n_jobs). Fastest of two runs each; prints one line per condition.
"""
import argparse
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import features  # noqa: E402
from scratchnet_fast import MLPClassifier, gradient_descent  # noqa: E402


def fit_seconds(X, Y, epochs, n_jobs):
    model = MLPClassifier(hidden_layer_sizes=(128,), batch_size=64, max_iter=epochs, solver="sgd", momentum=0,
                          learning_rate_init=0.1, dtype="float32", random_state=0, n_jobs=n_jobs, n_iter_no_change=None)
    start = time.perf_counter()
    model.fit(X, Y)
    return time.perf_counter() - start


def seed_seconds(X, Y, iterations, threads):
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        start = time.perf_counter()
        gradient_descent(X.T, Y, 0.1, iterations, verbose=False)
        return time.perf_counter() - start
    finally:
        numba.set_num_threads(before)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--iterations", type=int, default=100)
    args = parser.parse_args()
    most = numba.config.NUMBA_NUM_THREADS
    X, Y, _, _ = features("mnist", 41000, np.float32)
    warnings.simplefilter("ignore")
    fit_seconds(X, Y, 1, None)  # compile or load the kernels
    seed_seconds(X, Y, 1, most)
    for busy in (False, True):
        spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
        try:
            time.sleep(0.5)
            fits = {name: min(fit_seconds(X, Y, args.epochs, n) for _ in range(2))
                    for name, n in (("paced", None), ("1 thread", 1), (f"{most} threads", most))}
            seeds = {name: min(seed_seconds(X, Y, args.iterations, n) for _ in range(2))
                     for name, n in (("paced", most), ("1 thread", 1))}
        finally:
            if spinner is not None:
                spinner.kill()
        print(f"{'a core busy' if busy else 'quiet'}: {args.epochs} epochs "
              + ", ".join(f"{name} {s:.2f} s" for name, s in fits.items())
              + f"; {args.iterations} seed iterations " + ", ".join(f"{name} {s:.2f} s" for name, s in seeds.items()),
              flush=True)


if __name__ == "__main__":
    main()
