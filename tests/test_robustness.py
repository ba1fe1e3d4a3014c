"""Bad input gets a clear error naming the problem; training never silently fails; nothing is lost."""
import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scratchnet_fast as sf
from scratchnet_fast import MLPClassifier, data, model_file, train
from scratchnet_fast.cli import main
from scratchnet_fast.stopping import Stop as train_stop
from test_data import write_csv, write_idx


@pytest.fixture
def xy(rng):
    return rng.random((784, 50)), np.arange(50) % 10


# The drop-in functions.

@pytest.mark.parametrize("X, Y, error, words", [
    (np.ones(784), np.zeros(1, int), ValueError, "X must be 2-dimensional"),
    (np.ones((784, 5)), np.zeros(4, int), ValueError, "4 labels but X has 5 images"),
    (np.ones((784, 0)), np.zeros(0, int), ValueError, "X is empty"),
    (np.full((784, 3), "a"), np.zeros(3, int), TypeError, "X must be a numeric array"),
    (np.ones((784, 3), dtype=object), np.zeros(3, int), TypeError, "X must be a numeric array"),
    (np.ones((784, 3)), np.array([0.5, 1, 2]), TypeError, "integer labels"),
    (np.ones((784, 3)), np.array(["a", "b", "c"]), TypeError, "Y must be a numeric array"),
    (np.ones((784, 3)), np.array([0, 10, 2]), ValueError, "label 10 but the model has 10 classes"),
    (np.ones((784, 3)), np.array([0, -1, 2]), ValueError, "negative label: -1"),
])
def test_gradient_descent_rejects_bad_data(X, Y, error, words):
    with pytest.raises(error, match=words):
        sf.gradient_descent(X, Y, 0.1, 1, verbose=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_per_step_functions_name_the_first_nan_or_inf_in_X_from_their_results(xy, bad, dtype):
    """forward_prop and backward_prop check what they computed from X, not X itself, and still name X's first bad value."""
    X, Y = xy
    X = X.astype(dtype)
    np.random.seed(0)
    params = sf.init_params(dtype=dtype)
    Z1, A1, Z2, A2 = sf.forward_prop(*params, X)
    X[3, 7] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index \(3, 7\)"):
        sf.forward_prop(*params, X)
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index \(3, 7\)"):
        sf.backward_prop(Z1, A1, Z2, A2, params[0], params[2], X, Y)


def test_forward_prop_says_when_finite_images_overflow(xy):
    X, Y = xy
    np.random.seed(0)
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match=r"Z1 = W1·X \+ b1 overflows"):
        sf.forward_prop(W1 * 1e300, b1, W2, b2, X * 1e300)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gradient_descent_rejects_nan_and_inf_in_X(xy, bad):
    X, Y = xy
    X[3, 7] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(first at index \(3, 7\)"):
        sf.gradient_descent(X, Y, 0.1, 1, verbose=False)


@pytest.mark.parametrize("alpha, error, words", [
    (0, ValueError, "alpha must be positive and finite, got 0"),
    (-0.1, ValueError, "alpha must be positive and finite, got -0.1"),
    (float("nan"), ValueError, "alpha must be positive and finite, got nan"),
    (float("inf"), ValueError, "alpha must be positive and finite, got inf"),
    ("0.1", TypeError, "alpha must be a number, got '0.1'"),
])
def test_gradient_descent_rejects_bad_learning_rates(xy, alpha, error, words):
    with pytest.raises(error, match=words):
        sf.gradient_descent(*xy, alpha, 1, verbose=False)


@pytest.mark.parametrize("iterations, error, words", [
    (-1, ValueError, "iterations must be >= 0, got -1"),
    (2.5, TypeError, "iterations must be an integer, got 2.5"),
])
def test_gradient_descent_rejects_bad_iteration_counts(xy, iterations, error, words):
    with pytest.raises(error, match=words):
        sf.gradient_descent(*xy, 0.1, iterations, verbose=False)


@pytest.mark.parametrize("dtype", ["float16", "int32", "complex128", "bogus"])
def test_init_params_rejects_unknown_dtypes(dtype):
    with pytest.raises(ValueError, match="unknown dtype"):
        sf.init_params(dtype=dtype)


def test_forward_prop_rejects_a_feature_count_other_than_the_models():
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match="W1 has 784 input features but X has 100"):
        sf.forward_prop(W1, b1, W2, b2, np.ones((100, 3)))


