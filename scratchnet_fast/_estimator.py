"""MLPClassifier and MLPRegressor: the seed's network as scikit-learn estimators, on the package's kernels.

The two share everything (`_Multilayer`, as scikit-learn's BaseMultilayerPerceptron) but their head: the classifier's
softmax output on labels, the regressor's identity output on float targets with the squared error; the kernels take
the loss by the targets' type (`_kernels.losses.head_rows`)."""
import math
import numbers

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d, validate_data

from . import _network, _threads
from ._kernels import activations, losses
from ._train.choose import trainer
from ._train.convergence import SCHEDULES, Convergence
from . import _lbfgs
from ._train.loop import Diverged, descend
from ._train.pace import Pace
from ._train.optimizer import Optimizer
from ._train.watch import PIXEL_ADVICE, SCALE_ADVICE, chance, warn
from ._validation import integer, nonnegative_number, positive_number, resolve_dtype


def _sample_weight(sample_weight, n, rows=None):
    """sample_weight as float64 (n,) (a number: the same for all), checked with scikit-learn's words; None stays None.
    Zero weights are allowed, but not on every row trained on (`rows`, all by default); negative ones are refused."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        weights = np.full(n, float(sample_weight))
    else:
        weights = check_array(sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight")
        if weights.ndim != 1:
            raise ValueError(f"Sample weights must be 1D array or scalar, got {weights.ndim}D array. Expected either a "
                             f"scalar value or a 1D array of length {n}.")
        if weights.shape != (n,):
            raise ValueError(f"sample_weight.shape == {weights.shape}, expected {(n,)}!")
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight holds NaN or infinity")
    if (weights < 0).any():
        raise ValueError("Negative values in data passed to `sample_weight`")
    if not (weights if rows is None else weights[rows]).any():
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return np.ascontiguousarray(weights)


def _csr(X):
    """X as it is, or a scipy sparse X as CSR in canonical form (sorted columns, none twice: duplicates summed)."""
    if not scipy.sparse.issparse(X):
        return X
    X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def _distinct_rows(rows, m):
    """rows as an int64 array of distinct indices into m samples, at least one; else a ValueError/TypeError."""
    rows = np.asarray(rows)
    if rows.ndim != 1 or rows.dtype.kind not in "iu" and not (rows.size == 0 and rows.dtype.kind == "f"):
        raise TypeError(f"rows must be a 1-D array of integer indices, got {rows.dtype} with shape {rows.shape}")
    rows = rows.astype(np.int64)
    if rows.size == 0:
        raise ValueError("rows is empty: need at least one sample to train on")
    if rows.min() < 0 or rows.max() >= m:
        raise ValueError(f"rows must be between 0 and {m - 1} for {m} samples, got {rows.min()} to {rows.max()}")
    if len(np.unique(rows)) != len(rows):
        raise ValueError("rows holds a sample more than once: give each row at most once")
    return rows


SEED_TRAINING = dict(hidden_layer_sizes=(10,), learning_rate_init=0.1, max_iter=500, batch_size=None, solver="sgd",
                     alpha=0.0, momentum=0.0, n_iter_no_change=None, init="uniform")
"""The seed's training as MLPClassifier's parameters, `MLPClassifier(**SEED_TRAINING)`: one hidden layer of 10,
full-batch gradient descent at rate 0.1 for 500 iterations, no penalty, the seed's uniform start, every iteration run.
The drop-in's `gradient_descent` and the command line train this way."""

NON_FINITE = ("Solver produced non-finite parameter weights. The input data may contain large values and need to be "
              "preprocessed")  # scikit-learn's words, which its tests match
LARGE_INPUT = 1e3  # inputs beyond this size are named in a divergence's error, beside the learning rate
SOLVERS = ("adam", "sgd", "lbfgs")
LOSSES = ("squared_error", "poisson")  # MLPRegressor's, as scikit-learn's
AUTO_BATCH = 200  # batch_size="auto": min(AUTO_BATCH, n_samples), as scikit-learn's


