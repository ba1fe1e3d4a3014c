"""How many threads the next training step runs on, chosen by timing the steps.

When another program holds a core, every parallel stage waits for the thread that shares that
core, and two threads run a mini-batch epoch 3 to 4 times slower than one (Intel Xeon VM, 2 cores,
784-128-10 at batch 64: 0.385 s against 0.113 s; quiet, 0.090 s against 0.112 s). Taking work
items dynamically does not help: each stage still ends waiting for that thread. So now and then
one step runs on the other count, and the faster of the two counts is kept: the third step, then
PROBE_EVERY steps later, twice as long after each probe that kept the choice (up to LONGEST), since
a probe on the slow count costs a slow step. Results are the same bits on any thread count, so the
choice changes only the time.
"""
import time

import numba

PROBE_EVERY = 8  # steps between two probes of the other thread count, at first
LONGEST = 128  # steps between two probes at most
MARGIN = 0.05  # the other count is taken when its step was this much faster


class Pace:
    """`before()` sets the thread count for the next step, `after()` takes its time; `restore()` puts back the count
    it found. With one thread allowed, or `fixed` (the caller chose the count), it never changes the count."""

    def __init__(self, fixed=False, clock=time.perf_counter):
        self.start = numba.get_num_threads()
        self.free = self.start > 1 and not fixed  # whether one thread may be tried instead of `start`
        self.choice = self.start
        self.seconds = {}  # the last step's time at each count
        self.step = 0
        self.probe, self.interval = 3, PROBE_EVERY  # step 1 compiles and is not timed; step 2 times the choice
        self.clock = clock
        self.began = None
        self.running = self.start

    def before(self):
        self.step += 1
        other = 1 if self.choice == self.start else self.start
        self.running = other if self.free and self.step == self.probe else self.choice
        numba.set_num_threads(self.running)
        self.began = self.clock()

    def after(self):
        seconds = self.clock() - self.began
        if self.step == 1:
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

    def restore(self):
        numba.set_num_threads(self.start)
