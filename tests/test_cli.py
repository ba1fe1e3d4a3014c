"""The scratchnet-fast command line, driven as a user would."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scratchnet_fast.cli import main
from helpers import write_csv


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory):
    """A small Kaggle-format train.csv and test.csv made of real digits from the built-in sample."""
    from scratchnet_fast import data

    X, y = data.load_sample()
    order = np.random.default_rng(0).permutation(len(y))
    folder = tmp_path_factory.mktemp("kaggle")
    train = write_csv(folder / "train.csv", X[order[:1500]], y[order[:1500]])
    test = write_csv(folder / "test.csv", X[order[1500:1600]])
    return train, test, y[order[1500:1600]]


def test_train_on_the_builtin_sample_writes_a_model_and_curves(tmp_path, capsys):
    model, plot = tmp_path / "m.npz", tmp_path / "curves.png"
    status, out, _ = run(capsys, "train", "--iterations", 50, "--out", model, "--plot", plot, "--quiet")
    assert status == 0
    assert "validation accuracy: 0." in out and "training accuracy: 0." in out
    assert model.is_file() and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_kaggle_workflow_train_predict_submission(tmp_path, capsys, kaggle):
    train, test, truth = kaggle
    model, submission = tmp_path / "m.npz", tmp_path / "submission.csv"
    status, out, _ = run(capsys, "train", "--data", train, "--iterations", 200, "--val", 300, "--out", model, "--quiet")
    assert status == 0
    status, out, _ = run(capsys, "predict", "--model", model, "--data", test, "--out", submission)
    assert status == 0
    frame = pd.read_csv(submission)
    assert list(frame.columns) == ["ImageId", "Label"]
    assert list(frame.ImageId) == list(range(1, 101))
    assert frame.Label.between(0, 9).all()
    assert (frame.Label.to_numpy() == truth).mean() > 0.6


def test_evaluate_prints_accuracy_and_confusion_matrix(tmp_path, capsys, kaggle):
    train = kaggle[0]
    model = tmp_path / "m.npz"
    run(capsys, "train", "--data", train, "--iterations", 30, "--out", model, "--quiet")
    status, out, _ = run(capsys, "evaluate", "--model", model, "--data", train, "--plot", tmp_path / "cm.png",
                         "--misclassified", tmp_path / "wrong.png")
    assert status == 0
    assert "accuracy: 0." in out and "confusion matrix" in out
    rows = [line.split() for line in out.splitlines() if len(line.split()) == 11]
    assert sum(int(n) for row in rows for n in row[1:]) == 1000  # the file it was trained on: its held-out digits
    assert (tmp_path / "cm.png").is_file() and (tmp_path / "wrong.png").is_file()


def test_show_draws_one_digit(tmp_path, capsys, kaggle):
    train = kaggle[0]
    model = tmp_path / "m.npz"
    run(capsys, "train", "--data", train, "--iterations", 5, "--out", model, "--quiet")
    status, out, _ = run(capsys, "show", "--model", model, "--data", train, "--index", 3, "--out", tmp_path / "d.png")
    assert status == 0 and "prediction:" in out and (tmp_path / "d.png").is_file()


def test_bench_prints_a_speedup_table(capsys):
    status, out, _ = run(capsys, "bench", "--images", 300, "--repeat", 1)
    assert status == 0
    assert "| training step | float32 |" in out and "×" in out
    assert "only 1 timing(s) per side" in out


def test_bench_rows_give_min_and_median_and_flag_a_wide_spread():
    from scratchnet_fast._bench import row

    line, noisy = row("relu | float64", [2.0, 2.1, 2.2], [1.0, 1.0, 1.1])
    assert line == "| relu | float64 | 2.000 / 2.100 | 1.000 / 1.000 | 2.0× / 2.1× |" and not noisy
    line, noisy = row("relu | float64", [2.0, 2.1, 2.2], [1.0, 1.5, 3.0])
    assert line.endswith("2.0× / 1.4× (noisy) |") and noisy == "noisy"
    line, doubt = row("relu | float64", [2.0, 2.1, 2.2], [40.0, 41.0, 42.0], [1.0, 1.0, 1.1])  # 2 threads collapsed
    assert line.endswith("0.1× / 0.1× (busy) |") and doubt == "busy"
    assert row("relu | float64", [2.0, 2.1, 2.2], [1.0, 1.0, 1.1], [1.5, 1.5, 1.6])[1] == ""


def test_console_script_is_installed():
    done = subprocess.run([sys.executable, "-m", "scratchnet_fast.cli", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "train" in done.stdout
    script = Path(sys.executable).with_name("scratchnet-fast")
    done = subprocess.run([str(script), "train", "--alpha", "0"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: learning_rate_init must be positive and finite, got 0.0"]


@pytest.mark.parametrize("option, out", [("--out", "nodir/model.npz"), ("--out", "special"), ("--plot", "nodir/c.png")])
def test_train_checks_its_outputs_before_training(capsys, tmp_path, option, out):
    os.mkfifo(tmp_path / "special")
    status, out_text, err = run(capsys, "train", option, tmp_path / out, "--iterations", 1000000, "--quiet")
    assert status == 2 and "training on" not in out_text
    assert err.strip().startswith(f"error: cannot write {tmp_path / out}" if out != "special" else "error: refusing")


def test_bare_command_prints_the_usage_and_commands(capsys):
    status, out, _ = run(capsys)
    assert status == 0 and "usage: scratchnet-fast" in out
    assert all(command in out for command in ("train", "evaluate", "predict", "show", "bench"))


def test_version_and_python_dash_m():
    import scratchnet_fast

    done = subprocess.run([sys.executable, "-m", "scratchnet_fast", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"scratchnet-fast {scratchnet_fast.__version__}"


def test_progress_goes_to_stderr_as_lines_when_it_is_not_a_terminal(capsys, tmp_path):
    status, out, err = run(capsys, "train", "--iterations", 40, "--out", tmp_path / "m.npz")
    assert status == 0 and not any(line.startswith("iteration ") for line in out.splitlines()) and "\r" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 20 and lines[-1].startswith("iteration 40/40: loss ")


def test_seed_match_without_the_real_digits_says_so_in_one_line(tmp_path):
    import shutil

    copy = tmp_path / "project" / "benchmarks"
    copy.mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[1] / "benchmarks" / "seed_match.py", copy)
    shutil.copytree(Path(__file__).resolve().parent, tmp_path / "project" / "tests")
    done = subprocess.run([sys.executable, str(copy / "seed_match.py")], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"error: the real MNIST digits are not in {tmp_path / 'shared' / 'data'}: "
                                                "this comparison needs ../shared/data beside the project"]


def test_evaluate_on_the_built_in_sample_scores_the_held_out_images(capsys, tmp_path):
    model = tmp_path / "m.npz"
    run(capsys, "train", "--iterations", 20, "--quiet", "--out", model)
    status, out, _ = run(capsys, "evaluate", "--model", model)
    assert status == 0 and "the 1000 images held out when this model was trained" in out
    trained = run(capsys, "train", "--iterations", 20, "--quiet", "--out", model)[1]
    validation = [line for line in trained.splitlines() if line.startswith("validation accuracy")][0]
    evaluated = [line for line in run(capsys, "evaluate", "--model", model)[1].splitlines() if line.startswith("accuracy")][0]
    assert validation.replace("validation accuracy", "accuracy") == evaluated
    run(capsys, "train", "--iterations", 20, "--quiet", "--val", 0, "--out", model)
    assert "all of it, including any images this model was trained on" in run(capsys, "evaluate", "--model", model)[1]


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib figures the plots module writes, by file name, kept open for a test to read."""
    from scratchnet_fast import plots

    written, every = {}, []

    def keep(fig, path):
        written[Path(path).name] = fig
        every.append(fig)

    monkeypatch.setattr(plots, "_save", keep)
    yield written
    import matplotlib.pyplot as plt

    for fig in every:
        plt.close(fig)


