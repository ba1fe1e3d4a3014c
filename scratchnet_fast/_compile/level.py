"""LLVM's -O2 instead of Numba's -O3 for this package's kernels, and only while they compile.

Our kernels spell out their vectors (`_simd.lanes`) and their loop order; what -O3 adds to -O2
(more inlining, loop unswitching, argument promotion) found nothing to gain in them. Measured on a
2-core AMD EPYC (Zen 4): the first mini-batch fit on normal features on an empty cache compiled in
10.0-10.4 s instead of 11.8-12.1 s (a smaller saving on MNIST digits and for the fused step), and
epochs, predictions and the seed's fused step run as fast as at -O3 (alternating processes, within
the machine's noise). The level only ever changes the optimizer's work: no
fast-math flag is added, so every result has the same bits.

Numba reads the level from its config each time it builds a pass pipeline, so the level is set
when one of our dispatchers starts compiling and restored when it ends (Numba compiles under one
global lock: nothing else compiles in between). What Numba compiles for us in that time (its
overloads, our parallel loops) gets the same level; other packages' code keeps theirs. A level the
user set below 2 (NUMBA_OPT=0 or 1) is kept, and so is NUMBA_OPT=max.
"""
from numba.core import config, event

LEVEL = 2


def _ours(dispatcher):
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", None) or ""
    return module.split(".")[0] == __name__.split(".")[0]


class _Level(event.Listener):
    """Lowers config.OPT while a dispatcher of ours compiles; a stack, for ours called from a user's kernel or ours."""

    def __init__(self):
        self.saved = []

    def on_start(self, ev):
        if _ours(ev.data["dispatcher"]):
            self.saved.append(config.OPT)
            if not config.OPT.is_opt_max and config.OPT > LEVEL:
                config.OPT = config._OptLevel(LEVEL)

    def on_end(self, ev):
        if _ours(ev.data["dispatcher"]):
            config.OPT = self.saved.pop()


_LISTENER = _Level()
_registered = []


def register():
    """Listen to Numba's compile events: idempotent."""
    if not _registered:
        event.register("numba:compile", _LISTENER)
        _registered.append(_LISTENER)
