"""ONNX export (`scratchnet_fast.onnx`): ONNX Runtime gives our probabilities and labels; skips without the extra."""
import warnings

import numpy as np
import pytest

pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from skl2onnx import to_onnx  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import scratchnet_fast.onnx  # noqa: E402,F401 - registers the converter
from scratchnet_fast import MLPClassifier  # noqa: E402


def run(onx, X):
    session = onnxruntime.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def fitted(rng, hidden, classes, dtype, **params):
    X = rng.random((150, 20)).astype(dtype)
    y = rng.integers(0, classes, 150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier(hidden_layer_sizes=hidden, max_iter=20, dtype=dtype, random_state=0, **params).fit(X, y), X


@pytest.mark.parametrize("hidden", [(16,), (12, 7)], ids=["one hidden layer", "two"])
@pytest.mark.parametrize("classes", [2, 5])
def test_onnx_runtime_gives_our_probabilities_and_labels(rng, dtype, hidden, classes):
    model, X = fitted(rng, hidden, classes, dtype)
    label, proba = run(to_onnx(model, X[:1], options={"zipmap": False}), X)
    assert proba.dtype == dtype and proba.shape == (len(X), classes)
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, model.predict(X))


@pytest.mark.parametrize("activation", ["tanh", "logistic", "identity"])
def test_every_hidden_activation_exports(rng, activation):
    model, X = fitted(rng, (12, 7), 3, np.float32, activation=activation)
    label, proba = run(to_onnx(model, X[:1], options={"zipmap": False}), X)
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, model.predict(X))


def test_string_labels_pixels_and_the_default_zipmap(rng):
    P = rng.integers(0, 256, (150, 20), dtype=np.uint8)
    y = np.array(["cat", "dog", "eel"])[rng.integers(0, 3, 150)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 20 epochs on random pixels learn nothing, and need not
        model = MLPClassifier(hidden_layer_sizes=(9,), max_iter=20, dtype="float32", input_scale=1 / 255,
                              random_state=0).fit(P, y)
    label, proba = run(to_onnx(model, P[:1], options={"zipmap": False}), P)
    np.testing.assert_allclose(proba, model.predict_proba(P), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, model.predict(P))
    label, maps = run(to_onnx(model, P[:1]), P[:3])  # scikit-learn's default: a dict per image
    assert [sorted(m) for m in maps] == [["cat", "dog", "eel"]] * 3
    np.testing.assert_allclose([maps[0][c] for c in model.classes_], model.predict_proba(P[:1])[0], atol=1e-6)
    label, _ = run(to_onnx(model, P[:1], options={"zipmap": False, "nocl": True}), P)
    np.testing.assert_array_equal(label, np.searchsorted(model.classes_, model.predict(P)))


def test_a_pipeline_holding_the_model_converts(rng):
    X = rng.standard_normal((150, 20))
    y = rng.integers(0, 3, 150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)).fit(X, y)
    label, proba = run(to_onnx(pipe, X[:1], options={id(pipe[-1]): {"zipmap": False}}), X)
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(label, pipe.predict(X))


def test_a_multilabel_model_is_refused_in_words(rng):
    X = rng.random((60, 8)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3).fit(X, (X[:, :3] > 0.5).astype(int))
    with pytest.raises(TypeError, match="multilabel"):
        to_onnx(model, X[:1])
