"""The helper process that compiles a first epoch's kernels on the other core (`_train.ahead`): what it records is what
the epoch calls, its shrunk arguments have the real ones' types, and a helper that is off, cannot start or finishes
changes no result."""
import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse
from numba import njit, typeof

from scratchnet_fast import MLPClassifier
from scratchnet_fast._compile.options import OPTIONS
from scratchnet_fast._kernels import activations, losses
from scratchnet_fast._kernels.epoch import Solver, epoch
from scratchnet_fast._train import ahead
from scratchnet_fast._train.mini_batch import Layered
from scratchnet_fast._train.optimizer import Optimizer


def layers_for(rng, sizes, dtype):
    return [((rng.random((o, i)) - 0.5).astype(dtype), (rng.random(o) - 0.5).astype(dtype))
            for i, o in zip(sizes[:-1], sizes[1:])]


def epoch_args(net, rate=0.1):
    """The arguments `Layered.step` calls the epoch with."""
    o = net.optimizer
    solver = Solver(o.rule, o.plain, float(o.alpha), net.hyper, o.state, o.clock)
    return (net.data, net.batch, net.net, solver, net.buffers, net.theta.dtype.type(rate))


def blank(rng, m, d, dtype):
    """Images mostly zeros, as MNIST's: the first layer skips their zero tiles."""
    return ((rng.random((m, d)) < 0.1) * rng.random((m, d))).astype(dtype)


# (name, X, Y, sizes, options for Layered, solver, the kernels the epoch calls in that order)
def cases(rng):
    X = rng.normal(size=(90, 12))
    y = np.arange(90) % 3
    # one hidden layer is two layers: the output's backward pass transposes its weights for the hidden layer's delta
    backward = ["transpose_weights", "weight_gradient"]
    skipping = ["group_rows", "affine_grouped", "affine"]
    return [
        ("dense, one layer, adam", X, y, (12, 8, 3), {}, dict(solver="adam"), ["affine"] + backward + ["apply_block"]),
        ("zeros skipped, two layers", blank(rng, 90, 40, np.float64), y, (40, 8, 6, 3), {}, dict(alpha=1e-4),
         skipping + backward + ["apply_block"]),
        ("float32, plain descent", X.astype(np.float32), y, (12, 8, 3), {}, {}, ["affine"] + backward),
        # the first layer's products on uint8 pixels are other signatures than the layers' above on floats
        ("pixels read whole", (rng.random((90, 12)) * 255).astype(np.uint8), y, (12, 8, 3), dict(x_scale=1 / 255),
         dict(momentum=0.9), ["affine", "affine"] + backward + ["weight_gradient", "apply_block"]),
        ("weighted, logistic outputs", X, (rng.random((90, 2)) < 0.5).astype(np.uint8), (12, 8, 2),
         dict(weights=rng.random(90) + 0.5, activation=activations.TANH), {}, ["affine"] + backward),
        ("sparse, poisson", scipy.sparse.csr_matrix(blank(rng, 90, 40, np.float64)),
         losses.Counts(rng.poisson(1.0, (90, 1)).astype(np.float64)), (40, 8, 1), {}, {}, skipping + backward),
        ("Fortran-ordered", np.asfortranarray(X), y, (12, 8, 3), {}, {}, ["affine", "affine"] + backward
         + ["weight_gradient"]),
    ]


def trainer_for(rng, case):
    _, X, Y, sizes, options, solver, _ = case
    optimizer = Optimizer(**solver) if solver else None
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    return Layered(X, Y, layers_for(rng, sizes, dtype), 16, rng=np.random.RandomState(0), optimizer=optimizer,
                   **options)


@pytest.mark.parametrize("index", range(7))
def test_the_shrunk_arguments_have_the_real_ones_types(rng, index):
    case = cases(rng)[index]
    net = trainer_for(rng, case)
    real, shrunk = epoch_args(net), (net._first_rows(),) + epoch_args(net)[1:]
    assert [typeof(a) for a in shrunk] == [typeof(a) for a in real], case[0]
    assert len(shrunk[0].order) == min(net.batch, len(net.data.order))


def test_read_only_and_strided_images_keep_their_types(rng):
    X = rng.normal(size=(40, 24))[:, ::2]
    X.flags.writeable = False
    net = Layered(X, np.arange(40) % 3, layers_for(rng, (12, 5, 3), np.float64), 8)
    assert typeof(net._first_rows().X) == typeof(net.data.X)
    assert typeof(net.data.X).layout == "A" and not typeof(net.data.X).mutable


@pytest.mark.parametrize("index", range(7))
def test_the_recorded_kernels_are_those_the_epoch_calls(rng, index):
    """Recorded on the shrunk arguments: the parallel kernels named, in the order of their first calls."""
    case = cases(rng)[index]
    net = trainer_for(rng, case)
    calls = ahead.record(epoch, (net._first_rows(),) + epoch_args(net)[1:])
    assert [d.py_func.__name__ for d, _ in calls] == case[-1], case[0]


