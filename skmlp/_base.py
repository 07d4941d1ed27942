"""Shared estimator machinery: parameters, fit / partial_fit, dispatch, predict.

Python owns everything a user sees (validation, randomness, warnings, messages,
fitted attributes); the drivers (:mod:`skmlp._stochastic`, :mod:`skmlp._lbfgs`)
own the loop over epochs or iterations, and the compiled kernels in
:mod:`skmlp._epoch` every per-batch operation.
"""

import copy
import warnings
from abc import ABC, abstractmethod
from contextlib import ExitStack, contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _dask, _data, _network, _predict, _schedules, _scoring, _validation_scale
from ._callbacks import CALLBACK_ATTRIBUTES, CallbackSupport, FitInputs
from ._compile_notice import compile_notice, net_features
from ._epoch import hyper_array, run_epoch
from ._lbfgs import fit_lbfgs
from ._solver_state import SolverState
from ._specs import LOSSES, OPTIMIZERS
from ._stochastic import StochasticTrainer

_STOCHASTIC_SOLVERS = tuple(OPTIMIZERS)

# scikit-learn's sentence, first, so that code matching on its message still works.
SKLEARN_NONFINITE = (
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed."
)
_DIVERGED = (
    SKLEARN_NONFINITE + " Training diverged: {what} at epoch {epoch}. Lower learning_rate_init "
    "(currently {lr}), scale the inputs (for example with "
    "sklearn.preprocessing.StandardScaler) or increase alpha. The estimator was "
    "left as it was before this call (unfitted if it was)."
)


class _Diverged(ValueError):
    """Raised inside a fit when the loss or the weights stop being finite."""


