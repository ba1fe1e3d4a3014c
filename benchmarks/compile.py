"""Compile seconds on an empty kernel cache: `python benchmarks/compile.py`.

Each case runs in a fresh process with a NUMBA_CACHE_DIR of its own, empty, twice in a row: without the helper
process that compiles a first epoch's kernels on the other core (SCRATCHNET_FAST_COMPILE_AHEAD=0) and with it: the first `gradient_descent` (the seed's
fused step) and the first mini-batch `MLPClassifier(hidden_layer_sizes=(128,), batch_size=64).fit` with sgd and with
adam, and the first `predict_proba` after such a fit, in float64 and float32, on 2,000 MNIST digits (from ../shared/data; random pixels without it), where the first
layer skips tiles of zeros, and on normal features, where it reads every input: an epoch compiles only the path it
takes. Prints the seconds of that first call, import not included, and which kernels compiled the longest (each
figure includes the kernels it calls).
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CASE = r"""
import sys, time, warnings
from numba.core import event
import numpy as np
started, spent = {}, {}
class Timer(event.Listener):
    def on_start(self, ev):
        started[id(ev.data["dispatcher"])] = time.perf_counter()
    def on_end(self, ev):
        d = ev.data["dispatcher"]
        name = d.py_func.__module__.replace("scratchnet_fast.", "") + "." + d.py_func.__name__
        spent[name] = spent.get(name, 0) + time.perf_counter() - started[id(d)]
event.register("numba:compile", Timer())
import scratchnet_fast as sf
from conftest import features
what, dtype, kind = sys.argv[1:4]
X, Y, _, _ = features(kind, 2000, np.dtype(dtype))
X = X.T  # one image per column, the seed's layout
warnings.simplefilter("ignore")
start = time.perf_counter()
if what == "gradient_descent":
    sf.gradient_descent(np.asfortranarray(X), Y, 0.1, 2, verbose=False)
elif what == "predict_proba":  # after a fit, whose compiles are not counted
    model = sf.MLPClassifier(hidden_layer_sizes=(128,), batch_size=64, max_iter=1, dtype=dtype).fit(X.T.copy(), Y)
    spent.clear()
    start = time.perf_counter()
    model.predict_proba(X.T.copy())
else:
    sf.MLPClassifier(hidden_layer_sizes=(128,), batch_size=64, solver=what, max_iter=1, dtype=dtype,
                     random_state=0).fit(X.T.copy(), Y)
seconds = time.perf_counter() - start
top = sorted(spent.items(), key=lambda kv: -kv[1])[:4]
print(f"{seconds:.2f} s; " + ", ".join(f"{k} {v:.1f} s" for k, v in top))
"""


def main():
    cases = [("gradient_descent", "mnist")] + [(solver, kind) for solver in ("sgd", "adam") for kind in ("mnist", "normal")]
    cases += [("predict_proba", "mnist")]
    for what, kind in cases:
        for dtype in ("float64", "float32"):
            name = {"gradient_descent": "first gradient_descent", "predict_proba": "first predict_proba after a fit"}.get(
                what, f"first mini-batch fit, {what}")
            for ahead in ("0", "1"):
                with tempfile.TemporaryDirectory() as cache:
                    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "SCRATCHNET_FAST_COMPILE_AHEAD": ahead}
                    done = subprocess.run([sys.executable, "-c", CASE, what, dtype, kind], check=True,
                                          capture_output=True, text=True, env=env, cwd=HERE)
                helper = "with the helper" if ahead == "1" else "without"
                print(f"{name}, {kind}, {dtype}, {helper}: {done.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
