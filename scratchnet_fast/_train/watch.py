"""The quiet ways training fails, each said once: a loss that runs away, an accuracy stuck at chance."""
import warnings

import numpy as np


def chance(Y):
    """The accuracy of always guessing the most common of the labels Y (m,) int64."""
    return np.bincount(Y).max() / len(Y)


GROWTH = 3.0  # a loss this many times its first value has run away
CHANCE_AFTER = 20  # iterations after which training accuracy at chance is worth a word
CHANCE_MARGIN = 0.02  # within this of the largest class's share is chance


class Watch:
    """One warning each for the two ways training fails quietly: a loss that grows well past its
    start, and a training accuracy still at chance (the largest class's share) after CHANCE_AFTER
    iterations. The stable softmax keeps the loss finite, so neither ends in a FloatingPointError."""

    def __init__(self, alpha, chance):
        self.alpha, self.chance = alpha, chance
        self.first = None
        self.said = set()

    def __call__(self, i, loss, accuracy):
        if self.first is None:
            self.first = loss
        if "growth" not in self.said and loss > GROWTH * self.first > 0:
            self.said.add("growth")
            warnings.warn(f"the training loss grew from {self.first:.4g} to {loss:.4g} by iteration {i}: the "
                          f"learning rate {self.alpha} may be too large", RuntimeWarning, stacklevel=4)
        if "chance" not in self.said and self.chance is not None and i + 1 == CHANCE_AFTER \
                and accuracy <= self.chance + CHANCE_MARGIN:
            self.said.add("chance")
            warnings.warn(f"training accuracy is {accuracy:.3f} after {i + 1} iterations, no better than always "
                          f"guessing the most common label ({self.chance:.3f}): check that the pixels are scaled "
                          f"to [0, 1] (/ 255) and that the learning rate {self.alpha} is not too large",
                          RuntimeWarning, stacklevel=4)
