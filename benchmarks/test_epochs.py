"""One epoch of mini-batch SGD at rate 0.1 (or Adam at 0.001) on wider and deeper networks: ours beside scikit-learn's,
PyTorch's (eager, a Python loop over the batches) and JAX's (the whole epoch jitted: a lax.scan over the batches).

Each implementation starts from scikit-learn's kind of start (Glorot uniform for ours, scikit-learn's
and JAX's, PyTorch's own for PyTorch), trains three timed epochs in a row on the same images,
and records its accuracy on the 10,000 MNIST test digits after them (`extra_info`). The images
are MNIST's, MNIST standardized (no zeros to skip), or random normal features (`conftest.features`).
"""
import time
import warnings

import numpy as np
import pytest

from conftest import QUICK, SIZES, THREADS, features, held_out_digits, pixels
from scratchnet_fast import _network
from scratchnet_fast._bench import PAUSE
from scratchnet_fast._train.choose import trainer
from scratchnet_fast._train.optimizer import Optimizer

NETWORKS = [((128,), 64, "sgd"), ((256, 128), 128, "sgd"), ((128,), 64, "adam")]
RATES = {"sgd": 0.1, "adam": 0.001}
EPOCHS = 3


def ours(X, Y, hidden, batch, solver, dtype, x_scale=1.0):
    """Our epoch on X: floats of dtype, or uint8 pixels read as they are with x_scale 1/255."""
    layers = _network.init_layers((X.shape[1],) + hidden + (10,), np.random.RandomState(0), dtype, "glorot")
    net = trainer(X, Y, layers, batch_size=batch, rng=np.random.RandomState(1), optimizer=Optimizer(solver), x_scale=x_scale)

    def predict(X_test):
        return _network.predict_proba(np.ascontiguousarray(X_test, dtype), net.layers())[0].argmax(axis=1)

    return lambda: net.step(RATES[solver]), predict


def scikit_learn(X, Y, hidden, batch, solver):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=hidden, solver=solver, momentum=0, alpha=0, batch_size=batch,
                          learning_rate_init=RATES[solver], max_iter=1, warm_start=True, random_state=0)

    def epoch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, Y)

    return epoch, lambda X_test: model.predict(X_test.astype(X.dtype))


def jax_epoch(X, Y, hidden, batch, solver, dtype):
    """JAX with optax: one jitted function per epoch, a lax.scan over its full batches (40,960 of 41,000 images at batch 64:
    scan needs batches of one shape), the batches gathered by a permutation inside it."""
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)  # float64 when asked; float32 arrays stay float32
    import jax.numpy as jnp

    layers = _network.init_layers((X.shape[1],) + hidden + (10,), np.random.RandomState(0), dtype, "glorot")
    params = [(jnp.asarray(W.T), jnp.asarray(b)) for W, b in layers]
    optimizer = optax.sgd(RATES[solver]) if solver == "sgd" else optax.adam(RATES[solver])
    state = [optimizer.init(params)]
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    n = len(Y) // batch

    def loss(params, x, y):
        for W, b in params[:-1]:
            x = jax.nn.relu(x @ W + b)
        W, b = params[-1]
        return optax.softmax_cross_entropy_with_integer_labels(x @ W + b, y).mean()

    @jax.jit
    def epoch(params, state, order):
        rows = order[:n * batch].reshape(n, batch)

        def step(carry, rows):
            params, state = carry
            updates, state = optimizer.update(jax.grad(loss)(params, Xj[rows], Yj[rows]), state, params)
            return (optax.apply_updates(params, updates), state), None

        return jax.lax.scan(step, (params, state), rows)[0]

    keys = [jax.random.PRNGKey(0)]
    box = [params]

    def run():
        keys[0], key = jax.random.split(keys[0])
        box[0], state[0] = epoch(box[0], state[0], jax.random.permutation(key, len(Y)))
        jax.block_until_ready(box[0])

    run()  # compile outside the timing
    box[0], state[0] = [(jnp.asarray(W.T), jnp.asarray(b)) for W, b in layers], optimizer.init(params)

    def predict(X_test):
        x = jnp.asarray(X_test.astype(X.dtype))
        for W, b in box[0][:-1]:
            x = jax.nn.relu(x @ W + b)
        W, b = box[0][-1]
        return np.asarray((x @ W + b).argmax(axis=1))

    return run, predict


def pytorch(X, Y, hidden, batch, solver, threads):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sizes = (X.shape[1],) + hidden
    modules = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        modules += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*modules, torch.nn.Linear(sizes[-1], 10)).to(torch.from_numpy(X).dtype)
    optimizer = (torch.optim.SGD if solver == "sgd" else torch.optim.Adam)(model.parameters(), lr=RATES[solver])
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def epoch():
        order = torch.randperm(len(Yt))
        for start in range(0, len(Yt), batch):
            rows = order[start:start + batch]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(Xt[rows]), Yt[rows]).backward()
            optimizer.step()

    def predict(X_test):
        with torch.no_grad():
            return model(torch.from_numpy(X_test.astype(X.dtype))).argmax(dim=1).numpy()

    return epoch, predict


@pytest.mark.parametrize("data", ["mnist", "standardized", "normal"])
@pytest.mark.parametrize("impl", ["numba", "uint8", "sklearn", "torch", "jax"])
@pytest.mark.parametrize("hidden,batch,solver", NETWORKS,
                         ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple) else (f"b{v}" if isinstance(v, int) else v))
def test_epoch(benchmark, impl, hidden, batch, solver, dtype, threads, data):
    m = SIZES[-1]
    if impl == "uint8" and data != "mnist":
        pytest.skip("uint8 pixels are MNIST's alone")
    if impl == "jax" and threads != max(THREADS):
        pytest.skip("JAX sizes its thread pool once per process: it runs on all cores")
    name = "-".join(map(str, (784,) + hidden + (10,)))
    benchmark.group = f"epoch {name}, batch {batch}, {solver} | {data} | {m} | {np.dtype(dtype).name} | {threads}"
    X, Y, real, transform = features(data, m, dtype)
    if impl == "numba":
        epoch, predict = ours(X, Y, hidden, batch, solver, dtype)
    elif impl == "uint8":
        epoch, predict = ours(pixels(m)[0], Y, hidden, batch, solver, dtype, 1 / 255)
    elif impl == "sklearn":
        epoch, predict = scikit_learn(X, Y, hidden, batch, solver)
    elif impl == "jax":
        epoch, predict = jax_epoch(X, Y, hidden, batch, solver, dtype)
    else:
        epoch, predict = pytorch(X, Y, hidden, batch, solver, threads)
    if impl in ("numba", "uint8"):  # compile or load the kernels outside the timing
        ours(X[:300] if impl == "numba" else pixels(300)[0], Y[:300], hidden, batch, solver, dtype,
             1.0 if impl == "numba" else 1 / 255)[0]()
    time.sleep(PAUSE)  # the last benchmark's OpenBLAS or OpenMP threads spin on a core for a while after it
    benchmark.pedantic(epoch, rounds=1 if QUICK else EPOCHS, iterations=1)
    held_out = held_out_digits()
    if real and held_out is not None:
        X_test, y_test = held_out
        benchmark.extra_info["test_accuracy"] = float(np.mean(predict(transform(X_test).astype(dtype)) == y_test))
