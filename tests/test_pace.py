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


def test_one_thread_is_taken_when_two_are_slower(two_threads):
    used = run(Pace(), {2: 3.0, 1: 1.0}, 4 * PROBE_EVERY)
    assert used[:3] == [2, 2, 1]  # compiling, then timed, then the first probe at one thread
    assert set(used[3:]) == {1, 2} and used[3:].count(1) > used[3:].count(2)  # one thread kept; two probed now and then
    assert numba.get_num_threads() == 2  # restored


def test_two_threads_are_kept_where_they_are_faster_and_probes_grow_rarer(two_threads):
    used = run(Pace(), {2: 1.0, 1: 1.6}, 64)
    probes = [step + 1 for step, n in enumerate(used) if n == 1]
    assert probes == [3, 3 + PROBE_EVERY, 3 + 3 * PROBE_EVERY, 3 + 7 * PROBE_EVERY]


@pytest.mark.parametrize("after, expected", [
    ((150, 40, 200), [2, 1, 2, 1]),  # others used 110 of 200 ticks on 2 CPUs: 1.1 cores; then 2 threads probed, slower
    ((190, 180, 200), [2, 2, 1, 2]),  # busy, but by our own threads (spinning between stages): not another program
    ((150, 40, 8), [2, 2, 1, 2]),  # too short a first step to say
    (None, [2, 2, 1, 2]),  # no /proc
], ids=["another program held a core", "our own threads", "too short", "no /proc"])
def test_a_core_held_through_the_first_step_starts_the_second_on_one_thread(two_threads, after, expected):
    loads = iter([(0, 0, 0), after])
    pace = Pace(ticks=lambda: next(loads), cpus=2)
    assert run(pace, {2: 3.0, 1: 1.0} if expected[1] == 1 else {2: 1.0, 1: 3.0}, 4) == expected


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
