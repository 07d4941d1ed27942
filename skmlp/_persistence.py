"""The skmlp version recorded in every pickled estimator, checked on loading.

scikit-learn's ``BaseEstimator.__getstate__`` records ``_sklearn_version`` only
for classes whose module starts with ``sklearn.``; this mixin does the same for
skmlp so that a model saved by one skmlp version and loaded by another warns
(:class:`skmlp.exceptions.InconsistentVersionWarning`). pickle, joblib,
``copy.deepcopy`` and ``skops.io`` all go through ``__getstate__`` /
``__setstate__``, so they all carry the version.

``__setstate__`` also gives a parameter added since the model was saved its
default value. The same two methods keep the solver state portable: it is saved as a plain
dict (see :mod:`skmlp._solver_state`), and a model saved by skmlp 0.1.0, whose
solver state was a set of private attributes, is converted on loading.
"""

import inspect
import warnings

import numpy as np

from . import _network, _solver_state
from .exceptions import InconsistentVersionWarning

_VERSION_KEY = "_skmlp_version"
# Pickles made before skmlp recorded its version carry no key.
_UNKNOWN = "unknown"


def _current_version():
    # Read when a model is saved, not at import: skmlp/__init__.py assigns
    # __version__ before it imports the estimators (and so this module), but
    # reading it here does not depend on that order.
    from . import __version__

    return __version__


class VersionedStateMixin:
    """Record the skmlp version in the pickled state and warn on a mismatch.

    Place it before the estimator base class so that its ``__getstate__`` wraps
    scikit-learn's (which adds nothing for classes outside ``sklearn.``).
    """

    def __getstate__(self):
        state = super().__getstate__()
        # scikit-learn's __getstate__ returns a copy of __dict__, so adding a
        # key does not touch the live estimator.
        state = dict(state)
        state[_VERSION_KEY] = _current_version()
        solver = state.get("_solver_state")
        if isinstance(solver, _solver_state.SolverState):
            # A dict of arrays and plain values: no skmlp type for skops to
            # ask the user to trust, besides the estimator's own class.
            state["_solver_state"] = _solver_state.to_plain(solver)
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved = state.pop(_VERSION_KEY, _UNKNOWN)
        current = _current_version()
        if saved != current:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_skmlp_version=current,
                    original_skmlp_version=saved,
                ),
                stacklevel=2,
            )
        # A parameter added after the model was saved takes its default, which
        # keeps the saved model's behaviour (new parameters default to it).
        for name, default in _parameter_defaults(type(self)).items():
            state.setdefault(name, default)
        solver = state.get("_solver_state")
        if isinstance(solver, dict):
            state["_solver_state"] = _solver_state.from_plain(solver)
        elif solver is None:
            legacy = _solver_state.from_legacy_attributes(state)
            if legacy is not None:
                legacy.fit_optimizer_rows(state.get("solver"))
                state["_solver_state"] = legacy
        super().__setstate__(state)
        theta = _repack(self)
        solver = self.__dict__.get("_solver_state")
        if theta is not None and isinstance(solver, _solver_state.SolverState):
            solver.theta = theta


def _parameter_defaults(cls):
    """Constructor parameters of ``cls`` with their default values."""
    return {
        name: p.default
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _repack(est):
    """Make the loaded ``coefs_`` / ``intercepts_`` views of one packed vector again.

    Pickling stores each array separately; after a fit they are views of the
    vector the engine trains, which predict then uses without copying (see
    ``skmlp._predict``). Hand-made or inconsistent arrays are left alone.
    Returns the packed vector, or None when nothing was repacked.
    """
    coefs = est.__dict__.get("coefs_")
    intercepts = est.__dict__.get("intercepts_")
    try:
        _network.check_fitted_weights(coefs, intercepts,
                                      est.__dict__.get("n_features_in_"),
                                      coefs[-1].shape[1])
        dtype = coefs[0].dtype
        if dtype not in (np.float32, np.float64) or any(
                a.dtype != dtype for a in (*coefs, *intercepts)):
            return None
    except Exception:  # not fitted, or not a network: nothing to repack
        return None
    bn = est._fitted_bn()
    if bn is not None and any(a.dtype != dtype for a in _network.bn_order(bn)):
        return None
    theta = _network.pack(coefs, intercepts, dtype, bn)
    est._unpack(theta, _network.fitted_units(coefs))
    return theta
