"""Ctrl-C and SIGTERM stop training after the current iteration and keep what it had."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import seed_classifier
from scratchnet_fast import model_file
from scratchnet_fast._train.stopping import Stop as train_stop


@pytest.fixture
def xy(rng):
    return rng.random((784, 50)), np.arange(50) % 10


def _train_and_signal(tmp_path, how, env=None, wait=0.0):
    """Start `scratchnet-fast train` for a long run, send signal `how` once it says it is training (after `wait`
    seconds more), and return (process, stdout, stderr)."""
    script = Path(sys.executable).with_name("scratchnet-fast")
    process = subprocess.Popen([str(script), "train", "--iterations", "1000000", "--out", str(tmp_path / "model.npz")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})))
    assert process.stdout.readline().startswith("training on")
    time.sleep(wait)
    process.send_signal(how)
    stdout, stderr = process.communicate(timeout=300)
    return process, stdout, stderr


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_train_saves_the_last_good_parameters(tmp_path, how):
    script = Path(sys.executable).with_name("scratchnet-fast")  # compiled first: the signal must land in training
    subprocess.run([str(script), "train", "--iterations", "1", "--quiet", "--out", str(tmp_path / "warm.npz")],
                   check=True, capture_output=True, timeout=600)
    (tmp_path / "warm.npz").unlink()
    process, stdout, stderr = _train_and_signal(tmp_path, how, wait=3)
    assert process.returncode == 128 + how, stderr  # 130 for SIGINT, 143 for SIGTERM, as shells report them
    assert "interrupted: saved the last good parameters" in stdout
    assert f"{how.name}: stopping at the last completed iteration" in stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    model, header = model_file.load(tmp_path / "model.npz")
    assert header["metadata"]["interrupted"] and header["metadata"]["iterations"] > 0
    assert [name for name in os.listdir(tmp_path)] == ["model.npz"]


def test_ctrl_c_while_the_kernels_compile_keeps_an_existing_model_file(tmp_path):
    """With a cold kernel cache the first step compiles for seconds: Ctrl-C then stops the run at 0 iterations, and
    the model already at --out is neither replaced by one of random weights nor lost."""
    before = b"an earlier model, which must survive"
    (tmp_path / "model.npz").write_bytes(before)
    process, stdout, stderr = _train_and_signal(tmp_path, signal.SIGINT, env={"NUMBA_CACHE_DIR": str(tmp_path / "cold")})
    assert process.returncode == 130, stderr
    assert "0 iterations" in stdout and "nothing saved" in stdout, stdout
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert (tmp_path / "model.npz").read_bytes() == before


def test_stop_turns_sigint_and_sigterm_into_a_request_and_restores_the_handlers():
    heard = []
    before = signal.getsignal(signal.SIGTERM)
    with train_stop(heard.append) as stop:
        assert stop.requested is None
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested == "SIGTERM" and stop.status == 143 and len(heard) == 1 and "SIGTERM" in heard[0]
        for second in (signal.SIGTERM, signal.SIGINT):  # a second signal of either kind abandons the run at once
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), second)
                time.sleep(1)
    assert signal.getsignal(signal.SIGTERM) is before and len(heard) == 1


def test_stop_leaves_a_signal_the_parent_ignores_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with train_stop() as stop:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
            assert stop.requested is None
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_signal_stops_fit_at_the_last_iteration_completed_before_it(xy):
    X, Y = xy

    def signal_in_the_fifth(i, loss, accuracy):
        if i == 4:
            os.kill(os.getpid(), signal.SIGTERM)

    with train_stop() as stop, pytest.warns(RuntimeWarning, match="interrupted after 5 iterations"):
        model = seed_classifier(random_state=0, max_iter=100).fit(X.T, Y, callback=signal_in_the_fifth, stop=stop)
    expected = seed_classifier(random_state=0, max_iter=5).fit(X.T, Y)
    assert model.interrupted_ and model.n_iter_ == 5
    for a, b in zip(model.weights_ + model.biases_, expected.weights_ + expected.biases_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_save_after_training_stops_once_the_model_is_saved(tmp_path, capsys, monkeypatch, how):
    """It was swallowed: the run scored, saved again and exited 0."""
    from scratchnet_fast import cli

    real_save = model_file.save

    def save_and_signal(*args, **kwargs):
        os.kill(os.getpid(), how)  # arrives while the file is being written
        return real_save(*args, **kwargs)

    monkeypatch.setattr(model_file, "save", save_and_signal)
    status = cli.main(["train", "--iterations", "3", "--quiet", "--out", str(tmp_path / "model.npz")])
    out = capsys.readouterr().out
    assert status == 128 + how
    assert "model written to" in out and "stopped once the model was saved" in out and "accuracy" not in out
    model, header = model_file.load(tmp_path / "model.npz")
    assert header["metadata"]["iterations"] == 3 and not header["metadata"]["interrupted"]
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]
