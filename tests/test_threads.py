"""Reductions give the same bits whatever the thread count: chunking depends on m alone."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def digest(threads):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), PYTHONPATH=str(HERE))
    result = subprocess.run(
        [sys.executable, str(HERE / "bits_probe.py")], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores to run 2 threads")
def test_one_and_two_threads_give_the_same_bits():
    one, two = digest(1), digest(2)
    assert len(one) == 64
    assert one == two
