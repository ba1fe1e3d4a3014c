"""Ctrl-C and SIGTERM as a request to stop training after the current iteration, never mid-step.

Python's own Ctrl-C raises KeyboardInterrupt wherever the program happens to be. During Numba's
first compile that is inside llvmlite, which can swallow it ("Exception ignored ... Keyboard-
Interrupt") so that training runs on to the end; and after training it can land in the middle of
saving or scoring. While `Stop` is entered, the first SIGINT or SIGTERM only sets `requested`: the
training loop looks at it after each step and ends cleanly at the last iteration completed before
it, and the command line stops once the model is saved. A second signal of either kind raises
KeyboardInterrupt at once, for a user (or a service manager) who does not want to wait for a
compile or a save to finish. `status` is the exit status that says which signal it was.
"""
import signal
import sys
import threading


class Stop:
    """A context in which SIGINT and SIGTERM ask training to stop; `requested` names the signal, or is None.

    Outside the main thread, where Python cannot install handlers, it does nothing and the
    default behaviour stays; so it does for a signal the parent process set to be ignored (as
    `nohup` does, or a shell for a background job).
    """

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self, say=None):
        self.requested = None
        self.say = say  # say(message): told once, when the first signal arrives
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                number = getattr(signal, name, None)
                if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
                    self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()
        return False

    @property
    def status(self):
        """The shell's exit status for the signal requested, 128 + its number (130 SIGINT, 143 SIGTERM); None without."""
        return None if self.requested is None else 128 + signal.Signals[self.requested].value

    def _handle(self, number, frame):
        name = signal.Signals(number).name
        if self.requested is not None:
            raise KeyboardInterrupt
        self.requested = name
        if self.say is not None:
            self.say(f"{name}: stopping at the last completed iteration (Ctrl-C again to abandon the run unsaved)")


def say_on_stderr(message):
    """One line on stderr, flushed at once."""
    print(message, file=sys.stderr, flush=True)