class BaseMultilayerPerceptronNB(CallbackSupport, BaseEstimator, ABC):
    """Base class for skmlp's MLP estimators. Use the derived classes."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(_network.HIDDEN_ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", *OPTIMIZERS})],
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
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "weight_init": [StrOptions(set(_network.WEIGHT_INITS))],
        "learning_rate_schedule": [
            None,
            StrOptions(set(_schedules.SCHEDULE_NAMES)),
            _schedules.Schedule,
        ],
        "n_jobs": [None, Integral],
        "scoring": [None, StrOptions(set(_scoring.SCORING_NAMES)), callable],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "dask_sync_batches": [Interval(Integral, 1, None, closed="left")],
        "batch_norm": ["boolean", list, tuple],
    }
    # Models pickled before the parameter existed have no such attribute;
    # get_params then reads this default (see skmlp._dask_fit).
    dask_sync_batches = 8

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
        dropout,
        weight_init,
        learning_rate_schedule,
        n_jobs,
        scoring=None,
        weight_decay=0.0,
        max_grad_norm=None,
        dask_sync_batches=8,
        batch_norm=False,
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
        self.dropout = dropout
        self.weight_init = weight_init
        self.learning_rate_schedule = learning_rate_schedule
        self.n_jobs = n_jobs
        self.scoring = scoring
        self.weight_decay = weight_decay
        self.max_grad_norm = max_grad_norm
        self.dask_sync_batches = dask_sync_batches
        self.batch_norm = batch_norm

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
        return _network.hidden_sizes(self)

    def _hidden_activations(self, n_hidden):
        return _network.hidden_activations(self, n_hidden)

    def _net(self, training=False):
        """The kernels' :class:`~skmlp._data.Net` for the fitted network.

        Dropout rates only matter (and are only read) when ``training``.
        """
        self._check_fitted_weights()
        units = _network.fitted_units(self.coefs_)
        n_hidden = len(units) - 2
        rates = _network.dropout_rates(self, n_hidden) if training else None
        # Predicting never evaluates the loss: its parameters are only built
        # (from the current, validated parameters) for training.
        loss_par = self._loss_parameters() if training else ()
        # Weight decay, clipping and dropout compile the extended engine;
        # predict asks for the same one as training, so a model compiles one
        # engine, not two.
        extended = (getattr(self, "weight_decay", 0.0) != 0.0
                    or getattr(self, "max_grad_norm", None) is not None
                    or n_hidden > 0 and _network.uses_dropout(getattr(self, "dropout", 0.0)))
        return _network.net_arrays(units, self._hidden_activations(n_hidden),
                                   self.out_activation_, rates, self._loss_name(),
                                   loss_par, bn=self._fitted_bn_flags(),
                                   extended=extended)

    def _fitted_bn(self):
        """``(scales, offsets, means, vars)`` of a batch-normalised fit, else None."""
        if "batch_norm_scales_" not in self.__dict__:
            return None
        return tuple(getattr(self, name) for name in _network.BN_ATTRIBUTES)

    def _fitted_bn_flags(self):
        """One flag per fitted hidden layer: batch-normalised or not."""
        bn = self._fitted_bn()
        if bn is None:
            return [False] * (len(self.coefs_) - 1)
        return [s is not None for s in bn[0]]

    def _loss_name(self):
        """The row of ``_specs.LOSSES`` this model trains with."""
        return _network.CANONICAL_LOSS[self.out_activation_]

    def _loss_parameters(self):
        """The loss's float parameters (``Net.loss_par``); none by default."""
        return ()

    def _check_fitted_weights(self):
        _network.check_fitted_weights(self.coefs_, self.intercepts_,
                                      getattr(self, "n_features_in_", None),
                                      self.n_outputs_)

    def _pack(self, dtype):
        return _network.pack(self.coefs_, self.intercepts_, dtype, self._fitted_bn())

    def _unpack(self, theta, units):
        """Point ``coefs_`` and ``intercepts_`` (and batch normalisation's
        arrays) at views of ``theta``."""
        flags = self._fitted_bn_flags()
        self.coefs_, self.intercepts_ = _network.unpack(theta, units)
        if any(flags):
            for name, arrays in zip(_network.BN_ATTRIBUTES,
                                    _network.unpack_bn(theta, units, flags)):
                setattr(self, name, arrays)

    def _initialize(self, y, layer_units, dtype):
        """Set fitted attributes and draw initial weights, as scikit-learn does."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._output_activation()
        hidden = self._hidden_activations(len(layer_units) - 2)
        if not hidden and isinstance(self.activation, str):
            hidden = [self.activation]  # no hidden layer: scikit-learn's factor rule
        self.coefs_, self.intercepts_ = _network.initial_weights(
            self.weight_init, self._random_state, layer_units, hidden, dtype)
        flags = _network.batch_norm_flags(self, len(layer_units) - 2)
        for name, arrays in zip(_network.BN_ATTRIBUTES,
                                _network.initial_bn(layer_units[1:-1], flags, dtype)):
            if any(flags):
                setattr(self, name, arrays)
            else:
                self.__dict__.pop(name, None)  # a refit without batch normalisation
        # A new fit starts from a fresh solver state (a warm start keeps it).
        self._solver_state = SolverState(best_theta=self._pack(dtype).copy())
        if self.solver in _STOCHASTIC_SOLVERS:
            self._init_stochastic_state()

    def _init_stochastic_state(self):
        self.loss_curve_ = []
        self.validation_loss_curve_ = None
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
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None,
            sample_weight_val=None):
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

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            Validation data (stochastic solvers). With ``early_stopping=True``
            it replaces the internal split (all of X is trained on); without,
            it is only monitored (``validation_scores_``,
            ``validation_loss_curve_``). In a :class:`~sklearn.pipeline.Pipeline`,
            pass ``transform_input=["X_val"]`` (metadata routing enabled) so
            that the preceding steps transform it.

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``.

        sample_weight_val : array-like of shape (n_val,), default=None
            Sample weights of ``X_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together (or neither).")
        if sample_weight_val is not None and X_val is None:
            raise ValueError("sample_weight_val needs X_val and y_val.")
        val = None if X_val is None else (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight=sample_weight, incremental=False, val=val)

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
        The callback machinery's attributes are live objects shared with the
        user and scikit-learn's teardown: they are neither copied nor restored.
        """
        snapshot = copy.deepcopy(
            {k: v for k, v in self.__dict__.items() if k not in CALLBACK_ATTRIBUTES})
        try:
            yield
        except BaseException:
            live = {k: v for k, v in self.__dict__.items() if k in CALLBACK_ATTRIBUTES}
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            self.__dict__.update(live)
            raise

    def _fit(self, X, y, sample_weight=None, incremental=False, val=None):
        with self._restore_on_error():
            return self._fit_unsafe(X, y, sample_weight, incremental, val)

    def _check_training_params(self, n_hidden, incremental, val):
        """Check what the declarative constraints cannot, before any work."""
        self._hidden_activations(n_hidden)
        rates = _network.dropout_rates(self, n_hidden)
        bn = _network.batch_norm_flags(self, n_hidden)
        if self.solver == "lbfgs" and any(bn):
            raise ValueError(
                "batch_norm needs a stochastic solver: it normalises each minibatch "
                "with that batch's statistics, and L-BFGS has no minibatches. Use "
                "solver='adam' or 'sgd', or batch_norm=False."
            )
        if self.solver == "lbfgs":
            if any(rates):
                raise ValueError(
                    "dropout needs a stochastic solver: L-BFGS needs a deterministic "
                    "objective. Use solver='adam' or 'sgd', or dropout=0."
                )
            if val is not None:
                raise ValueError(
                    "X_val needs a stochastic solver (there are no epochs to "
                    "validate with solver='lbfgs'). Use solver='adam' or 'sgd'."
                )
            if self.weight_decay != 0:
                raise ValueError(
                    "weight_decay is decoupled decay for the stochastic solvers: "
                    "solver='lbfgs' minimises the loss itself, whose L2 penalty is "
                    "alpha. Use alpha with lbfgs, or solver='adam' or 'sgd'."
                )
            if self.max_grad_norm is not None:
                raise ValueError(
                    "max_grad_norm clips minibatch steps: solver='lbfgs' takes "
                    "line-search steps on the full gradient. Use max_grad_norm=None "
                    "with lbfgs, or solver='adam' or 'sgd'."
                )
        _schedules.check_schedule(self)
        if self.n_jobs == 0:
            raise ValueError(
                "n_jobs=0 has no meaning: use None or 1 for one thread, a positive "
                "number of threads, or -1 for all cores."
            )

    def _fit_unsafe(self, X, y, sample_weight, incremental, val=None):
        inputs = FitInputs(X, y, sample_weight)  # the user's objects, for callbacks
        if _dask.is_dask_collection(X):
            if any(_network.batch_norm_flags(self, len(self._hidden_sizes()))):
                # Model averaging across blocks would average running statistics
                # of different data, and lbfgs has no minibatches: not (yet).
                raise ValueError(
                    "batch_norm is not available for fit on Dask collections. "
                    "Fit on NumPy arrays (or a sample of the data), or use "
                    "batch_norm=False."
                )
            # Trained where the data is (imports Dask only now).
            from ._dask_fit import fit_on_cluster

            return fit_on_cluster(self, X, y, sample_weight, incremental, val, inputs)
        hidden = self._hidden_sizes()
        self._check_training_params(len(hidden), incremental, val)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        sample_weight = self._training_weights(X, Y, sample_weight, incremental)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]

        if first_pass:
            dtype = X.dtype
        else:
            self._own_fitted_state()
            self._check_fitted_weights()
            dtype = self.coefs_[0].dtype
            _network.check_same_structure(_network.fitted_units(self.coefs_),
                                          layer_units)
            if self._fitted_bn_flags() != _network.batch_norm_flags(self, len(hidden)):
                raise ValueError(
                    "warm_start and partial_fit continue the fitted network, whose "
                    f"batch normalisation per hidden layer is {self._fitted_bn_flags()}"
                    f"; batch_norm={self.batch_norm!r} asks for another. Set "
                    "warm_start=False (or refit) to train a new network."
                )

        # A new stream on every fit, so repeated fits are identical; partial_fit
        # continues the stream of the previous call, so that k calls visit the
        # data in the same order as fit(max_iter=k).
        if not (incremental and not first_pass and hasattr(self, "_random_state")):
            self._random_state = check_random_state(self.random_state)

        if first_pass:
            self._initialize(Y, layer_units, dtype)
        self.n_outputs_ = Y.shape[1]

        state = self.__dict__.get("_solver_state")
        if state is None:  # weights set by hand, or from_sklearn of an lbfgs fit
            state = self._solver_state = SolverState()
        # A new C-contiguous vector the fit owns, from coefs_ and intercepts_
        # (which may have been replaced by hand since the last fit).
        state.theta = theta = self._pack(dtype)
        self._unpack(theta, layer_units)
        data = _data.kernel_data(X, Y, sample_weight, dtype)
        net = self._net(training=True)
        if val is not None:
            val = self._validation_data(*val, dtype, X)

        if self.solver in _STOCHASTIC_SOLVERS:
            trainer = StochasticTrainer(self, state, data, net, Y, sample_weight,
                                        incremental, val, X=X)
            with _fit_notices(dtype, net, data, val, trainer.n_threads > 1):
                trainer.run(inputs)
        else:
            with _fit_notices(dtype, net, data, val, False):
                fit_lbfgs(self, data, theta, net, inputs)
        return self

    def _own_fitted_state(self):
        """Replace read-only arrays of the fitted state by writable copies.

        A model loaded with ``joblib.load(..., mmap_mode="r")``, or handed to a
        joblib worker as a memory map (arrays over 1 MB), holds read-only
        optimizer state; the kernels update it in place. Copying here, before
        any kernel runs, lets such a model keep training on the first call
        (scikit-learn's MLP fails there: "output array is read-only").
        """
        for name, value in list(self.__dict__.items()):
            if isinstance(value, np.ndarray) and not value.flags.writeable:
                self.__dict__[name] = np.array(value)
        state = self.__dict__.get("_solver_state")
        if state is not None:
            state.own_arrays()

    def _training_weights(self, X, Y, sample_weight, incremental, validation=False):
        """Validated sample weights (None for uniform), class weights multiplied in."""
        if sample_weight is not None:
            sample_weight = _check_weights(sample_weight, X)
        class_w = self._class_sample_weight(Y, incremental, validation)
        if class_w is not None:
            class_w = class_w.astype(X.dtype)
            sample_weight = class_w if sample_weight is None else sample_weight * class_w
            sample_weight = _check_weights(sample_weight, X)
        return sample_weight

    def _class_sample_weight(self, Y, incremental, validation=False):
        """Per-sample weights from ``class_weight`` (classifiers), or None."""
        return None

    def _validation_data(self, X_val, y_val, sample_weight_val, dtype, X):
        """``(KernelData, y_true, sample_weight, X_val)`` for validation data given to fit.

        Warns when ``X_val`` does not look preprocessed like the training ``X``
        (see :mod:`skmlp._validation_scale`).
        """
        X_val = validate_data(self, X_val, accept_sparse=["csr", "csc"], reset=False,
                              dtype=(np.float64, np.float32))
        _validation_scale.warn_if_untransformed(X, X_val, stacklevel=4)
        Y_val = self._encode_targets(y_val)
        if Y_val.ndim == 1:
            Y_val = Y_val.reshape(-1, 1)
        if Y_val.shape[0] != X_val.shape[0]:
            raise ValueError(
                f"X_val has {X_val.shape[0]} samples but y_val has {Y_val.shape[0]}."
            )
        if Y_val.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y_val has {Y_val.shape[1]} output(s) where y has {self.n_outputs_}."
            )
        sw = self._training_weights(X_val, Y_val, sample_weight_val, False,
                                    validation=True)
        data = _data.kernel_data(X_val, Y_val, sw, dtype)
        return data, self._validation_target(Y_val), sw, X_val

    def _hyper(self, dtype, learning_rate):
        # scikit-learn reports the squared error averaged over outputs.
        mean = LOSSES[self._loss_name()].mean_over_outputs
        out_scale = 1.0 / self.n_outputs_ if mean else 1.0
        return hyper_array(
            dtype, learning_rate=learning_rate, momentum=self.momentum,
            nesterov=self.nesterovs_momentum, beta_1=self.beta_1, beta_2=self.beta_2,
            epsilon=self.epsilon, alpha=self.alpha, out_scale=out_scale,
            weight_decay=self.weight_decay, max_grad_norm=self.max_grad_norm)

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is "
                "going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _diverged(self, what, epoch):
        return _Diverged(
            _DIVERGED.format(what=what, epoch=epoch, lr=self.learning_rate_init)
        )

    def _validation_target(self, Y_val):
        return Y_val

    def _stratify_labels(self, Y):
        """Labels to stratify the early-stopping split on (None: no stratification)."""
        return None

    # ---------------------------------------------------------------- predict
    def _require_fitted(self):
        """NotFittedError unless fitted; one attribute lookup when fitted."""
        if "coefs_" not in self.__dict__:
            check_is_fitted(self)  # raises scikit-learn's NotFittedError

    def _forward_pass_fast(self, X, check_input=True):
        """Output-layer activations for X (validated unless ``check_input``)."""
        return _predict.forward_pass(self, X, check_input)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _fit_notices(dtype, net, data, val, split):
    """The compile notices of a fit: one per engine variant it may run.

    Training's engine; with split batches (``n_jobs > 1``: an engine of its
    own, see ``_data.Team``) also the one-thread engine, which checks the
    final outputs and evaluates validation data; and the engine of
    validation data that is sparse where X is dense (or the reverse).
    """
    stack = ExitStack()
    sparse = not data.dense
    stack.enter_context(compile_notice(run_epoch, dtype, split=split,
                                       features=net_features(net, sparse)))
    if split:
        stack.enter_context(compile_notice(run_epoch, dtype,
                                           features=net_features(net, sparse)))
    if val is not None and val[0].dense == sparse:
        stack.enter_context(compile_notice(run_epoch, dtype,
                                           features=net_features(net, not sparse)))
    return stack


def _check_weights(sample_weight, X):
    """Sample weights as floats: finite, non-negative, not all zero."""
    sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
    if np.any(sample_weight < 0):
        raise ValueError(
            "Negative values in sample_weight are not allowed: they make the loss "
            "unbounded below. Use zero to ignore a sample."
        )
    if not np.any(sample_weight > 0):
        # scikit-learn's words (its _check_sample_weight says this from 1.9 on;
        # older releases let the all-zero weights through), on every release
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight
