"""How many threads the next training step runs on, chosen by timing the steps.

When another program holds a core, every parallel stage waits for the thread that shares that
core, and two threads run a mini-batch epoch 3 to 4 times slower than one (Intel Xeon VM, 2 cores,
784-128-10 at batch 64: 0.385 s against 0.113 s; quiet, 0.090 s against 0.112 s). Taking work
items dynamically does not help: each stage still ends waiting for that thread. So now and then
one step runs on the other count, and the faster of the two counts is kept: the third step, then
PROBE_EVERY steps later, twice as long after each probe that kept the choice (up to LONGEST), since
a probe on the slow count costs a slow step. Results are the same bits on any thread count, so the
choice changes only the time.

The first step is not timed (it may compile), but what the machine did meanwhile is read from
/proc/stat: when other programs kept a core busy through it, the second step starts on one
thread, instead of two slow epochs passing before the first probe. Our own process's time
(/proc/self/stat, its threads spinning between stages among it) is not counted as theirs.
"""
import os
import time

import numba

PROBE_EVERY = 8  # steps between two probes of the other thread count, at first
LONGEST = 128  # steps between two probes at most
MARGIN = 0.05  # the other count is taken when its step was this much faster
HELD = 0.5  # other programs held a core through the first step when they used this much more of one than is spare
LEAST_TICKS = 10  # a first step shorter than this many clock ticks (summed over the CPUs) says nothing of the load


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


class Pace:
    """`before()` sets the thread count for the next step, `after()` takes its time; `restore()` puts back the count
    it found. With one thread allowed, or `fixed` (the caller chose the count), it never changes the count.
    `ticks` and `cpus` give the machine's load (`cpu_ticks`) and its CPU count."""

    def __init__(self, fixed=False, clock=time.perf_counter, ticks=cpu_ticks, cpus=os.cpu_count()):
        self.start = numba.get_num_threads()
        self.free = self.start > 1 and not fixed  # whether one thread may be tried instead of `start`
        self.choice = self.start
        self.seconds = {}  # the last step's time at each count
        self.step = 0
        self.probe, self.interval = 3, PROBE_EVERY  # step 1 compiles and is not timed; step 2 times the choice
        self.clock = clock
        self.began = None
        self.running = self.start
        self.ticks, self.spare = ticks, (cpus or 1) - self.start  # CPUs our threads leave to other programs
        self.first = None  # cpu_ticks() as the first step began

    def before(self):
        self.step += 1
        other = 1 if self.choice == self.start else self.start
        self.running = other if self.free and self.step == self.probe else self.choice
        numba.set_num_threads(self.running)
        if self.step == 1 and self.free:
            self.first = self.ticks()
        self.began = self.clock()

    def after(self):
        seconds = self.clock() - self.began
        if self.step == 1:
            if self.first is not None and self.others_held_a_core(self.first, self.ticks()):
                self.choice = 1  # step 3 probes the full count
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

    def others_held_a_core(self, before, after):
        """Whether, between the cpu_ticks() `before` and `after`, other programs kept busy more than the CPUs our
        threads leave spare."""
        if after is None:
            return False
        busy, own, total = (b - a for a, b in zip(before, after))
        cpus = self.spare + self.start
        return total >= LEAST_TICKS and (busy - own) / total * cpus > self.spare + HELD

    def restore(self):
        numba.set_num_threads(self.start)
