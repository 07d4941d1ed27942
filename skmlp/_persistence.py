"""The skmlp version recorded in every pickled estimator, checked on loading.

scikit-learn's ``BaseEstimator.__getstate__`` records ``_sklearn_version`` only
for classes whose module starts with ``sklearn.``; this mixin does the same for
skmlp so that a model saved by one skmlp version and loaded by another warns
(:class:`skmlp.exceptions.InconsistentVersionWarning`). pickle, joblib,
``copy.deepcopy`` and ``skops.io`` all go through ``__getstate__`` /
``__setstate__``, so they all carry the version.
"""

import warnings

from .exceptions import InconsistentVersionWarning

_VERSION_KEY = "_skmlp_version"
# Pickles made before skmlp recorded its version carry no key.
_UNKNOWN = "unknown"


def _current_version():
    # Imported late: skmlp/__init__.py imports the estimators (and so this
    # module) before it defines __version__.
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
        super().__setstate__(state)
