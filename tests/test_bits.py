"""Results are the same bits whatever the thread count, and whether a kernel was just compiled or came from the cache."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def digest(threads, cache):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(HERE))
    result = subprocess.run(
        [sys.executable, str(HERE / "bits_probe.py")], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.exhaustive  # compiles every kernel twice over, in fresh processes: about 3 minutes
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores to run 2 threads")
def test_one_and_two_threads_give_the_same_bits_compiled_or_cached(tmp_path):
    one = digest(1, tmp_path)  # an empty cache: every kernel is compiled in this run
    two = digest(2, tmp_path)  # every kernel is loaded from the cache the first run wrote
    assert len(one) == 64
    assert one == two
