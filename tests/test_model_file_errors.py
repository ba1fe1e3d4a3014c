"""Model files that are damaged, mismatched or from elsewhere are clear errors; nothing non-finite is saved."""
import numpy as np
import pytest

from scratchnet_fast import MLPClassifier, model_file


@pytest.fixture
def xy(rng):
    return rng.random((784, 50)), np.arange(50) % 10


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
