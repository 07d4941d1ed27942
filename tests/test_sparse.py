"""Sparse input: CSR and CSC train and predict the same model as dense input."""

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.standard_normal((70, 8))
X[rng.uniform(size=X.shape) < 0.6] = 0.0
X[5] = 0.0  # an all-zero row
X[:, 7] = 0.0  # an all-zero column
y_clf = (X[:, 0] + X[:, 1] - X[:, 2] > 0).astype(int) + (X[:, 3] > 0.5)
y_reg = X @ rng.standard_normal(8)
PARAMS = dict(hidden_layer_sizes=(10,), max_iter=15, random_state=0, batch_size=16,
              alpha=1e-3, learning_rate_init=0.01)
FORMATS = {"csr": sp.csr_matrix, "csc": sp.csc_matrix}


def _fit(Est, Xf, y, **params):
    return Est(**PARAMS, **params).fit(Xf, y)


def _assert_close_models(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.loss_, b.loss_, rtol=1e-10)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Est, y", [(MLPClassifierNB, y_clf), (MLPRegressorNB, y_reg)],
                         ids=["classifier", "regressor"])
def test_sparse_fit_gives_the_same_model_as_dense(Est, y, solver, fmt):
    dense = _fit(Est, X, y, solver=solver)
    sparse = _fit(Est, FORMATS[fmt](X), y, solver=solver)
    _assert_close_models(dense, sparse)
    np.testing.assert_allclose(sparse.predict(FORMATS[fmt](X)).astype(float),
                               dense.predict(X).astype(float), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
def test_sparse_predictions_equal_dense_predictions(fmt):
    est = _fit(MLPClassifierNB, X, y_clf, solver="adam")
    np.testing.assert_allclose(est.predict_proba(FORMATS[fmt](X)), est.predict_proba(X),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(est.predict(FORMATS[fmt](X)), est.predict(X))


def test_other_sparse_formats_are_converted():
    est = _fit(MLPRegressorNB, X, y_reg, solver="adam")
    for Xs in (sp.coo_matrix(X), sp.lil_matrix(X), sp.csr_array(X)):
        np.testing.assert_allclose(est.predict(Xs), est.predict(X), rtol=1e-12,
                                   atol=1e-14)


def test_sparse_float32_input_gives_float32_model():
    est = _fit(MLPRegressorNB, sp.csr_matrix(X.astype(np.float32)), y_reg,
               solver="adam")
    assert all(w.dtype == np.float32 for w in est.coefs_ + est.intercepts_)
    assert est.predict(sp.csr_matrix(X.astype(np.float32))).dtype == np.float32
    # float64 input: scikit-learn's dtype, that of X @ coefs_[0]
    assert est.predict(sp.csr_matrix(X)).dtype == np.float64


def test_sparse_input_with_unsorted_indices_gives_the_same_model():
    Xs = sp.csr_matrix(X)
    shuffled = Xs.copy()
    for r in range(shuffled.shape[0]):
        lo, hi = shuffled.indptr[r], shuffled.indptr[r + 1]
        perm = np.random.RandomState(r).permutation(hi - lo)
        shuffled.indices[lo:hi] = shuffled.indices[lo:hi][perm]
        shuffled.data[lo:hi] = shuffled.data[lo:hi][perm]
    shuffled.has_sorted_indices = False
    np.testing.assert_array_equal(shuffled.toarray(), X)
    a = _fit(MLPRegressorNB, Xs, y_reg, solver="sgd")
    b = _fit(MLPRegressorNB, shuffled, y_reg, solver="sgd")
    _assert_close_models(a, b)


def test_sparse_input_with_explicit_zeros_gives_the_same_model():
    Xs = sp.csr_matrix(X)
    padded = sp.csr_matrix((np.r_[Xs.data, 0.0], np.r_[Xs.indices, 7],
                            np.r_[Xs.indptr[:-1], Xs.indptr[-1] + 1]), shape=X.shape)
    assert padded.nnz == Xs.nnz + 1
    a = _fit(MLPRegressorNB, Xs, y_reg, solver="adam")
    b = _fit(MLPRegressorNB, padded, y_reg, solver="adam")
    _assert_close_models(a, b)


# That a sparse X is left unmodified (data, indices, indptr): test_input_unchanged.py.
