"""Shared estimator machinery: parameters, initialisation and the epoch driver.

Python owns everything a user sees (validation, randomness, warnings, messages,
fitted attributes) and the loop over epochs; the compiled kernels in
:mod:`skmlp._epoch` own every per-batch operation.
"""

import copy
import warnings
from abc import ABC, abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _data
from ._epoch import (
    EVALUATE,
    H_ALPHA,
    H_BETA_1,
    H_BETA_2,
    H_CLIP_EPS,
    H_EPSILON,
    H_LR,
    H_MOMENTUM,
    H_NESTEROV,
    H_OUT_SCALE,
    H_TINY,
    N_HYPER,
    loss_gradient,
    predict_rows,
    train_epoch,
)
from ._interrupt import graceful_interrupt
from ._kernels import EXP, IDENTITY, LOGISTIC, RELU, SOFTMAX, TANH
from ._optim import ADAM, SGD
from ._threads import blas_threads_for

ACTIVATION_CODES = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "softmax": SOFTMAX,
    "exp": EXP,
}

_STOCHASTIC_SOLVERS = ("sgd", "adam")

_DIVERGED = (
    "Training diverged: {what} at epoch {epoch}. Lower learning_rate_init "
    "(currently {lr}), scale the inputs (for example with "
    "sklearn.preprocessing.StandardScaler) or increase alpha. The estimator was "
    "left as it was before this call (unfitted if it was)."
)
_DIVERGED_LBFGS = (
    "Training diverged: {what} at L-BFGS iteration {iteration}. Scale the inputs "
    "(for example with sklearn.preprocessing.StandardScaler) and the targets, or "
    "increase alpha. The estimator was left as it was before this call "
    "(unfitted if it was)."
)


class _Diverged(ValueError):
    """Raised inside a fit when the loss or the weights stop being finite."""