def test_forward_prop_rejects_a_bias_of_the_wrong_shape():
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match=r"b1 must have shape \(10, 1\), got \(9, 1\)"):
        sf.forward_prop(W1, b1[:9], W2, b2, np.ones((784, 3)))


def test_backward_prop_rejects_activations_of_the_wrong_shape(xy):
    X, Y = xy
    W1, b1, W2, b2 = sf.init_params()
    Z1, A1, Z2, A2 = sf.forward_prop(W1, b1, W2, b2, X)
    with pytest.raises(ValueError, match=r"A2 must have shape \(10, 50\), got \(10, 49\)"):
        sf.backward_prop(Z1, A1, Z2, A2[:, :49], W1, W2, X, Y)


def test_update_params_rejects_a_gradient_of_another_shape():
    params = sf.init_params()
    grads = list(params)
    grads[2] = np.ones((10, 9))
    with pytest.raises(ValueError, match=r"dW2 must have the shape of W2, \(10, 10\), got \(10, 9\)"):
        sf.update_params(*params, *grads, 0.1)


def test_get_accuracy_rejects_lengths_that_differ():
    with pytest.raises(ValueError, match="predictions has 3 entries but Y has 2"):
        sf.get_accuracy(np.zeros(3, int), np.zeros(2, int))


# Divergence: images scaled by 1e10 make the first update at rate 1e300 overflow, whatever the draw.

def test_divergence_stops_gradient_descent_naming_the_iteration(xy):
    X, Y = xy
    with pytest.raises(FloatingPointError, match=r"diverged at iteration 0: .*try a smaller learning rate than 1e\+300"):
        sf.gradient_descent(X * 1e10, Y, 1e300, 50, verbose=False)


def test_divergence_leaves_the_last_finite_parameters(xy):
    X, Y = xy
    W1, b1, W2, b2 = sf.init_params()
    net = train.FullBatch(np.ascontiguousarray(X.T * 1e10), Y, W1, b1.ravel(), W2, b2.ravel())
    with pytest.raises(FloatingPointError, match="diverged at iteration 0"):
        train.descend(net, 1e300, 50)
    np.testing.assert_array_equal(net.params[0], W1)
    np.testing.assert_array_equal(net.params[3], b2.ravel())


@pytest.mark.parametrize("batch_size", [None, 10])
def test_divergence_stops_the_estimator(xy, batch_size):
    X, Y = xy
    model = MLPClassifier(learning_rate_init=1e300, batch_size=batch_size, random_state=0)
    with pytest.raises(FloatingPointError, match="diverged at iteration 0"):
        model.fit(X.T * 1e10, Y)
    assert not hasattr(model, "weights_")


# The estimator.

