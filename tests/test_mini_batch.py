"""The mini-batch trainer of any depth and width, held to the NumPy reference's layered epoch."""
import numpy as np
import pytest

import reference as ref
from helpers import DTYPES, assert_close, blank_borders
from scratchnet_fast._kernels.epoch import BLOCK, WIDTH, layer_block
from scratchnet_fast._train.choose import trainer
from scratchnet_fast._train.full_batch import FullBatch
from scratchnet_fast._train import mini_batch
from scratchnet_fast._train.mini_batch import Layered

# (sizes, images, batch): depths 1 to 3, widths 1 to 300, batches of 1 to m, last batches partial,
# batches over BLOCK images (summed block by block), digits' 784 inputs.
CASES = [
    ((5, 1, 3), 7, 1),
    ((6, 3, 2), 11, 4),
    ((784, 128, 10), 200, 64),
    ((784, 17, 10), 130, 130),
    ((30, 300, 10), 90, 32),
    ((40, 33, 7, 5), 157, 16),
    ((20, 9, 2, 31, 10), 61, 61),
    ((50, 20, 10), 2 * BLOCK + 37, BLOCK + 100),
    ((12, 40, 24, 3), 3 * BLOCK, 3 * BLOCK),
]


@pytest.fixture(params=["skipping", "reading_all"])
def first_layer(request, monkeypatch):
    """Either way the first layer may read its inputs, forced: skipping every tile of zeros, or reading every input."""
    monkeypatch.setattr(mini_batch, "SKIP_BELOW", 2.0 if request.param == "skipping" else 0.0)
    return request.param


def layers_for(rng, sizes, dtype, scale=1.0):
    return [((scale * (rng.random((o, i)) - 0.5)).astype(dtype), (scale * (rng.random(o) - 0.5)).astype(dtype))
            for i, o in zip(sizes[:-1], sizes[1:])]


def as64(layers):
    return [(W.astype(np.float64), b.astype(np.float64)) for W, b in layers]