class BaseMultilayerPerceptronNB(BaseEstimator, ABC):
    """Base class for skmlp's MLP estimators. Use the derived classes."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
    ):
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Validate X and y; return X and the 2-D float-ready target matrix."""

    @abstractmethod
    def _output_activation(self):
        """Name of the output activation for the current targets."""

    @abstractmethod
    def _score_raw(self, raw, y_true, sample_weight):
        """Early-stopping score (accuracy or R^2) from raw output activations."""

    # -------------------------------------------------------------- structure
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(
            isinstance(s, bool) or not isinstance(s, Integral) or s <= 0 for s in sizes
        ):
            raise InvalidParameterError(
                "The 'hidden_layer_sizes' parameter of "
                f"{type(self).__name__} must be a positive integer or a "
                f"sequence of positive integers. Got {self.hidden_layer_sizes!r} "
                "instead."
            )
        return [int(s) for s in sizes]

    def _net(self):
        """``(units, acts)`` int64 arrays describing the fitted network.

        The kernels trust these sizes, so fitted arrays that were replaced by
        hand (transfer learning, surgery) are checked for consistency first.
        """
        self._check_fitted_weights()
        units = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        hidden = ACTIVATION_CODES[self.activation]
        acts = [hidden] * (len(units) - 2) + [ACTIVATION_CODES[self.out_activation_]]
        return np.asarray(units, dtype=np.int64), np.asarray(acts, dtype=np.int64)

    def _check_fitted_weights(self):
        coefs, intercepts = self.coefs_, self.intercepts_
        expected_in = getattr(self, "n_features_in_", None)
        ok = (
            len(coefs) >= 1
            and len(coefs) == len(intercepts)
            and all(np.ndim(c) == 2 for c in coefs)
            and all(np.ndim(b) == 1 for b in intercepts)
            and all(coefs[i].shape[1] == coefs[i + 1].shape[0]
                    for i in range(len(coefs) - 1))
            and all(b.shape[0] == c.shape[1] for c, b in zip(coefs, intercepts))
            and (expected_in is None or coefs[0].shape[0] == expected_in)
            and coefs[-1].shape[1] == self.n_outputs_
        )
        if not ok:
            shapes = [np.shape(c) for c in coefs]
            raise ValueError(
                "The fitted coefs_ and intercepts_ do not form a network: coefs_ "
                f"shapes {shapes}, intercepts_ shapes "
                f"{[np.shape(b) for b in intercepts]}, n_features_in_="
                f"{expected_in}, n_outputs_={self.n_outputs_}. Each coefs_[i] must "
                "be (units[i], units[i+1]) and intercepts_[i] (units[i+1],)."
            )

    def _pack(self, dtype):
        return np.concatenate(
            [np.ravel(c) for c in self.coefs_] + [np.ravel(b) for b in self.intercepts_]
        ).astype(dtype, copy=False)

    def _unpack(self, theta, units):
        """Point ``coefs_`` and ``intercepts_`` at views of ``theta``."""
        coefs, intercepts = [], []
        w = 0
        b = int(sum(units[i] * units[i + 1] for i in range(len(units) - 1)))
        for n_in, n_out in zip(units[:-1], units[1:]):
            coefs.append(theta[w : w + n_in * n_out].reshape(n_in, n_out))
            intercepts.append(theta[b : b + n_out])
            w += n_in * n_out
            b += n_out
        self.coefs_ = coefs
        self.intercepts_ = intercepts

    def _initialize(self, y, layer_units, dtype):
        """Set fitted attributes and draw initial weights, as scikit-learn does."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        # Glorot uniform, drawn in scikit-learn's order from the same stream, so
        # that with the same seed both libraries start from the same weights.
        factor = 2.0 if self.activation == "logistic" else 6.0
        coefs, intercepts = [], []
        for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(self._random_state.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(self._random_state.uniform(-bound, bound, fan_out))
        self.coefs_ = [c.astype(dtype, copy=False) for c in coefs]
        self.intercepts_ = [b.astype(dtype, copy=False) for b in intercepts]
        self._best_theta = self._pack(dtype).copy()
        if self.solver in _STOCHASTIC_SOLVERS:
            self._init_stochastic_state()

    def _init_stochastic_state(self):
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None

    # -------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (a label-indicator matrix for multilabel) or
            regression targets.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    @contextmanager
    def _restore_on_error(self):
        """Leave the estimator as it was when the block raises.

        A fit that fails (bad input found late, divergence) must not leave a
        half-trained model behind that predicts NaN or garbage silently. The
        snapshot is a deep copy of the fitted state: O(n_parameters) per call.
        """
        snapshot = copy.deepcopy(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise

    def _fit(self, X, y, sample_weight=None, incremental=False):
        with self._restore_on_error():
            return self._fit_unsafe(X, y, sample_weight, incremental)

    def _fit_unsafe(self, X, y, sample_weight, incremental):
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        if sample_weight is not None:
            sample_weight = _check_weights(sample_weight, X)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]

        if first_pass:
            dtype = X.dtype
        else:
            self._check_fitted_weights()
            dtype = self.coefs_[0].dtype
            self._check_warm_structure(layer_units)

        # A new stream on every fit, so repeated fits are identical; partial_fit
        # continues the stream of the previous call, so that k calls visit the
        # data in the same order as fit(max_iter=k).
        if not (incremental and not first_pass and hasattr(self, "_random_state")):
            self._random_state = check_random_state(self.random_state)

        if first_pass:
            self._initialize(Y, layer_units, dtype)
        self.n_outputs_ = Y.shape[1]

        theta = self._pack(dtype)  # a new C-contiguous vector the fit owns
        self._unpack(theta, layer_units)
        data = _data.kernel_data(X, Y, sample_weight, dtype)
        net = self._net()

        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(data, theta, net, Y, sample_weight, incremental)
        else:
            self._fit_lbfgs(data, theta, net)
        return self

    def _check_warm_structure(self, layer_units):
        fitted = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        if list(fitted) != list(layer_units):
            raise ValueError(
                "warm_start and partial_fit need the same network shape as the "
                f"previous fit: layer sizes were {fitted}, now {layer_units}. Set "
                "warm_start=False (or refit) to train a new network."
            )

    def _hyper(self, dtype, learning_rate):
        h = np.zeros(N_HYPER, dtype=np.float64)
        h[H_LR] = learning_rate
        h[H_MOMENTUM] = self.momentum
        h[H_NESTEROV] = float(self.nesterovs_momentum)
        h[H_BETA_1] = self.beta_1
        h[H_BETA_2] = self.beta_2
        h[H_EPSILON] = self.epsilon
        h[H_ALPHA] = self.alpha
        # scikit-learn reports the squared error averaged over outputs.
        h[H_OUT_SCALE] = 1.0 / self.n_outputs_ if self.out_activation_ == "identity" else 1.0
        h[H_CLIP_EPS] = np.finfo(dtype).eps
        h[H_TINY] = np.finfo(dtype).tiny
        return h

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _split_validation(self, Y, sample_weight):
        """Indices of the training and validation rows (scikit-learn's split)."""
        n = Y.shape[0]
        stratify = self._stratify_labels(Y)
        idx_train, idx_val = train_test_split(
            np.arange(n),
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        if idx_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return idx_train.astype(np.int64), idx_val.astype(np.int64)

    def _fit_stochastic(self, data, theta, net, Y, sample_weight, incremental):
        dtype = theta.dtype
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        if not hasattr(self, "loss_curve_"):
            # warm start from an lbfgs fit: the stochastic bookkeeping is new
            self._init_stochastic_state()
        if self.early_stopping and self.validation_scores_ is None:
            # warm start that switches early stopping on
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
        if not incremental or not hasattr(self, "_moments"):
            self._moments = np.zeros((2, theta.shape[0]), dtype=dtype)
            self._adam_t = np.zeros(1, dtype=np.int64)
            self._learning_rate = float(self.learning_rate_init)

        if self.early_stopping:
            idx_train, idx_val = self._split_validation(Y, sample_weight)
            val = (idx_val, self._validation_target(Y[idx_val]),
                   None if sample_weight is None else sample_weight[idx_val])
        else:
            idx_train = np.arange(Y.shape[0], dtype=np.int64)
            val = None

        n_train = idx_train.shape[0]
        batch_size = self._batch_size(n_train)
        work = _data.workspace(net[0], batch_size, dtype, data[3].shape[0] == 0, False)
        opt_code = ADAM if self.solver == "adam" else SGD
        # scikit-learn shuffles the previous epoch's order again (composing
        # permutations); partial_fit on blocks of the same size keeps doing so
        # across calls, so that k calls equal fit(max_iter=k).
        sample_idx = getattr(self, "_sample_order", None)
        if not incremental or sample_idx is None or sample_idx.shape[0] != n_train:
            sample_idx = np.arange(n_train, dtype=np.int64)
        # What Ctrl-C rolls back to: weights and bookkeeping after the last
        # epoch that was recorded completely (assigned in one statement).
        done = (theta.copy(), len(self.loss_curve_), self.t_, sample_idx)
        curve_start = done[1]

        with blas_threads_for(net[0], batch_size), graceful_interrupt() as stop:
            try:
                self.n_iter_ = 0
                for _ in range(self.max_iter):
                    if self.shuffle:
                        # scikit-learn's call: both libraries draw the same orders.
                        sample_idx = _shuffle(sample_idx, self._random_state)
                    order = _data.readonly(np.ascontiguousarray(idx_train[sample_idx]))
                    hyper = self._hyper(dtype, self._learning_rate)
                    loss_sum = train_epoch(data, order, batch_size, net, theta, hyper,
                                           opt_code, self._moments, self._adam_t, work)
                    loss = loss_sum / n_train
                    if not np.isfinite(loss):
                        raise self._diverged(f"the training loss became {loss}",
                                             self.n_iter_ + 1)
                    if not np.isfinite(theta).all():
                        raise self._diverged(
                            "the weights became non-finite (inf or nan)",
                            self.n_iter_ + 1)
                    self.n_iter_ += 1
                    self.loss_ = loss
                    self.t_ += n_train
                    self.loss_curve_.append(loss)
                    self._sample_order = sample_idx
                    done = (theta.copy(), len(self.loss_curve_), self.t_, sample_idx)
                    if self.verbose:
                        print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))

                    self._update_no_improvement_count(val, data, net, theta)
                    if self.learning_rate == "invscaling" and self.solver == "sgd":
                        self._learning_rate = (
                            float(self.learning_rate_init)
                            / (self.t_ + 1) ** self.power_t
                        )

                    if self._no_improvement_count > self.n_iter_no_change:
                        if self.early_stopping:
                            msg = (
                                "Validation score did not improve more than tol=%f "
                                "for %d consecutive epochs."
                                % (self.tol, self.n_iter_no_change)
                            )
                        else:
                            msg = (
                                "Training loss did not improve more than tol=%f for "
                                "%d consecutive epochs."
                                % (self.tol, self.n_iter_no_change)
                            )
                        if self._trigger_stopping(msg):
                            break
                        self._no_improvement_count = 0

                    if stop():
                        warnings.warn("Training interrupted by user.")
                        break
                    if incremental:
                        break
                    if self.n_iter_ == self.max_iter:
                        warnings.warn(
                            "Stochastic Optimizer: Maximum iterations (%d) reached "
                            "and the optimization hasn't converged yet."
                            % self.max_iter,
                            ConvergenceWarning,
                        )
            except KeyboardInterrupt:
                # Only reached when graceful_interrupt could not install its
                # handler (a custom SIGINT handler): the interrupt may land
                # between the kernel's update and the bookkeeping, so roll back
                # to the last completely recorded epoch.
                theta[:] = done[0]
                del self.loss_curve_[done[1]:]
                self.t_ = done[2]
                self._sample_order = done[3]
                self.n_iter_ = done[1] - curve_start
                if self.loss_curve_:
                    self.loss_ = self.loss_curve_[-1]
                warnings.warn("Training interrupted by user.")

        if self.early_stopping:
            theta[:] = self._best_theta
        self._check_final_outputs(data, net, theta,
                                  idx_train[sample_idx[-batch_size:]], work)

    def _check_final_outputs(self, data, net, theta, rows, work):
        """Refuse a fit whose final weights give non-finite outputs.

        The epoch loss is measured before each batch's update, so the last
        update of a fit is never checked by it. One forward pass over the last
        minibatch's rows (1/n_batches of an epoch, through train_epoch's
        evaluate mode, which is already compiled) catches weights that blew up
        there; the fit then raises and the estimator is rolled back.
        """
        rows = _data.readonly(np.ascontiguousarray(rows, dtype=np.int64))
        hyper = self._hyper(theta.dtype, 0.0)
        loss = train_epoch(data, rows, rows.shape[0], net, theta, hyper, EVALUATE,
                           self._moments, self._adam_t, work)
        if not np.isfinite(loss):
            raise self._diverged(
                "the network's outputs became non-finite after the last update",
                self.n_iter_)

    def _diverged(self, what, epoch):
        return _Diverged(
            _DIVERGED.format(what=what, epoch=epoch, lr=self.learning_rate_init)
        )

    def _validation_target(self, Y_val):
        return Y_val

    def _stratify_labels(self, Y):
        """Labels to stratify the early-stopping split on (None: no stratification)."""
        return None

    def _trigger_stopping(self, msg):
        if self.solver != "sgd" or self.learning_rate != "adaptive":
            if self.verbose:
                print(msg + " Stopping.")
            return True
        if self._learning_rate <= 1e-6:
            if self.verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self._learning_rate /= 5.0
        if self.verbose:
            print(msg + " Setting learning rate to %f" % self._learning_rate)
        return False

    def _update_no_improvement_count(self, val, data, net, theta):
        if val is not None:
            idx_val, y_val, sw_val = val
            raw = self._raw_predict(data[:4], net, theta, idx_val)
            score = self._score_raw(raw, y_val, sw_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print("Validation score: %f" % score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_theta = theta.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _fit_lbfgs(self, data, theta, net):
        dtype = theta.dtype
        n = data[4].shape[0]
        chunk = _data.chunk_rows(n, net[0])
        work = _data.workspace(net[0], chunk, dtype, data[3].shape[0] == 0, True)
        hyper = self._hyper(dtype, 0.0)
        out_scale = hyper[H_OUT_SCALE]
        # The objective handed to L-BFGS must be consistent with its gradient, so
        # the data term is not averaged over outputs here (see docs/user_guide.md).
        hyper[H_OUT_SCALE] = 1.0
        grad = work[3]
        n_iter = [0]
        accepted = [theta.astype(np.float64)]

        def fun(x):
            theta[:] = x
            loss = loss_gradient(data, net, theta, hyper, work, chunk)
            return loss, grad.astype(np.float64)

        def callback(intermediate_result):
            n_iter[0] += 1
            accepted[0] = intermediate_result.x.copy()
            if self.verbose:
                print("Iteration %d, loss = %.8f" % (n_iter[0], intermediate_result.fun))
            if stop():
                raise StopIteration  # SciPy ends the minimisation at this iterate

        start = theta.astype(np.float64)
        with blas_threads_for(net[0], chunk), graceful_interrupt() as stop:
            try:
                res = scipy.optimize.minimize(
                    fun,
                    start,
                    method="L-BFGS-B",
                    jac=True,
                    callback=callback,
                    options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                             "gtol": self.tol},
                )
                x = res.x
                interrupted = stop()
                if interrupted:
                    warnings.warn("Training interrupted by user.")
            except KeyboardInterrupt:
                warnings.warn("Training interrupted by user.")
                x = accepted[0]  # the last iterate L-BFGS accepted
                interrupted = True
            theta[:] = x
            hyper[H_OUT_SCALE] = out_scale
            self.loss_ = float(loss_gradient(data, net, theta, hyper, work, chunk))
        if not np.isfinite(self.loss_) or not np.isfinite(theta).all():
            raise _Diverged(_DIVERGED_LBFGS.format(
                what=f"the loss became {self.loss_}", iteration=n_iter[0]))
        self.n_iter_ = n_iter[0] if interrupted else _check_lbfgs_result(
            res, self.max_iter)

    # ---------------------------------------------------------------- predict
    def _raw_predict(self, Xdata, net, theta, rows):
        """Output activations for ``X[rows]`` from the kernel's view of X."""
        units = net[0]
        cap = _data.chunk_rows(rows.shape[0], units)
        dense = Xdata[3].shape[0] == 0
        Xb, A = _data.forward_workspace(units, cap, theta.dtype, dense)
        out = np.empty((rows.shape[0], int(units[-1])), dtype=theta.dtype)
        tiny = float(np.finfo(theta.dtype).tiny)
        # theta stays writable (a fresh packed copy, or the training vector):
        # the one compiled engine is specialised for a writable theta.
        predict_rows(Xdata, _data.readonly(rows), net, theta, tiny, Xb, A, out)
        return out

    def _forward_pass_fast(self, X, check_input=True):
        """Output-layer activations for X (validated unless ``check_input``)."""
        if check_input:
            # "numeric" (as scikit-learn's predict) refuses strings; the kernel
            # view below converts to the model's dtype.
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        dtype = self.coefs_[0].dtype
        theta = self._pack(dtype)
        Xdata = _data.kernel_X(X, dtype)
        n = X.shape[0]
        out = self._raw_predict(Xdata, self._net(), theta, np.arange(n, dtype=np.int64))
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            warnings.warn(
                f"{type(self).__name__} produced non-finite outputs (nan or inf) "
                f"for {int(bad.sum())} of {n} samples: their features are far "
                "outside the range the model can represent. Scale the inputs "
                "as in training (for example with StandardScaler).",
                RuntimeWarning,
                stacklevel=3,
            )
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _check_weights(sample_weight, X):
    """Sample weights as floats: finite, non-negative, not all zero."""
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    if np.any(sample_weight < 0):
        raise ValueError(
            "Negative values in sample_weight are not allowed: they make the loss "
            "unbounded below. Use zero to ignore a sample."
        )
    if not np.any(sample_weight > 0):
        raise ValueError("sample_weight sums to zero: at least one sample must count.")
    return sample_weight


def _shuffle(idx, random_state):
    """``sklearn.utils.shuffle`` of an index array: the same draws, no copy of X."""
    perm = np.arange(idx.shape[0])
    random_state.shuffle(perm)
    return idx[perm]


def _check_lbfgs_result(res, max_iter):
    if res.status != 0:
        msg = res.message.decode("latin1") if isinstance(res.message, bytes) else res.message
        warnings.warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) (status="
            f"{res.status}): {msg}. Increase the number of iterations (max_iter) "
            "or scale the data as shown in "
            "https://scikit-learn.org/stable/modules/preprocessing.html",
            ConvergenceWarning,
            stacklevel=3,
        )
    return min(int(res.nit), max_iter)
