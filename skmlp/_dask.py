"""Predicting and scoring on Dask collections, where the data is.

``predict``, ``predict_proba``, ``predict_log_proba``, ``transform`` and
``score`` given a ``dask.array.Array`` or a Dask DataFrame stay on the
workers: the predict methods and ``transform`` return a lazy Dask array built
with ``map_blocks`` (one task per row block, nothing computed until the
caller asks), and ``score`` computes only per-block sums, never gathering X
into the client.

Each task receives a plain copy of the fitted estimator (NumPy arrays and
plain values: it pickles like the estimator) and calls the estimator's own
NumPy method on its block, so a block gets exactly the local validation,
arithmetic and post-processing. Workers load the compiled kernels from
Numba's cache (``docs/scaling_out.md``).

Dask is imported inside the functions only: ``is_dask_collection`` is two
attribute reads, so the NumPy predict path neither imports Dask nor pays for
the check.
"""

import math

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import validate_data

from ._loss_params import scores_levels
from ._predict import output_dtype


def is_dask_collection(X):
    """Whether X is a Dask collection; never imports Dask."""
    return type(X).__module__.startswith("dask") and hasattr(X, "__dask_graph__")


class _BlockMethod:
    """A fitted estimator's NumPy method applied to one block of rows.

    Module-level and holding only the estimator (NumPy arrays and plain
    values), so it pickles by reference to skmlp and the workers import the
    same code.
    """

    def __init__(self, estimator, method, empty):
        self.estimator = estimator
        self.method = method
        self.empty = empty

    def __call__(self, block):
        if block.shape[0] == 0:
            # A DataFrame partition may be empty; the local methods refuse
            # zero rows, an empty block is no error.
            return self.empty.copy()
        return getattr(self.estimator, self.method)(block)


def _as_array(est, X):
    """X as a 2-D dask array with one column chunk, checked as locally.

    The checks run in the client on an empty stand-in of X (an empty NumPy
    array of X's width and dtype, or the DataFrame's empty pandas ``_meta``)
    through ``validate_data``: the same errors and warnings as the local path
    (number of features, feature names, non-numeric dtype), before any task
    runs. Values (NaN, strings in object columns) are checked per block by
    the local method, when the blocks are computed.
    """
    import dask.array as da

    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2D dask array, got {X.ndim}D array instead. Reshape "
                "your data, for example with X.reshape(-1, 1) for a single "
                "feature."
            )
        if math.isnan(X.shape[1]):
            raise ValueError(
                "X has an unknown number of columns; call X.compute_chunk_sizes() "
                "first."
            )
        validate_data(est, np.empty((0, X.shape[1]), dtype=X.dtype), reset=False,
                      ensure_min_samples=0)
        if len(X.chunks[1]) > 1:
            # a block must hold whole rows
            X = X.rechunk({1: -1})
        return X
    if hasattr(X, "to_dask_array") and hasattr(X, "columns"):
        validate_data(est, X._meta, reset=False, ensure_min_samples=0)
        # Without lengths=True: the row counts of the partitions stay unknown
        # (NaN chunks) rather than being computed now, which would read every
        # partition before the caller asked for anything.
        return X.to_dask_array()
    raise TypeError(
        f"{type(est).__name__} predicts on dask arrays and Dask DataFrames; got "
        f"{type(X).__module__}.{type(X).__name__}. Convert it to one of those, "
        "or compute it."
    )


def _output_meta(est, method, X_dtype):
    """An empty output of ``method``: its dtype and the width of its rows."""
    n_out = est.n_outputs_
    dtype = output_dtype(X_dtype, est.coefs_[0].dtype)
    if method == "_transform":
        return np.zeros((0, est._n_features_out), dtype)
    if method != "predict":
        n_classes = len(est.classes_)
        return np.zeros((0, n_classes if n_out == 1 else n_out), dtype)
    if is_classifier(est):
        # the labels' dtype and shape, from the estimator's own post-processing
        # of a dummy output row (NumPy only, no kernel)
        return est._labels_from_output(np.zeros((1, n_out)))[:0]
    return np.zeros((0,) if n_out == 1 else (0, n_out), dtype)


def predict(est, X, method):
    """``est.<method>(X)`` as a lazy dask array, one task per row block.

    Parameters
    ----------
    est : MLPClassifierNB or MLPRegressorNB
        A fitted estimator.
    X : dask.array.Array or dask DataFrame of shape (n_samples, n_features)
        The input data.
    method : {'predict', 'predict_proba', 'predict_log_proba', '_transform'}
        The estimator's NumPy method to apply to each block (``_transform``:
        ``transform`` without scikit-learn's ``set_output`` wrapping).

    Returns
    -------
    y : dask.array.Array of shape (n_samples,) or (n_samples, n_columns)
        Not computed. Its row chunks are X's (unknown, NaN, for a DataFrame).
    """
    est._require_fitted()
    return _map_blocks(est, _as_array(est, X), method)


