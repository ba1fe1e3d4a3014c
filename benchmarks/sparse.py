"""Sparse X beside dense: `python benchmarks/sparse.py [--rounds 3] [--images 41000] [--quick]`.

Trains 784-128-10 at batch 64 (SGD, float32, 2 epochs; the second one timed, as the marginal cost of an epoch) on the
MNIST digits / 255 (random pixels without ../shared/data) four ways, in alternating rounds: dense X with the first
layer skipping zero tiles (what a fit chooses on digits) or reading every input, and the same values as a scipy CSR
matrix (each block's rows scattered into a dense panel), the panel's zero tiles skipped (what a fit chooses) or not. Then predict_proba of the 10,000 test digits (or the
training images) dense and as CSR. Fastest round of each; prints one line per way, with its ratio to the dense fit.
"""
import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import digits, held_out_digits  # noqa: E402
from scratchnet_fast import MLPClassifier  # noqa: E402
from scratchnet_fast._train import mini_batch  # noqa: E402

SKIPS = mini_batch.skips_zeros


def epoch_seconds(X, Y, skip):
    """The second epoch's seconds of a fit (the first one compiles or loads the kernels and warms the caches)."""
    mini_batch.skips_zeros = SKIPS if skip else (lambda *args: False)
    times = []
    model = MLPClassifier(hidden_layer_sizes=(128,), batch_size=64, max_iter=2, solver="sgd", momentum=0,
                          learning_rate_init=0.1, dtype="float32", random_state=0, n_iter_no_change=None)
    last = [time.perf_counter()]

    def tick(*_):
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    model.fit(X, Y, callback=tick)
    mini_batch.skips_zeros = SKIPS
    return times[-1], model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=41000)
    parser.add_argument("--quick", action="store_true", help="one round on 2,000 images: that it runs")
    args = parser.parse_args()
    rounds, m = (1, 2000) if args.quick else (args.rounds, args.images)
    X, Y, real = digits(m, np.float32)
    C = sp.csr_matrix(X)
    print(f"{m} {'MNIST digits' if real else 'random pixels'}, {C.nnz / X.size:.1%} nonzero; 784-128-10, batch 64, "
          f"float32; fastest of {rounds} rounds")
    warnings.simplefilter("ignore")
    ways = {"dense, skipping zeros": (X, True), "dense, every input": (X, False), "CSR, skipping zeros": (C, True),
            "CSR, every input": (C, False)}
    fits = {name: [] for name in ways}
    model = None
    for _ in range(rounds):
        for name, (data, skip) in ways.items():
            seconds, model = epoch_seconds(data, Y, skip)
            fits[name].append(seconds)
    test = held_out_digits()
    T = (test[0] if test is not None else X).astype(np.float32)
    predictions = {"dense": T, "CSR": sp.csr_matrix(T)}
    times = {name: [] for name in predictions}
    for _ in range(rounds):
        for name, data in predictions.items():
            start = time.perf_counter()
            model.predict_proba(data)
            times[name].append(time.perf_counter() - start)
    base = min(fits["dense, skipping zeros"])
    for name, seconds in fits.items():
        print(f"epoch, {name:22s} {min(seconds):.3f} s  ({min(seconds) / base:.2f}x the dense fit)")
    for name, seconds in times.items():
        print(f"predict_proba of {len(T)}, {name:6s} {1e3 * min(seconds):.1f} ms  "
              f"({min(seconds) / min(times['dense']):.2f}x dense)")


if __name__ == "__main__":
    main()
