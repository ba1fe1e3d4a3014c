"""Model files that are damaged, mismatched, crafted or from elsewhere are clear errors; nothing non-finite is saved."""
import io
import json
import zipfile

import numpy as np
import pytest

from helpers import seed_classifier
from scratchnet_fast import model_file


@pytest.fixture
def xy(rng):
    return rng.random((784, 50)), np.arange(50) % 10


@pytest.fixture
def saved(tmp_path, xy):
    X, Y = xy
    path = tmp_path / "model.npz"
    model_file.save(seed_classifier(max_iter=2, random_state=0).fit(X.T, Y), path)
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
    (dict(W1=np.ones((10, 9))), r"W1 has shape \(10, 9\), expected \(10, 10\)"),
    (dict(W0=np.full((10, 784), np.nan)), "layer 0 holds NaN or inf"),
    (dict(W0=np.ones((10, 784), np.float32)), "W0 is float32: expected float64"),
    (dict(classes=np.arange(3)), "3 classes for 10 outputs"),
    (dict(classes=np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 8])), "its classes repeat"),
    (dict(b1=None), r"expected the arrays W0, b0 ... W1, b1 and classes for 2 layers, found \['W0.npy', 'W1.npy', "
                    r"'b0.npy'\]"),
    (dict(extra=np.ones(3)), "found .*'extra.npy'"),
    (dict(header=np.array('{"format": "other"}')), "bad or missing header"),
])
def test_mismatched_model_files_are_clear_errors(saved, changes, words):
    rewrite(saved, **changes)
    with pytest.raises(ValueError, match=words):
        model_file.load(saved)


def header_of(path):
    with np.load(path) as npz:
        return json.loads(str(npz["header"]))


@pytest.mark.parametrize("dtype", ["int32", "complex64", "float16", "bool"])
def test_weights_of_another_dtype_are_refused_before_they_reach_the_kernels(saved, dtype):
    """int32 and complex64 weights used to load and then die in LLVM; float16 and bool in NumPy or Numba."""
    header = header_of(saved)
    header["dtype"] = dtype
    rewrite(saved, header=np.array(json.dumps(header)), W0=np.ones((10, 784), dtype))
    with pytest.raises(ValueError, match=f"dtype '{dtype}': model files hold float32 or float64 weights"):
        model_file.load(saved)


@pytest.mark.parametrize("edit, words", [
    (lambda h: h.pop("params"), "params None"),
    (lambda h: h["params"].update(input_scale=0), "input_scale 0: expected a positive number"),
    (lambda h: h["params"].update(input_scale=-1.0), "input_scale -1.0"),
    (lambda h: h.update(sizes=[784, 0, 10]), r"sizes \[784, 0, 10\]: expected two or more positive"),
    (lambda h: h.update(sizes=[784]), "sizes"),
    (lambda h: h["params"].update(not_a_parameter=1), "its params are not MLPClassifier's"),
])
def test_a_header_that_does_not_describe_a_model_is_a_clear_error(saved, edit, words):
    header = header_of(saved)
    edit(header)
    rewrite(saved, header=np.array(json.dumps(header)))
    with pytest.raises(ValueError, match=words):
        model_file.load(saved)


def test_a_member_claiming_a_huge_shape_is_refused_before_its_data_is_read(saved, tmp_path):
    """A .npy header declaring (10^6, 10^6) was a MemoryError; a member inflating to 1.5 GB peaked at 1.7 GB."""
    with zipfile.ZipFile(saved) as source:
        members = {name: source.read(name) for name in source.namelist()}

    def npy_header(shape):
        fields = np.lib.format.header_data_from_array_1_0(np.ones((2, 2)))
        fields["shape"] = shape
        out = io.BytesIO()
        np.lib.format.write_array_header_1_0(out, fields)
        return out.getvalue()

    for raw, words in ((npy_header((10 ** 6, 10 ** 6)) + bytes(64), r"W0 has shape \(1000000, 1000000\), expected "
                                                                     r"\(10, 784\)"),
                       (npy_header((10, 784)) + bytes(10 * 784 * 8 + 10 ** 7), r"W0 holds \d+ bytes where its header")):
        members["W0.npy"] = raw
        inflating = tmp_path / "inflating.npz"  # 10 MB of zeros in a file of about 10 KB
        with zipfile.ZipFile(inflating, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in members.items():
                target.writestr(name, data)
        assert inflating.stat().st_size < 10 ** 5
        with pytest.raises(ValueError, match=words):
            model_file.load(inflating)


def test_saving_never_writes_non_finite_parameters(saved, xy):
    X, Y = xy
    model = seed_classifier(max_iter=1).fit(X.T, Y)
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
