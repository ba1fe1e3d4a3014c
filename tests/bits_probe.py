"""Prints a digest of every reduction's result; run with NUMBA_NUM_THREADS set by test_bits."""
import hashlib
import sys

import numpy as np

from helpers import blank_borders, network, run_fused
from scratchnet_fast import _network, backward_prop, forward_prop, gradient_descent
from scratchnet_fast._kernels import per_step
from scratchnet_fast._kernels.epoch import BLOCK
from scratchnet_fast._train.mini_batch import Layered

digest = hashlib.sha256()
for dtype in (np.float32, np.float64):
    rng = np.random.default_rng(7)
    X, Y, W1, b1, W2, b2 = network(rng, 5000, 784, 10, 10, dtype)
    for images in (X, blank_borders(rng, X.copy())):
        grads, loss, correct = run_fused(images, Y, W1, b1, W2, b2)
        for g in grads:
            digest.update(g.tobytes())
        digest.update(np.array([loss, correct], np.float64).tobytes())
    pixels = np.minimum(blank_borders(rng, X.copy()) * 256, 255).astype(np.uint8)
    grads, loss, correct = run_fused(pixels, Y, W1, b1, W2, b2, x_scale=1 / 255)
    for g in grads:
        digest.update(g.tobytes())
    digest.update(np.array([loss, correct], np.float64).tobytes())
    dW, db = np.empty((10, 784), dtype), np.empty(10, dtype)
    per_step.weight_grad(X[:, :10].copy(), X, dtype(1 / 5000), dW, db)
    digest.update(dW.tobytes() + db.tobytes())
    blank = blank_borders(rng, X.copy()).T  # the per-step kernels: spans scanned as they go, the narrow second layer
    Z1, A1, Z2, A2 = forward_prop(W1, b1.reshape(-1, 1), W2, b2.reshape(-1, 1), blank)
    for a in (Z1, A1, Z2, A2) + backward_prop(Z1, A1, Z2, A2, W1, W2, blank, Y):
        digest.update(a.tobytes())
    digest.update(np.float64(per_step.cross_entropy_logits(X[:, :10].copy(), Y)).tobytes())
    np.random.seed(1)
    for p in gradient_descent(X.T, Y, 0.1, 5, verbose=False):
        digest.update(p.tobytes())
    for sizes, batch in (((784, 40, 24, 10), 64), ((784, 33, 10), BLOCK + 50)):
        layers = [((rng.random((o, i)) - 0.5).astype(dtype) * 0.2, (rng.random(o) - 0.5).astype(dtype)) for i, o in zip(sizes[:-1], sizes[1:])]
        for images, x_scale in ((X[:700], 1.0), (pixels[:700], 1 / 255)):
            net = Layered(images, Y[:700], layers, batch, rng=np.random.RandomState(0), x_scale=x_scale)
            for _ in range(2):
                digest.update(np.array(net.step(0.1), np.float64).tobytes())
            digest.update(net.theta.tobytes())
            for rows in (images, images[:3]):  # predictions: the parallel pass and the few-image one
                digest.update(_network.predict_proba(rows, net.layers(), x_scale)[0].tobytes())
sys.stdout.write(digest.hexdigest())
