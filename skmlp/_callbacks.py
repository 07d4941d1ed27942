"""One event point for a fit: ``verbose`` lines, scikit-learn callbacks, stop requests.

The drivers (:mod:`skmlp._stochastic`, :mod:`skmlp._lbfgs`) report what happens
through an :class:`Events` object and ask it whether to stop; they never print,
look at signals or talk to callbacks themselves. Stop requests (Ctrl-C, or a
callback returning True) are only honoured between epochs (or L-BFGS
iterations), so the model is always consistent when training ends early.

Callbacks follow :mod:`sklearn.callback` (scikit-learn 1.9+, experimental
there). The task tree of one fit is a root task (``"fit"``, or
``"partial_fit"``) with one leaf task per epoch (``"epoch"``) or per L-BFGS
iteration (``"iteration"``). On a scikit-learn without :mod:`sklearn.callback`
skmlp imports and fits as before; only :meth:`CallbackSupport.set_callbacks`
refuses, with an error that says what to upgrade.
"""

import warnings
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import sklearn

from . import _network
from ._interrupt import graceful_interrupt

try:
    from sklearn.callback import CallbackSupportMixin as _SklearnCallbackSupport
except ImportError:  # scikit-learn < 1.9: no callbacks, everything else works
    _SklearnCallbackSupport = object
    HAS_SKLEARN_CALLBACKS = False
else:
    HAS_SKLEARN_CALLBACKS = True

# What the callback machinery keeps on an estimator. They hold live objects (the
# user's callbacks, the context tree of an enclosing meta-estimator, the list of
# callbacks to tear down), so a fit that rolls back must neither deep-copy them
# (a copy of a ScoringMonitor opens a new socket and logs where the user never
# looks) nor restore them (teardown would be skipped, leaving ProgressBar's
# non-daemon thread running).
CALLBACK_ATTRIBUTES = (
    "_skl_callbacks",
    "_skl_callbacks_to_teardown",
    "_callback_fit_ctx",
    "_parent_callback_ctx",
)

# Per-epoch fitted attributes that are lists appended to in place: a snapshot
# given to callbacks copies them, so that it does not grow with later epochs.
_CURVES = ("loss_curve_", "validation_scores_", "validation_loss_curve_")

_NO_CALLBACKS = (
    "set_callbacks needs sklearn.callback, which scikit-learn {version} does not "
    "have (it was added in scikit-learn 1.9). Upgrade with "
    'pip install "scikit-learn>=1.9", or use verbose=True for progress lines.'
)


class CallbackSupport(_SklearnCallbackSupport):
    """``set_callbacks`` for skmlp's estimators (see :mod:`sklearn.callback`)."""

    def set_callbacks(self, *callbacks):
        """Set the callbacks called during ``fit`` and ``partial_fit``.

        Callbacks follow scikit-learn's :mod:`sklearn.callback` protocol
        (scikit-learn 1.9 or later; experimental there). The root task of a
        fit is ``"fit"`` (``"partial_fit"`` for :meth:`partial_fit`) with one
        ``"epoch"`` subtask per epoch of the stochastic solvers and one
        ``"iteration"`` subtask per L-BFGS iteration.

        - :class:`sklearn.callback.ProgressBar` shows one bar per fit that
          advances per epoch (or L-BFGS iteration). It needs the ``rich``
          package (``pip install "skmlp[progress]"``).
        - :class:`sklearn.callback.ScoringMonitor` scores the model as it is at
          the end of every epoch, and at the end of the fit, on the ``X``,
          ``y`` (and ``sample_weight``) given to ``fit``. With
          ``early_stopping=True`` an epoch's row scores that epoch's weights;
          the final row scores the restored best weights.
        - A callback whose ``on_fit_task_end`` returns True for an epoch task
          ends training after that epoch, as Ctrl-C does: ``n_iter_`` counts
          the epochs run, the best weights are restored under early stopping,
          and no ConvergenceWarning is issued.

        Callbacks set on a meta-estimator (:class:`~sklearn.pipeline.Pipeline`,
        :class:`~sklearn.model_selection.GridSearchCV`) that propagate
        automatically, as ``ProgressBar`` does, reach the skmlp estimators
        inside it; set them on the meta-estimator, not on the inner estimator.

        Parameters
        ----------
        *callbacks : callback instances
            Objects following :class:`sklearn.callback.FitCallback`. No
            argument removes the callbacks.

        Returns
        -------
        self : object
            The estimator, with its callbacks set.

        Raises
        ------
        ImportError
            If the installed scikit-learn has no :mod:`sklearn.callback`
            (before 1.9).

        Notes
        -----
        A ``ProgressBar`` adds a fixed cost per epoch: one message to its
        display thread, measured at 0.03 to 0.4 ms depending on the load of the
        machine, and more from a joblib worker, where each message is a round
        trip to the main process. For small networks, whose epochs take a
        millisecond or less, that can double the fit time; without callbacks
        there is no per-epoch cost. A ``ScoringMonitor`` predicts on the whole
        training set after each epoch.

        The callbacks stay on the fitted estimator (as in scikit-learn):
        ``clone`` passes the same callback objects on, and pickling keeps them.
        Call ``set_callbacks()`` before saving a model to leave them out.
        """
        if not HAS_SKLEARN_CALLBACKS:
            raise ImportError(_NO_CALLBACKS.format(version=sklearn.__version__))
        return super().set_callbacks(*callbacks)


