"""The ``scoring`` parameter: what a stochastic fit records as its validation score.

As HistGradientBoosting's ``scoring``: None keeps the estimator's own score
(accuracy, R^2), ``"loss"`` records the negative validation loss, and a
scorer name or a callable ``scorer(estimator, X, y)`` records that score. The
score drives ``n_iter_no_change`` under early stopping and picks the best
weights restored at the end.

A scorer calls ``predict`` (or ``predict_proba``) on the estimator. Mid-fit,
it is handed a :class:`ValidationView` instead: for the validation rows it
answers from the outputs the epoch's validation pass computed already (the
same chunked forward pass a ``predict`` call makes, so the same numbers), so
scoring costs no second forward pass; any other input goes to the estimator,
whose ``coefs_`` are views of the weights being trained.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, get_scorer, get_scorer_names, r2_score

#: What ``scoring`` accepts as a string: "loss" and scikit-learn's scorer names.
SCORING_NAMES = frozenset(get_scorer_names()) | {"loss"}

_RESPONSES = ("predict", "predict_proba", "predict_log_proba")


def validation_scorer(est):
    """``score(raw, loss, X, y, sample_weight)`` for ``est.scoring``.

    ``raw``: the validation pass's output activations; ``loss``: its mean
    loss; ``X``, ``y``, ``sample_weight``: the validation rows as a scorer
    takes them. Non-finite outputs score NaN (as the default score does).
    """
    scoring = est.scoring
    if scoring is None:
        def score(raw, loss, X, y, sample_weight):
            return est._score_raw(raw, y, sample_weight)
        return score
    if isinstance(scoring, str) and scoring == "loss":
        def score(raw, loss, X, y, sample_weight):
            return -loss
        return score
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring

    def score(raw, loss, X, y, sample_weight):
        if not np.isfinite(raw).all():
            return np.nan
        y = _scorer_target(est, y)
        view = ValidationView(est, X, raw)
        if sample_weight is None:
            return float(scorer(view, X, y))
        return float(scorer(view, X, y, sample_weight=sample_weight))

    return score


def needs_rows(est):
    """Whether the scorer needs the validation rows of X (a scorer, not None/"loss")."""
    return est.scoring is not None and not (
        isinstance(est.scoring, str) and est.scoring == "loss")


def _scorer_target(est, y):
    # Regression targets travel as (n, n_outputs); a scorer takes a 1-D y for
    # one output, as fit did.
    if not is_classifier(est) and y.ndim == 2 and y.shape[1] == 1:
        return y.ravel()
    return y


class ValidationView:
    """The estimator as a scorer sees it during a fit.

    ``predict``, ``predict_proba`` and ``predict_log_proba`` of the
    validation rows ``X`` (the very object the scorer was given) come from
    the validation pass's outputs ``raw``; of anything else, from the
    estimator. Every other attribute is the estimator's.
    """

    def __init__(self, est, X, raw):
        self._est = est
        self._X = X
        self._raw = raw

    def __getattr__(self, name):
        est = self.__dict__["_est"]
        if name in _RESPONSES and hasattr(est, name):
            def response(X):
                return self._response(name, X)
            # scikit-learn's scorers look the method up again by its name
            response.__name__ = response.__qualname__ = name
            return response
        if name == "score":
            return self._score
        return getattr(est, name)

    def _response(self, method, X):
        if X is self._X:
            # a copy each time: predict_log_proba, or a user's scorer, may
            # write into the array it gets
            return self._est._response_from_output(method, self._raw.copy())
        return getattr(self._est, method)(X)

    def _score(self, X, y, sample_weight=None):
        """The estimator's own ``score`` (accuracy or R^2) from these predictions."""
        metric = accuracy_score if is_classifier(self._est) else r2_score
        return metric(y, self._response("predict", X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        return self._est.__sklearn_tags__()

    def __repr__(self):
        return f"ValidationView({self._est!r})"