def test_the_curves_show_validation_beside_training(tmp_path, capsys, figures):
    assert run(capsys, "train", "--iterations", 30, "--quiet", "--out", tmp_path / "m.npz", "--plot", tmp_path / "c.png")[0] == 0
    loss, accuracy = figures["c.png"].axes
    for ax in (loss, accuracy):
        assert [line.get_label() for line in ax.get_lines()] == ["training", "validation"]
        assert all(len(line.get_xdata()) == 30 for line in ax.get_lines())
    final = float(accuracy.get_lines()[1].get_ydata()[-1]) / 100
    _, out, _ = run(capsys, "evaluate", "--model", tmp_path / "m.npz")
    assert f"accuracy: {final:.4f}" in out  # the curve ends at the held-out images' accuracy


def test_the_misclassified_grid_names_each_digit_as_show_does_and_the_confusion_title_the_data(tmp_path, capsys, figures):
    model = tmp_path / "m.npz"
    run(capsys, "train", "--iterations", 40, "--quiet", "--out", model)
    status, out, _ = run(capsys, "evaluate", "--model", model, "--plot", tmp_path / "cm.png", "--misclassified",
                         tmp_path / "wrong.png")
    assert status == 0
    accuracy = [line for line in out.splitlines() if line.startswith("accuracy: ")][0]
    title = figures["cm.png"].axes[0].get_title().replace("\n", " ")
    assert "built-in sample" in title and "held out" in title and accuracy in title
    titles = [ax.get_title() for ax in figures["wrong.png"].axes if ax.get_title()]
    assert titles
    for title in titles[:3]:
        number, true, predicted = (int(word) for word in title.replace(":", " ").replace("#", " ").split() if word.isdigit())
        _, shown, _ = run(capsys, "show", "--model", model, "--index", number, "--out", tmp_path / "d.png")
        assert f"prediction: {predicted}, label: {true};" in shown