class FitInputs(NamedTuple):
    """The arguments a user gave to ``fit``, unvalidated: what callbacks score on.

    The user's own objects (a DataFrame keeps its column names, ``y`` its
    labels), so that a scorer can call ``predict`` on them as on any input.
    """

    X: Any
    y: Any
    sample_weight: Any = None


class Events:
    """What a driver tells the user and the callbacks, and whether it must stop.

    Parameters
    ----------
    estimator : BaseMultilayerPerceptronNB
        The estimator being fitted.
    interrupted : callable
        Returns True once Ctrl-C was pressed (see :mod:`skmlp._interrupt`).
    context : sklearn.callback.CallbackContext or None
        The fit's root task; None when no callback can be listening.
    inputs : FitInputs or None
        The user's ``fit`` arguments, handed to the callbacks.
    subtask_name : str
        Name of the per-iteration tasks (``"epoch"`` or ``"iteration"``).
    """

    def __init__(self, estimator, interrupted, context=None, inputs=None,
                 subtask_name="epoch"):
        self.estimator = estimator
        self.verbose = estimator.verbose
        self._interrupted = interrupted
        self._warned = False
        self._context = context
        self._task = None  # the iteration task begun and not yet ended
        self._callback_stop = False
        self._subtask_name = subtask_name
        inputs = inputs if inputs is not None else FitInputs(None, None)
        self._data = {
            "X": inputs.X,
            "y": inputs.y,
            # forwarded as keyword arguments to scorers: only sample_weight
            "metadata": (None if inputs.sample_weight is None
                         else {"sample_weight": inputs.sample_weight}),
        }

    def say(self, message):
        """Print ``message`` when verbose."""
        if self.verbose:
            print(message)

    def begin_iteration(self):
        """An epoch (or L-BFGS iteration) starts."""
        if self._context is not None:
            self._task = self._context.subcontext(task_name=self._subtask_name)
            self._task.call_on_fit_task_begin(estimator=self.estimator)

    def iteration(self, n_iter, loss):
        """One finished epoch (or L-BFGS iteration) with its training loss."""
        self.say("Iteration %d, loss = %.8f" % (n_iter, loss))

    def validation(self, score):
        """The validation score of the epoch just reported."""
        self.say("Validation score: %f" % score)

    def end_iteration(self, n_iter, theta):
        """The epoch begun last is recorded completely: tell the callbacks.

        Parameters
        ----------
        n_iter : int
            Epochs (or iterations) of this fit call so far, this one included.
        theta : ndarray of shape (n_params,)
            The packed weights the model has after it. Callbacks that ask for
            a fitted model get one with a copy of them (the driver keeps
            updating ``theta`` in place).
        """
        task, self._task = self._task, None
        if task is None:
            return
        snapshot = self._snapshot(n_iter, theta)
        if task.call_on_fit_task_end(estimator=self.estimator, **self._data,
                                     reconstruction_attributes=snapshot):
            self._callback_stop = True

    def stop_requested(self):
        """Whether training should end after the current epoch.

        True after Ctrl-C (warned about once) or when a callback asked to stop
        at the end of an epoch (no warning: that is the callback's decision).
        """
        if self._interrupted():
            if not self._warned:
                self._warned = True
                warnings.warn("Training interrupted by user.")
            return True
        return self._callback_stop

    # ------------------------------------------------------------ the root task
    def _begin_fit(self):
        if self._context is not None:
            self._context.call_on_fit_task_begin(estimator=self.estimator, **self._data)

    def _end_fit(self):
        if self._context is None:
            return
        if self._task is not None:
            # Begun but never completed (the L-BFGS task opened before a final
            # iteration that did not happen, an epoch that diverged under early
            # stopping): closed without data, so nothing scores it.
            self._task.call_on_fit_task_end(estimator=self.estimator)
            self._task = None
        est = self.estimator
        self._context.call_on_fit_task_end(
            estimator=est, **self._data,
            reconstruction_attributes=self._snapshot(est.n_iter_, None))

    def _snapshot(self, n_iter, theta):
        """A callable giving the attributes that make a copy of the estimator the
        model after ``n_iter`` iterations (evaluated only if a callback asks)."""
        est = self.estimator

        def attributes():
            if theta is None:
                coefs = [c.copy() for c in est.coefs_]
                intercepts = [b.copy() for b in est.intercepts_]
            else:
                own = np.array(theta, dtype=est.coefs_[0].dtype)  # always a copy
                coefs, intercepts = _network.unpack(own, _network.fitted_units(est.coefs_))
            attrs = {"coefs_": coefs, "intercepts_": intercepts, "n_iter_": n_iter}
            bn = est._fitted_bn()
            if bn is not None:  # batch normalisation's arrays, of the same moment
                flags = est._fitted_bn_flags()
                if theta is not None:
                    bn = _network.unpack_bn(own, _network.fitted_units(coefs), flags)
                for name, arrays in zip(_network.BN_ATTRIBUTES, bn):
                    attrs[name] = [None if a is None else a.copy() for a in arrays]
            for name in _CURVES:
                value = getattr(est, name, None)
                if isinstance(value, list):
                    attrs[name] = list(value)
            return attrs

        return attributes


