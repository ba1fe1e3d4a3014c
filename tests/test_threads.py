"""The thread count: chosen per call, checked, and restored."""
import numpy as np
import pytest

from helpers import seed_classifier


def test_threads_are_chosen_per_call_and_checked(rng):
    import numba

    from scratchnet_fast import _threads as threads

    most = numba.config.NUMBA_NUM_THREADS
    assert threads.resolve(-1) == most and threads.resolve(None) == numba.get_num_threads()
    for bad, error in ((0, ValueError), (most + 1, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="number of threads"):
            threads.resolve(bad)
    X, y = rng.random((200, 30)), rng.integers(0, 3, 200)
    one = seed_classifier(hidden_layer_sizes=(16,), batch_size=32, max_iter=3, random_state=0, n_jobs=1).fit(X, y)
    assert numba.get_num_threads() == most
    every = seed_classifier(hidden_layer_sizes=(16,), batch_size=32, max_iter=3, random_state=0, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), every.predict_proba(X))
    with pytest.raises(ValueError, match="number of threads"):
        seed_classifier(n_jobs=most + 1).fit(X, y)


FORK = """
import os, sys, numpy as np, numba
import scratchnet_fast as sf
from helpers import seed_classifier
X = np.random.default_rng(0).random((300, 20)); y = np.arange(300) % 3
model = seed_classifier(max_iter=2, random_state=0).fit(X, y)
layer = numba.threading_layer()
pid = os.fork()
if pid == 0:
    said = []
    for call in (lambda: model.predict(X), lambda: sf.ReLU(X), lambda: sf.gradient_descent(X.T, y, 0.1, 1, verbose=False)):
        try:
            call()
            said.append("ran")
        except RuntimeError as error:
            said.append(str(error))
    print(layer, said, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_forked_child_that_cannot_run_the_kernels_says_so_in_one_clear_error():
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here), str(here.parent)]))
    done = subprocess.run([sys.executable, "-c", FORK], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    layer, _, said = done.stdout.partition(" ")
    if layer == "omp":  # GNU OpenMP: every entry refuses, naming the fix, instead of the process being killed
        assert said.count("forked from one whose kernels had run on GNU OpenMP threads") == 3, said
        assert "'spawn'" in said and "Terminating" not in done.stderr
    else:  # TBB or workqueue start afresh in the child
        assert said.strip() == "['ran', 'ran', 'ran']"