@pytest.mark.exhaustive  # compiles the epoch anew for each case: about 30 s
@pytest.mark.parametrize("index", range(7))
def test_the_recorded_kernels_have_the_types_the_epoch_calls_them_with(rng, index):
    """Each recorded kernel with argument types the epoch, compiled anew for the real arguments, loads it for."""
    case = cases(rng)[index]
    net = trainer_for(rng, case)
    real = epoch_args(net)
    calls = ahead.record(epoch, (net._first_rows(),) + real[1:])
    njit(**OPTIONS)(epoch.py_func).compile(tuple(typeof(a) for a in real))
    for dispatcher, signature in calls:
        assert signature in dispatcher.overloads, (case[0], dispatcher.py_func.__name__)


def test_recording_runs_the_epochs_python_but_no_kernel(rng):
    """On the arguments as the helper receives them (pickled copies): the epoch's own Python counts its one batch, and
    no kernel runs (one would have updated the parameters)."""
    net = trainer_for(rng, cases(rng)[1])
    args = pickle.loads(pickle.dumps((net._first_rows(),) + epoch_args(net)[1:]))
    theta = args[2].theta.copy()
    ahead.record(epoch, args)
    np.testing.assert_array_equal(args[2].theta, theta)
    assert args[3].clock[0] == 1


def test_compiles_tells_a_new_signature_from_a_compiled_one(rng):
    net = trainer_for(rng, cases(rng)[0])
    net.step(0.1)
    args = epoch_args(net)
    assert not ahead.compiles(epoch, args)
    odd = args[:5] + (np.float16(0.1),)  # a rate type no epoch was compiled for: typed, never compiled
    assert ahead.compiles(epoch, odd)
    assert all(np.float16 not in [getattr(t, "dtype", t) for t in sig] for sig in epoch.signatures)


def fit(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(8,), batch_size=16, max_iter=3, random_state=0).fit(X, y)
    return model.coefs_ + model.intercepts_


def test_a_helper_that_cannot_start_changes_nothing(rng, monkeypatch):
    X, y = rng.normal(size=(60, 7)), np.arange(60) % 3
    expected = fit(X, y)
    started = []

    def no_process(*args, **kwargs):
        started.append(args)
        raise OSError("no process left")

    monkeypatch.setattr(ahead, "compiles", lambda dispatcher, args: True)  # as on an empty cache
    monkeypatch.setattr(ahead.subprocess, "Popen", no_process)
    monkeypatch.setenv(ahead.SWITCH, "1")
    for got, want in zip(fit(X, y), expected):
        np.testing.assert_array_equal(got, want)
    assert started, "a helper was not even tried"


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity on this system")
def test_no_helper_on_one_allowed_core(monkeypatch):
    monkeypatch.setenv(ahead.SWITCH, "1")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert not ahead.enabled()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert ahead.enabled()


def test_the_switch_turns_the_helper_off(rng, monkeypatch):
    monkeypatch.setattr(ahead, "compiles", lambda dispatcher, args: True)
    monkeypatch.setattr(ahead, "_start", lambda *args: pytest.fail("a helper was started"))
    monkeypatch.setenv(ahead.SWITCH, "0")
    assert not ahead.enabled()
    fit(rng.normal(size=(30, 5)), np.arange(30) % 2)


PROBE = r"""
import sys, warnings
import numpy as np
import scratchnet_fast as sf
rng = np.random.default_rng(5)
dtype = sys.argv[1]
X = ((rng.random((300, 64)) < 0.2) * rng.integers(0, 256, (300, 64)) / 255).astype(dtype)
y = np.arange(300) % 4
warnings.simplefilter("ignore")
model = sf.MLPClassifier(hidden_layer_sizes=(24, 12), batch_size=32, max_iter=2, random_state=0, dtype=dtype).fit(X, y)
np.random.seed(0)
seed = sf.gradient_descent(np.asfortranarray(X.T), y, 0.1, 3, n_hidden=10, n_out=4, verbose=False)
sys.stdout.write("".join(p.tobytes().hex() for p in model.coefs_ + model.intercepts_ + list(seed)))
"""


@pytest.mark.exhaustive  # two first fits on empty caches, each run again on its cache: about a minute
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_helper_changes_no_bits_compiled_or_cached(tmp_path, dtype):
    """A mini-batch fit with Adam and the seed's gradient descent, on empty caches with the helper off and on, then
    again on each cache: kernels the helper compiled, compiled here, or loaded, give the same bits."""
    runs = []
    for switch in ("0", "1", "0", "1"):
        env = {**os.environ, ahead.SWITCH: switch, "NUMBA_CACHE_DIR": str(tmp_path / switch)}
        result = subprocess.run([sys.executable, "-c", PROBE, dtype], env=env, capture_output=True, text=True,
                                timeout=900)
        assert result.returncode == 0, result.stderr
        runs.append(result.stdout)
    assert len(runs[0]) > 1000
    assert runs == [runs[0]] * 4
