"""`_train/pace.Pace`: the thread count of each training step, chosen by timing; never a change of the results."""
import numba
import numpy as np
import pytest

from scratchnet_fast._train.pace import PROBE_EVERY, Pace

pytestmark = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs NUMBA_NUM_THREADS >= 2")


def run(pace, seconds_at, steps):
    """Drive `pace` for `steps` steps whose time at n threads is seconds_at[n]; the thread count of each step."""
    now = [0.0]
    pace.clock = lambda: now[0]
    used = []
    for _ in range(steps):
        pace.before()
        used.append(numba.get_num_threads())
        now[0] += seconds_at[used[-1]]
        pace.after()
    pace.restore()
    return used


@pytest.fixture
def two_threads():
    before = numba.get_num_threads()
    numba.set_num_threads(2)
    yield
    numba.set_num_threads(before)


def timed():
    """A Pace that goes by the steps' times alone, whatever the machine's real load (no /proc)."""
    return Pace(ticks=lambda: None)


def test_one_thread_is_taken_when_two_are_slower(two_threads):
    used = run(timed(), {2: 3.0, 1: 1.0}, 4 * PROBE_EVERY)
    assert used[:3] == [2, 2, 1]  # compiling, then timed, then the first probe at one thread
    assert set(used[3:]) == {1, 2} and used[3:].count(1) > used[3:].count(2)  # one thread kept; two probed now and then
    assert numba.get_num_threads() == 2  # restored


def test_two_threads_are_kept_where_they_are_faster_and_probes_grow_rarer(two_threads):
    used = run(timed(), {2: 1.0, 1: 1.6}, 64)
    probes = [step + 1 for step, n in enumerate(used) if n == 1]
    assert probes == [3, 3 + PROBE_EVERY, 3 + 3 * PROBE_EVERY, 3 + 7 * PROBE_EVERY]


def machine(pace, others, own=0.1, ticks=100):
    """A fake cpu_ticks for `pace` on 2 CPUs: each call, `ticks` more ticks, of which other programs took others(step)
    cores' worth and this process own (its threads, spinning or working) of a core."""
    total = [0, 0, 0]

    def read():
        theirs, ours = others(pace.step) / 2 * ticks, own / 2 * ticks
        total[0] += int(theirs + ours)
        total[1] += int(ours)
        total[2] += ticks
        return tuple(total)
    return read


def paced(others, steps, seconds_at={2: 3.0, 1: 1.0}, at_start=0, **kwargs):
    """The thread counts of `steps` steps beside other programs taking others(step) cores, at_start of them running
    when the first step begins."""
    pace = Pace(cpus=2, others=lambda: at_start)
    pace.ticks = machine(pace, others, **kwargs)
    return run(pace, seconds_at, steps)


def test_a_core_held_from_the_start_runs_every_step_on_one_thread_without_probes(two_threads):
    assert paced(lambda step: 1.0, 3 * PROBE_EVERY) == [2] + [1] * (3 * PROBE_EVERY - 1)


def test_a_program_running_when_training_starts_puts_the_first_step_on_one_thread(two_threads):
    assert paced(lambda step: 1.0, 2 * PROBE_EVERY, at_start=1) == [1] * (2 * PROBE_EVERY)


def test_a_program_seen_at_the_start_but_gone_costs_one_step_on_one_thread(two_threads):
    used = paced(lambda step: 0.0, 2 + PROBE_EVERY, seconds_at={2: 1.0, 1: 3.0}, at_start=1)
    assert used == [1] + [2] * (PROBE_EVERY - 1) + [1, 2]  # the first window said quiet: two threads, then probes


def test_others_running_sees_a_busy_process():
    import subprocess
    import sys
    import time

    from scratchnet_fast._train.pace import others_running

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        assert others_running() >= 1  # the spinner is always running or ready to run
    finally:
        spinner.kill()
        spinner.wait()


def test_when_the_other_program_stops_all_threads_come_back_and_probes_resume(two_threads):
    used = paced(lambda step: 1.0 if step <= 5 else 0.0, 6 + 2 * PROBE_EVERY, seconds_at={2: 1.0, 1: 3.0})
    assert used[:6] == [2, 1, 1, 1, 1, 1]  # step 6 measured quiet: two threads from step 7
    assert used[6:] == ([2] * (PROBE_EVERY - 1) + [1]) * 2  # timing's probes again: PROBE_EVERY on, then as far again


def test_a_core_taken_later_moves_the_next_step_to_one_thread(two_threads):
    used = paced(lambda step: 1.0 if step >= 5 else 0.0, 10, seconds_at={2: 1.0, 1: 3.0})
    assert used == [2, 2, 1, 2, 2, 1, 1, 1, 1, 1]  # step 3 probed one thread, slower; step 5 saw the load


@pytest.mark.parametrize("kwargs", [dict(own=2.0), dict(ticks=2)], ids=["our own threads", "windows too short"])
def test_our_own_threads_or_too_short_a_window_are_not_load(two_threads, kwargs):
    """Our threads keep both CPUs busy (spinning between stages), or the steps are too short to tell: timing decides."""
    assert paced(lambda step: 0.0 if "own" in kwargs else 1.0, 5, seconds_at={2: 1.0, 1: 3.0}, **kwargs)[:5] == \
        [2, 2, 1, 2, 2]


def test_windows_shorter_than_least_ticks_add_up(two_threads):
    from scratchnet_fast._train.pace import LEAST_TICKS

    used = paced(lambda step: 1.0, 3 * LEAST_TICKS, ticks=3)  # 3 ticks a read, two reads a step but the first
    assert used[:2] == [2, 2] and set(used[LEAST_TICKS:]) == {1}


def test_without_proc_timing_alone_decides(two_threads):
    pace = Pace(cpus=2, ticks=lambda: None)
    assert run(pace, {2: 3.0, 1: 1.0}, 4) == [2, 2, 1, 1] and pace.ticks is None


def test_a_count_the_caller_chose_is_kept(two_threads):
    assert set(run(Pace(fixed=True), {2: 3.0, 1: 1.0}, 3 * PROBE_EVERY)) == {2}


def test_the_thread_count_of_each_step_changes_no_bit(rng, two_threads):
    from scratchnet_fast._train.loop import descend
    from scratchnet_fast._train.mini_batch import Layered

    X, Y = rng.random((500, 30)), rng.integers(0, 4, 500)
    layers = [(rng.random((16, 30)) - 0.5, rng.random(16) - 0.5), (rng.random((4, 16)) - 0.5, rng.random(4) - 0.5)]
    results = []
    for seconds_at in ({2: 3.0, 1: 1.0}, {2: 1.0, 1: 3.0}):
        pace = Pace()
        now = [0.0]
        pace.clock = lambda: now.__setitem__(0, now[0] + seconds_at[numba.get_num_threads()]) or now[0]
        net = Layered(X, Y, layers, 32, rng=np.random.RandomState(0))
        descend(net, 0.1, 3 * PROBE_EVERY, pace=pace)
        results.append(net.theta.copy())
    assert results[0].tobytes() == results[1].tobytes()