class _Multilayer(BaseEstimator):
    """What MLPClassifier and MLPRegressor share, as scikit-learn's BaseMultilayerPerceptron: the parameters, their
    checks, the solvers and the training loop. A subclass gives its head: the targets as the kernels take them
    (`_fit_targets`, `_partial_targets`, `_validation_set`: class indices (m,) int64 for a softmax output, 0/1
    indicators (m, c) uint8 for logistic ones, or float targets (m, c) of the training dtype for an identity output,
    `_network.output_of`), the number of outputs they need (`_outputs`), its curves (`_new_curves`) and the held-out
    scores (`_held_out_scores`).
    """

    _y_checks = {}  # what scikit-learn's validate_data checks of y beside multi_output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR and CSC X, as scikit-learn's
        return tags

    def __init__(self, hidden_layer_sizes=(100,), learning_rate_init=0.001, max_iter=200, batch_size="auto",
                 random_state=None, verbose=False, dtype=None, init="glorot", n_jobs=None, solver="adam",
                 alpha=0.0001, momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 shuffle=True, warm_start=False, learning_rate="constant", power_t=0.5, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, max_fun=15000, input_scale=None,
                 activation="relu"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.init = init
        self.n_jobs = n_jobs
        self.solver = solver
        self.alpha = alpha
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.max_fun = max_fun
        self.input_scale = input_scale
        self.activation = activation

    def _check_params(self):
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
        sizes = tuple(integer("hidden_layer_sizes entries", s, 1) for s in sizes)
        alpha = positive_number("learning_rate_init", self.learning_rate_init)
        iterations = integer("max_iter", self.max_iter, 1)  # scikit-learn refuses 0 too
        if self.batch_size is not None and not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            integer("batch_size", self.batch_size, 1)
        if self.init not in _network.INITS:
            raise ValueError(f"unknown init {self.init!r}: use one of {', '.join(map(repr, _network.INITS))}")
        if not isinstance(self.activation, str) or self.activation not in activations.KINDS:
            raise ValueError(f"unknown activation {self.activation!r}: use one of "
                             f"{', '.join(map(repr, activations.KINDS))}")
        _threads.resolve(self.n_jobs)
        self._x_scale()
        return sizes, alpha, iterations, None if self.dtype is None else resolve_dtype(self.dtype)

    def _fit_dtype(self, dtype, X):
        """The dtype to train in: `dtype` if given, else X's if it is float32, else float64 (scikit-learn's rule)."""
        if dtype is not None:
            return dtype
        return np.dtype(np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64)

    def _x_scale(self):
        """input_scale, checked, as the number the kernels multiply the inputs by (1 for None)."""
        return 1.0 if self.input_scale is None else positive_number("input_scale", self.input_scale)

    def _images(self, dtype, reset, X, *y):
        """X (and y, if given) validated as scikit-learn does, X C-contiguous: uint8 kept as it is, else as dtype. Sparse
        X (CSR or CSC, scipy's arrays and matrices; other formats converted, as scikit-learn's) becomes CSR with each
        column at most once per row."""
        kept = (dtype, np.uint8) if getattr(X, "dtype", None) == np.uint8 else dtype
        checks = dict(dtype=kept, order="C", reset=reset, accept_sparse=["csr", "csc"])
        if not y:
            return _csr(validate_data(self, X, **checks))
        X, y = validate_data(self, X, *y, multi_output=True, **checks, **self._y_checks)
        return _csr(X), column_or_1d(y, warn=True) if y.ndim == 2 and y.shape[1] == 1 else y  # as scikit-learn's

    def _optimizer(self):
        """The solver and its constants, checked, as an `_train.optimizer.Optimizer`."""
        if self.solver not in SOLVERS:
            raise ValueError(f"unknown solver {self.solver!r}: use one of {', '.join(map(repr, SOLVERS))}")
        integer("max_fun", self.max_fun, 1)
        for name, low, high in (("momentum", 0, 1), ("beta_1", 0, 1), ("beta_2", 0, 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high \
                    or (name != "momentum" and value == high):
                raise ValueError(f"{name} must be in [{low}, {high}{']' if name == 'momentum' else ')'}, got {value!r}")
        if self.solver == "lbfgs":
            return None
        return Optimizer(self.solver, float(self.momentum), bool(self.nesterovs_momentum), float(self.beta_1),
                         float(self.beta_2), positive_number("epsilon", self.epsilon),
                         nonnegative_number("alpha", self.alpha))

    def _convergence(self, rate):
        """The schedule and stopping rules, checked, as a `convergence.Convergence`."""
        if self.learning_rate not in SCHEDULES:
            raise ValueError(f"unknown learning_rate {self.learning_rate!r}: use one of {', '.join(map(repr, SCHEDULES))}")
        power_t, tol = nonnegative_number("power_t", self.power_t), nonnegative_number("tol", self.tol)
        if self.n_iter_no_change is not None and self.n_iter_no_change != math.inf:  # np.inf: never stop, as None
            integer("n_iter_no_change", self.n_iter_no_change, 1)
        fraction = self.validation_fraction
        if self.early_stopping and (isinstance(fraction, bool) or not isinstance(fraction, numbers.Real)
                                    or not 0 < fraction < 1):
            raise ValueError(f"validation_fraction must be between 0 and 1, got {fraction!r}")
        patience = self.n_iter_no_change if self.n_iter_no_change is not None or not self.early_stopping else 10
        return Convergence(rate, self.learning_rate, power_t, self.solver == "sgd", tol, patience,
                           bool(self.early_stopping))

    @property
    def weights_(self):
        """The weights in the seed's layout, (n_out, n_in) per layer, C-contiguous: transposes of coefs_ (views of the
        coefs_ a fit leaves, which are transposes of C-contiguous weights; copies of C-contiguous coefs_ assigned)."""
        return [np.ascontiguousarray(np.asarray(C).T) for C in self.coefs_]

    @weights_.setter
    def weights_(self, weights):
        self.coefs_ = [W.T for W in weights]

    @property
    def biases_(self):
        """The biases, (n_out,) per layer: intercepts_, C-contiguous."""
        return [np.ascontiguousarray(b) for b in self.intercepts_]

    @biases_.setter
    def biases_(self, biases):
        self.intercepts_ = list(biases)

    def fit(self, X, y, sample_weight=None, callback=None, stop=None, validation=None, rows=None):
        """Train on X (n_samples, n_features) and y (labels, or a regressor's targets); callback(i, loss, accuracy)
        after each iteration (accuracy None for a regressor).

        sample_weight (n_samples,), or a number for all: scikit-learn's weighted objective, each sample's loss and
        gradient weighed, a batch's mean and penalty over its weights' sum; early stopping scores the held-out part
        with its weights. Zero weights are allowed (not all of them), negative ones refused.

        With `rows` (distinct indices), train on X[rows] and y[rows] as if they were given, but read
        them where they are in X: holding out part of a large set costs no copy of the images.
        Ctrl-C (KeyboardInterrupt) ends training early and keeps the last completed iteration,
        with `interrupted_` set. Within a `stopping.Stop` given as `stop`, Ctrl-C and SIGTERM do the
        same after the current iteration, even during the first compile. With `validation`, a
        pair (X_val, y_val), the network is scored on it after every iteration, into
        `validation_loss_curve_` and `validation_scores_` (accuracy, or a regressor's R²); early_stopping scores its
        own held-out part instead.
        """
        sizes, alpha, iterations, dtype = self._check_params()
        optimizer = self._optimizer()
        convergence = self._convergence(alpha)
        if validation is not None and self.early_stopping:
            raise ValueError("give either early_stopping=True or validation=(X_val, y_val), not both")
        warm = self._warm_layers()
        resume = warm is not None and hasattr(self, "t_")  # after a fit: go on counting, as scikit-learn's warm start
        dtype = self._fit_dtype(dtype, X)
        X, y = self._images(dtype, True, X, y)
        rows = np.arange(len(y)) if rows is None else _distinct_rows(rows, len(y))
        Y = self._fit_targets(y, rows, dtype)
        weights = _sample_weight(sample_weight, len(y), rows)
        if validation is not None:
            X_val, Y_val = self._validation_set(validation, dtype)
        rng = check_random_state(self.random_state)
        shape = (X.shape[1],) + sizes + (self._outputs(Y),)
        if warm is not None:
            layers = self._check_warm(warm, shape, dtype)
        else:
            layers = _network.init_layers(shape, rng, dtype, self.init, self.activation)
        if self.solver == "lbfgs":  # full batch, no epochs: scikit-learn's lbfgs ignores batches and early stopping
            if validation is not None:
                raise ValueError("validation=(X_val, y_val) is scored after every epoch, and solver='lbfgs' has none")
            self.n_layers_, self.n_outputs_, self.out_activation_ = len(shape), shape[-1], self._output(Y)
            every = len(rows) == len(Y)  # else a copy of the rows trained on
            return self._fit_lbfgs(X if every else X[rows], Y if every else Y[rows], shape, layers, dtype,
                                   weights if weights is None or every else weights[rows])
        if self.early_stopping:  # after the weights' draws, as scikit-learn splits (indices: no copy of X)
            # stratified for two classes (one logistic output: a column of booleans), as scikit-learn's
            binary = Y[rows].astype(bool) if self._output(Y) == "logistic" and shape[-1] == 1 else None
            rows, held = train_test_split(rows, random_state=rng, test_size=self.validation_fraction, stratify=binary)
            if len(held) < 2:
                raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of your "
                                 "dataset.")  # scikit-learn's words
            X_val, Y_val = X[held], Y[held]
            weights_val = None if weights is None else weights[held]
        self.n_layers_, self.n_outputs_, self.out_activation_ = len(shape), shape[-1], self._output(Y)
        if resume:
            convergence.resume(self._progress)
        else:
            self.loss_curve_ = []
            self._new_curves()
        for name in ("validation_loss_curve_", "validation_scores_"):  # the curves of `validation`, if it is given
            kept = getattr(self, name, None) if resume and not self.early_stopping else None
            setattr(self, name, None if validation is None else [] if kept is None else kept)
        self._solver, self._progress, self._rng = optimizer, convergence, rng
        held_out = None
        if validation is not None:
            held_out = (X_val, Y_val, None)
        elif self.early_stopping:
            held_out = (X_val, Y_val, weights_val)
        self._train(X, Y, layers, iterations, self.t_ if resume else 0, callback=callback, stop=stop, held_out=held_out,
                    record=validation is not None, rows=rows, weights=weights)
        if self.early_stopping:
            self.validation_scores_ = convergence.validation_scores
        checked = self.n_iter_no_change is not None or self.early_stopping
        if checked and self.n_iter_ == iterations and not convergence.stopped and not self.interrupted_:
            warn(f"Stochastic Optimizer: Maximum iterations ({iterations}) reached and the optimization hasn't "
                 f"converged yet.", ConvergenceWarning)
        return self

    def _fit_lbfgs(self, X, Y, shape, layers, dtype, weights=None):
        """solver='lbfgs' on x_scale · X, Y from `layers`, as scikit-learn's: scipy's L-BFGS-B (`_lbfgs.py`)."""
        if scipy.sparse.issparse(X) or X.dtype == np.uint8:
            # the full-batch gradient's kernels read dense floats: here, unlike the other solvers, a copy
            X = (X.toarray() if scipy.sparse.issparse(X) else X).astype(dtype)
        objective = _lbfgs.Objective(X, Y, shape, dtype, float(self.alpha), self._x_scale(), sample_weight=weights,
                                     activation=self.activation, output=self.out_activation_)
        self.interrupted_, result = False, None
        try:
            with _threads.limited(self.n_jobs):
                result = _lbfgs.minimize(objective, layers, self.max_iter, self.max_fun, self.tol)
        except KeyboardInterrupt:
            self.interrupted_ = True
            warn(f"training interrupted after {objective.iterations} iterations", RuntimeWarning)
        x = objective.best if result is None else result.x
        if not np.isfinite(x).all():
            raise Diverged(NON_FINITE)
        trained = objective.layers(x)
        self.weights_, self.biases_ = [W for W, _ in trained], [b for _, b in trained]
        self.n_iter_ = objective.iterations if result is None else min(result.nit, self.max_iter)
        self.loss_ = objective(x)[0] if result is None else float(result.fun)
        if not (self.warm_start and hasattr(self, "t_")):
            self.t_ = 0  # as scikit-learn's: no images counted
        message = None if result is None else _lbfgs.convergence_warning(result, self.n_iter_, self.max_iter)
        if message:
            warn(message, ConvergenceWarning)
        return self

    def _stochastic(self):
        if self.solver == "lbfgs":
            raise AttributeError("partial_fit is only available for stochastic optimizers. lbfgs is not stochastic.")
        return True

    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch on X, y, going on from the weights and the solver's state of the calls before (the first call
        starts them), as scikit-learn's partial_fit."""
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        sizes, alpha, _, dtype = self._check_params()
        first = not hasattr(self, "n_outputs_") or not hasattr(self, "_solver")
        dtype = self._fit_dtype(dtype, X) if first else self._fit_dtype(dtype, self.weights_[0])
        X, y = self._images(dtype, first, X, y)
        Y = self._partial_targets(y, classes, first, dtype)
        weights = _sample_weight(sample_weight, len(y))
        shape = (X.shape[1],) + sizes + (self._outputs(Y),)
        if first:
            self._rng = check_random_state(self.random_state)
            if hasattr(self, "weights_"):  # weights assigned (coefs_) or loaded: go on from them, as scikit-learn's
                layers = self._check_warm(self._layers(), shape, dtype)
            else:
                layers = _network.init_layers(shape, self._rng, dtype, self.init, self.activation)
            self._solver, self._progress = self._optimizer(), self._convergence(alpha)
            self.n_layers_, self.n_outputs_, self.out_activation_ = len(shape), shape[-1], self._output(Y)
            self.loss_curve_ = []
            self._new_curves()
            self.validation_loss_curve_ = self.validation_scores_ = None
            self.t_ = 0
        else:
            layers = self._check_warm(self._layers(), shape, dtype)
        self._train(X, Y, layers, 1, self.t_, weights=weights)
        return self

    def _train(self, X, Y, layers, iterations, t0, *, callback=None, stop=None, held_out=None, record=False, rows=None,
               weights=None):
        """Train `layers` on X, Y (the rows `rows` of them, all by default) for up to `iterations` epochs with
        self._solver and self._progress, appending to the curves, the rows weighted by `weights` (or not, None);
        held_out (X_val, Y_val, their weights or None) is scored after every
        epoch (into the validation curves with `record`). Sets the weights, n_iter_, t_ (images seen, t0 before),
        loss_ and the best scores."""
        rows = np.arange(len(Y)) if rows is None else rows
        progress = self._progress
        x_scale = self._x_scale()
        self.interrupted_ = False
        epochs = []
        labels = self.out_activation_ in ("softmax", "logistic")  # else a regressor's targets, with no accuracy

        def report(i, loss, accuracy):
            epochs.append(i)
            self.loss_curve_.append(loss)
            if labels:
                self.accuracy_curve_.append(accuracy)
            val_accuracy = None
            if held_out is not None:
                val_loss, val_accuracy = self._held_out_scores(*held_out, net.layers(), x_scale)
                if record:
                    self.validation_loss_curve_.append(val_loss)
                    self.validation_scores_.append(val_accuracy)
            if callback is not None:
                callback(i, loss, accuracy if labels else None)
            stopped = progress.epoch_ends(loss, t0 + (i + 1) * len(rows), val_accuracy, net.layers)
            if self.verbose:  # scikit-learn's lines
                print(f"Iteration {len(self.loss_curve_)}, loss = {loss:.8f}")
                if self.early_stopping:
                    print(f"Validation score: {val_accuracy:f}")
                if stopped:
                    what = "Validation score" if self.early_stopping else "Training loss"
                    print(f"{what} did not improve more than tol={self.tol:f} for {progress.n_iter_no_change} consecutive "
                          f"epochs. Stopping.")
            return stopped

        net = None
        try:
            with _threads.limited(self.n_jobs):
                targets = losses.Counts(Y) if self.out_activation_ == "exp" else Y  # Poisson: the head by its type
                net = trainer(X, targets, layers, batch_size=self._batch(len(rows)), rng=self._rng if self.shuffle else None,
                              optimizer=self._solver, x_scale=x_scale, rows=rows, weights=weights,
                              activation=activations.KINDS[self.activation])
                advice = PIXEL_ADVICE if X.dtype == np.uint8 and self.input_scale is None else SCALE_ADVICE
                descend(net, progress.rate, iterations, report, chance(Y[rows]) if labels else None, stop, advice,
                        Pace(fixed=self.n_jobs is not None))  # n_jobs given: the user's count, kept
        except FloatingPointError as error:
            if self.early_stopping and progress.best is not None:  # as scikit-learn's: keep the best epoch's weights
                self._diverged_epoch(epochs, labels, getattr(error, "loss", math.nan))
            else:
                self._raise_divergence(error, X, x_scale)
        except KeyboardInterrupt:
            self.interrupted_ = True
            warn(f"training interrupted after {len(epochs)} iterations", RuntimeWarning)
        layers = layers if net is None else net.layers()
        if self.early_stopping:
            layers = progress.best or layers
        self.weights_ = [W for W, _ in layers]
        self.biases_ = [b for _, b in layers]
        self.n_iter_ = len(epochs)
        self.t_ = t0 + self.n_iter_ * len(rows)
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        self.best_loss_ = progress.best_loss
        self.best_validation_score_ = progress.best_validation_score

    def _diverged_epoch(self, epochs, labels, loss):
        """Early stopping's end of a run whose epoch diverged, as scikit-learn's: that epoch counted, its loss and a NaN
        validation score recorded, and training stopped with the best validation epoch's weights kept (said in a
        warning). scikit-learn trains on through epochs of NaN (which never count as no improvement) to max_iter, and
        ends with the same weights."""
        epochs.append(len(epochs))
        self.loss_curve_.append(float(loss))
        if labels:
            self.accuracy_curve_.append(math.nan)
        self._progress.validation_scores.append(math.nan)
        warn(f"training diverged at iteration {len(epochs)} (the loss is {loss:.6g}): stopped, keeping the weights of "
             f"the best validation score; try a smaller learning rate than {self._progress.rate()}", RuntimeWarning)

    @staticmethod
    def _raise_divergence(error, X, x_scale):
        """The divergence as scikit-learn's ValueError (and our FloatingPointError), naming a large X as a cause."""
        top = max(abs(float(X.max())), abs(float(X.min()))) * x_scale  # no temporary copy of X
        hint = f", and check {SCALE_ADVICE}: X holds values up to {top:.3g}" if top > LARGE_INPUT else ""
        raise Diverged(f"{NON_FINITE}: {error}{hint}") from None  # a large X is as likely the cause as the rate

    def _batch(self, n):
        """Images per step for n training images: None (full batch) as it is, "auto" min(AUTO_BATCH, n), a size
        above n clipped to n with scikit-learn's warning."""
        if self.batch_size is None:
            return None
        if isinstance(self.batch_size, str):
            return min(AUTO_BATCH, n)
        if self.batch_size > n:
            warn("Got `batch_size` less than 1 or larger than sample size. It is going to be clipped", UserWarning)
            return n
        return self.batch_size

    def _warm_layers(self):
        """With warm_start, the (W, b) pairs to start from (those of the last fit, or assigned coefs_), else None."""
        if not self.warm_start or not hasattr(self, "weights_"):
            return None
        return list(zip(self.weights_, self.biases_))

    def _check_warm(self, layers, shape, dtype):
        """Warm-start layers as C-contiguous arrays of dtype, checked against the network's sizes `shape`."""
        expected = [((n_out, n_in), (n_out,)) for n_in, n_out in zip(shape[:-1], shape[1:])]
        got = [(np.shape(W), np.shape(b)) for W, b in layers]
        if got != expected:
            raise ValueError(f"warm_start: the weights to start from have shapes {got}, but this network and data "
                             f"need {expected} (coefs_ are (n_in, n_out))")
        return [(np.ascontiguousarray(W, dtype=dtype), np.ascontiguousarray(b, dtype=dtype)) for W, b in layers]

    def _layers(self):
        return list(zip(self.weights_, self.biases_))

    def _output(self, Y):
        """scikit-learn's out_activation_ for the targets Y, as the kernels take them (`_network.output_of`)."""
        return _network.output_of(Y)


class MLPClassifier(ClassifierMixin, _Multilayer):
    """A network of hidden layers (ReLU, or scikit-learn's other activations) with a softmax output, trained by gradient
    descent on the cross-entropy.

    The defaults are scikit-learn's MLPClassifier's, so that swapping the import in scikit-learn's
    examples gives their results: 100 hidden units, Adam at 0.001 on batches of min(200, n), L2
    penalty 1e-4, Glorot's start, at most 200 epochs, stopping after 10 without improvement.
    `MLPClassifier(**SEED_TRAINING)` trains as the seed does. Parameter names and meanings are
    scikit-learn's.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Width of each hidden layer; any number of layers.
    learning_rate_init : float, default 0.001
        The step size.
    max_iter : int, default 200
        Epochs (iterations over the training data).
    batch_size : int, "auto" or None, default "auto"
        Images per step, on shuffled batches: "auto" is min(200, n_samples); None trains full-batch, the seed's
        gradient descent. A size above n_samples is clipped to it, with scikit-learn's warning.
    random_state : int, RandomState or None, default None
        Seeds the initial weights and the batch order; None draws from NumPy's global state, as the seed does.
    verbose : bool, default False
        Print the loss after every epoch, as scikit-learn does.
    dtype : {'float64', 'float32'} or None, default None
        The precision of training (and so of the weights and predictions); float32 is about twice as fast.
        None is scikit-learn's rule: float32 X trains in float32, anything else in float64.
    init : {'glorot', 'uniform'}, default 'glorot'
        The starting weights. 'glorot' is scikit-learn's, uniform in ±sqrt(6 / (fan_in + fan_out))
        per layer, drawn as scikit-learn draws them. 'uniform' is the seed's, every weight and bias in
        [-0.5, 0.5): right for its 10 hidden units, but it saturates wider layers.
    n_jobs : int or None, default None
        Threads for training and prediction: None keeps Numba's current count (all cores, or
        NUMBA_NUM_THREADS), -1 all of them, else at most NUMBA_NUM_THREADS. Results are the
        same bits on any count.
    solver : {'adam', 'sgd', 'lbfgs'}, default 'adam'
        scikit-learn's solvers: its two stochastic ones, with its update rules (`_kernels/rules.py`), and
        'lbfgs', scipy's L-BFGS-B on the full-batch loss and gradient (max_iter iterations, max_fun
        evaluations, tol on the gradient), for which there is no partial_fit.
    alpha : float, default 0.0001
        The L2 penalty, as scikit-learn's: 0.5 · alpha · Σ W² / batch size is added to each batch's loss.
    momentum : float, default 0.9
        Momentum of 'sgd' (0 is the seed's plain descent).
    nesterovs_momentum : bool, default True
        Nesterov's momentum for 'sgd' when momentum > 0.
    beta_1, beta_2, epsilon : float, default 0.9, 0.999, 1e-8
        Adam's constants.
    shuffle : bool, default True
        Shuffle the images every epoch of mini-batch training.
    warm_start : bool, default False
        Start `fit` from the weights of the previous fit, or from `coefs_` and `intercepts_`
        assigned before it, instead of new ones.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default 'constant'
        scikit-learn's schedules for 'sgd' (Adam keeps its rate): 'invscaling' sets the rate to
        learning_rate_init / (t + 1) ** power_t after each epoch, t the images seen; 'adaptive'
        divides it by 5 after n_iter_no_change epochs without improvement.
    power_t : float, default 0.5
        The exponent of 'invscaling'.
    early_stopping : bool, default False
        Hold out validation_fraction of the training images (scikit-learn's split, drawn from
        random_state after the weights), stop after n_iter_no_change epochs whose validation
        accuracy is not better than the best by tol, and keep the best epoch's weights.
    validation_fraction : float, default 0.1
    n_iter_no_change : int or None, default 10
        Epochs without improvement by more than tol (of the training loss, or with early stopping
        of the validation accuracy) after which training stops. None never stops early, so the
        seed's training runs every iteration.
    tol : float, default 1e-4
    max_fun : int, default 15000
        With 'lbfgs': at most this many evaluations of the loss, as scikit-learn's.
    input_scale : float or None, default None
        A number that multiplies every input value, in training and prediction: 1/255 for 8-bit
        pixels, the seed's `X / 255.`. None uses the values as they are, as scikit-learn does.
        uint8 X is read as it is, without a float copy (a quarter or an eighth of the memory),
        and the scale multiplies the kernels' sums, never a pixel:
        ``MLPClassifier(input_scale=1/255).fit(pixels, labels)``.
    activation : {'relu', 'tanh', 'logistic', 'identity'}, default 'relu'
        The hidden layers' activation, as scikit-learn's (with its Glorot factor 2 for 'logistic'). The seed's fused
        full-batch step is ReLU's: the others train on the mini-batch stages at any batch size.

    Three or more classes get a softmax output; two classes one logistic output (p of classes_[1]) and an indicator
    matrix y (n_samples, n_labels), multilabel, one logistic output per label, as scikit-learn's. A ConvergenceWarning
    is given, as scikit-learn gives it, when max_iter ends a run that checks for convergence
    (n_iter_no_change set, or early_stopping); the seed's training does not check.

    Attributes
    ----------
    coefs_ (list of (n_in, n_out), scikit-learn's layout) and intercepts_ (list of (n_out,)), as scikit-learn's (their
    items may be assigned one by one), and weights_ (list of (n_out, n_in), the seed's layout) and biases_, the same
    read as the seed holds them; classes_, n_features_in_,
    n_layers_, n_outputs_, out_activation_ ('softmax'; 'logistic' for two classes and multilabel), t_ (images seen in
    training), loss_, best_loss_, n_iter_, loss_curve_, accuracy_curve_ (training accuracy per iteration),
    interrupted_, and with fit(..., validation=(X_val, y_val)): validation_loss_curve_ and validation_scores_
    (accuracy).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True  # y an indicator matrix (n, c): c logistic outputs, as scikit-learn's
        return tags

    def _fit_targets(self, y, rows, dtype):
        """fit's labels (rows left out are never read) as the kernels take them (`_encode`), setting classes_; with
        warm_start the classes must be those of the fit before, as scikit-learn's."""
        check_classification_targets(y)
        if y.ndim == 2:
            classes = self._indicator_classes(y[rows])
        else:
            classes = np.unique(y[rows])
        if self.warm_start and hasattr(self, "classes_") and not np.array_equal(classes, self.classes_):
            raise ValueError(f"warm_start can only be used where `y` has the same classes as in the previous call to "
                             f"fit. Previously got {self.classes_}, `y` has {classes}")
        self.classes_ = classes
        if y.ndim == 2:
            return self._encode(y)
        Y = np.zeros(len(y), np.int64)  # the rows left out are never read: their labels may be any
        Y[rows] = np.searchsorted(classes, y[rows])
        return self._from_indices(Y)

    @staticmethod
    def _indicator_classes(y):
        """The classes of a 2-D y, which must be a multilabel indicator matrix: its columns, 0 .. c - 1."""
        if type_of_target(y) != "multilabel-indicator":
            raise ValueError("Multioutput target data is not supported with label binarization")  # scikit-learn's
        return np.arange(y.shape[1])

    def _encode(self, y):
        """Labels y (m,) of classes_, or a multilabel indicator matrix (m, c), as the kernels' targets: class indices
        (m,) int64 for a softmax output (three or more classes), a 0/1 column (m, 1) uint8 for two classes (one
        logistic output, 1 for classes_[1], as scikit-learn's), the indicators as uint8 (m, c) for multilabel."""
        if y.ndim == 2:
            if self._indicator_classes(y).shape != self.classes_.shape:
                raise ValueError(f"y has {y.shape[1]} labels per sample, the model {len(self.classes_)}")
            return np.ascontiguousarray(y != 0, dtype=np.uint8)  # as scikit-learn's: any two integers, nonzero is 1
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y has labels {unknown[:5].tolist()} that are not in classes {self.classes_.tolist()}")
        return self._from_indices(np.searchsorted(self.classes_, y).astype(np.int64))

    def _from_indices(self, Y):
        """Class indices Y (m,) int64 as the kernels' targets: as they are for three or more classes, for two the 0/1
        column (m, 1) uint8 of their one logistic output."""
        return (Y == 1).astype(np.uint8)[:, None] if len(self.classes_) == 2 else Y

    def _outputs(self, Y):
        return Y.shape[1] if Y.ndim == 2 else len(self.classes_)

    def _new_curves(self):
        self.accuracy_curve_ = []

    def _held_out_scores(self, X, Y, weights, layers, x_scale):
        """(mean cross-entropy, accuracy, weighted by `weights` unless None) on held-out images."""
        return _network.scores(X, Y, layers, x_scale, weights, self.activation)

    def _partial_targets(self, y, classes, first, dtype):
        """partial_fit's labels as the kernels take them (`_encode`); the first call takes the classes (a multilabel
        indicator matrix's are its columns, as scikit-learn's), every later one keeps them."""
        if classes is not None:
            classes = np.unique(np.asarray(classes))
            if not first and y.ndim == 1 and not np.array_equal(classes, self.classes_):
                raise ValueError(f"classes {classes.tolist()} differ from those of the first call, "
                                 f"{self.classes_.tolist()}")
        elif first:
            raise ValueError("classes must be passed on the first call to partial_fit")
        check_classification_targets(y)
        if first:
            self.classes_ = self._indicator_classes(y) if y.ndim == 2 else classes
        return self._encode(y)

    @available_if(_Multilayer._stochastic)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch on X, y (weighted by sample_weight, as in fit), going on from the weights and the solver's state
        of the calls before (the first call starts them, from coefs_ and intercepts_ if they were assigned, and needs
        `classes`, every label there will be), as scikit-learn's partial_fit."""
        return self._partial_fit(X, y, sample_weight, classes)

    def predict_log_proba(self, X):
        """The log of predict_proba."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _validation_set(self, validation, dtype):
        """(X_val C-contiguous in dtype, its labels as the kernels take them) from the pair `validation`, checked like X
        and y."""
        try:
            X_val, y_val = validation
        except (TypeError, ValueError):
            raise TypeError("validation must be a pair (X_val, y_val)") from None
        X_val = self._images(dtype, False, X_val)
        y_val = np.asarray(y_val)
        if y_val.shape[:1] != (X_val.shape[0],) or y_val.ndim > 2:
            raise ValueError(f"validation has {X_val.shape[0]} images but y_val has shape {y_val.shape}")
        unknown = np.setdiff1d(y_val, self.classes_) if y_val.ndim == 1 else []
        if len(unknown):
            raise ValueError(f"validation labels {unknown[:5].tolist()} are not among the training labels")
        try:
            return X_val, self._encode(y_val)
        except ValueError as error:
            raise ValueError(f"validation: {error}") from None

    def predict_proba(self, X):
        """Class probabilities (n_samples, n_classes), columns in the order of classes_; for two classes (one logistic
        output p) the columns 1 - p and p, and for multilabel each label's own probability, as scikit-learn's."""
        if "coefs_" not in vars(self):
            check_is_fitted(self)  # scikit-learn's NotFittedError
        dtype = self.weights_[0].dtype
        ready = self._ready(X, dtype)
        if not ready:
            X = self._images(dtype, False, X)
        with _threads.limited(self.n_jobs):
            P, finite = _network.predict_proba(X, self._layers(), self._x_scale(), self.activation, self.out_activation_)
        if ready and not finite:
            self._images(dtype, False, X)  # scikit-learn's error for a NaN or an infinity in X, if that is the cause
        return np.hstack([1 - P, P]) if self.out_activation_ == "logistic" and P.shape[1] == 1 else P

    def _ready(self, X, dtype):
        """Whether X can go to the kernels as it is, without scikit-learn's checks: a C-contiguous ndarray (m ≥ 1, the
        fitted width) of the model's dtype or uint8, the model fitted without feature names. Its values are checked
        by the kernels, which flag a sum that is not finite; scikit-learn's checks then name the cause."""
        return (type(X) is np.ndarray and X.ndim == 2 and X.flags.c_contiguous and X.dtype in (dtype, np.uint8)
                and X.shape[0] > 0 and X.shape[1] == self.n_features_in_ and not hasattr(self, "feature_names_in_"))

    def predict(self, X):
        """The most probable class of each sample (p > 0.5 for two classes); for multilabel, the indicator matrix
        (n_samples, n_classes) of the labels whose probability is above 0.5, as scikit-learn's."""
        P = self.predict_proba(X)
        if self.out_activation_ == "softmax":
            return self.classes_[np.argmax(P, axis=1)]
        return self.classes_[(P[:, 1] > 0.5).astype(np.int64)] if self.n_outputs_ == 1 else (P > 0.5).astype(np.int64)


