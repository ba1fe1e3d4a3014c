"""Every kernel is compiled with the options `_compile.options` names (as stumpy keeps tests/test_fastmath.py)."""
import importlib
import pkgutil

from numba.core.registry import CPUDispatcher

import scratchnet_fast
from scratchnet_fast._compile.options import FASTMATH


OPTIONAL = {"scratchnet_fast.onnx"}  # needs the [onnx] extra to import, and holds no kernel


def dispatchers():
    """(module name, name, dispatcher) of every jitted function defined in the package."""
    found = []
    for info in pkgutil.walk_packages(scratchnet_fast.__path__, "scratchnet_fast."):
        if info.name.endswith("__main__"):  # runs the command line when imported
            continue
        if info.name in OPTIONAL:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == info.name:
                found.append((info.name, name, value))
    return found


def test_the_kernels_are_found():
    names = {name for _, name, _ in dispatchers()}
    assert {"matmul_bias", "fused_step", "epoch", "weight_gradient", "hidden_tile", "exp_nonpositive"} <= names


def test_every_kernel_uses_the_fastmath_flags_of_the_options_module():
    for module, name, dispatcher in dispatchers():
        assert set(dispatcher.targetoptions["fastmath"]) == FASTMATH, f"{module}.{name}"


def test_the_flags_keep_nan_checks_and_the_order_of_sums():
    """No nnan/ninf (isnan checks survive), no reassoc, contract or arcp (sums, fused multiply-adds and divisions as the
    code writes them: the same bits compiled with a caller, alone or loaded from the cache), no afn."""
    assert not FASTMATH & {"nnan", "ninf", "reassoc", "contract", "arcp", "afn", "fast"}


def test_kernels_never_check_division_by_zero():
    for module, name, dispatcher in dispatchers():
        assert dispatcher.targetoptions.get("error_model") == "numpy", f"{module}.{name}"


def test_our_kernels_compile_at_o2_and_other_code_keeps_numbas_level():
    """`_compile.level` lowers Numba's level while a function of ours compiles, and only then: a user's function that
    calls one of ours compiles at the level it had before and after ours, and the level is restored."""
    from numba import njit
    from numba.core import config, event

    from scratchnet_fast._compile import level
    from scratchnet_fast._kernels import chunks

    ours = njit(chunks.chunking.py_func)  # a new dispatcher of our function: compiled now, not loaded from the cache

    def user(m):
        return ours(m)[0] + 1

    levels = []

    class Record(event.Listener):  # registered after the package's listener, so it sees the level that one set
        def on_start(self, ev):
            levels.append(("start", ev.data["dispatcher"].py_func.__name__, config.OPT))

        def on_end(self, ev):
            levels.append(("end", ev.data["dispatcher"].py_func.__name__, config.OPT))

    before = config.OPT
    record = Record()
    event.register("numba:compile", record)
    try:
        assert njit(user)(1000) == 5
    finally:
        event.unregister("numba:compile", record)
    lowered = before if before.is_opt_max else min(before, level.LEVEL)
    mine = [(when, name, opt) for when, name, opt in levels if name in ("user", "chunking")]
    assert mine == [("start", "user", before), ("start", "chunking", lowered), ("end", "chunking", before),
                    ("end", "user", before)]
    assert config.OPT == before


def test_the_epochs_helpers_compile_for_int64_layer_indices_only():
    """The epoch's first layer is `_rows(..., 0, ...)` and `layer_block(..., 0)` with a typed 0: a literal 0 compiled
    each helper a second time, for Literal[int](0), in every first fit (about 0.3 s on a Zen 4). The epoch a fit used is
    compiled anew (uncached), so that the helpers are typed for the calls it makes now, not loaded with it."""
    import warnings

    import numpy as np
    from numba import njit, types

    from scratchnet_fast import MLPClassifier
    from scratchnet_fast._compile.options import OPTIONS
    from scratchnet_fast._kernels import epoch

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.arange(40) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(hidden_layer_sizes=(8,), batch_size=16, max_iter=1).fit(X, y)
    njit(**OPTIONS)(epoch.epoch.py_func).compile(epoch.epoch.signatures[-1])
    for helper in (epoch._rows, epoch.layer_block):
        assert helper.signatures
        literal = [sig for sig in helper.signatures if any(isinstance(t, types.Literal) for t in sig)]
        assert not literal, f"{helper.py_func.__name__}: {literal}"
