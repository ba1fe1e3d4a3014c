"""The gradients are the loss's derivatives: central finite differences agree with both paths."""
import numpy as np

import reference as ref
import scratchnet_fast as sf
from helpers import network, run_fused


def mean_loss(X, Y, W1, b1, W2, b2):
    Z2 = ref.matmul_bias(ref.relu(ref.matmul_bias(X, W1, b1)), W2, b2)
    return ref.cross_entropy_logits(Z2, Y)


def finite_differences(X, Y, params, eps=1e-6):
    grads = []
    for p in params:
        g = np.empty_like(p)
        for index in np.ndindex(p.shape):
            saved = p[index]
            p[index] = saved + eps
            up = mean_loss(X, Y, *params)
            p[index] = saved - eps
            down = mean_loss(X, Y, *params)
            p[index] = saved
            g[index] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def test_fused_gradients_match_finite_differences(rng):
    X, Y, *params = network(rng, 9, 6, 5, 4, np.float64)
    expected = finite_differences(X, Y, params)
    grads, loss, _ = run_fused(X, Y, *params)
    np.testing.assert_allclose(loss / len(Y), mean_loss(X, Y, *params), rtol=1e-13)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-8)


def test_backward_prop_gradients_match_finite_differences(rng):
    X, Y, W1, b1, W2, b2 = network(rng, 9, 6, 5, 4, np.float64)
    expected = finite_differences(X, Y, [W1, b1, W2, b2])
    Z1, A1, Z2, A2 = sf.forward_prop(W1, b1[:, None], W2, b2[:, None], X.T)
    grads = sf.backward_prop(Z1, A1, Z2, A2, W1, W2, X.T, Y)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.reshape(e.shape), e, rtol=1e-6, atol=1e-8)
