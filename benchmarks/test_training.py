"""End to end: one full-batch step and 500 iterations, the seed's NumPy code beside ours (and PyTorch's)."""
import numpy as np
import pytest

import reference as ref
import scratchnet_fast as sf
from conftest import QUICK, SIZES, group, images, pixels
from scratchnet_fast._train.full_batch import FullBatch


def seed_params(dtype):
    np.random.seed(1)
    return [p.astype(dtype) for p in ref.init_params()]


@pytest.mark.parametrize("impl", ["numpy", "numba", "uint8", "torch"])
def test_step(benchmark, impl, m, dtype, threads):
    """One full-batch step: the seed's NumPy code, our fused step on floats (numba) and on the uint8 pixels, PyTorch."""
    group(benchmark, "step", m, dtype, threads)
    X, Y = images(m, dtype)
    W1, b1, W2, b2 = seed_params(dtype)
    if impl == "numpy":
        def step():
            Z1, A1, Z2, A2 = ref.forward_prop(W1, b1, W2, b2, X)
            ref.update_params(W1, b1, W2, b2, *ref.backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y), 0.1)
    elif impl in ("numba", "uint8"):
        layers = [(W1, b1.ravel()), (W2, b2.ravel())]
        net = FullBatch(X.T, Y, layers) if impl == "numba" else FullBatch(pixels(m)[0], Y, layers, x_scale=1 / 255)

        def step():
            net.step(0.1)
    else:
        torch = pytest.importorskip("torch")
        torch.set_num_threads(threads)
        Xt, Yt = torch.from_numpy(np.ascontiguousarray(X.T)), torch.from_numpy(Y)
        params = [torch.tensor(p, requires_grad=True) for p in (W1, b1.ravel(), W2, b2.ravel())]

        def step():
            w1, c1, w2, c2 = params
            logits = torch.relu(Xt @ w1.T + c1) @ w2.T + c2
            loss = torch.nn.functional.cross_entropy(logits, Yt)
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p -= 0.1 * g

    step()
    benchmark.pedantic(step, rounds=5 if QUICK else 10, iterations=1)


@pytest.mark.parametrize("impl", ["numpy", "numba", "c_order"])
def test_500_iterations(benchmark, impl, dtype, threads):
    """The seed's 500 iterations; c_order is ours on the seed's own X_train, `data_train[1:n] / 255.`: C-ordered."""
    m = SIZES[-1]
    group(benchmark, "500 iterations", m, dtype, threads)
    X, Y = images(m, dtype)
    if impl == "c_order":
        X = np.ascontiguousarray(X)
    sf.gradient_descent(X[:, :100], Y[:100], 0.1, 1, verbose=False)  # compile or load the kernels

    def train():
        np.random.seed(1)
        if impl == "numpy":
            W1, b1, W2, b2 = seed_params(dtype)
            for _ in range(500):
                Z1, A1, Z2, A2 = ref.forward_prop(W1, b1, W2, b2, X)
                W1, b1, W2, b2 = ref.update_params(W1, b1, W2, b2, *ref.backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y), 0.1)
        else:
            sf.gradient_descent(X, Y, 0.1, 500, verbose=False)

    benchmark.pedantic(train, rounds=1, iterations=1)


LOOP_ITERATIONS = 20


def learners_loop(functions, X, Y, params, iterations):
    """The seed's gradient_descent body written out on `functions` (a module with the seed's names)."""
    W1, b1, W2, b2 = params
    for i in range(iterations):
        Z1, A1, Z2, A2 = functions.forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = functions.backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y)
        W1, b1, W2, b2 = functions.update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, 0.1)
        if i % 10 == 0:
            functions.get_accuracy(functions.get_predictions(A2), Y)
    return W1, b1, W2, b2


@pytest.mark.parametrize("impl", ["numpy", "numba"])
def test_learners_loop(benchmark, impl, dtype, threads):
    """20 iterations of the learner's own loop on the drop-in's per-step functions, or the seed's."""
    m = SIZES[-1]
    group(benchmark, f"learner's loop, {LOOP_ITERATIONS} iterations", m, dtype, threads)
    X, Y = images(m, dtype)
    functions = ref if impl == "numpy" else sf
    params = seed_params(dtype)
    learners_loop(functions, X[:, :100], Y[:100], params, 1)  # compile or load the kernels
    benchmark.pedantic(lambda: learners_loop(functions, X, Y, params, LOOP_ITERATIONS), rounds=1 if QUICK else 3,
                       iterations=1)
