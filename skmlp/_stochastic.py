"""The epoch loop of the stochastic solvers (sgd, adam).

One compiled call (:func:`skmlp._epoch.train_epoch`) trains a whole epoch;
this module keeps the loop over epochs and everything around it: the optimizer
state that survives between calls, the validation split, the sample order,
bookkeeping of the fitted attributes, stopping rules and rolling back to the
last complete epoch. Each job is one method of :class:`StochasticTrainer`.

What survives between calls is a :class:`~skmlp._solver_state.SolverState`
the trainer is given and updates; from the estimator it reads parameters and
writes only the public fitted attributes (``loss_curve_``, ``n_iter_``, ...).

Randomness is drawn in scikit-learn's order (split, then one shuffle per
epoch, from the estimator's stream) so that with the same seed both libraries
visit the data in the same order.
"""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from . import _data, _scoring
from ._callbacks import fit_events
from ._epoch import EVALUATE, evaluate_rows, new_counters, train_epoch
from ._schedules import SklearnRule
from ._specs import OPTIMIZERS
from ._threads import batch_threads, blas_threads_for


class Validation(NamedTuple):
    """Validation rows: held out of the training data, or given as ``X_val``."""

    data: _data.KernelData  # the training data, or X_val's
    rows: np.ndarray  # indices into ``data``
    y_true: np.ndarray  # targets in the form the score function takes
    sample_weight: np.ndarray  # or None
    work: _data.Work  # forward workspace with room for all rows
    X: object  # the rows as a scorer takes them (``scoring`` a scorer), or None


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
        The estimator: its parameters are read, its public fitted attributes
        (``loss_curve_``, ``n_iter_``, ``t_``, ...) updated as epochs finish.
    state : SolverState
        The solver state, updated in place; ``state.theta`` holds the packed
        parameters (``coefs_``/``intercepts_`` are views of it).
    data : KernelData
        Validated training data.
    net : tuple of ndarray
        ``(units, acts)``.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (for the validation split).
    sample_weight : ndarray of shape (n_samples,) or None
        Validated sample weights.
    incremental : bool
        True for ``partial_fit``: one epoch, state carried over between calls.
    given_val : tuple or None
        ``(KernelData, y_true, sample_weight, X_val)`` of validation data given
        to fit.
    X : {ndarray, sparse matrix} or None
        The validated training data, whose held-out rows a scorer takes
        (only read when ``scoring`` is a scorer).
    """

    def __init__(self, est, state, data, net, Y, sample_weight, incremental,
                 given_val=None, X=None):
        if est.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        self.data = data
        self._bind(est, state, net, incremental)
        if est.solver == "sgd" and est.momentum == 0:
            # Plain SGD neither reads nor writes the velocity (see _optim):
            # clear it, so that a later call with momentum starts from rest
            # rather than from a velocity left by an earlier one.
            state.moments[0].fill(0.0)
        self.rule = SklearnRule(est, state.schedule_state)
        state.schedule_state = self.rule.state
        self.idx_train, self.val = self._split(Y, sample_weight, given_val, X)
        self.n_train = self.idx_train.shape[0]
        self.batch_size = est._batch_size(self.n_train)
        self.n_threads = batch_threads(est.n_jobs, net.units, self.batch_size)
        self._seed_thread_streams()
        if self.n_threads == 1:
            self.work = _data.workspace(net, self.batch_size, self.theta.dtype, data.dense)
        else:
            self.work = _data.squad_workspace(net, self.batch_size, self.theta.dtype,
                                              data.dense, self.n_threads)
        # scikit-learn shuffles the previous epoch's order again (composing
        # permutations); partial_fit on blocks of the same size keeps doing so
        # across calls, so that k calls equal fit(max_iter=k).
        order = state.sample_order
        if not incremental or order is None or order.shape[0] != self.n_train:
            order = np.arange(self.n_train, dtype=np.int64)
        self.sample_order = order
        self.checkpoint = self._checkpoint()
        self.curve_start = self.checkpoint.n_recorded

    # ------------------------------------------------------------ set-up
    def _bind(self, est, state, net, incremental):
        """Take the estimator, its solver state and the network; ready the optimizer.

        Shared with the cluster trainer (:mod:`skmlp._dask_fit`), whose epochs
        run elsewhere but whose state and bookkeeping are these.
        """
        self.est = est
        self.state = state
        self.theta = state.theta
        self.net = net
        self.incremental = incremental
        spec = OPTIMIZERS[est.solver]
        self.opt_code, self.n_slots = spec.code, spec.state_rows
        self.scorer = _scoring.validation_scorer(est)
        self._init_state(self.theta, incremental)

    def _init_state(self, theta, incremental):
        est, state = self.est, self.state
        if not hasattr(est, "loss_curve_"):
            # warm start from an lbfgs fit: the stochastic bookkeeping is new
            est._init_stochastic_state()
            state.no_improvement_count = 0
        if est.early_stopping and est.validation_scores_ is None:
            # warm start that switches early stopping on
            est.validation_scores_ = []
            est.best_validation_score_ = -np.inf
        if not est.early_stopping and est.best_loss_ is None:
            # warm start or partial_fit that switches early stopping off: the
            # training loss is tracked from here, with a fresh patience count
            est.best_loss_ = np.inf
            state.no_improvement_count = 0
        best = state.best_theta
        if best is None or best.shape != theta.shape or best.dtype != theta.dtype:
            state.best_theta = theta.copy()
        if not incremental or not state.optimizer_fits(self.n_slots, theta):
            state.reset_optimizer(self.n_slots, theta, est.learning_rate_init,
                                  new_counters())
            if np.any(self.net.keep < 1.0):
                # The dropout generator's seed: drawn only when dropout is on, so
                # that without it the stream (and scikit-learn parity) is untouched.
                state.counters[1] = est._random_state.randint(np.iinfo(np.int64).max)

    def _seed_thread_streams(self):
        """A dropout generator per thread that splits the batches.

        Slot 1 of the counters (thread 0) is seeded from ``random_state`` in
        :meth:`_init_state`. The other threads' generators start from states
        derived from it (SplitMix64 of slot 1 plus the thread's index), so no
        further number is drawn from ``random_state``: the shuffles, and
        everything else but the masks, stay those of a one-thread fit. A slot
        still at zero is seeded whenever dropout is on, also when dropout was
        switched on after the slots were made.
        """
        state = self.state
        need = 1 + self.n_threads
        if state.counters.shape[0] < need:
            extra = np.zeros(need - state.counters.shape[0], dtype=np.int64)
            state.counters = np.concatenate([state.counters, extra])
        if not np.any(self.net.keep < 1.0):
            return
        for t in range(1, self.n_threads):
            if state.counters[1 + t] == 0:
                state.counters[1 + t] = _derived_seed(int(state.counters[1]), t)

    def _split(self, Y, sample_weight, given_val, X):
        """Training row indices and the validation set (or None)."""
        est = self.est
        all_rows = np.arange(Y.shape[0], dtype=np.int64)
        if given_val is not None:
            est.validation_loss_curve_ = []
            if est.validation_scores_ is None:
                est.validation_scores_ = []
            vdata, y_true, sw, X_val = given_val
            return all_rows, self._validation(vdata, np.arange(vdata.n_rows), y_true, sw,
                                              X_val)
        if not est.early_stopping:
            # No validation in this fit: no curves left over from an earlier one.
            est.validation_loss_curve_ = None
            est.validation_scores_ = None
            return all_rows, None
        # Binary targets: scikit-learn stratifies too, and where it cannot, fails
        # the same way. Multiclass: only skmlp stratifies, so it falls back.
        idx_train, idx_val = _validation_split(Y.shape[0], est._random_state,
                                               est.validation_fraction,
                                               est._stratify_labels(Y),
                                               fallback=Y.shape[1] > 1)
        if idx_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        idx_val = idx_val.astype(np.int64)
        sw_val = None if sample_weight is None else sample_weight[idx_val]
        X_val = X[idx_val] if X is not None and _scoring.needs_rows(est) else None
        est.validation_loss_curve_ = []
        return idx_train.astype(np.int64), self._validation(
            self.data, idx_val, est._validation_target(Y[idx_val]), sw_val, X_val)

    def _validation(self, data, rows, y_true, sample_weight, X=None):
        # All rows in chunks of chunk_rows, as a predict call over them would
        # use: the same product shapes give bitwise the same outputs.
        cap = _data.chunk_rows(rows.shape[0], self.net.units)
        work = _data.workspace(self.net, cap, self.theta.dtype, data.dense,
                               forward_only=True)
        rows = _data.readonly(np.ascontiguousarray(rows, dtype=np.int64))
        return Validation(data, rows, y_true, sample_weight, work, X)

    def _checkpoint(self):
        est = self.est
        return Checkpoint(self.theta.copy(), len(est.loss_curve_), est.t_,
                          self.sample_order)

    # ------------------------------------------------------------ the loop
    def run(self, inputs=None):
        """Train until a stopping rule fires, then check the final weights.

        ``inputs`` (:class:`~skmlp._callbacks.FitInputs`): the user's ``fit``
        arguments, handed to callbacks.
        """
        est, state = self.est, self.state
        task = ("partial_fit", 1) if self.incremental else ("fit", est.max_iter)
        with (blas_threads_for(self.net.units, self.batch_size, self.n_threads),
              fit_events(est, inputs, task_name=task[0], max_subtasks=task[1]) as events):
            self.events = events
            try:
                est.n_iter_ = 0
                for _ in range(est.max_iter):
                    events.begin_iteration()
                    loss = self.step()
                    if loss is None:  # diverged under early stopping
                        break
                    self.record(loss)
                    metric = self.validate()
                    state.learning_rate = self.rule.after_epoch(state.learning_rate,
                                                                est.t_, metric)
                    events.end_iteration(est.n_iter_, self.theta)
                    if self.should_stop():
                        break
            except KeyboardInterrupt:
                # Only reached when graceful_interrupt could not install its
                # handler (a custom SIGINT handler): the interrupt may land
                # between the kernel's update and the bookkeeping.
                self.rollback()
                warnings.warn("Training interrupted by user.")
            # Inside the block: callbacks see the fit end with its final weights.
            if est.early_stopping:
                self.theta[:] = state.best_theta
            self.check_final_outputs()

    def step(self):
        """Shuffle, then train one epoch in the compiled engine; the mean loss.

        Divergence raises (the fit is rolled back), except with early stopping,
        where it ends training on the best weights seen (returns None).
        """
        est = self.est
        loss = self.train_one_epoch() / self.n_train
        what = None
        if not np.isfinite(loss):
            what = f"the training loss became {loss}"
        elif not np.isfinite(self.theta).all():
            what = "the weights became non-finite (inf or nan)"
        if what is None:
            return loss
        if not est.early_stopping:
            raise est._diverged(what, est.n_iter_ + 1)
        self.stop_diverged(what, loss)
        return None

    def train_one_epoch(self):
        """Shuffle, then one epoch in the compiled engine; the sum of the batch losses.

        (:class:`skmlp._dask_fit.ClusterTrainer` trains its epochs on a cluster.)
        """
        est, state = self.est, self.state
        if est.shuffle:
            # scikit-learn's call: both libraries draw the same orders.
            self.sample_order = _shuffle(self.sample_order, est._random_state)
        order = _data.readonly(np.ascontiguousarray(self.idx_train[self.sample_order]))
        hyper = est._hyper(self.theta.dtype, state.learning_rate)
        return train_epoch(self.data, order, self.batch_size, self.net, self.theta,
                           hyper, self.opt_code, state.moments, state.counters,
                           self.work)

    def stop_diverged(self, what, loss):
        """End training at a divergence under early stopping (scikit-learn #29504).

        The epoch is recorded with its non-finite loss and a NaN validation
        score; ``fit`` then restores the best weights, so the model never
        predicts NaN, and a ConvergenceWarning names the epoch.
        """
        est = self.est
        self.record(loss)
        est.validation_scores_.append(float("nan"))
        est.validation_loss_curve_.append(float("nan"))
        warnings.warn(
            f"Training diverged at epoch {est.n_iter_}: {what}. Training stopped and "
            "the weights of the best validation score were restored. Lower "
            f"learning_rate_init (currently {est.learning_rate_init}) or scale the "
            "inputs.",
            ConvergenceWarning,
        )

    def record(self, loss):
        """Update the fitted attributes after a finished epoch."""
        est = self.est
        est.n_iter_ += 1
        est.loss_ = loss
        est.t_ += self.n_train
        est.loss_curve_.append(loss)
        self.state.sample_order = self.sample_order
        self.checkpoint = self._checkpoint()
        self.events.iteration(est.n_iter_, loss)

    def validate(self):
        """Score the validation data, track the best loss or score.

        Returns the value a plateau schedule monitors (lower is better): the
        validation loss when there is validation data, else the training loss.
        """
        est, state = self.est, self.state
        metric = est.loss_curve_[-1]
        if self.val is not None:
            score, metric = self.score_validation()
        if not est.early_stopping:
            improved = est.loss_curve_[-1] <= est.best_loss_ - est.tol
            if est.loss_curve_[-1] < est.best_loss_:
                est.best_loss_ = est.loss_curve_[-1]
        else:
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                state.best_theta = self.theta.copy()
        state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
        return metric

    def score_validation(self):
        """One pass over the validation rows: record and return score and loss."""
        est, val = self.est, self.val
        out = np.empty((val.rows.shape[0], int(self.net.units[-1])), self.theta.dtype)
        hyper = est._hyper(self.theta.dtype, 0.0)
        loss_sum = evaluate_rows(val.data, val.rows, self.net, self.theta, hyper,
                                 val.work, out)
        loss = float(loss_sum / val.rows.shape[0])
        score = self.scorer(out, loss, val.X, val.y_true, val.sample_weight)
        est.validation_scores_.append(score)
        est.validation_loss_curve_.append(loss)
        self.events.validation(score)
        return score, loss

    def should_stop(self):
        """Apply the stopping rules after an epoch; True ends training."""
        est, state = self.est, self.state
        if state.no_improvement_count > est.n_iter_no_change:
            what = "Validation score" if est.early_stopping else "Training loss"
            msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what, est.tol, est.n_iter_no_change)
            state.learning_rate, stop, note = self.rule.on_plateau(state.learning_rate)
            self.events.say(msg + note)
            if stop:
                return True
            state.no_improvement_count = 0
        if self.events.stop_requested():  # Ctrl-C or a callback
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
        self.state.sample_order = done.sample_order
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
        no_outputs = np.empty((0, 0), dtype=self.theta.dtype)
        work = self.work.works[0] if self.n_threads > 1 else self.work
        loss = train_epoch(self.data, rows, rows.shape[0], self.net, self.theta, hyper,
                           EVALUATE, no_outputs, new_counters(), work)
        if not np.isfinite(loss):
            raise est._diverged(
                "the network's outputs became non-finite after the last update",
                est.n_iter_)


def _derived_seed(seed, t):
    """A 64-bit generator state for thread ``t`` from thread 0's ``seed``.

    One SplitMix64 output for the input ``seed + t``: streams that start from
    unrelated points of the 2**64-long sequence. Never zero (zero marks an
    unseeded slot). Returned as the int64 the counters array holds.
    """
    mask = (1 << 64) - 1
    z = (seed + t * 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    z ^= z >> 31
    z = z or 1
    return z - (1 << 64) if z >= 1 << 63 else z


def _validation_split(n_rows, random_state, validation_fraction, stratify,
                      fallback=True):
    """Training and validation row indices for early stopping.

    Stratified on ``stratify`` when it is given and stratifying is possible.
    When it is not (a class with a single sample, or fewer validation or
    training rows than classes: small CV folds, the first rounds of a halving
    search) and ``fallback`` is set (where scikit-learn's MLP would not have
    stratified: multiclass targets), the split is scikit-learn's plain one, so
    skmlp trains wherever scikit-learn's MLP trains. scikit-learn checks those
    conditions before it draws a number, so the failed attempt leaves
    ``random_state`` untouched and the plain split is the one scikit-learn's
    MLP makes. Without ``fallback`` (binary targets, which scikit-learn
    stratifies too) its error is raised, as scikit-learn's MLP raises it.
    """
    rows = np.arange(n_rows)
    if stratify is not None:
        try:
            return train_test_split(rows, random_state=random_state,
                                    test_size=validation_fraction, stratify=stratify)
        except ValueError:
            if not fallback:
                raise
    return train_test_split(rows, random_state=random_state,
                            test_size=validation_fraction)


def _shuffle(idx, random_state):
    """``sklearn.utils.shuffle`` of an index array: the same draws, no copy of X."""
    perm = np.arange(idx.shape[0])
    random_state.shuffle(perm)
    return idx[perm]
