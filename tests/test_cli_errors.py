"""Every failure of the command line is one line `error: …` and exit status 2; warnings are one line each."""
import numpy as np
import pytest

from scratchnet_fast.cli import main
from helpers import write_csv


@pytest.mark.parametrize("argv, words", [
    (["train", "--data", "missing.csv"], "no such file: missing.csv"),
    (["train", "--alpha", "nan"], "learning_rate_init must be positive and finite, got nan"),
    (["train", "--iterations", "-3"], "max_iter must be >= 1, got -3"),
    (["train", "--iterations", "0"], "max_iter must be >= 1, got 0"),
    (["train", "--dtype", "float16"], "argument --dtype: invalid choice: 'float16'"),
    (["train", "--val", "5000"], "n_val must be between 0 and 4999"),
    (["train", "--alpha", "1e300", "--iterations", "5"], "training diverged at iteration"),
    (["evaluate", "--model", "missing.npz"], "no such model file: missing.npz"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
@pytest.mark.filterwarnings("error")  # a warning would be a second line on a real stderr
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2
    assert err.strip().splitlines()[-1].startswith("error: ")
    assert len([line for line in err.splitlines() if line.strip()]) == 1
    assert words in err
    assert not (tmp_path / "model.npz").exists()


def test_cli_train_needs_labels(tmp_path, capsys):
    test_csv = write_csv(tmp_path / "test.csv", np.zeros((3, 784), int))
    assert main(["train", "--data", str(test_csv)]) == 2
    assert "has no labels" in capsys.readouterr().err


def test_cli_prints_warnings_as_one_line(capsys, tmp_path):
    from scratchnet_fast.cli import main

    status = main(["train", "--alpha", "1000", "--iterations", "25", "--quiet", "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert status == 0
    warnings_said = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings_said) == 2 and not any(".py:" in line for line in err.splitlines())


def test_cli_threads_option(capsys, tmp_path):
    import numba

    from scratchnet_fast.cli import main

    assert main(["train", "--threads", "1", "--iterations", "2", "--quiet", "--out", str(tmp_path / "m.npz")]) == 0
    assert main(["bench", "--threads", "0"]) == 2
    assert capsys.readouterr().err.strip().endswith("got 0")
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("option, what", [("--data", "file"), ("--model", "model file")])
def test_a_folder_a_fifo_or_a_device_is_named_for_what_it_is(tmp_path, capsys, option, what):
    """They were "no such file"; a FIFO or /dev/zero read by pandas or NumPy could also hang."""
    import os

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "adir").mkdir()
    for path, kind in ((tmp_path / "adir", "a folder"), (tmp_path / "fifo", "a named pipe (FIFO)"),
                       ("/dev/zero", "a character device")):
        assert main(["train" if option == "--data" else "evaluate", option, str(path)]) == 2
        assert capsys.readouterr().err.strip() == f"error: {path} is {kind}, not a {what}"
