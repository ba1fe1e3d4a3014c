"""Sparse X (scipy's CSR and CSC, arrays and matrices) in fit, partial_fit and the predictions: each block's rows are
scattered into a dense panel (`epoch._scattered`), so that a fit gives the same bits as on the same values dense, the
first layer reading every input or skipping zero tiles in both."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier as SklearnClassifier

import helpers
from scratchnet_fast import MLPClassifier, MLPRegressor, _network
from scratchnet_fast._train import mini_batch

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
FORMATS = {"csr_matrix": sp.csr_matrix, "csr_array": sp.csr_array, "csc_matrix": sp.csc_matrix,
           "csc_array": sp.csc_array}


@pytest.fixture(scope="module")
def problem():
    """X (300, 40) with 80% zeros, four-class labels, two regression targets, sample weights."""
    rng = np.random.default_rng(8)
    X = rng.random((300, 40))
    X[rng.random(X.shape) < 0.8] = 0
    labels = (X[:, :6].sum(axis=1) * 3).astype(int) % 4
    targets = np.c_[X[:, 0] + X[:, 1], X[:, 2] * 2]
    return X, labels, targets, rng.random(300) + 0.5


@pytest.fixture
def reading_every_input(monkeypatch):
    """The first layer reading every input, dense X or the panel of sparse rows."""
    monkeypatch.setattr(mini_batch, "skips_zeros", lambda *args: False)


@pytest.fixture(params=[False, True], ids=["every input", "skipping zero tiles"])
def first_layer(request, monkeypatch):
    """The first layer reading every input, or skipping the zero tiles of the rows (dense) or of the panel (sparse)."""
    monkeypatch.setattr(mini_batch, "skips_zeros", lambda *args: request.param)


def assert_same_bits(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(p, q)
    assert a.loss_curve_ == b.loss_curve_


@pytest.mark.parametrize("form", list(FORMATS))
@pytest.mark.parametrize("params", [dict(solver="sgd", batch_size=32, hidden_layer_sizes=(16,)),
                                    dict(solver="adam", batch_size=None, hidden_layer_sizes=(16, 8), alpha=1e-3),
                                    dict(solver="sgd", batch_size=300, momentum=0.0, alpha=0.0,
                                         hidden_layer_sizes=(12,), activation="tanh")],
                         ids=["sgd-batches", "adam-full-batch-2-layers", "plain-full-batch-tanh"])
def test_a_sparse_fit_gives_the_bits_of_the_dense_one(problem, first_layer, dtype, form, params):
    X, labels, _, _ = problem
    common = dict(max_iter=3, random_state=0, dtype=dtype, **params)
    dense = MLPClassifier(**common).fit(X, labels)
    sparse = MLPClassifier(**common).fit(FORMATS[form](X), labels)
    assert_same_bits(sparse, dense)
    np.testing.assert_array_equal(sparse.predict_proba(FORMATS[form](X)), dense.predict_proba(X))
    np.testing.assert_array_equal(sparse.predict(FORMATS[form](X[:3])), dense.predict(X[:3]))


def test_pixels_weights_rows_regression_and_partial_fit_on_sparse_x(problem, first_layer):
    """uint8 pixels with input_scale, sample weights, rows=, early stopping, a regressor and partial_fit: as dense."""
    X, labels, targets, weights = problem
    pixels = np.round(X * 255).astype(np.uint8)
    common = dict(hidden_layer_sizes=(10,), max_iter=3, random_state=1, batch_size=40, dtype="float32")
    runs = [(MLPClassifier(input_scale=1 / 255, **common), pixels, labels, {}),
            (MLPClassifier(**common), X, labels, dict(sample_weight=weights, rows=np.arange(50, 300))),
            (MLPClassifier(early_stopping=True, **common), X, labels, {}),
            (MLPRegressor(**common), X, targets, dict(sample_weight=weights))]
    for model, data, y, fit_params in runs:
        dense = model.__class__(**model.get_params()).fit(data, y, **fit_params)
        sparse = model.fit(sp.csr_array(data), y, **fit_params)
        assert_same_bits(sparse, dense)
        predicted = sparse.predict(sp.csr_array(data))
        np.testing.assert_array_equal(predicted, dense.predict(data))
    dense, sparse = (MLPClassifier(solver="sgd", **common) for _ in range(2))
    for part in (slice(0, 150), slice(150, 300)):
        dense.partial_fit(X[part], labels[part], classes=np.arange(4))
        sparse.partial_fit(sp.csr_matrix(X[part]), labels[part], classes=np.arange(4))
    assert_same_bits(sparse, dense)


def test_sparse_predictions_go_in_blocks_and_lbfgs_trains_on_sparse_x(problem, monkeypatch):
    X, labels, _, _ = problem
    model = MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=20, random_state=0).fit(sp.csr_array(X),
                                                                                                    labels)
    dense = MLPClassifier(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=20, random_state=0).fit(X, labels)
    helpers.assert_same_weights(model, dense, 1e-12)
    monkeypatch.setattr(_network, "SPARSE_BLOCK", 64)  # 300 rows: five blocks, the last of 44
    np.testing.assert_allclose(model.predict_proba(sp.csr_array(X)), model.predict_proba(X), rtol=0, atol=1e-15)


def test_a_regressors_sparse_predictions_go_in_blocks(problem, monkeypatch):
    """A regressor's predict makes SPARSE_BLOCK rows dense at a time, never the whole X, and gives the dense bits."""
    X, _, targets, _ = problem
    model = MLPRegressor(hidden_layer_sizes=(10,), max_iter=3, batch_size=40, random_state=0).fit(X, targets)
    monkeypatch.setattr(_network, "SPARSE_BLOCK", 64)  # 300 rows: five blocks, the last of 44
    widest = []
    forward = _network.forward
    monkeypatch.setattr(_network, "forward", lambda A, *args: widest.append(A.shape[0]) or forward(A, *args))
    predicted = model.predict(sp.csr_array(X))
    assert widest == [64, 64, 64, 64, 44]
    np.testing.assert_array_equal(predicted, model.predict(X))


def test_repeated_columns_in_a_row_are_summed_as_scipy_sums_them(problem, reading_every_input):
    X, labels, _, _ = problem
    rows, cols = np.nonzero(X)
    doubled = sp.csr_matrix((np.r_[X[rows, cols] / 2, X[rows, cols] / 2], (np.r_[rows, rows], np.r_[cols, cols])),
                            shape=X.shape)
    doubled.has_canonical_format = False
    common = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    helpers.assert_same_weights(MLPClassifier(**common).fit(doubled, labels), MLPClassifier(**common).fit(X, labels),
                                1e-12)


def test_the_zero_tiles_of_sparse_rows_are_those_of_their_dense_twins(problem):
    X, _, _, _ = problem
    X = X.copy()
    X[5] = 0  # an empty row
    C = sp.csr_matrix(X)
    C.data[:3] = 0  # explicit zeros mark nothing
    np.testing.assert_array_equal(mini_batch._sparse_tiles(C, 40), mini_batch._dense_tiles(C.toarray(), 40))


def test_a_sparse_fit_follows_scikit_learns(problem):
    X, labels, _, _ = problem
    ours, theirs = helpers.train_both(SklearnClassifier, MLPClassifier, sp.csr_matrix(X), labels, 4, (12,), 50, 0.05,
                                      dict(solver="sgd"), 5)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_[-5:], rtol=1e-9)
    helpers.assert_same_weights(ours, theirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(ours.predict_proba(sp.csr_matrix(X)), theirs.predict_proba(sp.csr_matrix(X)),
                                   rtol=1e-9, atol=1e-12)
