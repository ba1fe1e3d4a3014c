"""The seed's headline on real MNIST digits (skipped when ../shared/data is absent)."""
import numpy as np

import scratchnet_fast as sf

SEEDS = range(5)


def test_500_iterations_at_alpha_01_reach_83_percent_on_1000_held_out_digits(mnist):
    images, labels = mnist
    accuracies = []
    for seed in SEEDS:
        order = np.random.default_rng(seed).permutation(len(labels))
        X = images[order].T / 255.0
        Y = labels[order].astype(np.int64)
        np.random.seed(seed)
        params = sf.gradient_descent(X[:, 1000:], Y[1000:], 0.1, 500, verbose=False)
        accuracies.append(sf.evaluate(X[:, :1000], Y[:1000], *params))
    # Over seeds the held-out accuracy spreads over a few points (82-88% seen); the seed's ~84% is its mean.
    assert np.mean(accuracies) >= 0.83, accuracies
    assert min(accuracies) >= 0.80, accuracies
