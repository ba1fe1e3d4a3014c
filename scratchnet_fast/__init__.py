"""scratchnet_fast: the classic NumPy neural network from scratch, on hand-written Numba kernels.

Change `import numpy`-based definitions for `from scratchnet_fast import *` and the seed's code
trains many times faster with the same numbers.
"""
from ._tutorial import (
    ReLU,
    ReLU_deriv,
    backward_prop,
    evaluate,
    forward_prop,
    get_accuracy,
    get_predictions,
    gradient_descent,
    init_params,
    make_predictions,
    one_hot,
    softmax,
    test_prediction,
    update_params,
)

__version__ = "0.1.0"


def __getattr__(name):
    # The estimator imports scikit-learn; loading it only when asked keeps the drop-in's start-up short.
    if name in ("MLPClassifier", "MLPRegressor", "SEED_TRAINING"):
        from . import _estimator

        return getattr(_estimator, name)
    raise AttributeError(f"module 'scratchnet_fast' has no attribute {name!r}")


__all__ = [
    "init_params",
    "ReLU",
    "ReLU_deriv",
    "softmax",
    "forward_prop",
    "one_hot",
    "backward_prop",
    "update_params",
    "get_predictions",
    "get_accuracy",
    "gradient_descent",
    "make_predictions",
    "evaluate",
    "test_prediction",
]