def test_train_takes_the_solver_momentum_and_l2(tmp_path, capsys):
    from scratchnet_fast import model_file

    out = tmp_path / "m.npz"
    status, printed, _ = run(capsys, "train", "--solver", "adam", "--alpha", "0.01", "--l2", "0.001", "--batch-size", 64,
                             "--iterations", 2, "--init", "glorot", "--hidden", 32, "--quiet", "--out", out)
    assert status == 0 and "validation accuracy: 0." in printed
    model, _ = model_file.load(out)
    assert (model.solver, model.alpha, model.learning_rate_init) == ("adam", 0.001, 0.01)
    status, printed, said = run(capsys, "train", "--momentum", "1.5", "--out", out)
    assert status == 2 and said.startswith("error: momentum must be in [0, 1]") and printed == ""


def test_trained_models_read_pixels_and_older_files_still_get_floats(tmp_path, capsys, kaggle):
    """Models trained here keep input_scale 1/255 and are fed uint8 pixels; a file without input_scale (written
    before it existed, or by fit on floats) was trained on pixels / 255 and is still fed those floats."""
    from helpers import seed_classifier
    from scratchnet_fast import data, model_file

    train = kaggle[0]
    path = tmp_path / "m.npz"
    run(capsys, "train", "--data", train, "--iterations", 40, "--out", path, "--quiet")
    model, _ = model_file.load(path)
    assert model.input_scale == pytest.approx(1 / 255)
    X, y = data.load(train)
    older = seed_classifier(max_iter=40, random_state=0).fit(X / 255.0, y)
    model_file.save(older, tmp_path / "older.npz")
    status, out, _ = run(capsys, "evaluate", "--model", tmp_path / "older.npz", "--data", train)
    assert status == 0
    assert f"accuracy: {older.score(X / 255.0, y):.4f}" in out


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model file trained briefly on the built-in sample."""
    model = tmp_path_factory.mktemp("model") / "m.npz"
    assert main(["train", "--iterations", "20", "--out", str(model), "--quiet"]) == 0
    return model


def special_targets(folder):
    """Paths that are not regular files: a FIFO, a folder, a link to /dev/null and one to this process's stdout."""
    os.mkfifo(folder / "fifo")
    (folder / "adir").mkdir()
    os.symlink("/dev/null", folder / "null")
    os.symlink("/proc/self/fd/1", folder / "stdout")
    return ["fifo", "adir", "null", "stdout"]


ARGUMENTS = {  # each command with every output but the one under test
    "predict --out": lambda model, test: ["predict", "--model", model, "--data", test],
    "show --out": lambda model, test: ["show", "--model", model],
    "evaluate --plot": lambda model, test: ["evaluate", "--model", model],
    "evaluate --misclassified": lambda model, test: ["evaluate", "--model", model],
    "train --plot": lambda model, test: ["train", "--iterations", 5, "--quiet", "--out", Path(model).with_name("t.npz")],
}


