"""How many threads the next training step runs on, chosen from the machine's load and by timing the steps.

When another program holds a core, every parallel stage waits for the thread that shares that
core, and two threads run a mini-batch epoch 3 to 4 times slower than one (Intel Xeon VM, 2 cores,
784-128-10 at batch 64: 0.385 s against 0.113 s; quiet, 0.090 s against 0.112 s). Taking work
items dynamically does not help: each stage still ends waiting for that thread. Results are the
same bits on any thread count, so the choice changes only the time. Two ways, together:

- The load: the CPU time other programs take is read from /proc/stat (less our own process's,
  /proc/self/stat, which counts our threads spinning between stages), over windows of at least
  LEAST_TICKS clock ticks, from the first step on (which is not timed: it may compile). While
  other programs use more than HELD of a core beyond the CPUs our threads leave spare, the steps
  run on one thread; once they stop, on all again. The first step, before any window, goes by
  the programs running at that moment (`others_running`): a wrong guess costs one step on one
  thread, where two threads beside a busy program cost 3 to 5 times a step.
- Timing: otherwise, now and then one step runs on the other count and the faster of the two
  is kept (for causes the load does not show): the third step, then PROBE_EVERY steps later,
  twice as long after each probe that kept the choice (up to LONGEST), since a probe on the
  slow count costs a slow step.
"""
import os
import time

import numba

PROBE_EVERY = 8  # steps between two probes of the other thread count, at first
LONGEST = 128  # steps between two probes at most
MARGIN = 0.05  # the other count is taken when its step was this much faster
HELD = 0.5  # other programs hold a core when they use this much more of one than our threads leave spare
LEAST_TICKS = 10  # a window of fewer clock ticks (summed over the CPUs: 50 ms on 2) says nothing of the load


def cpu_ticks():
    """(ticks the CPUs spent busy or stolen, ticks this process spent, ticks in all) so far, from /proc; None where
    there is no /proc."""
    try:
        with open("/proc/stat", "rb") as f:
            user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
        with open("/proc/self/stat", "rb") as f:
            own = f.read().rsplit(b")", 1)[1].split()  # after the command's name: the state is field 3
        return (user + nice + system + irq + softirq + steal, int(own[11]) + int(own[12]),  # utime, stime: 14, 15
                user + nice + system + idle + iowait + irq + softirq + steal)
    except (OSError, ValueError, IndexError):
        return None


def others_running():
    """How many threads of other processes are running or ready to run at this moment, from /proc; None where there
    is no /proc."""
    try:
        with open("/proc/stat", "rb") as f:
            running = next(int(line.split()[1]) for line in f if line.startswith(b"procs_running"))
        own = 0
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/stat", "rb") as f:
                own += f.read().rsplit(b")", 1)[1].split()[0] == b"R"  # the state, field 3
        return running - own
    except (OSError, ValueError, IndexError, StopIteration):
        return None


class Pace:
    """`before()` sets the thread count for the next step, `after()` takes its time and the load; `restore()` puts back
    the count it found. With one thread allowed, or `fixed` (the caller chose the count), it never changes the count.
    `ticks`, `others` and `cpus` give the machine's load (`cpu_ticks`, `others_running`) and its CPU count."""

    def __init__(self, fixed=False, clock=time.perf_counter, ticks=cpu_ticks, others=others_running,
                 cpus=os.cpu_count()):
        self.start = numba.get_num_threads()
        self.free = self.start > 1 and not fixed  # whether one thread may be tried instead of `start`
        self.choice = self.start
        self.seconds = {}  # the last step's time at each count
        self.step = 0
        self.probe, self.interval = 3, PROBE_EVERY  # step 1 compiles and is not timed; step 2 times the choice
        self.clock = clock
        self.began = None
        self.running = self.start
        self.ticks, self.others, self.cpus = ticks, others, cpus or 1
        self.window = None  # cpu_ticks() where the load's current window began
        self.loaded = False  # whether other programs hold a core: then one thread, and no probes

    def before(self):
        self.step += 1
        if self.free and self.window is None and self.ticks is not None:
            self.window = self.ticks()
            if self.window is None:  # no /proc: timing alone
                self.ticks = None
            elif (self.others() or 0) > self.cpus - self.start:  # until a window says: one thread
                self.loaded, self.choice = True, 1
        other = 1 if self.choice == self.start else self.start
        probing = self.free and not self.loaded and self.step == self.probe
        self.running = other if probing else self.choice
        numba.set_num_threads(self.running)
        self.began = self.clock()

    def after(self):
        seconds = self.clock() - self.began
        loaded = self.loaded  # the count this step ran on was the load's choice, not one to time
        if self.window is not None:
            self._watch_load()
        if self.step == 1 or loaded or self.loaded:
            return
        self.seconds[self.running] = seconds
        if self.running == self.choice:
            return
        if seconds < (1 - MARGIN) * self.seconds[self.choice]:  # the probe was faster: take its count
            self.choice, self.interval = self.running, PROBE_EVERY
            self.probe = self.step + self.interval
        else:  # it kept the choice: the next comes twice as late
            self.probe = self.step + self.interval
            self.interval = min(2 * self.interval, LONGEST)

    def _watch_load(self):
        """At the end of a window of LEAST_TICKS: one thread while other programs hold a core, all once they stop."""
        now = self.ticks()
        if now is None:
            self.window = self.ticks = None
            return
        busy, own, total = (b - a for a, b in zip(self.window, now))
        if total < LEAST_TICKS:
            return
        self.window = now
        spare = self.cpus - self.start
        held = (busy - own) / total * self.cpus > spare + HELD
        if held and not self.loaded:
            self.loaded, self.choice = True, 1
        elif self.loaded and not held:
            self.loaded, self.choice = False, self.start
            self.seconds.clear()
            self.probe, self.interval = self.step + PROBE_EVERY, PROBE_EVERY

    def restore(self):
        numba.set_num_threads(self.start)
