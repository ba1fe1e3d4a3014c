"""The training loop: iterations of a trainer's step, with the divergence check, the warnings and the stop flag."""
import numpy as np

from .pace import Pace
from .watch import SCALE_ADVICE, Watch


class Diverged(FloatingPointError, ValueError):
    """Training produced a loss or parameters that are not finite: a FloatingPointError, as the drop-in has always
    raised, and a ValueError, as scikit-learn's MLP raises ("Solver produced non-finite parameter weights")."""


def divergence(iteration, loss, alpha):
    """The error that stops a run whose loss or parameters stopped being finite; its `loss` is that loss."""
    error = Diverged(
        f"training diverged at iteration {iteration}: the loss is {loss:.6g}; try a smaller learning rate than {alpha}"
    )
    error.loss = loss
    return error


def descend(net, alpha, iterations, report=None, chance=None, stop=None, advice=SCALE_ADVICE, pace=None):
    """Run `iterations` steps of `net` at rate `alpha`, calling report(i, loss, accuracy) after each.

    `alpha` is a number, or a function giving the rate of each step (a schedule). A report that
    returns True ends the run there (it has converged).

    Raises `Diverged` (a FloatingPointError and a ValueError) naming the iteration when the loss or the parameters stop being
    finite; the parameters then hold the last finite values, and so they do after a
    KeyboardInterrupt. Warns (`Watch`) when the loss runs away or the accuracy stays at
    `chance`, the largest class's share of the labels (`advice`: what to check of the inputs then). With `stop` (a `stopping.Stop`), a
    signal ends the run at the last iteration completed before it arrived, by a KeyboardInterrupt
    raised when the step it arrived in returns: a signal during the first step, which compiles
    the kernels, leaves the starting parameters and no iteration done. `pace` (a `pace.Pace`; by default one
    free to change the thread count) sets the threads of each step.
    """
    last_good = net.theta.copy()
    rate = alpha if callable(alpha) else (lambda: alpha)
    watch = Watch(rate(), chance, advice)
    pace = pace or Pace()
    try:
        for i in range(iterations):
            alpha = rate()
            pace.before()
            loss, accuracy = net.step(alpha)
            pace.after()
            if stop is not None and stop.requested:  # the step the signal came in (the first compiles) is dropped
                raise KeyboardInterrupt(stop.requested)
            if not np.isfinite(loss) or not np.isfinite(net.theta).all():
                raise divergence(i, loss, alpha)
            last_good[:] = net.theta
            watch(i, loss, accuracy)
            if report is not None and report(i, loss, accuracy):
                break
    except (FloatingPointError, KeyboardInterrupt):
        net.theta[:] = last_good
        raise
    finally:
        pace.restore()
