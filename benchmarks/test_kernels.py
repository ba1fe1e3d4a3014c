"""Per-kernel groups: the seed's NumPy call beside our kernel on the same arrays."""
import numpy as np
import pytest

import reference as ref
from conftest import group, images
from scratchnet_fast import _network
from scratchnet_fast._kernels import per_step
from scratchnet_fast._train.full_batch import FullBatch

IMPLS = ["numpy", "numba"]


@pytest.fixture
def case(m, dtype):
    """Seed-layout arrays, their one-image-per-row views (the same memory), and parameters."""
    X, Y = images(m, dtype)
    np.random.seed(1)
    W1, b1, W2, b2 = (p.astype(dtype) for p in ref.init_params())
    Z1, A1, Z2, A2 = (np.asfortranarray(a, dtype) for a in ref.forward_prop(W1, b1, W2, b2, X))
    return dict(X=X, Y=Y, W1=W1, b1=b1, W2=W2, b2=b2, Z1=Z1, A1=A1, Z2=Z2, A2=A2)


def run(benchmark, function):
    function()  # compile (or load from cache) outside the timing
    benchmark(function)


@pytest.mark.parametrize("impl", IMPLS)
def test_matmul_bias(benchmark, case, impl, m, dtype, threads):
    group(benchmark, "matmul+bias", m, dtype, threads)
    X, W1, b1 = case["X"], case["W1"], case["b1"]
    if impl == "numpy":
        run(benchmark, lambda: W1.dot(X) + b1)
    else:
        out = np.empty((m, 10), dtype)
        run(benchmark, lambda: per_step.matmul_bias(X.T, W1, b1.ravel(), dtype(1), out))


@pytest.mark.parametrize("impl", IMPLS)
def test_relu(benchmark, case, impl, m, dtype, threads):
    group(benchmark, "ReLU", m, dtype, threads)
    Z1 = case["Z1"]
    if impl == "numpy":
        run(benchmark, lambda: ref.ReLU(Z1))
    else:
        z, out = Z1.T.reshape(-1), np.empty(Z1.size, dtype)
        run(benchmark, lambda: per_step.relu(z, out))


@pytest.mark.parametrize("impl", IMPLS)
def test_softmax(benchmark, case, impl, m, dtype, threads):
    group(benchmark, "softmax", m, dtype, threads)
    Z2 = case["Z2"]
    if impl == "numpy":
        run(benchmark, lambda: ref.softmax(Z2))
    else:
        out = np.empty((m, 10), dtype)
        run(benchmark, lambda: per_step.softmax_rows(Z2.T, out))


@pytest.mark.parametrize("impl", IMPLS)
def test_backward(benchmark, case, impl, m, dtype, threads):
    group(benchmark, "backward", m, dtype, threads)
    c = case
    if impl == "numpy":
        run(benchmark, lambda: ref.backward_prop(c["Z1"], c["A1"], c["Z2"], c["A2"], c["W1"], c["W2"], c["X"], c["Y"]))
    else:
        scale = dtype(1.0 / m)
        dZ2, dZ1 = np.empty((m, 10), dtype), np.empty((m, 10), dtype)
        dW1, db1, dW2, db2 = np.empty((10, 784), dtype), np.empty(10, dtype), np.empty((10, 10), dtype), np.empty(10, dtype)
        W2 = np.ascontiguousarray(c["W2"])

        def backward():
            per_step.output_delta(c["A2"].T, c["Y"], dZ2)
            _network.weight_grad(dZ2, c["A1"].T, scale, dW2, db2)
            per_step.hidden_delta(dZ2, W2, c["Z1"].T, dZ1)
            _network.weight_grad(dZ1, c["X"].T, scale, dW1, db1)

        run(benchmark, backward)


@pytest.mark.parametrize("impl", IMPLS)
def test_update(benchmark, case, impl, m, dtype, threads):
    group(benchmark, "update", m, dtype, threads)
    params = [case[k] for k in ("W1", "b1", "W2", "b2")]
    if impl == "numpy":
        run(benchmark, lambda: ref.update_params(*params, *params, 0.1))
    else:
        net = FullBatch(case["X"].T, case["Y"], [(params[0], params[1]), (params[2], params[3])])
        alpha = dtype(0.1)
        run(benchmark, lambda: per_step.sgd_update(net.theta, net.grad, alpha, net.theta))
