"""Predictions side by side, interleaved: `python benchmarks/inference.py [--rounds 7] [--dtype float32] [--quick]`.

One fitted 784-128-10 model (and 784-256-128-10), its weights copied into each peer: ONNX Runtime (scikit-learn's
estimator with our weights, exported by skl2onnx), PyTorch eager under `no_grad`, scikit-learn. Each predicts the
probabilities of 10,000 images (MNIST's test digits, or those digits standardized, or normal features) and of one
image; rounds interleave the implementations as `interleaved.py` does, and the table gives each one's fastest batch
(the second of two calls in a row) and median single-image latency, with ours beside each as a ratio. Peers that are not installed are left out.
"""
import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import features, held_out_digits  # noqa: E402
from scratchnet_fast import MLPClassifier  # noqa: E402
from scratchnet_fast._bench import PAUSE  # noqa: E402

NETWORKS = [(128,), (256, 128)]
SINGLE_CALLS = 2000  # one-image predictions per round, of which the median is kept


def sklearn_twin(model, X, Y):
    """A scikit-learn MLPClassifier holding the weights of our fitted `model`."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier as SkMLP

    twin = SkMLP(hidden_layer_sizes=model.hidden_layer_sizes, max_iter=1, batch_size=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        twin.fit(X[:200], Y[:200])
    twin.coefs_ = [np.array(W, dtype=X.dtype) for W in model.coefs_]
    twin.intercepts_ = [np.array(b, dtype=X.dtype) for b in model.intercepts_]
    return twin


def onnx_runtime(twin, X):
    """predict_proba of the scikit-learn twin in ONNX Runtime, or None where it or skl2onnx is not installed."""
    try:
        import onnxruntime
        from skl2onnx import to_onnx
    except ImportError:
        return None
    onx = to_onnx(twin, X[:1], options={id(twin): {"zipmap": False}})
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = numba.config.NUMBA_NUM_THREADS
    session = onnxruntime.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda A: session.run(["probabilities"], {name: A})[0]


def pytorch(model, dtype):
    """predict_proba of the same weights in PyTorch eager under no_grad, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    layers = []
    for W, b in zip(model.coefs_, model.intercepts_):
        linear = torch.nn.Linear(*W.shape).to(getattr(torch, dtype.name))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1], torch.nn.Softmax(dim=1))

    def run(A):
        with torch.no_grad():
            return net(torch.from_numpy(A)).numpy()
    return run


def batch_seconds(run, X):
    """Seconds of the second of two predictions of X in a row, after a pause (a batch job's steady state: this VM runs
    the first call after an idle spell up to a third slower, whichever library makes it)."""
    time.sleep(PAUSE)
    run(X)
    start = time.perf_counter()
    run(X)
    return time.perf_counter() - start


def single_seconds(run, x, calls):
    times = np.empty(calls)
    for c in range(calls):
        start = time.perf_counter()
        run(x)
        times[c] = time.perf_counter() - start
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--data", nargs="+", default=["mnist", "standardized", "normal"])
    parser.add_argument("--quick", action="store_true", help="2 rounds, 200 single-image calls")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype)
    rounds, calls = (2, 200) if args.quick else (args.rounds, SINGLE_CALLS)
    threads = numba.config.NUMBA_NUM_THREADS
    test = held_out_digits()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, NumPy {np.__version__}, "
          f"Numba {numba.__version__}; {'MNIST test digits' if test else 'random pixels'}, {dtype.name}, "
          f"{threads} threads, {rounds} interleaved rounds\n")
    lines = []
    for hidden in NETWORKS:
        for data in args.data:
            X, Y, _, transform = features(data, 8200, dtype)
            if transform is None:  # features without a test set of their own: fresh ones
                T = np.random.default_rng(2).standard_normal((10000, 784))
            else:
                T = transform(test[0]) if test else X[:10000]
            T = np.ascontiguousarray(T, dtype)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # two epochs do not converge, and need not
                model = MLPClassifier(hidden_layer_sizes=hidden, batch_size=64, max_iter=2, init="glorot", dtype=dtype,
                                      random_state=0).fit(X, Y)
            twin = sklearn_twin(model, X, Y)
            runs = [("ours", model.predict_proba)]
            for name, run in (("ONNX Runtime", onnx_runtime(twin, T)), ("PyTorch", pytorch(model, dtype)),
                              ("scikit-learn", twin.predict_proba)):
                if run is not None:
                    runs.append((name, run))
            expected = model.predict_proba(T)
            for name, run in runs:  # compile, load, warm up; and the same answers
                got = run(T)
                np.testing.assert_allclose(got, expected, atol=1e-5 if dtype == np.float32 else 1e-10, err_msg=name)
            batch = {name: np.inf for name, _ in runs}
            single = {name: np.inf for name, _ in runs}
            for _ in range(rounds):
                for name, run in runs:
                    batch[name] = min(batch[name], batch_seconds(run, T))
                    single[name] = min(single[name], single_seconds(run, T[:1], calls))
            cells = [f"{'-'.join(map(str, (784,) + hidden + (10,)))}", data]
            for name, _ in runs:
                cells.append(f"{batch[name] * 1e3:.2f}" + ("" if name == "ours" else f" ({batch[name] / batch['ours']:.2f}×)"))
            for name, _ in runs:
                cells.append(f"{single[name] * 1e6:.1f}" + ("" if name == "ours" else f" ({single[name] / single['ours']:.2f}×)"))
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
            names = [name for name, _ in runs]
    print(f"\n| network | data | {' | '.join(n + ', ' + str(len(T)) + ' images ms' for n in names)} | "
          f"{' | '.join(n + ', one image µs' for n in names)} |\n|---|---|" + "---:|" * (2 * len(names)))
    print("\n".join(lines))
    print("\n(peer ÷ ours in brackets: above 1, ours is faster)")


if __name__ == "__main__":
    main()