def _root_context(estimator, task_name, max_subtasks):
    """The fit's root callback task, or None when no callback can listen.

    Without callbacks of its own or an enclosing meta-estimator's context,
    nothing is created: a plain fit pays nothing per epoch.
    """
    if not HAS_SKLEARN_CALLBACKS or not (
        hasattr(estimator, "_skl_callbacks") or hasattr(estimator, "_parent_callback_ctx")
    ):
        return None
    return estimator._init_callback_context(task_name=task_name, max_subtasks=max_subtasks)


@contextmanager
def fit_events(estimator, inputs=None, *, task_name="fit", max_subtasks=None,
               subtask_name="epoch"):
    """Yield the :class:`Events` of one fit, with Ctrl-C handling installed.

    Call it after the input is validated (callbacks are set up here, and torn
    down by scikit-learn's ``_fit_context`` around ``fit``). The root task ends
    when the block ends normally, so the block should hold the whole rest of
    the fit (final weights and checks included); a fit that raises ends no task.

    Parameters
    ----------
    estimator : BaseMultilayerPerceptronNB
        The estimator being fitted.
    inputs : FitInputs or None
        The user's ``fit`` arguments, for the callbacks.
    task_name : str
        ``"fit"`` or ``"partial_fit"``.
    max_subtasks : int or None
        Upper bound on the iteration tasks (None: unknown).
    subtask_name : str
        ``"epoch"`` or ``"iteration"``.

    Yields
    ------
    events : Events
        What the driver reports through.
    """
    context = _root_context(estimator, task_name, max_subtasks)
    with graceful_interrupt() as interrupted:
        events = Events(estimator, interrupted, context, inputs, subtask_name)
        events._begin_fit()
        yield events
        events._end_fit()
