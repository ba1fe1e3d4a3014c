"""How closely the drop-in reproduces the seed: `python benchmarks/seed_match.py`.

Trains the seed's NumPy code (tests/reference.py) and scratchnet_fast's gradient_descent from the
same np.random.seed on the real MNIST digits in ../shared/data (shuffled, 1,000 held out as the
seed does), and prints the largest parameter difference after 50 and 500 iterations, the
held-out accuracy of both, and the same for float32 training.
"""
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import reference as ref  # noqa: E402
import scratchnet_fast as sf  # noqa: E402
from scratchnet_fast.data import load_idx  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def main():
    if not (DATA / "t10k-images-idx3-ubyte.gz").is_file():
        sys.exit(f"error: the real MNIST digits are not in {DATA}: this comparison needs ../shared/data beside the project")
    images, labels = load_idx(DATA / "t10k-images-idx3-ubyte.gz", DATA / "t10k-labels-idx1-ubyte.gz")
    order = np.random.default_rng(0).permutation(len(labels))
    X = images[order].T / 255.0
    Y = labels[order].astype(np.int64)
    X_val, Y_val, X_train, Y_train = X[:, :1000], Y[:1000], X[:, 1000:], Y[1000:]
    print(f"{X_train.shape[1]} training images, {X_val.shape[1]} held out; np.random.seed(1) before each run")
    for iterations in (50, 500):
        np.random.seed(1)
        start = time.perf_counter()
        seed_params = ref.gradient_descent(X_train, Y_train, 0.1, iterations)
        seed_seconds = time.perf_counter() - start
        np.random.seed(1)
        start = time.perf_counter()
        ours = sf.gradient_descent(X_train, Y_train, 0.1, iterations, verbose=False)
        our_seconds = time.perf_counter() - start
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(seed_params, ours))
        print(f"{iterations} iterations, float64: max |difference| {diff:.2g}; held-out accuracy seed "
              f"{ref.evaluate(X_val, Y_val, *seed_params):.3f}, ours {sf.evaluate(X_val, Y_val, *ours):.3f}; "
              f"{seed_seconds:.2f} s vs {our_seconds:.2f} s")
    np.random.seed(1)
    ours32 = sf.gradient_descent(X_train.astype(np.float32), Y_train, 0.1, 500, verbose=False)
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(seed_params, ours32))
    print(f"500 iterations, ours in float32: max |difference| from the seed's float64 {diff:.2g}; "
          f"held-out accuracy {sf.evaluate(X_val.astype(np.float32), Y_val, *ours32):.3f}")


if __name__ == "__main__":
    main()
