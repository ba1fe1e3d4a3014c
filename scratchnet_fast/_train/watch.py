"""The quiet ways training fails, each said once: a loss that runs away, an accuracy stuck at chance; and where a
warning of ours points."""
import os
import sys
import warnings

import numpy as np


PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # scratchnet_fast, as its modules' code names it


def warn(message, category):
    """warnings.warn pointing at the line that called into this package (the user's), not at a line of ours: a warning
    filter on the user's module matches it, and the message names the line to change."""
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(PACKAGE + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


SCALE_ADVICE = "that the features are on a common scale (StandardScaler, or pixels / 255)"
PIXEL_ADVICE = "that the pixels are scaled to [0, 1] (/ 255)"


def chance(Y):
    """The accuracy of always guessing the most common of the labels Y (m,) int64, or of the rows of indicators Y (m, c)."""
    if Y.ndim == 2:
        return np.unique(Y, axis=0, return_counts=True)[1].max() / len(Y)
    return np.bincount(Y).max() / len(Y)


GROWTH = 3.0  # a loss this many times its first value has run away
CHANCE_AFTER = 20  # iterations after which training accuracy at chance is worth a word
CHANCE_MARGIN = 0.02  # within this of the largest class's share is chance


class Watch:
    """One warning each for the two ways training fails quietly: a loss that grows well past its
    start, and a training accuracy still at chance (the largest class's share) after CHANCE_AFTER
    iterations. The stable softmax keeps the loss finite, so neither ends in a FloatingPointError. `advice`: what to
    check about the inputs when the accuracy is at chance (SCALE_ADVICE unless the caller knows better)."""

    def __init__(self, alpha, chance, advice=SCALE_ADVICE):
        self.alpha, self.chance, self.advice = alpha, chance, advice
        self.first = None
        self.said = set()

    def __call__(self, i, loss, accuracy):
        if self.first is None:
            self.first = loss
        if "growth" not in self.said and loss > GROWTH * self.first > 0:
            self.said.add("growth")
            warn(f"the training loss grew from {self.first:.4g} to {loss:.4g} by iteration {i}: the learning rate "
                 f"{self.alpha} may be too large", RuntimeWarning)
        if "chance" not in self.said and self.chance is not None and i + 1 == CHANCE_AFTER \
                and accuracy <= self.chance + CHANCE_MARGIN:
            self.said.add("chance")
            warn(f"training accuracy is {accuracy:.3f} after {i + 1} iterations, no better than always guessing the "
                 f"most common label ({self.chance:.3f}): check {self.advice} and that the learning rate {self.alpha} "
                 f"is not too large", RuntimeWarning)
