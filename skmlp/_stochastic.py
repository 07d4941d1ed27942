"""The epoch loop of the stochastic solvers (sgd, adam).

One compiled call (:func:`skmlp._epoch.train_epoch`) trains a whole epoch;
this module keeps the loop over epochs and everything around it: the optimizer
state that survives between calls, the validation split, the sample order,
bookkeeping of the fitted attributes, stopping rules and rolling back to the
last complete epoch. Each job is one method of :class:`StochasticTrainer`.

Randomness is drawn in scikit-learn's order (split, then one shuffle per
epoch, from the estimator's stream) so that with the same seed both libraries
visit the data in the same order.
"""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from . import _data
from ._callbacks import fit_events
from ._epoch import EVALUATE, train_epoch
from ._optim import ADAM, SGD
from ._schedules import SklearnRule
from ._threads import blas_threads_for


class Validation(NamedTuple):
    """Held-out rows for early stopping."""

    rows: np.ndarray  # indices into the training data
    y_true: np.ndarray  # targets in the form the score function takes
    sample_weight: np.ndarray  # or None


class Checkpoint(NamedTuple):
    """What Ctrl-C rolls back to: the last epoch that was recorded completely."""

    theta: np.ndarray
    n_recorded: int  # len(loss_curve_)
    t: int
    sample_order: np.ndarray


