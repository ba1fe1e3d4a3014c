"""MLPClassifier: the seed's network as a scikit-learn estimator, on the package's kernels."""
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import mlp, threads
from .train import chance, descend, trainer
from .validation import count, positive_number, resolve_dtype


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A ReLU network with a softmax output trained by gradient descent on the cross-entropy.

    The defaults are the seed's training: one hidden layer of 10, full-batch gradient descent at
    rate 0.1 for 500 iterations, weights uniform in [-0.5, 0.5). Parameter names follow
    scikit-learn's MLPClassifier where they mean the same thing.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (10,)
        Width of each hidden layer; any number of layers.
    learning_rate_init : float, default 0.1
        The gradient-descent step size.
    max_iter : int, default 500
        Iterations over the training data (epochs when batch_size is set).
    batch_size : int or None, default None
        None trains full-batch; an integer trains by mini-batch SGD on shuffled batches of that size.
    random_state : int, RandomState or None, default None
        Seeds the initial weights and the batch order; None draws from NumPy's global state, as the seed does.
    verbose : bool, default False
        Print the loss and training accuracy every 10 iterations.
    dtype : {'float64', 'float32'}, default 'float64'
        The precision of training and prediction; float32 is about twice as fast.
    init : {'uniform', 'glorot'}, default 'uniform'
        The starting weights. 'uniform' is the seed's, every weight and bias in [-0.5, 0.5): right
        for its 10 hidden units, but it saturates wider layers. 'glorot' is scikit-learn's, uniform
        in ±sqrt(6 / (fan_in + fan_out)) per layer, drawn as scikit-learn draws them: use it for
        layers wider than a few dozen units, or several layers.
    n_jobs : int or None, default None
        Threads for training and prediction: None keeps Numba's current count (all cores, or
        NUMBA_NUM_THREADS), -1 all of them, else at most NUMBA_NUM_THREADS. Results are the
        same bits on any count.

    Attributes
    ----------
    classes_, n_features_in_, weights_ (list of (n_out, n_in)), biases_ (list of (n_out,)),
    n_iter_, loss_curve_, accuracy_curve_ (training accuracy per iteration), interrupted_, and with
    fit(..., validation=(X_val, y_val)): validation_loss_curve_ and validation_scores_ (accuracy).
    """

    def __init__(self, hidden_layer_sizes=(10,), learning_rate_init=0.1, max_iter=500, batch_size=None,
                 random_state=None, verbose=False, dtype="float64", init="uniform", n_jobs=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.init = init
        self.n_jobs = n_jobs

    def _check_params(self):
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
        sizes = tuple(count("hidden_layer_sizes entries", s, 1) for s in sizes)
        alpha = positive_number("learning_rate_init", self.learning_rate_init)
        iterations = count("max_iter", self.max_iter)
        if self.batch_size is not None:
            count("batch_size", self.batch_size, 1)
        if self.init not in mlp.INITS:
            raise ValueError(f"unknown init {self.init!r}: use one of {', '.join(map(repr, mlp.INITS))}")
        threads.count(self.n_jobs)
        return sizes, alpha, iterations, resolve_dtype(self.dtype)

    def fit(self, X, y, callback=None, stop=None, validation=None):
        """Train on X (n_samples, n_features) and labels y; callback(i, loss, accuracy) after each iteration.

        Ctrl-C (KeyboardInterrupt) ends training early and keeps the last completed iteration,
        with `interrupted_` set. Within a `stopping.Stop` given as `stop`, Ctrl-C and SIGTERM do the
        same after the current iteration, even during the first compile. With `validation`, a
        pair (X_val, y_val), the network is scored on it after every iteration, into
        `validation_loss_curve_` and `validation_scores_` (accuracy).
        """
        sizes, alpha, iterations, dtype = self._check_params()
        X, y = validate_data(self, X, y, dtype=dtype, order="C")
        check_classification_targets(y)
        self.classes_, Y = np.unique(y, return_inverse=True)
        Y = np.ascontiguousarray(Y, dtype=np.int64)
        if validation is not None:
            X_val, Y_val = self._validation_set(validation, dtype)
        rng = check_random_state(self.random_state)
        layers = mlp.init_layers((X.shape[1],) + sizes + (len(self.classes_),), rng, dtype, self.init)
        self.loss_curve_, self.accuracy_curve_ = [], []
        self.validation_loss_curve_, self.validation_scores_ = [], []
        self.interrupted_ = False

        def report(i, loss, accuracy):
            self.loss_curve_.append(loss)
            self.accuracy_curve_.append(accuracy)
            if validation is not None:
                val_loss, val_accuracy = mlp.scores(X_val, Y_val, net.layers())
                self.validation_loss_curve_.append(val_loss)
                self.validation_scores_.append(val_accuracy)
            if self.verbose and i % 10 == 0:
                print(f"Iteration {i}, loss = {loss:.6f}, training accuracy = {accuracy:.4f}")
            if callback is not None:
                callback(i, loss, accuracy)

        net = None
        try:
            with threads.limited(self.n_jobs):
                net = trainer(X, Y, layers, self.batch_size, rng)
                descend(net, alpha, iterations, report, chance(Y), stop)
        except KeyboardInterrupt:
            self.interrupted_ = True
            warnings.warn(f"training interrupted after {len(self.loss_curve_)} iterations", RuntimeWarning)
        layers = layers if net is None else net.layers()
        self.weights_ = [W for W, _ in layers]
        self.biases_ = [b for _, b in layers]
        self.n_iter_ = len(self.loss_curve_)
        return self

    def _validation_set(self, validation, dtype):
        """(X_val C-contiguous in dtype, class indices int64) from the pair `validation`, checked like X and y."""
        try:
            X_val, y_val = validation
        except (TypeError, ValueError):
            raise TypeError("validation must be a pair (X_val, y_val)") from None
        X_val = validate_data(self, X_val, dtype=dtype, order="C", reset=False)
        y_val = np.asarray(y_val)
        if y_val.shape != (X_val.shape[0],):
            raise ValueError(f"validation has {X_val.shape[0]} images but y_val has shape {y_val.shape}")
        unknown = np.setdiff1d(y_val, self.classes_)
        if unknown.size:
            raise ValueError(f"validation labels {unknown[:5].tolist()} are not among the training labels")
        return X_val, np.searchsorted(self.classes_, y_val).astype(np.int64)

    def _layers(self):
        return list(zip(self.weights_, self.biases_))

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of classes_."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=resolve_dtype(self.dtype), order="C", reset=False)
        with threads.limited(self.n_jobs):
            return mlp.predict_proba(X, self._layers())

    def predict(self, X):
        """The most probable class of each sample."""
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]
