"""The solver state: what a fit leaves for the next one, in one object.

A fitted estimator's public attributes (``coefs_``, ``loss_curve_``, ``t_``,
...) are scikit-learn's; everything else a driver needs to continue training
(the optimizer's moments and counters, the current learning rate, the
schedule's running state, the best weights seen, the sample order that
``partial_fit`` keeps shuffling, the patience count) lives in one
:class:`SolverState`, kept by the estimator as ``_solver_state``. The drivers
(:mod:`skmlp._stochastic`, :mod:`skmlp._lbfgs`) take it and the validated
parameters and update it, as HistGradientBoosting's grower takes explicit
inputs and returns its results: no driver reaches into the estimator's
private attributes.

Persistence: the object is pickled as a plain dict of NumPy arrays and Python
values (:func:`to_plain`), so a skops file still names no type but skmlp's
estimator for the user to trust, and NumPy/builtins otherwise. Models saved
before the state had its own object (skmlp 0.1.0: ``_moments``,
``_counters``, ... as separate attributes) are converted when loaded
(:func:`from_legacy_attributes`).
"""

import numpy as np

from ._specs import OPTIMIZERS

# Attribute names of skmlp 0.1.0's fitted estimators -> field of SolverState.
LEGACY_ATTRIBUTES = {
    "_moments": "moments",
    "_counters": "counters",
    "_learning_rate": "learning_rate",
    "_schedule_state": "schedule_state",
    "_best_theta": "best_theta",
    "_sample_order": "sample_order",
    "_no_improvement_count": "no_improvement_count",
}

# Fields that are pickled (theta is not: coefs_ and intercepts_ carry the
# weights, and loading makes them views of one vector again).
_PERSISTED = tuple(LEGACY_ATTRIBUTES.values())


class SolverState:
    """The training state a fit carries over to the next call.

    Parameters
    ----------
    theta : ndarray of shape (n_params,) or None
        The packed weights the driver trains in place; the fitted ``coefs_``
        and ``intercepts_`` are views of it. Set from ``coefs_`` at the start
        of every fit, so weights replaced by hand are respected.
    moments : ndarray of shape (n_slots, n_params) or None
        The optimizer's per-parameter state (Adam: first and second moments;
        SGD: the velocity and an unused row). The number of rows is the
        optimizer's; None until a stochastic solver has run.
    counters : ndarray of int64 or None
        The engine's counters: Adam's step count, then one dropout-generator
        state per thread (see :func:`skmlp._epoch.new_counters`).
    learning_rate : float or None
        The learning rate of the next epoch (schedules move it).
    schedule_state : dict or None
        The running state of a learning-rate schedule (plain values).
    best_theta : ndarray of shape (n_params,) or None
        The weights of the best validation score (early stopping).
    sample_order : ndarray of int64 or None
        The last epoch's order of the training rows; ``partial_fit`` shuffles
        it again, as scikit-learn does.
    no_improvement_count : int
        Epochs since the monitored value last improved by more than ``tol``.
    """

    __slots__ = ("theta", *_PERSISTED)

    def __init__(self, theta=None, moments=None, counters=None, learning_rate=None,
                 schedule_state=None, best_theta=None, sample_order=None,
                 no_improvement_count=0):
        self.theta = theta
        self.moments = moments
        self.counters = counters
        self.learning_rate = learning_rate
        self.schedule_state = schedule_state
        self.best_theta = best_theta
        self.sample_order = sample_order
        self.no_improvement_count = no_improvement_count

    def optimizer_fits(self, n_slots, theta):
        """Whether the optimizer state matches ``theta`` (size and dtype).

        State that does not fit (weights replaced by hand with another
        network, a solver switched) would make the kernels write past its
        end: the caller starts it anew.
        """
        m = self.moments
        return (m is not None and m.shape == (n_slots, theta.shape[0])
                and m.dtype == theta.dtype)

    def fit_optimizer_rows(self, solver):
        """Keep the rows of ``moments`` that ``solver``'s optimizer uses.

        skmlp 0.1.0 kept a (2, n_params) array for every optimizer, SGD's
        second row unused; the optimizer table (``_specs.OPTIMIZERS``) gives
        each its own number of rows.
        """
        spec = OPTIMIZERS.get(solver)
        m = self.moments
        if spec is not None and m is not None and m.ndim == 2 and m.shape[0] > spec.state_rows:
            self.moments = np.array(m[: spec.state_rows])

    def reset_optimizer(self, n_slots, theta, learning_rate, counters):
        """Fresh optimizer state for ``theta``: zero moments, new counters."""
        self.moments = np.zeros((n_slots, theta.shape[0]), dtype=theta.dtype)
        self.counters = counters
        self.learning_rate = float(learning_rate)
        self.schedule_state = None

    def own_arrays(self):
        """Replace read-only arrays (a memory-mapped model) by writable copies."""
        for name in self.__slots__:
            value = getattr(self, name)
            if isinstance(value, np.ndarray) and not value.flags.writeable:
                setattr(self, name, np.array(value))

    def __getstate__(self):
        return to_plain(self)

    def __setstate__(self, plain):
        self.theta = None
        for name in _PERSISTED:
            setattr(self, name, plain.get(name, 0 if name == "no_improvement_count"
                                          else None))

    def __repr__(self):
        shape = None if self.moments is None else self.moments.shape
        return (f"SolverState(moments={shape}, learning_rate={self.learning_rate}, "
                f"no_improvement_count={self.no_improvement_count})")


def to_plain(state):
    """The persisted fields as a dict of arrays and Python values."""
    return {name: getattr(state, name) for name in _PERSISTED}


def from_plain(plain):
    """A :class:`SolverState` from :func:`to_plain`'s dict."""
    state = SolverState.__new__(SolverState)
    state.__setstate__(plain)
    return state


def from_legacy_attributes(attributes):
    """Move skmlp 0.1.0's private attributes out of ``attributes`` into a state.

    ``attributes`` (an estimator's pickled ``__dict__``) loses the legacy
    keys. Returns None when it has none of them (an unfitted estimator).
    """
    found = {field: attributes.pop(name) for name, field in LEGACY_ATTRIBUTES.items()
             if name in attributes}
    if not found:
        return None
    return from_plain(found)
