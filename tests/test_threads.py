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
