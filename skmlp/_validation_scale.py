"""A cheap check that validation data went through the same preprocessing as X.

``Pipeline.fit(X, y, mlp__X_val=X_val, ...)`` hands the MLP a scaled ``X`` and
the raw ``X_val``: the model then validates, and early-stops, on data of another
scale, and nothing fails. This module compares the two per feature, on at most
:data:`MAX_ROWS` evenly spaced rows of each (no random numbers are drawn, so the
fit's random stream is untouched):

- a feature is *off* when the location (median) of ``X_val`` lies more than
  :data:`MEAN_STDS` times the spread (interquartile range) of ``X`` away from
  X's, or (with at least :data:`MIN_ROWS_FOR_SPREAD` validation rows, so that a
  few rows cannot fake it) when the spreads differ more than
  :data:`SPREAD_RATIO`-fold. Features whose quartiles coincide in ``X``
  (mostly one value: sparse or one-hot columns) use the mean and standard
  deviation instead; so does sparse input;
- the data looks untransformed when at least half of the features that vary in
  ``X`` are off.

Data drawn from one distribution and transformed alike essentially never has
half of its features 3 spreads apart; standardised ``X`` against raw
``X_val`` nearly always does (raw features with large values fail the mean test,
small ones the spread test).
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs import mean_variance_axis

from .exceptions import UntransformedValidationWarning

MAX_ROWS = 2_000
MEAN_STDS = 3.0
SPREAD_RATIO = 10.0
MIN_ROWS_FOR_SPREAD = 20


def _summary(X):
    """Per-feature ``(mean, std, median, iqr)`` of at most :data:`MAX_ROWS` rows.

    The rows are evenly spaced (no random numbers). The quartiles are None for
    sparse X.
    """
    step = -(-X.shape[0] // MAX_ROWS)  # ceil: at most MAX_ROWS rows
    X = X[::step] if step > 1 else X
    if sp.issparse(X):
        mean, var = mean_variance_axis(sp.csr_matrix(X, dtype=np.float64), axis=0)
        return mean, np.sqrt(var), None, None
    X = np.asarray(X, dtype=np.float64)
    q1, med, q3 = np.percentile(X, [25, 50, 75], axis=0)
    return X.mean(axis=0), X.std(axis=0), med, q3 - q1


def off_features(X, X_val):
    """``(n_off, n_varying)``: features of ``X_val`` out of line with ``X``.

    Median and interquartile range where X's quartiles differ (heavy tails
    cannot fake a difference there), mean and standard deviation for the
    features that are mostly one value (sparse or one-hot columns).
    """
    mean, std, med, iqr = _summary(X)
    mean_val, std_val, med_val, iqr_val = _summary(X_val)
    if med is None or med_val is None:
        loc, scale, loc_val, scale_val = mean, std, mean_val, std_val
    else:
        robust = iqr > 0
        loc, scale = np.where(robust, med, mean), np.where(robust, iqr, std)
        loc_val = np.where(robust, med_val, mean_val)
        scale_val = np.where(robust, iqr_val, std_val)
    varying = scale > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.abs(loc_val - loc) > MEAN_STDS * scale
        if X_val.shape[0] >= MIN_ROWS_FOR_SPREAD:
            ratio = scale_val / scale
            off |= (scale_val > 0) & ((ratio > SPREAD_RATIO)
                                      | (ratio < 1 / SPREAD_RATIO))
    return int(np.count_nonzero(off & varying)), int(np.count_nonzero(varying))


def looks_untransformed(X, X_val):
    """Whether at least half of the features that vary in ``X`` are off in ``X_val``."""
    n_off, n_varying = off_features(X, X_val)
    return n_varying > 0 and 2 * n_off >= n_varying, n_off, n_varying


MESSAGE = (
    "X_val does not look preprocessed like X: for {n_off} of the {n_varying} features "
    "that vary in X, its median lies more than {k:g} interquartile ranges of X away "
    "from X's, or its spread differs more than {r:g}-fold. In a Pipeline, "
    "`pipe.fit(X, y, mlp__X_val=...)` transforms X but not X_val. Route X_val "
    "through the preceding steps instead (scikit-learn >= 1.7): "
    "sklearn.set_config(enable_metadata_routing=True); "
    "Pipeline([...], transform_input=['X_val']) with "
    "mlp.set_fit_request(X_val=True, y_val=True); then "
    "pipe.fit(X, y, X_val=X_val, y_val=y_val). If the difference is intended, "
    "silence skmlp.exceptions.UntransformedValidationWarning."
)


def warn_if_untransformed(X, X_val, stacklevel):
    """Warn (:class:`~skmlp.exceptions.UntransformedValidationWarning`) when
    ``X_val`` does not look preprocessed like ``X``."""
    untransformed, n_off, n_varying = looks_untransformed(X, X_val)
    if untransformed:
        warnings.warn(UntransformedValidationWarning(MESSAGE.format(
            n_off=n_off, n_varying=n_varying, k=MEAN_STDS, r=SPREAD_RATIO)),
            stacklevel=stacklevel + 1)