class StochasticTrainer:
    """Train ``theta`` in place for one ``fit`` or ``partial_fit`` call.

    Parameters
    ----------
    est : BaseMultilayerPerceptronNB
        The estimator; its fitted attributes are updated as epochs finish.
    data : KernelData
        Validated training data.
    theta : ndarray of shape (n_params,)
        Packed parameters (``coefs_``/``intercepts_`` are views of it).
    net : tuple of ndarray
        ``(units, acts)``.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (for the validation split).
    sample_weight : ndarray of shape (n_samples,) or None
        Validated sample weights.
    incremental : bool
        True for ``partial_fit``: one epoch, state carried over between calls.
    """

    def __init__(self, est, data, theta, net, Y, sample_weight, incremental):
        if est.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        self.est = est
        self.data = data
        self.theta = theta
        self.net = net
        self.incremental = incremental
        self.rule = SklearnRule(est)
        self._init_state(theta, incremental)
        self.idx_train, self.val = self._split(Y, sample_weight)
        self.n_train = self.idx_train.shape[0]
        self.batch_size = est._batch_size(self.n_train)
        self.work = _data.workspace(net[0], self.batch_size, theta.dtype, data.dense,
                                    False)
        self.opt_code = ADAM if est.solver == "adam" else SGD
        # scikit-learn shuffles the previous epoch's order again (composing
        # permutations); partial_fit on blocks of the same size keeps doing so
        # across calls, so that k calls equal fit(max_iter=k).
        order = getattr(est, "_sample_order", None)
        if not incremental or order is None or order.shape[0] != self.n_train:
            order = np.arange(self.n_train, dtype=np.int64)
        self.sample_order = order
        self.checkpoint = self._checkpoint()
        self.curve_start = self.checkpoint.n_recorded

    # ------------------------------------------------------------ set-up
    def _init_state(self, theta, incremental):
        est = self.est
        if not hasattr(est, "loss_curve_"):
            # warm start from an lbfgs fit: the stochastic bookkeeping is new
            est._init_stochastic_state()
        if est.early_stopping and est.validation_scores_ is None:
            # warm start that switches early stopping on
            est.validation_scores_ = []
            est.best_validation_score_ = -np.inf
        if not incremental or not hasattr(est, "_moments"):
            est._moments = np.zeros((2, theta.shape[0]), dtype=theta.dtype)
            est._adam_t = np.zeros(1, dtype=np.int64)
            est._learning_rate = float(est.learning_rate_init)

    def _split(self, Y, sample_weight):
        """Training row indices and the early-stopping validation set (or None)."""
        est = self.est
        if not est.early_stopping:
            return np.arange(Y.shape[0], dtype=np.int64), None
        idx_train, idx_val = train_test_split(
            np.arange(Y.shape[0]),
            random_state=est._random_state,
            test_size=est.validation_fraction,
            stratify=est._stratify_labels(Y),
        )
        if idx_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        idx_val = idx_val.astype(np.int64)
        sw_val = None if sample_weight is None else sample_weight[idx_val]
        return idx_train.astype(np.int64), Validation(
            idx_val, est._validation_target(Y[idx_val]), sw_val)

    def _checkpoint(self):
        est = self.est
        return Checkpoint(self.theta.copy(), len(est.loss_curve_), est.t_,
                          self.sample_order)

    # ------------------------------------------------------------ the loop
    def run(self):
        """Train until a stopping rule fires, then check the final weights."""
        est = self.est
        with blas_threads_for(self.net[0], self.batch_size), fit_events(est) as events:
            self.events = events
            try:
                est.n_iter_ = 0
                for _ in range(est.max_iter):
                    loss = self.step()
                    self.record(loss)
                    self.validate()
                    est._learning_rate = self.rule.after_epoch(est._learning_rate, est.t_)
                    if self.should_stop():
                        break
            except KeyboardInterrupt:
                # Only reached when graceful_interrupt could not install its
                # handler (a custom SIGINT handler): the interrupt may land
                # between the kernel's update and the bookkeeping.
                self.rollback()
                warnings.warn("Training interrupted by user.")
        if est.early_stopping:
            self.theta[:] = est._best_theta
        self.check_final_outputs()

    def step(self):
        """Shuffle, then train one epoch in the compiled engine; the mean loss."""
        est = self.est
        if est.shuffle:
            # scikit-learn's call: both libraries draw the same orders.
            self.sample_order = _shuffle(self.sample_order, est._random_state)
        order = _data.readonly(np.ascontiguousarray(self.idx_train[self.sample_order]))
        hyper = est._hyper(self.theta.dtype, est._learning_rate)
        loss_sum = train_epoch(self.data, order, self.batch_size, self.net, self.theta,
                               hyper, self.opt_code, est._moments, est._adam_t,
                               self.work)
        loss = loss_sum / self.n_train
        if not np.isfinite(loss):
            raise est._diverged(f"the training loss became {loss}", est.n_iter_ + 1)
        if not np.isfinite(self.theta).all():
            raise est._diverged("the weights became non-finite (inf or nan)",
                                est.n_iter_ + 1)
        return loss

    def record(self, loss):
        """Update the fitted attributes after a finished epoch."""
        est = self.est
        est.n_iter_ += 1
        est.loss_ = loss
        est.t_ += self.n_train
        est.loss_curve_.append(loss)
        est._sample_order = self.sample_order
        self.checkpoint = self._checkpoint()
        self.events.iteration(est.n_iter_, loss)

    def validate(self):
        """Score the validation set (early stopping) or track the best loss."""
        est = self.est
        if self.val is None:
            improved = est.loss_curve_[-1] <= est.best_loss_ - est.tol
            if est.loss_curve_[-1] < est.best_loss_:
                est.best_loss_ = est.loss_curve_[-1]
        else:
            raw = est._raw_predict(self.data[:4], self.net, self.theta, self.val.rows)
            score = est._score_raw(raw, self.val.y_true, self.val.sample_weight)
            est.validation_scores_.append(score)
            self.events.validation(score)
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_theta = self.theta.copy()
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1

    def should_stop(self):
        """Apply the stopping rules after an epoch; True ends training."""
        est = self.est
        if est._no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if est.early_stopping else "Training loss"
            msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what, est.tol, est.n_iter_no_change)
            est._learning_rate, stop, note = self.rule.on_plateau(est._learning_rate)
            self.events.say(msg + note)
            if stop:
                return True
            est._no_improvement_count = 0
        if self.events.stop_requested():
            warnings.warn("Training interrupted by user.")
            return True
        if self.incremental:
            return True
        if est.n_iter_ == est.max_iter:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                "optimization hasn't converged yet." % est.max_iter,
                ConvergenceWarning,
            )
        return False

    def rollback(self):
        """Return to the last completely recorded epoch."""
        est, done = self.est, self.checkpoint
        self.theta[:] = done.theta
        del est.loss_curve_[done.n_recorded:]
        est.t_ = done.t
        est._sample_order = done.sample_order
        self.sample_order = done.sample_order
        est.n_iter_ = done.n_recorded - self.curve_start
        if est.loss_curve_:
            est.loss_ = est.loss_curve_[-1]

    def check_final_outputs(self):
        """Refuse a fit whose final weights give non-finite outputs.

        The epoch loss is measured before each batch's update, so the last
        update of a fit is never checked by it. One forward pass over the last
        minibatch's rows (1/n_batches of an epoch, through the engine's
        evaluate mode, already compiled) catches weights that blew up there;
        the fit then raises and the estimator is rolled back.
        """
        est = self.est
        rows = self.idx_train[self.sample_order[-self.batch_size:]]
        rows = _data.readonly(np.ascontiguousarray(rows, dtype=np.int64))
        hyper = est._hyper(self.theta.dtype, 0.0)
        loss = train_epoch(self.data, rows, rows.shape[0], self.net, self.theta, hyper,
                           EVALUATE, est._moments, est._adam_t, self.work)
        if not np.isfinite(loss):
            raise est._diverged(
                "the network's outputs became non-finite after the last update",
                est.n_iter_)


def _shuffle(idx, random_state):
    """``sklearn.utils.shuffle`` of an index array: the same draws, no copy of X."""
    perm = np.arange(idx.shape[0])
    random_state.shuffle(perm)
    return idx[perm]
