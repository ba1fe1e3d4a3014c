"""`scratchnet-fast bench`: the seed's NumPy calls beside our kernels on this machine, as ratios.

The NumPy side is the seed's code for each piece, on the same arrays; each entry is the best of
`repeat` timings after one untimed call, so compilation is never counted.
"""
import time

import numpy as np

from . import kernels
from .train import FullBatch


def _best(function, repeat):
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def _cases(m, dtype, rng):
    X = np.asfortranarray(rng.integers(0, 256, (784, m)) / 255.0, dtype=dtype)
    Y = rng.integers(0, 10, m)
    W1, b1, W2, b2 = ((rng.random(s) - 0.5).astype(dtype) for s in ((10, 784), (10, 1), (10, 10), (10, 1)))
    Z1 = W1.dot(X) + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2.dot(A1) + b2
    A2 = np.exp(Z2 - Z2.max(0)) / np.exp(Z2 - Z2.max(0)).sum(0)
    one_hot = np.eye(10, dtype=dtype)[Y].T
    scale = dtype(1.0 / m)
    rows = {name: np.ascontiguousarray(a.T) for name, a in dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2).items()}
    out = {"Z": np.empty((m, 10), dtype), "dZ2": np.empty((m, 10), dtype), "dZ1": np.empty((m, 10), dtype),
           "dW1": np.empty((10, 784), dtype), "db": np.empty(10, dtype), "dW2": np.empty((10, 10), dtype)}
    net = FullBatch(X.T, Y, W1, b1, W2, b2)

    def numpy_backward():
        dZ2 = A2 - one_hot
        dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
        return scale * dZ2.dot(A1.T), scale * dZ1.dot(X.T), dZ1.sum(1, keepdims=True)

    def numba_backward():
        kernels.output_delta(rows["A2"], Y, out["dZ2"])
        kernels.weight_grad(out["dZ2"], rows["A1"], scale, out["dW2"], out["db"])
        kernels.hidden_delta(out["dZ2"], W2, rows["Z1"], out["dZ1"])
        kernels.weight_grad(out["dZ1"], X.T, scale, out["dW1"], out["db"])

    def numpy_step():
        Z1 = W1.dot(X) + b1
        A1 = np.maximum(Z1, 0)
        Z2 = W2.dot(A1) + b2
        E = np.exp(Z2 - Z2.max(0))
        dZ2 = E / E.sum(0) - one_hot
        dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
        return W1 - 0.1 * scale * dZ1.dot(X.T), W2 - 0.1 * scale * dZ2.dot(A1.T)

    return {
        "matmul+bias": (lambda: W1.dot(X) + b1, lambda: kernels.matmul_bias(X.T, W1, b1.ravel(), out["Z"])),
        "ReLU": (lambda: np.maximum(Z1, 0), lambda: kernels.relu(rows["Z1"].reshape(-1), out["Z"].reshape(-1))),
        "softmax": (lambda: np.exp(Z2 - Z2.max(0)) / np.exp(Z2 - Z2.max(0)).sum(0),
                    lambda: kernels.softmax_rows(rows["Z2"], out["Z"])),
        "backward": (numpy_backward, numba_backward),
        "update": (lambda: W1 - 0.1 * out["dW1"], lambda: kernels.sgd_update(net.theta, net.grad, dtype(0.1), net.theta)),
        "training step": (numpy_step, lambda: net.step(0.1)),
    }


def speedup_table(m=10000, repeat=5):
    """A markdown table: ms per call of NumPy and of our kernels, and the ratio, per piece and dtype."""
    rng = np.random.default_rng(0)
    lines = [f"{m} images, 784-10-10", "", "| piece | dtype | NumPy ms | ours ms | speedup |", "|---|---|---:|---:|---:|"]
    for dtype in (np.float64, np.float32):
        for name, (reference, ours) in _cases(m, dtype, rng).items():
            a, b = _best(reference, repeat), _best(ours, repeat)
            lines.append(f"| {name} | {np.dtype(dtype).name} | {a:.3f} | {b:.3f} | {a / b:.1f}× |")
    return "\n".join(lines)