@pytest.mark.parametrize("params, words", [
    (dict(learning_rate_init=0), "learning_rate_init must be positive and finite"),
    (dict(max_iter=-1), "max_iter must be >= 0, got -1"),
    (dict(dtype="float16"), "unknown dtype 'float16'"),
    (dict(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes entries must be >= 1, got 0"),
    (dict(batch_size=0), "batch_size must be >= 1, got 0"),
])
def test_estimator_rejects_bad_parameters(xy, params, words):
    X, Y = xy
    with pytest.raises(ValueError, match=words):
        MLPClassifier(**params).fit(X.T, Y)


def test_estimator_rejects_nan_and_wrong_feature_counts(xy):
    X, Y = xy
    model = MLPClassifier(max_iter=2).fit(X.T, Y)
    with pytest.raises(ValueError, match="X has 783 features, but MLPClassifier is expecting 784"):
        model.predict(X.T[:, 1:])
    bad = X.T.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier().fit(bad, Y)


def test_keyboard_interrupt_keeps_the_last_completed_iteration(xy):
    X, Y = xy

    def stop_at_five(i, loss, accuracy):
        if i == 4:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 5 iterations"):
        model = MLPClassifier(random_state=0, max_iter=100).fit(X.T, Y, callback=stop_at_five)
    expected = MLPClassifier(random_state=0, max_iter=5).fit(X.T, Y)
    assert model.interrupted_ and model.n_iter_ == 5
    for a, b in zip(model.weights_ + model.biases_, expected.weights_ + expected.biases_):
        np.testing.assert_array_equal(a, b)


# Files.

PIXELS = ",".join(f"pixel{i}" for i in range(784))


def row(last):
    """A header and one row of label 1 whose last pixel is `last`: 785 fields."""
    return f"label,{PIXELS}\n1,".encode() + b"0," * 783 + last + b"\n"


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"),
    (f"label,{PIXELS}\n".encode(), "has a header but no rows"),
    (b"a,b,c\n1,2,3\n", "must have the columns label, pixel0"),
    (row(b"0") + b"2," + b"0," * 783 + b"0,0\n", "not a well-formed CSV"),
    (row(b"abc"), "'abc' is not a whole number"),
    (row(b"256"), "'256' is outside 0-255"),
    (row(b"-1"), "'-1' is outside 0-255"),
    (row(b"300"), "'300' is outside 0-255"),  # pandas before 3.1 reads it into uint8 as 44
    (row(b"65541"), "'65541' is outside 0-255"),
    (row(b"18446744073709551621"), "is outside 0-255"),
    (row(b"0.5"), "'0.5' is not a whole number"),
    (f"label,{PIXELS}\n12," .encode() + b"0," * 783 + b"0\n", "has label 12: digit labels are 0-9"),
    (bytes(range(256)) * 4, "train.csv"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_csv_files_are_clear_errors(tmp_path, content, words):
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=words):
        data.load(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        data.load(tmp_path / "train.csv")


def valid_idx(tmp_path, compress):
    images = np.arange(3 * 784, dtype=np.uint8).reshape(3, 28, 28)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"x-labels-idx1-ubyte{suffix}", np.array([1, 2, 3], np.uint8), compress)
    return write_idx(tmp_path / f"x-images-idx3-ubyte{suffix}", images, compress)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("mangle, words", [
    (lambda raw: raw[:-5], "truncated or corrupt"),
    (lambda raw: raw + b"\x00", "truncated or corrupt"),
    (lambda raw: b"\x00\x00\x08\x03" + raw[4:10], "truncated"),
    (lambda raw: b"PK" + raw[2:], "not an IDX file: bad magic"),
    (lambda raw: b"", "not an IDX file"),
])
def test_bad_idx_files_are_clear_errors(tmp_path, mangle, words, compress):
    """The same damage to the IDX bytes, stored plain (mapped) or gzipped (decompressed into the array)."""
    path = valid_idx(tmp_path, compress=False)
    raw = mangle(path.read_bytes())
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)
    with pytest.raises(ValueError, match=words):
        data.load(path)


def test_a_corrupt_gzip_is_a_clear_error(tmp_path):
    path = valid_idx(tmp_path, compress=True)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        data.load(path)


def test_idx_labels_outside_0_to_9_are_a_clear_error(tmp_path):
    path = valid_idx(tmp_path, compress=False)
    write_idx(tmp_path / "x-labels-idx1-ubyte", np.array([1, 2, 30], np.uint8), False)
    with pytest.raises(ValueError, match="label 30: digit labels are 0-9"):
        data.load(path)


def test_idx_count_mismatch_is_a_clear_error(tmp_path):
    path = valid_idx(tmp_path, compress=False)
    write_idx(tmp_path / "x-labels-idx1-ubyte", np.array([1, 2], np.uint8), False)
    with pytest.raises(ValueError, match="has 3 images but .* has 2 labels"):
        data.load(path)


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def mutate(raw, draw):
    """Flip, insert, delete bytes or truncate."""
    raw = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del raw[at:at + draw(st.integers(1, 8))]
        else:
            raw = raw[:at]
    return bytes(raw)


def loads_or_clear_error(path):
    try:
        X, y = data.load(path)
    except ValueError as error:
        assert str(path.name) in str(error) or "no such file" in str(error) or "empty" in str(error)
        return
    assert X.dtype == np.uint8 and X.ndim == 2
    assert y is None or (y.dtype == np.uint8 and len(y) == len(X) and (y <= 9).all())


@FUZZ
@given(st.data())
def test_fuzzed_csv_files_load_or_fail_clearly(tmp_path, data_):
    rows = np.random.default_rng(0).integers(0, 256, (3, 784))
    valid = write_csv(tmp_path / "base.csv", rows, np.array([1, 2, 3])).read_bytes()
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data_.draw(st.one_of(st.binary(max_size=400), st.just(valid).map(lambda v: mutate(v, data_.draw)))))
    loads_or_clear_error(path)


