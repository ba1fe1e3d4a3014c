"""Model files hold everything needed to rebuild and check a model, and are written atomically."""
import os

import numpy as np
import pytest

from helpers import seed_classifier
from scratchnet_fast import model_file


@pytest.fixture
def fitted(rng):
    X, y = rng.random((80, 12)), rng.integers(0, 3, 80)
    return seed_classifier(hidden_layer_sizes=(5, 4), max_iter=3, random_state=0, dtype="float32").fit(X, y), X


def test_round_trip_gives_the_same_predictions(tmp_path, fitted):
    model, X = fitted
    path = tmp_path / "m.npz"
    model_file.save(model, path, data="test", iterations=3)
    loaded, header = model_file.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert header["sizes"] == [12, 5, 4, 3] and header["dtype"] == "float32"
    assert header["metadata"] == {"data": "test", "iterations": 3}
    assert header["package_version"]


def test_saving_leaves_no_temporary_file(tmp_path, fitted):
    model_file.save(fitted[0], tmp_path / "m.npz")
    assert os.listdir(tmp_path) == ["m.npz"]


def test_a_symlink_is_followed_and_its_target_replaced(tmp_path, fitted):
    target = tmp_path / "real.npz"
    target.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    assert model_file.save(fitted[0], link) == str(target)
    assert link.is_symlink() and model_file.load(link)[0].n_features_in_ == 12


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_path_that_is_not_a_regular_file_is_refused(tmp_path, fitted, kind):
    path = tmp_path / "special"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    with pytest.raises(ValueError, match="exists and is not a regular file"):
        model_file.save(fitted[0], path)
    assert (path.is_fifo() if kind == "fifo" else path.is_dir()) and sorted(os.listdir(tmp_path)) == ["special"]


def test_files_get_the_permissions_of_any_new_file_or_keep_those_they_replace(tmp_path, fitted):
    umask = os.umask(0o022)
    try:
        model_file.save(fitted[0], tmp_path / "new.npz")
        kept = tmp_path / "kept.npz"
        kept.write_bytes(b"")
        kept.chmod(0o640)
        model_file.save(fitted[0], kept)
    finally:
        os.umask(umask)
    assert (tmp_path / "new.npz").stat().st_mode & 0o777 == 0o644
    assert kept.stat().st_mode & 0o777 == 0o640


def test_an_unfitted_model_is_not_saved_and_a_reloaded_one_keeps_its_parameters(tmp_path, fitted):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        model_file.save(seed_classifier(), tmp_path / "m.npz")
    model_file.save(fitted[0], tmp_path / "m.npz")
    loaded, _ = model_file.load(tmp_path / "m.npz")
    assert loaded.hidden_layer_sizes == (5, 4)
    assert {k: v for k, v in loaded.get_params().items() if k != "random_state"} == \
        {k: v for k, v in fitted[0].get_params().items() if k != "random_state"}
