"""A solver's Python side: scikit-learn's names for its constants, its rule, and its state, which outlives a trainer."""
import numpy as np

from .._kernels.rules import ADAM, BETA1, BETA2, EPSILON, MOMENTUM, MU, NESTEROV, PLAIN


class Optimizer:
    """A solver, its constants as scikit-learn names them, and its state, which outlives a trainer (partial_fit).

    `hyper(dtype)` packs the constants for the kernels.
    """

    def __init__(self, solver="sgd", momentum=0.0, nesterov=False, beta_1=0.9, beta_2=0.999, epsilon=1e-8, alpha=0.0):
        if solver == "adam":
            self.rule = ADAM
        elif momentum > 0:
            self.rule = NESTEROV if nesterov else MOMENTUM
        else:
            self.rule = PLAIN
        self.momentum, self.beta_1, self.beta_2, self.epsilon, self.alpha = momentum, beta_1, beta_2, epsilon, alpha
        self.state = None  # (2, parameters): momentum's velocity, or Adam's two moments; the trainer makes it
        self.clock = np.zeros(1, np.int64)  # updates made, for Adam's bias correction

    @property
    def plain(self):
        """True for plain gradient descent without a penalty: the seed's update."""
        return self.rule == PLAIN and self.alpha == 0

    def hyper(self, dtype):
        """The constants in `hyper`'s slots, in dtype; RATE, DECAY and RATE_T are set per batch (`for_batch`)."""
        hyper = np.zeros(7, dtype)
        hyper[MU], hyper[BETA1], hyper[BETA2], hyper[EPSILON] = self.momentum, self.beta_1, self.beta_2, self.epsilon
        return hyper
