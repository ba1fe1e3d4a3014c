"""Model files hold everything needed to rebuild and check a model, and are written atomically."""
import os

import numpy as np
import pytest

from scratchnet_fast import MLPClassifier, model_file


@pytest.fixture
def fitted(rng):
    X, y = rng.random((80, 12)), rng.integers(0, 3, 80)
    return MLPClassifier(hidden_layer_sizes=(5, 4), max_iter=3, random_state=0, dtype="float32").fit(X, y), X


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