def check_epochs(X, Y, layers, batch, dtype, epochs=2, alpha=0.1):
    """Train `epochs` shuffled epochs and compare every parameter, the loss and the count with the reference's.

    uint8 X is read as pixels with x_scale 1/255, and the reference trains on the floats X / 255.
    """
    pixels = X.dtype == np.uint8
    net = Layered(X, Y, layers, batch, rng=np.random.RandomState(3), x_scale=1 / 255 if pixels else 1.0)
    shuffles = np.random.RandomState(3)
    expected = as64(layers)
    order = np.arange(len(Y))
    for _ in range(epochs):
        loss, accuracy = net.step(alpha)
        order = order[shuffles.permutation(len(Y))]  # each epoch shuffles the one before's order, as scikit-learn's
        images = X / 255.0 if pixels else X.astype(np.float64)
        expected, total, correct = ref.layered_epoch(images, Y, expected, order, batch, alpha)
        assert_close(loss, total / len(Y), dtype)
        assert accuracy == correct / len(Y)
    for (W, b), (eW, eb) in zip(net.layers(), expected):
        assert W.dtype == b.dtype == dtype and W.shape == eW.shape and b.shape == eb.shape
        assert_close(W, eW, dtype)
        assert_close(b, eb, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("sizes,m,batch", CASES, ids=lambda c: str(c).replace(" ", ""))
def test_epochs_match_reference(rng, sizes, m, batch, dtype, first_layer):
    X = rng.random((m, sizes[0])).astype(dtype)
    Y = rng.integers(0, sizes[-1], m).astype(np.int64)
    check_epochs(X, Y, layers_for(rng, sizes, dtype), batch, dtype)


@pytest.mark.exhaustive  # compiles the epoch again for Fortran and strided layouts, which only tests pass
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
def test_digit_like_images_strided_and_fortran_inputs(rng, dtype):
    X = blank_borders(rng, rng.random((150, 784)).astype(dtype))
    Y = rng.integers(0, 10, 150).astype(np.int64)
    layers = layers_for(rng, (784, 40, 24, 10), dtype, 0.1)
    check_epochs(X, Y, layers, 32, dtype)
    check_epochs(np.asfortranarray(X), Y, layers, 32, dtype)
    wide = np.zeros((150, 2 * 784), dtype)
    wide[:, ::2] = X
    check_epochs(wide[:, ::2], Y, layers, 32, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("sizes,m,batch", [((784, 128, 10), 200, 64), ((784, 33, 10), BLOCK + 50, BLOCK + 20),
                                           ((784, 17, 10), 130, 130), ((784, 40, 24, 10), 150, 32)],
                         ids=lambda c: str(c).replace(" ", ""))
def test_uint8_pixels_train_as_pixels_over_255(rng, sizes, m, batch, dtype, first_layer):
    """uint8 pixels read in place with x_scale 1/255 give the reference's epochs on the floats pixels / 255."""
    P = np.minimum(blank_borders(rng, rng.random((m, sizes[0]))) * 256, 255).astype(np.uint8)
    Y = rng.integers(0, sizes[-1], m).astype(np.int64)
    check_epochs(P, Y, layers_for(rng, sizes, dtype, 0.1), batch, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("pixels", [False, True], ids=["floats", "pixels"])
def test_skipping_zeros_or_reading_every_input_gives_the_same_bits(rng, dtype, pixels, monkeypatch):
    """The first layer's two ways of reading its inputs make the same products and sum them in the same order."""
    X = blank_borders(rng, rng.random((300, 784)))
    X = np.minimum(X * 256, 255).astype(np.uint8) if pixels else X.astype(dtype)
    Y = rng.integers(0, 10, 300).astype(np.int64)
    layers = layers_for(rng, (784, 40, 24, 10), dtype, 0.1)
    results = []
    for threshold in (2.0, 0.0):
        monkeypatch.setattr(mini_batch, "SKIP_BELOW", threshold)
        net = Layered(X, Y, layers, 64, rng=np.random.RandomState(3), x_scale=1 / 255 if pixels else 1.0)
        assert (net.data.masks is not None) == (threshold > 1)
        results.append(([net.step(0.1) for _ in range(2)], net.theta.copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_the_first_layer_skips_zeros_on_digits_and_reads_everything_without_them(rng):
    """Measured once per fit: digits' blank margins leave under SKIP_BELOW of their tiles nonzero, features none."""
    digits = blank_borders(rng, rng.random((200, 784)))  # 29% of the tiles nonzero
    Y = rng.integers(0, 10, 200).astype(np.int64)
    layers = layers_for(rng, (784, 16, 10), np.float64, 0.1)
    assert Layered(digits, Y, layers, 32).data.masks is not None
    assert Layered(rng.normal(size=(200, 784)), Y, layers, 32).data.masks is None
    mostly_blank = np.zeros((200, 784))
    mostly_blank[:10] = 1.0  # 5% of the rows: the measure is over the rows trained on
    assert Layered(mostly_blank, Y, layers, 32).data.masks is not None
    assert Layered(mostly_blank, Y, layers, 32, rows=np.arange(10)).data.masks is None


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
def test_extreme_logits_stay_finite_and_match(rng, dtype):
    X = rng.random((40, 30)).astype(dtype)
    Y = rng.integers(0, 6, 40).astype(np.int64)
    layers = layers_for(rng, (30, 20, 6), dtype, 200.0)
    net = Layered(X, Y, layers, 8)
    loss, _ = net.step(1e-6)
    _, total, _ = ref.layered_epoch(X.astype(np.float64), Y, as64(layers), np.arange(40), 8, 1e-6)
    assert np.isfinite(loss) and loss > 100
    assert_close(loss, total / 40, dtype)


def test_gradients_match_finite_differences(rng):
    """One full-batch step of rate alpha moves each parameter by -alpha times its derivative."""
    X = rng.random((9, 6))
    Y = rng.integers(0, 4, 9).astype(np.int64)
    layers = layers_for(rng, (6, 5, 3, 4), np.float64)

    def mean_loss(layers):
        A = X
        for W, b in layers[:-1]:
            A = ref.relu(ref.matmul_bias(A, W, b))
        return ref.cross_entropy_logits(ref.matmul_bias(A, *layers[-1]), Y)

    alpha, eps = 1e-3, 1e-6
    net = Layered(X, Y, layers, 9)
    net.step(alpha)
    for (W, b), (W1, b1) in zip(layers, net.layers()):
        for p, moved in ((W, W1), (b, b1)):
            for index in np.ndindex(p.shape):
                saved = p[index]
                p[index] = saved + eps
                up = mean_loss(layers)
                p[index] = saved - eps
                down = mean_loss(layers)
                p[index] = saved
                np.testing.assert_allclose((saved - moved[index]) / alpha, (up - down) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_padding_stays_zero(rng):
    X = rng.random((50, 20))
    Y = rng.integers(0, 3, 50).astype(np.int64)
    net = Layered(X, Y, layers_for(rng, (20, 5, 3), np.float64), 7, rng=np.random.RandomState(0))
    for _ in range(3):
        net.step(0.5)
    widths = net.net.table[:, WIDTH]
    for l, width in enumerate(widths):
        block = layer_block(net.theta, net.net.table, l)
        assert not block[:, width:].any()
        if l:
            assert not block[widths[l - 1]:-1].any()


def test_trainer_picks_the_fused_step_for_one_hidden_layer_full_batch(rng):
    X = rng.random((30, 8))
    Y = rng.integers(0, 3, 30).astype(np.int64)
    one, two = layers_for(rng, (8, 4, 3), np.float64), layers_for(rng, (8, 4, 4, 3), np.float64)
    assert isinstance(trainer(X, Y, one), FullBatch)
    assert isinstance(trainer(X, Y, one, batch_size=30), FullBatch)
    assert isinstance(trainer(X, Y, one, batch_size=10), Layered)
    assert isinstance(trainer(X, Y, two), Layered)


def test_glorot_draws_scikit_learns_starting_weights():
    from sklearn.neural_network import MLPClassifier as Reference

    from scratchnet_fast._network import init_layers

    sizes = (30, 20, 7, 4)
    ours = init_layers(sizes, np.random.RandomState(5), np.float64, "glorot")
    theirs = Reference(hidden_layer_sizes=sizes[1:-1])
    theirs._random_state = np.random.RandomState(5)
    for (W, b), (n_in, n_out) in zip(ours, zip(sizes[:-1], sizes[1:])):
        coef, intercept = theirs._init_coef(n_in, n_out, np.float64)
        np.testing.assert_array_equal(W, coef.T)
        np.testing.assert_array_equal(b, intercept)
        assert np.abs(W).max() <= np.sqrt(6 / (n_in + n_out))


@pytest.mark.parametrize("d", [1, 7, 784, 1030])
def test_group_rows_lists_the_rows_nonzero_in_each_tile(rng, d):
    from scratchnet_fast._kernels import dense

    X = blank_borders(rng, rng.random((300, d)))
    masks = np.empty((300, -(-d // 256)), np.uint64)
    dense.nonzero_tiles(X, masks)
    R = rng.permutation(300)
    tiles = -(-d // 4)
    counts, members = np.zeros(tiles, np.int64), np.zeros((tiles, 120), np.int32)
    dense.group_rows(masks, dense.Rows(R, 50, 120), dense.Groups(counts, members))
    for tile in range(tiles):
        assert list(members[tile, :counts[tile]]) == ref.tile_members(X, R[50:170], tile)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("sizes,batch", [((784, 10, 10), None), ((784, 33, 10), 32), ((784, 16, 12, 10), None)])
def test_training_on_rows_in_place_equals_training_on_their_copy(rng, sizes, batch, dtype):
    """trainer(..., rows=r) reads the rows r of X where they are and trains as on the copy X[r], Y[r]."""
    X = blank_borders(rng, rng.random((500, 784)).astype(dtype))
    Y = rng.integers(0, 10, 500).astype(np.int64)
    rows = rng.permutation(500)[:380]
    layers = layers_for(rng, sizes, dtype, 0.1)
    nets = [trainer(np.ascontiguousarray(X[rows]), Y[rows], layers, batch_size=batch, rng=np.random.RandomState(2)),
            trainer(X, Y, layers, batch_size=batch, rng=np.random.RandomState(2), rows=rows)]
    assert type(nets[0]) is type(nets[1])
    for _ in range(3):
        assert nets[0].step(0.1) == nets[1].step(0.1)
    for (W, b), (V, c) in zip(nets[0].layers(), nets[1].layers()):
        assert_close(V, W, dtype)
        assert_close(c, b, dtype)