class MLPRegressor(RegressorMixin, _Multilayer):
    """A network of hidden layers (ReLU, or scikit-learn's other activations) with an identity output trained by
    gradient descent on the squared error, or an exponential one on the Poisson deviance: scikit-learn's MLPRegressor,
    on the same kernels as `MLPClassifier`.

    The parameters are MLPClassifier's (the same defaults, scikit-learn's), and `loss`, scikit-learn's:
    "squared_error" (the default), half the mean over samples and outputs of (prediction - y)², or "poisson", the sum
    over outputs of the mean over samples of half the Poisson deviance, y log(y / prediction) - y + prediction, for
    targets y >= 0 (counts, rates), the prediction e^z of the last sums z; either plus the L2 penalty, with
    scikit-learn's gradient (the delta prediction - y). y is (n_samples,) or (n_samples, n_outputs); `predict` gives
    the same shape, and `score` R².

    Every solver trains on the mini-batch stages (`_kernels.epoch`), full batch (batch_size=None) too: the seed's fused
    full-batch step has the softmax head only. uint8 pixels with `input_scale` are read as they are, as the
    classifier's.

    Attributes
    ----------
    As MLPClassifier's, without classes_ and accuracy_curve_; out_activation_ is 'identity' ('exp' for loss="poisson"),
    n_outputs_ the number of targets, validation_scores_ and best_validation_score_ are R² (early stopping's, or
    fit(..., validation=(X_val, y_val))'s).
    """

    _y_checks = dict(y_numeric=True)

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), learning_rate_init=0.001, max_iter=200,
                 batch_size="auto", random_state=None, verbose=False, dtype=None, init="glorot", n_jobs=None,
                 solver="adam", alpha=0.0001, momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, shuffle=True, warm_start=False, learning_rate="constant", power_t=0.5,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, max_fun=15000,
                 input_scale=None, activation="relu"):
        self.loss = loss
        super().__init__(hidden_layer_sizes, learning_rate_init, max_iter, batch_size, random_state, verbose, dtype,
                         init, n_jobs, solver, alpha, momentum, nesterovs_momentum, beta_1, beta_2, epsilon, shuffle,
                         warm_start, learning_rate, power_t, early_stopping, validation_fraction, n_iter_no_change,
                         tol, max_fun, input_scale, activation)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y (n, c): one output per column, as scikit-learn's
        return tags

    def _check_params(self):
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}: use one of {', '.join(map(repr, LOSSES))}")
        return super()._check_params()

    def _output(self, Y):
        return "exp" if self.loss == "poisson" else "identity"

    def _targets(self, y, dtype):
        """y (m,) or (m, c) as C-contiguous float targets (m, c) of dtype; counts (y >= 0) for loss="poisson"."""
        Y = np.ascontiguousarray(np.reshape(y, (len(y), -1)), dtype=dtype)
        if self.loss == "poisson" and (Y < 0).any():
            raise ValueError(f"loss='poisson' needs targets y >= 0 (counts or rates): y holds negative values, down to "
                             f"{Y.min():g}")
        return Y

    def _fit_targets(self, y, rows, dtype):
        Y = self._targets(y, dtype)
        if self.warm_start and hasattr(self, "n_outputs_") and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"warm_start: y has {Y.shape[1]} outputs, the fit before had {self.n_outputs_}")
        return Y

    def _partial_targets(self, y, classes, first, dtype):
        Y = self._targets(y, dtype)
        if not first and Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[1]} outputs, the calls before had {self.n_outputs_}")
        return Y

    def _outputs(self, Y):
        return Y.shape[1]

    def _new_curves(self):
        pass  # a regressor has no accuracy to keep

    def _validation_set(self, validation, dtype):
        """(X_val C-contiguous in dtype, targets (m, c) of dtype) from the pair `validation`, checked like X and y."""
        try:
            X_val, y_val = validation
        except (TypeError, ValueError):
            raise TypeError("validation must be a pair (X_val, y_val)") from None
        X_val, y_val = self._images(dtype, False, X_val, y_val)
        return X_val, self._targets(y_val, dtype)

    def _held_out_scores(self, X, Y, weights, layers, x_scale):
        """(squared loss, R², weighted by `weights` unless None) on held-out images."""
        return _network.regression_scores(X, Y, layers, x_scale, weights, self.activation, self.out_activation_)

    @available_if(_Multilayer._stochastic)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch on X, y (weighted by sample_weight, as in fit), going on from the weights and the solver's state
        of the calls before (the first call starts them), as scikit-learn's partial_fit."""
        return self._partial_fit(X, y, sample_weight)

    def predict(self, X):
        """The network's outputs (n_samples, n_outputs), or (n_samples,) for one output, as scikit-learn's."""
        if "coefs_" not in vars(self):
            check_is_fitted(self)  # scikit-learn's NotFittedError
        X = self._images(self.weights_[0].dtype, False, X)
        with _threads.limited(self.n_jobs):
            out = _network.outputs(X, self._layers(), self._x_scale(), self.out_activation_, self.activation)
        return out.ravel() if out.shape[1] == 1 else out