@pytest.mark.parametrize("command", ARGUMENTS)
def test_no_output_replaces_what_is_not_a_regular_file(tmp_path, capsys, trained, kaggle, command):
    """predict --out replaced a device, a FIFO, a link to /proc/self/fd/1 (as root: the machine's /dev/stdout)."""
    for name in special_targets(tmp_path):
        status, _, err = run(capsys, *ARGUMENTS[command](trained, kaggle[1]), command.split()[1], tmp_path / name)
        assert status == 2, name
        assert err.strip().splitlines()[-1].startswith(f"error: refusing to write over {tmp_path / name}: it exists and "
                                                       f"is not a regular file")
    assert os.path.islink(tmp_path / "null") and os.path.islink(tmp_path / "stdout") and (tmp_path / "adir").is_dir()
    assert not [p for p in os.listdir(tmp_path) if "tmp" in p]


def test_outputs_follow_links_take_any_legal_name_and_sweep_what_killed_runs_left(tmp_path, capsys, trained, kaggle):
    target = tmp_path / "real.csv"
    target.write_text("old")
    os.symlink(target, tmp_path / "link.csv")
    assert run(capsys, "predict", "--model", trained, "--data", kaggle[1], "--out", tmp_path / "link.csv")[0] == 0
    assert os.path.islink(tmp_path / "link.csv") and target.read_text().startswith("ImageId,Label")
    long_name = tmp_path / ("p" * 246 + ".csv")  # 250 bytes: a suffix on it would be too long a name
    assert run(capsys, "predict", "--model", trained, "--data", kaggle[1], "--out", long_name)[0] == 0
    assert long_name.is_file()
    from scratchnet_fast import model_file

    stale, fresh = tmp_path / f"{model_file.TEMPORARY}dead", tmp_path / f"{model_file.TEMPORARY}busy"
    stale.write_bytes(b"x" * 100)
    fresh.write_bytes(b"x")
    os.utime(stale, (0, 0))
    assert run(capsys, "show", "--model", trained, "--out", tmp_path / "digit.png")[0] == 0
    assert not stale.exists() and fresh.exists()  # another run's, still being written


def test_predict_to_dash_writes_the_csv_to_standard_output(capsys, trained, kaggle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "predict", "--model", trained, "--data", kaggle[1], "--out", "-")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "ImageId,Label" and len(lines) == 101 and not os.path.exists("-")


def test_evaluate_without_data_scores_the_held_out_digits_of_the_file_trained_on(tmp_path, capsys, kaggle):
    train = kaggle[0]
    model = tmp_path / "m.npz"
    trained = run(capsys, "train", "--data", train, "--iterations", 30, "--val", 300, "--out", model, "--quiet")[1]
    status, out, _ = run(capsys, "evaluate", "--model", model)
    assert status == 0 and f"data: {train}: the 300 images held out when this model was trained" in out
    validation = [line for line in trained.splitlines() if line.startswith("validation accuracy")][0]
    assert validation.replace("validation accuracy", "accuracy") in out
    moved = tmp_path / "moved.npz"
    model.rename(moved)
    train.rename(train.with_name("elsewhere.csv"))
    try:
        out = run(capsys, "evaluate", "--model", moved)[1]
        assert f"note: {train}, which this model was trained on, is not found here" in out
    finally:
        train.with_name("elsewhere.csv").rename(train)


def test_a_batch_size_without_iterations_trains_ten_epochs(tmp_path, capsys):
    status, out, _ = run(capsys, "train", "--batch-size", 500, "--out", tmp_path / "m.npz", "--quiet")
    assert status == 0 and "10 iterations in" in out


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    read, write = os.pipe()
    os.close(read)  # every write to the pipe now fails: the reader of `| head` has exited
    try:
        done = subprocess.run([sys.executable, "-m", "scratchnet_fast", "train", "--iterations", "2", "--quiet",
                               "--out", tmp_path / "m.npz"], stdout=write, stderr=subprocess.PIPE, text=True,
                              timeout=600)
    finally:
        os.close(write)
    assert done.returncode == 1 and done.stderr == ""


def test_every_option_says_what_it_is_for(capsys):
    from scratchnet_fast.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name, command in commands.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{name} {action.option_strings[0]} has no help text"
