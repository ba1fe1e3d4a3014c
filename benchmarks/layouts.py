"""The seed's 500 iterations on both layouts of X, interleaved: `python benchmarks/layouts.py [--rounds 3] [--images 41000]`.

The seed's own X_train (`data_train[1:n] / 255.` of a Fortran-ordered frame) is C-ordered, one pixel per row; the
other benchmarks feed the Fortran order, one image per contiguous column. Rounds alternate which layout goes first, so
a slow spell of a shared machine costs both alike; prints the fastest run of each and every run, per dtype.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import images  # noqa: E402
from scratchnet_fast import gradient_descent  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=41000)
    parser.add_argument("--iterations", type=int, default=500)
    args = parser.parse_args()
    for dtype in (np.float32, np.float64):
        X, Y = images(args.images, dtype)
        layouts = {"Fortran order": np.asfortranarray(X), "C order (the seed's)": np.ascontiguousarray(X)}
        gradient_descent(X[:, :100], Y[:100], 0.1, 1, verbose=False)  # compile or load the kernels
        runs = {name: [] for name in layouts}
        for r in range(args.rounds):
            for name in (list(layouts) if r % 2 == 0 else list(layouts)[::-1]):
                start = time.perf_counter()
                gradient_descent(layouts[name], Y, 0.1, args.iterations, verbose=False)
                runs[name].append(time.perf_counter() - start)
        print(f"{dtype.__name__}, {args.images} images, {args.iterations} iterations: "
              + "; ".join(f"{name} {min(s):.2f} s (runs {' '.join(f'{x:.2f}' for x in s)})" for name, s in runs.items()),
              flush=True)


if __name__ == "__main__":
    main()
