"""solver="lbfgs": scipy's L-BFGS-B on the full-batch loss and gradient, as scikit-learn's MLP runs it.

The loss is scikit-learn's: the mean cross-entropy of the softmax probabilities clipped to
[eps, 1 - eps] (of logistic outputs its binary log loss; a regressor's half the mean squared error of its identity
output, or half the Poisson deviance of its exponential one), plus 0.5 · alpha · Σ W² / m; its gradient comes from the per-step kernels
(`_network.forward` and `_network.gradients`, which skip the inputs' zeros), any number of layers.
The parameters are packed in scikit-learn's order (every coefs_ (n_in, n_out) flattened, then
every intercept), so that scipy sees the same vector as it does under scikit-learn.
"""
import numpy as np
import scipy.optimize

from . import _network


class Objective:
    """loss_and_gradient(x) of the network of `shape` on x_scale · X (m, d) with class indices Y (m,), 0/1 indicators
    Y (m, c) of logistic outputs or regression targets Y (m, c), L2 penalty alpha; with sample_weight (m,) (or None),
    scikit-learn's weighted objective (the weighted mean loss, the penalty over the weights' sum); `activation`: the
    hidden layers' and `output` the output's (scikit-learn's names, its out_activation_ for output).

    `best` holds the last iterate (`minimize` sets it), so that an interrupted run keeps it;
    `layers(x)` turns a vector into the (W (n_out, n_in), b (n_out,)) pairs in X's float dtype.
    """

    def __init__(self, X, Y, shape, dtype, alpha, x_scale, *, sample_weight, activation, output):
        self.X, self.Y, self.dtype, self.alpha, self.x_scale = X, Y, dtype, alpha, x_scale
        self.sample_weight, self.activation, self.output = sample_weight, activation, output
        self.pairs = list(zip(shape[:-1], shape[1:]))
        self.best, self.iterations = None, 0

    def pack(self, layers):
        return np.concatenate([W.T.ravel() for W, _ in layers] + [b.ravel() for _, b in layers]).astype(np.float64)

    def layers(self, x):
        out, start = [], 0
        for n_in, n_out in self.pairs:
            out.append(np.ascontiguousarray(x[start:start + n_in * n_out].reshape(n_in, n_out).T, dtype=self.dtype))
            start += n_in * n_out
        for l, (_, n_out) in enumerate(self.pairs):
            out[l] = (out[l], x[start:start + n_out].astype(self.dtype))
            start += n_out
        return out

    def __call__(self, x):
        layers = self.layers(x)
        output = self.output
        Zs, As = _network.forward(self.X, layers, self.x_scale, output, self.activation)
        w = self.sample_weight
        m = len(self.Y) if w is None else float(w.sum())  # what the gradient and the penalty are divided by
        if output == "identity":  # a regressor's targets: its identity output's squared error
            loss = _network.squared_loss(self.Y, As[-1], w)
        elif output == "exp":  # a Poisson regressor's: its exponential output's half deviance
            loss = _network.poisson_loss(self.Y, As[-1], w)
        elif output == "logistic":
            loss = _network.logistic_loss(self.Y, As[-1], w)
        else:
            eps = np.finfo(self.dtype).eps
            loss = -float(np.average(np.log(np.clip(As[-1][np.arange(len(self.Y)), self.Y], eps, 1 - eps)), weights=w))
        penalty = sum(float(np.dot(W.ravel(), W.ravel())) for W, _ in layers)
        loss += 0.5 * self.alpha * penalty / m
        grads = _network.gradients(Zs[:-1], As, self.Y, [W for W, _ in layers], m, w, self.activation)
        coefs = [dW.T * (self.x_scale if l == 0 else 1) + (self.alpha / m) * W.T
                 for l, ((dW, _), (W, _)) in enumerate(zip(grads, layers))]
        return loss, np.concatenate([g.ravel() for g in coefs] + [db for _, db in grads]).astype(np.float64)


def minimize(objective, layers, max_iter, max_fun, tol):
    """scipy's L-BFGS-B from `layers`, with scikit-learn's options; its OptimizeResult. Meanwhile the objective's
    `best` and `iterations` hold the last iterate and their count, which a KeyboardInterrupt leaves there."""
    x0 = objective.pack(layers)
    objective.best, objective.iterations = x0.copy(), 0

    def iterate(x):
        objective.best, objective.iterations = x.copy(), objective.iterations + 1

    return scipy.optimize.minimize(objective, x0, method="L-BFGS-B", jac=True, callback=iterate,
                                   options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol})


def convergence_warning(result, n_iter, max_iter):
    """scikit-learn's ConvergenceWarning text for an L-BFGS-B result that did not converge, else None."""
    if result.status == 0:
        return None
    text = f"lbfgs failed to converge after {n_iter} iteration(s) (status={result.status}):\n{result.message}\n"
    if n_iter == max_iter:
        text += f"\nIncrease the number of iterations to improve the convergence (max_iter={max_iter})."
    return text + ("\nYou might also want to scale the data as shown in:\n"
                   "    https://scikit-learn.org/stable/modules/preprocessing.html")
