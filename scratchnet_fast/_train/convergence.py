"""scikit-learn's end of an epoch: the learning-rate schedule, the no-improvement count and early stopping.

After each epoch scikit-learn's stochastic solvers (`MLPClassifier._fit_stochastic`) count the
epochs that did not improve on the best loss (or, with early stopping, the best validation
accuracy) by more than `tol`; past `n_iter_no_change` of them they stop, or with the 'adaptive'
schedule divide the rate by 5 (stopping once it is at most 1e-6). 'invscaling' sets the rate to
rate_init / (t + 1) ** power_t after each epoch, t the images seen. This is that logic, term by
term, so that the same run stops at the same epoch.
"""
import math

SCHEDULES = ("constant", "invscaling", "adaptive")


class Convergence:
    """The rate of the next epoch (`rate()`), and `epoch_ends`, which says whether training stops.

    n_iter_no_change None never stops early (the seed's training runs all its iterations).
    `validation_scores` and `best_validation_score` follow early stopping (the estimator's
    validation_scores_ and best_validation_score_); `best` holds the weights of the best
    validation score, to be restored at the end.
    """

    def __init__(self, rate_init, schedule, power_t, sgd, tol, n_iter_no_change, early_stopping):
        self.rate_init = self.current = rate_init
        self.schedule = schedule if sgd else "constant"  # scikit-learn's Adam ignores the schedule
        self.power_t, self.tol, self.n_iter_no_change = power_t, tol, n_iter_no_change
        self.early_stopping = early_stopping
        self.count = 0
        self.best_loss = None if early_stopping else math.inf
        self.validation_scores = [] if early_stopping else None
        self.best_validation_score = -math.inf if early_stopping else None
        self.best = None
        self.stopped = False

    def resume(self, previous):
        """Go on from the counts and bests of `previous`, the Convergence of the fit before (a warm start, as
        scikit-learn's keeps its no-improvement count and best scores); the rate starts again from rate_init."""
        if previous.early_stopping == self.early_stopping:
            self.count, self.best_loss, self.best = previous.count, previous.best_loss, previous.best
            self.best_validation_score = previous.best_validation_score
            if self.early_stopping:
                self.validation_scores = list(previous.validation_scores)

    def rate(self):
        return self.current

    def epoch_ends(self, loss, t, validation_score=None, weights=None):
        """After an epoch with mean loss `loss`, t images seen in all: True to stop (with `stopped` set)."""
        if self.early_stopping:
            self.validation_scores.append(validation_score)
            if validation_score < self.best_validation_score + self.tol:
                self.count += 1
            else:
                self.count = 0
            if validation_score > self.best_validation_score:
                self.best_validation_score = validation_score
                self.best = weights()
        else:
            if loss > self.best_loss - self.tol:
                self.count += 1
            else:
                self.count = 0
            if loss < self.best_loss:
                self.best_loss = loss
        if self.schedule == "invscaling":
            self.current = self.rate_init / (t + 1) ** self.power_t
        if self.n_iter_no_change is not None and self.count > self.n_iter_no_change:
            if self.schedule != "adaptive" or self.current <= 1e-6:
                self.stopped = True
                return True
            self.current /= 5.0
            self.count = 0
        return False
