"""A first fit's kernels compiled on two cores: a helper process compiles some of them into the kernel cache while this
process compiles the others.

Numba compiles one function at a time in a process (under one lock), so a first epoch on an empty cache compiles
its dozen kernels one after the other on one core. When the entry kernel (`epoch.epoch`) would compile at its call,
`call` starts a helper (`main`, in a new Python process) and hands it, pickled, the entry's arguments shrunk to a few
rows (the same types). The helper runs the entry's Python body on them with each parallel kernel it reaches recorded,
not run (`record`; the serial helpers between them run, and compile there), then compiles the recorded kernels
from the last to the first. This process compiles the entry as always, whose typing compiles its kernels from the
first to the last: each one the helper has finished by then is loaded from the cache instead. When the entry
returns, the helper is stopped; the cache's writes are atomic. (Not for the seed's fused step: its chunk kernel comes
first and then the step itself, each needing the one before, so a helper would have nothing to do in parallel.)

A kernel loaded from the cache is the machine code the helper compiled, with the same bits as one compiled here:
no fast-math flag lets LLVM round it differently where it is compiled (`_compile/options.py`). No helper when the
entry is already compiled or cached, when this process may run on one core only, or with SCRATCHNET_FAST_COMPILE_AHEAD=0; a
helper that fails to start or dies changes nothing but the time taken.
"""
import importlib
import os
import pickle
import subprocess
import sys
import threading
import types

from numba.core.dispatcher import Dispatcher

PACKAGE = __name__.split(".")[0]  # scratchnet_fast
SWITCH = "SCRATCHNET_FAST_COMPILE_AHEAD"


def enabled():
    """Whether a first compile may start a helper: more than one core this process may run on (a container or
    `taskset` may allow fewer than the machine has), and SCRATCHNET_FAST_COMPILE_AHEAD not 0."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return os.environ.get(SWITCH, "1") != "0" and cores > 1 and bool(sys.executable)


def compiles(dispatcher, args):
    """Whether dispatcher(*args) would compile: no code for the arguments' types in memory, nor in its disk cache's
    index (read with Numba's own key, as the call would read it)."""
    signature = _signature(dispatcher, args)
    if signature in dispatcher.overloads:
        return False
    cache = dispatcher._cache
    return cache._index_key(signature, dispatcher.targetctx.codegen()) not in cache._cache_file._load_index()


def _signature(dispatcher, args):
    return tuple(dispatcher.typeof_pyval(a) for a in args)


def call(entry, args, replica):
    """entry(*args), with a helper compiling its kernels on another core when the call compiles; replica() gives the
    shrunk arguments, made only then."""
    try:
        helper = _start(entry, replica()) if enabled() and compiles(entry, args) else None
    except Exception:  # noqa: BLE001 -- a helper is only ever a saving of time: whatever fails here, the call goes on
        helper = None
    try:
        return entry(*args)
    finally:
        if helper is not None:
            helper.kill()
            helper.wait()


def _start(entry, args):
    """The helper process for entry on the shrunk args, or None when it cannot be started. The job is written to it
    from a thread: the pipe holds less than a job, and the helper reads it only once it has imported the package."""
    job = pickle.dumps((entry.py_func.__module__, entry.py_func.__name__, args), pickle.HIGHEST_PROTOCOL)
    try:
        helper = subprocess.Popen([sys.executable, "-c", f"from {__name__} import main; main()"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:  # no interpreter to start, no process left
        return None
    threading.Thread(target=_feed, args=(helper.stdin, job), daemon=True).start()
    return helper


def _feed(pipe, job):
    try:
        with pipe:
            pipe.write(job)
    except OSError:  # the helper is gone: stopped, or it failed
        pass


def record(entry, args):
    """The parallel kernels entry(*args) calls, as (dispatcher, argument types), in the order of their first calls.

    Runs the entry's Python body with the package's modules it names shadowed (`_Shadow`): a call of a parallel
    kernel is recorded, not run; serial helpers run (compiled, on the shrunk arguments) and plain functions run
    shadowed the same way."""
    calls = []
    _shadowed(entry.py_func, {}, calls)(*args)
    return list(dict.fromkeys(calls))


class _Shadow:
    """A module of the package seen by `record`: its parallel kernels record their calls, its plain functions are
    shadowed too, anything else is the module's own."""

    def __init__(self, module, shadows, calls):
        self._module, self._shadows, self._calls = module, shadows, calls

    def __getattr__(self, name):
        return _shadow_of(getattr(self._module, name), self._shadows, self._calls)


def _shadow_of(value, shadows, calls):
    if isinstance(value, Dispatcher) and value.targetoptions.get("parallel"):
        def recorded(*args):
            calls.append((value, _signature(value, args)))
        return recorded
    if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == PACKAGE:
        return _Shadow(value, shadows, calls)
    if isinstance(value, types.FunctionType) and value.__module__.split(".")[0] == PACKAGE:
        return _shadowed(value, shadows, calls)
    return value


def _shadowed(function, shadows, calls):
    """A copy of a plain function of the package whose global names are shadowed (`_shadow_of`)."""
    if function not in shadows:
        names = _Names(function.__globals__, shadows, calls)
        shadows[function] = types.FunctionType(function.__code__, names, function.__name__, function.__defaults__,
                                               function.__closure__)
    return shadows[function]


class _Names(dict):
    """A function's global names, each looked up in its module and shadowed when first read."""

    def __init__(self, module_globals, shadows, calls):
        super().__init__(__builtins__=module_globals["__builtins__"])
        self._module_globals, self._shadows, self._calls = module_globals, shadows, calls

    def __missing__(self, name):
        value = _shadow_of(self._module_globals[name], self._shadows, self._calls)
        self[name] = value
        return value


def main():
    """The helper: reads (module, entry name, shrunk args) pickled from stdin, compiles the entry's parallel kernels
    from the last called to the first, into the cache."""
    if hasattr(os, "nice"):
        os.nice(5)  # this process's time goes to the user's own work first
    module, name, args = pickle.load(sys.stdin.buffer)
    entry = getattr(importlib.import_module(module), name)
    for dispatcher, signature in reversed(record(entry, args)):
        dispatcher.compile(signature)