@FUZZ
@given(st.data(), st.booleans())
def test_fuzzed_idx_files_load_or_fail_clearly(tmp_path, data_, compress):
    folder = tmp_path / f"idx{compress}"
    folder.mkdir(exist_ok=True)
    path = valid_idx(folder, compress)
    path.write_bytes(mutate(path.read_bytes(), data_.draw))
    loads_or_clear_error(path)


# Model files.

@pytest.fixture
def saved(tmp_path, xy):
    X, Y = xy
    path = tmp_path / "model.npz"
    model_file.save(MLPClassifier(max_iter=2, random_state=0).fit(X.T, Y), path)
    return path


@pytest.mark.parametrize("mangle, words", [
    (lambda raw: raw[: len(raw) // 2], "corrupt or truncated"),
    (lambda raw: bytes(len(raw)), "corrupt or truncated"),
])
def test_corrupt_model_files_are_clear_errors(saved, mangle, words):
    saved.write_bytes(mangle(saved.read_bytes()))
    with pytest.raises(ValueError, match=words):
        model_file.load(saved)


def rewrite(path, **changes):
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays.update(changes)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})


@pytest.mark.parametrize("changes, words", [
    (dict(W1=np.ones((10, 9))), r"layer 1 has W \(10, 9\)"),
    (dict(W0=np.full((10, 784), np.nan)), "layer 0 holds NaN or inf"),
    (dict(W0=np.ones((10, 784), np.float32)), "layer 0 is float32, the header says float64"),
    (dict(classes=np.arange(3)), "3 classes for 10 outputs"),
    (dict(b1=None), "expected arrays for 2 layers"),
    (dict(header=np.array('{"format": "other"}')), "bad or missing header"),
])
def test_mismatched_model_files_are_clear_errors(saved, changes, words):
    rewrite(saved, **changes)
    with pytest.raises(ValueError, match=words):
        model_file.load(saved)


def test_saving_never_writes_non_finite_parameters(saved, xy):
    X, Y = xy
    model = MLPClassifier(max_iter=1).fit(X.T, Y)
    model.weights_[0][0, 0] = np.inf
    before = saved.read_bytes()
    with pytest.raises(ValueError, match="NaN or inf parameters"):
        model_file.save(model, saved)
    assert saved.read_bytes() == before


# The command line: one line, exit status 2.