def _map_blocks(est, Xa, method):
    """The lazy ``map_blocks`` of ``est.<method>`` over a checked dask array."""
    empty = _output_meta(est, method, Xa.dtype)
    # A plain copy without the feature names: the names were checked above,
    # and the blocks are NumPy arrays, which would warn on every block.
    worker_est = object.__new__(type(est))
    worker_est.__dict__.update(est.__dict__)
    worker_est.__dict__.pop("feature_names_in_", None)
    func = _BlockMethod(worker_est, method, empty)
    name = f"{type(est).__name__}-{method.lstrip('_')}".lower()
    if empty.ndim == 1:
        return Xa.map_blocks(func, dtype=empty.dtype, drop_axis=1,
                             chunks=(Xa.chunks[0],), meta=empty, token=name)
    return Xa.map_blocks(func, dtype=empty.dtype, chunks=(Xa.chunks[0], (empty.shape[1],)),
                         meta=empty, token=name)


def _rows_known(a):
    return not any(math.isnan(c) for c in a.chunks[0])


def _aligned(ref, *arrays):
    """Dask arrays chunked along rows as ``ref`` (NumPy arrays are wrapped)."""
    import dask.array as da

    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        if not isinstance(a, da.Array):
            if hasattr(a, "to_dask_array"):  # a Dask Series or DataFrame
                a = a.to_dask_array()
            else:
                a = np.asarray(a)
                if not _rows_known(ref):
                    # the row count of each block of X (its partitions are
                    # read on the workers; only the shapes come back)
                    ref = ref.compute_chunk_sizes()
                a = da.from_array(a, chunks=(ref.chunks[0],) + a.shape[1:])
        out.append(a)
    if all(_rows_known(a) for a in (ref, *out) if a is not None):
        out = [a if a is None or a.chunks[0] == ref.chunks[0]
               else a.rechunk({0: ref.chunks[0]}) for a in out]
    elif any(a is not None and a.numblocks[0] != ref.numblocks[0] for a in out):
        # unknown row counts can only be matched block by block
        raise ValueError(
            "X, y and sample_weight have unknown chunk sizes and different "
            "numbers of row blocks; give them the same partitions, or call "
            ".compute_chunk_sizes() on each."
        )
    return ref, out


def score(est, X, y, sample_weight=None):
    """Accuracy (classifier) or R^2 (regressor) from per-block sums.

    The predictions are made lazily where the blocks of X are; only the sums
    (a few numbers per block) travel to the client. Equal to the local
    score up to rounding (the sums are added in another order).
    """
    import dask

    est._require_fitted()
    Xa, (y, w) = _aligned(_as_array(est, X), y, sample_weight)
    y_pred = _map_blocks(est, Xa, "predict")
    if y_pred.ndim == 1 and y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if not is_classifier(est) and scores_levels(est, y):
        # several quantile levels: the 1-D y against every level's column
        y = y[:, None] * np.ones((1, est.n_outputs_))
    if is_classifier(est):
        correct = y_pred == y
        if correct.ndim == 2:  # multilabel: subset accuracy, as accuracy_score
            correct = correct.all(axis=1)
        if w is None:
            # a mean of booleans: per-block sums and counts, which also works
            # when the row counts are unknown
            return float(correct.mean().compute())
        num, den = dask.compute((w * correct).sum(), w.sum())
        return float(num / den)
    return _r2(y, y_pred, w)


def _r2(y, y_pred, w):
    """scikit-learn's r2_score (uniform average over outputs, force_finite)."""
    import dask

    y = y.astype(np.float64)
    if w is not None and y.ndim == 2:
        w = w[:, None]
    if w is None:
        mean = y.mean(axis=0).compute()
        num, den = dask.compute(((y - y_pred) ** 2).sum(axis=0),
                                ((y - mean) ** 2).sum(axis=0))
    else:
        sw, swy = dask.compute(w.sum(axis=0), (w * y).sum(axis=0))
        mean = swy / sw
        num, den = dask.compute((w * (y - y_pred) ** 2).sum(axis=0),
                                (w * (y - mean) ** 2).sum(axis=0))
    num, den = np.atleast_1d(num), np.atleast_1d(den)
    scores = np.ones(num.shape)
    valid = (num != 0) & (den != 0)
    scores[valid] = 1 - num[valid] / den[valid]
    scores[(num != 0) & (den == 0)] = 0.0
    return float(scores.mean())
