"""`scratchnet-fast bench`: the seed's NumPy calls beside our kernels on this machine, as ratios.

The NumPy side is the seed's code for each piece, on the same arrays: real digits, the built-in
sample's, scaled as the seed scales them (blank borders and all, which our products skip). Each
side of a piece is timed `repeat` times in a row, after a pause and one untimed call, so
compilation is never counted. The pause lets the other side's idle threads stop spinning:
OpenBLAS's keep a core busy for a while after NumPy's products and would take it from our
kernels' second thread. The table gives the minimum and the median of each side: the ratio of
the minimums, with the ratio of the medians beside it, and a warning where the timings of a side
spread too far to trust the ratio, or where ours ran faster on one thread than on several (another
program holds a core).
"""
import time

import numba
import numpy as np

from . import _network
from ._kernels import per_step
from ._train.full_batch import FullBatch
from .data import load_sample


NOISY = 1.25  # a side whose median is this many times its minimum spread too far to trust
BUSY = 0.9  # ours on one thread in less than this fraction of its time on several: another program holds a core


PAUSE = 0.3  # seconds before each side's timings


def _timed(function, repeat, threads):
    """ms per call of function on `threads` threads, `repeat` times, after a pause and one untimed call."""
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        time.sleep(PAUSE)
        function()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            function()
            times.append((time.perf_counter() - start) * 1e3)
        return times
    finally:
        numba.set_num_threads(before)


def _timings(reference, ours, repeat):
    """(NumPy's ms per call, ours, ours on one thread where more are running, else None), `repeat` times each."""
    threads = numba.get_num_threads()
    return (_timed(reference, repeat, threads), _timed(ours, repeat, threads),
            _timed(ours, repeat, 1) if threads > 1 else None)


def _cases(m, dtype, rng):
    pixels, labels = load_sample()
    X = np.asfortranarray(np.resize(pixels, (m, 784)).T / 255.0, dtype=dtype)  # the seed's layout and scaling
    Y = np.resize(labels, m).astype(np.int64)
    W1, b1, W2, b2 = ((rng.random(s) - 0.5).astype(dtype) for s in ((10, 784), (10, 1), (10, 10), (10, 1)))
    Z1 = W1.dot(X) + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2.dot(A1) + b2
    A2 = np.exp(Z2 - Z2.max(0)) / np.exp(Z2 - Z2.max(0)).sum(0)
    one_hot = np.eye(10, dtype=dtype)[Y].T
    inv_m = dtype(1.0 / m)
    rows = {name: np.ascontiguousarray(a.T) for name, a in dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2).items()}
    out = {"Z": np.empty((m, 10), dtype), "dZ2": np.empty((m, 10), dtype), "dZ1": np.empty((m, 10), dtype),
           "dW1": np.empty((10, 784), dtype), "db": np.empty(10, dtype), "dW2": np.empty((10, 10), dtype)}
    net = FullBatch(X.T, Y, [(W1, b1.ravel()), (W2, b2.ravel())])

    def numpy_backward():
        dZ2 = A2 - one_hot
        dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
        return inv_m * dZ2.dot(A1.T), inv_m * dZ1.dot(X.T), dZ1.sum(1, keepdims=True)

    def numba_backward():
        per_step.output_delta(rows["A2"], Y, out["dZ2"])
        _network.weight_grad(out["dZ2"], rows["A1"], inv_m, out["dW2"], out["db"])
        per_step.hidden_delta(out["dZ2"], W2, rows["Z1"], out["dZ1"])
        _network.weight_grad(out["dZ1"], X.T, inv_m, out["dW1"], out["db"])

    def numpy_step():
        Z1 = W1.dot(X) + b1
        A1 = np.maximum(Z1, 0)
        Z2 = W2.dot(A1) + b2
        E = np.exp(Z2 - Z2.max(0))
        dZ2 = E / E.sum(0) - one_hot
        dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
        return W1 - 0.1 * inv_m * dZ1.dot(X.T), W2 - 0.1 * inv_m * dZ2.dot(A1.T)

    return {
        "matmul+bias": (lambda: W1.dot(X) + b1, lambda: _network.matmul_bias(X.T, W1, b1.ravel(), dtype(1), out["Z"])),
        "ReLU": (lambda: np.maximum(Z1, 0), lambda: per_step.relu(rows["Z1"].reshape(-1), out["Z"].reshape(-1))),
        "softmax": (lambda: np.exp(Z2 - Z2.max(0)) / np.exp(Z2 - Z2.max(0)).sum(0),
                    lambda: per_step.softmax_rows(rows["Z2"], out["Z"])),
        "backward": (numpy_backward, numba_backward),
        "update": (lambda: W1 - 0.1 * out["dW1"], lambda: per_step.sgd_update(net.theta, net.grad, dtype(0.1), net.theta)),
        "training step": (numpy_step, lambda: net.step(0.1)),
    }


def row(label, reference, ours, single=None):
    """The table row of one piece from its timings (ms) on each side (and of ours on one thread), and why its ratio is
    not to be trusted: "noisy" (the timings of a side spread too far), "busy" (one thread was faster than several:
    another program holds a core), or "" (it is)."""
    (a_min, a_med), (b_min, b_med) = (min(reference), float(np.median(reference))), (min(ours), float(np.median(ours)))
    doubt = "noisy" if a_med > NOISY * a_min or b_med > NOISY * b_min else ""
    if single is not None and min(single) < BUSY * b_min:
        doubt = "busy"
    return (f"| {label} | {a_min:.3f} / {a_med:.3f} | {b_min:.3f} / {b_med:.3f} | {a_min / b_min:.1f}× / "
            f"{a_med / b_med:.1f}×{f' ({doubt})' if doubt else ''} |"), doubt


def speedup_table(m=10000, repeat=5):
    """A markdown table per piece and dtype: NumPy's and our minimum and median ms, and the ratios; a note on noisy rows."""
    rng = np.random.default_rng(0)
    lines = [f"{m} images (the built-in sample's 5,000 MNIST digits, repeated), 784-10-10, {repeat} timings per side", "",
             "| piece | dtype | NumPy ms (min / median) | ours ms (min / median) | speedup (of mins / of medians) |",
             "|---|---|---:|---:|---:|"]
    doubts = {"noisy": [], "busy": []}
    for dtype in (np.float64, np.float32):
        for name, (reference, ours) in _cases(m, dtype, rng).items():
            label = f"{name} | {np.dtype(dtype).name}"
            line, doubt = row(label, *_timings(reference, ours, repeat))
            lines.append(line)
            if doubt:
                doubts[doubt].append(label.replace(" | ", " "))
    if doubts["noisy"]:
        lines += ["", f"noisy: {', '.join(doubts['noisy'])}: a median more than {NOISY}× its minimum; another program "
                      "may be competing for the CPU or memory, and these ratios are not to be trusted. Run again on a "
                      "quiet machine, with more --repeat."]
    if doubts["busy"]:
        lines += ["", f"busy: {', '.join(doubts['busy'])}: ours ran faster on one thread than on "
                      f"{numba.get_num_threads()}, so another program holds a core, and these ratios are not to be "
                      "trusted. Run again on a quiet machine, or with --threads 1 (training picks one thread by itself "
                      "when it is faster)."]
    if repeat < 3:
        lines += ["", f"only {repeat} timing(s) per side: too few to see the spread; use --repeat 5 or more."]
    return "\n".join(lines)