@pytest.mark.parametrize("argv, words", [
    (["train", "--data", "missing.csv"], "no such file: missing.csv"),
    (["train", "--alpha", "nan"], "learning_rate_init must be positive and finite, got nan"),
    (["train", "--iterations", "-3"], "max_iter must be >= 0, got -3"),
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
    process, stdout, stderr = _train_and_signal(tmp_path, how, wait=3)
    assert process.returncode == 130, stderr
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
        assert stop.requested == "SIGTERM" and len(heard) == 1 and "SIGTERM" in heard[0]
        os.kill(os.getpid(), signal.SIGTERM)  # a second SIGTERM changes nothing
        with pytest.raises(KeyboardInterrupt):  # a second Ctrl-C abandons the run at once
            os.kill(os.getpid(), signal.SIGINT)
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
        model = MLPClassifier(random_state=0, max_iter=100).fit(X.T, Y, callback=signal_in_the_fifth, stop=stop)
    expected = MLPClassifier(random_state=0, max_iter=5).fit(X.T, Y)
    assert model.interrupted_ and model.n_iter_ == 5
    for a, b in zip(model.weights_ + model.biases_, expected.weights_ + expected.biases_):
        np.testing.assert_array_equal(a, b)


def test_images_one_per_row_get_a_transpose_hint(xy):
    X, Y = xy
    np.random.seed(0)
    W1, b1, W2, b2 = sf.init_params()
    with pytest.raises(ValueError, match=r"X looks transposed: its shape is \(50, 784\).*pass X\.T"):
        sf.forward_prop(W1, b1, W2, b2, X.T)
    with pytest.raises(ValueError, match=r"Y has 50 labels but X has 784 images; X looks transposed"):
        sf.gradient_descent(X.T, Y, 0.1, 1, verbose=False)


def test_a_sparse_matrix_gets_a_clear_error(xy):
    sparse = pytest.importorskip("scipy.sparse")
    X, Y = xy
    with pytest.raises(TypeError, match=r"X is a scipy sparse matrix.*X\.toarray\(\)"):
        sf.gradient_descent(sparse.csr_matrix(X), Y, 0.1, 1, verbose=False)


def test_unscaled_images_in_the_drop_in_get_a_warning(xy):
    X, Y = xy
    np.random.seed(0)
    with pytest.warns(RuntimeWarning, match=r"X holds values up to 2\d\d.*did you forget / 255\?"):
        sf.gradient_descent(X * 255, Y, 0.1, 1, verbose=False)


def test_training_that_fails_quietly_says_so(rng):
    """A runaway loss and an accuracy stuck at chance each get one warning; the stable softmax keeps the loss finite."""
    X = rng.random((300, 20))
    y = np.repeat([0, 1, 2], 100)
    with pytest.warns(RuntimeWarning) as caught:
        MLPClassifier(max_iter=25, learning_rate_init=1e3, random_state=0).fit(X, y)
    messages = [str(w.message) for w in caught]
    assert sum("the training loss grew from" in m for m in messages) == 1
    assert sum("no better than always guessing the most common label (0.333)" in m for m in messages) == 1


def test_sound_training_gives_no_such_warning(rng):
    import warnings

    X = rng.random((300, 20))
    y = (X[:, 0] > 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MLPClassifier(max_iter=40, random_state=0).fit(X, y)


def test_cli_prints_warnings_as_one_line(capsys, tmp_path):
    from scratchnet_fast.cli import main

    status = main(["train", "--alpha", "1000", "--iterations", "25", "--quiet", "--out", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert status == 0
    warnings_said = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings_said) == 2 and not any(".py:" in line for line in err.splitlines())


def test_threads_are_chosen_per_call_and_checked(rng):
    import numba

    from scratchnet_fast import threads

    most = numba.config.NUMBA_NUM_THREADS
    assert threads.count(-1) == most and threads.count(None) == numba.get_num_threads()
    for bad, error in ((0, ValueError), (most + 1, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="number of threads"):
            threads.count(bad)
    X, y = rng.random((200, 30)), rng.integers(0, 3, 200)
    one = MLPClassifier(hidden_layer_sizes=(16,), batch_size=32, max_iter=3, random_state=0, n_jobs=1).fit(X, y)
    assert numba.get_num_threads() == most
    every = MLPClassifier(hidden_layer_sizes=(16,), batch_size=32, max_iter=3, random_state=0, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), every.predict_proba(X))
    with pytest.raises(ValueError, match="number of threads"):
        MLPClassifier(n_jobs=most + 1).fit(X, y)


def test_cli_threads_option(capsys, tmp_path):
    import numba

    from scratchnet_fast.cli import main

    assert main(["train", "--threads", "1", "--iterations", "2", "--quiet", "--out", str(tmp_path / "m.npz")]) == 0
    assert main(["bench", "--threads", "0"]) == 2
    assert capsys.readouterr().err.strip().endswith("got 0")
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


def test_files_from_elsewhere_say_what_they_are(tmp_path):
    import pickle

    text = tmp_path / "notes.txt"
    text.write_text("epoch,loss\n1,0.5\n")
    pickled = tmp_path / "model.joblib"
    pickled.write_bytes(pickle.dumps({"coef": [1, 2]}))
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.ones(3))
    for path, words in ((text, r"not a scratchnet-fast model file: it is a text file, starting 'epoch,loss'"),
                        (pickled, r"not a scratchnet-fast model file: it is a pickle"),
                        (other, r"not a scratchnet-fast model file: an \.npz of the arrays \['weights'\], with no "
                                r"'header' entry")):
        with pytest.raises(ValueError, match=words) as caught:
            model_file.load(path)
        assert "allow_pickle" not in str(caught.value) and "A model file is the .npz" in str(caught.value)
