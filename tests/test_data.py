"""Loaders: the Kaggle CSV, MNIST IDX (gzipped or not), the built-in sample, the seed's split."""
import numpy as np
import pytest

from helpers import write_csv, write_idx
from scratchnet_fast import data


@pytest.fixture
def pixels(rng):
    return rng.integers(0, 256, (7, 784), dtype=np.uint8), rng.integers(0, 10, 7).astype(np.uint8)


def test_kaggle_train_csv_round_trips_as_uint8(tmp_path, pixels):
    X, y = pixels
    loaded_X, loaded_y = data.load(write_csv(tmp_path / "train.csv", X, y))
    assert loaded_X.dtype == np.uint8 and loaded_y.dtype == np.uint8
    np.testing.assert_array_equal(loaded_X, X)
    np.testing.assert_array_equal(loaded_y, y)


def test_kaggle_test_csv_has_no_labels(tmp_path, pixels):
    X, _ = pixels
    loaded_X, loaded_y = data.load(write_csv(tmp_path / "test.csv", X))
    np.testing.assert_array_equal(loaded_X, X)
    assert loaded_y is None


@pytest.mark.parametrize("compress", [True, False])
def test_idx_files_gzipped_or_not(tmp_path, pixels, compress):
    X, y = pixels
    suffix = ".gz" if compress else ""
    images = write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", X.reshape(7, 28, 28), compress)
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", y, compress)
    loaded_X, loaded_y = data.load(images)
    np.testing.assert_array_equal(loaded_X, X)
    np.testing.assert_array_equal(loaded_y, y)
    assert isinstance(loaded_X, np.memmap) != compress  # a plain file is mapped, not read
    assert loaded_X.flags.writeable and loaded_X.flags.c_contiguous
    loaded_X[0, 0] ^= 1  # copy-on-write: the file is never changed
    if not compress:
        assert images.read_bytes()[16] == X[0, 0]


def test_builtin_sample_is_5000_real_digits():
    X, y = data.load_sample()
    assert X.shape == (5000, 784) and X.dtype == np.uint8
    assert sorted(np.unique(y)) == list(range(10))
    assert 0.1 < (X > 0).mean() < 0.3  # MNIST strokes cover about a fifth of the pixels


def test_split_holds_out_n_val_and_is_seeded(pixels):
    X, y = pixels
    a = data.split_indices(len(X), n_val=2, seed=1)
    b = data.split_indices(len(X), n_val=2, seed=1)
    assert [len(p) for p in a] == [5, 2]
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    assert sorted(np.concatenate(a)) == list(range(len(X)))


def test_scale_maps_uint8_to_unit_floats():
    scaled = data.scale(np.array([[0, 255, 51]], np.uint8), "float32")
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[0, 1, 0.2]], rtol=1e-7)


def test_real_idx_files_load(mnist):
    X, y = mnist
    assert X.shape == (10000, 784) and y.shape == (10000,)


@pytest.mark.parametrize("images_name, labels_name", [
    ("train-images.idx3-ubyte", "train-labels.idx1-ubyte"),
    ("train-images.idx3-ubyte.gz", "train-labels.idx1-ubyte"),
    ("train-images-idx3-ubyte", "train-labels.idx1-ubyte.gz"),
])
def test_mnist_file_names_with_a_dot_or_a_dash_find_their_labels(tmp_path, pixels, images_name, labels_name):
    X, y = pixels
    images = write_idx(tmp_path / images_name, X.reshape(7, 28, 28), images_name.endswith(".gz"))
    write_idx(tmp_path / labels_name, y, labels_name.endswith(".gz"))
    loaded_X, loaded_y = data.load(images)
    np.testing.assert_array_equal(loaded_X, X)
    np.testing.assert_array_equal(loaded_y, y)


def test_labels_can_be_named_explicitly(tmp_path, pixels):
    X, y = pixels
    images = write_idx(tmp_path / "digits-images.idx3-ubyte", X.reshape(7, 28, 28), False)
    labels = write_idx(tmp_path / "elsewhere.bin", y, False)
    assert data.load(images)[1] is None
    np.testing.assert_array_equal(data.load(images, labels)[1], y)


def test_a_gzipped_idx_file_is_decompressed_straight_into_its_array(tmp_path):
    """One readinto of the gzip stream decompressed all of it into a temporary first: twice the pixels at the peak."""
    import tracemalloc

    images = np.tile(np.arange(784, dtype=np.uint8) % 251, (20000, 1)).reshape(20000, 28, 28)  # 15.7 MB
    path = write_idx(tmp_path / "images-idx3-ubyte.gz", images, compress=True)
    tracemalloc.start()
    try:
        loaded = data.read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(loaded, images)
    assert peak < images.nbytes + 4 * data.CHUNK_BYTES
