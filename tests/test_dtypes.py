"""Floating-point dtypes: float32 stays float32, float64 stays float64."""

import numpy as np
import pytest

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.standard_normal((60, 5))
y_clf = np.arange(60) % 3
y_bin = np.arange(60) % 2
y_reg = X @ rng.standard_normal(5)
PARAMS = dict(hidden_layer_sizes=(8,), max_iter=10, random_state=0,
              learning_rate_init=0.01)
SOLVERS = ["sgd", "adam", "lbfgs"]


def _weights_dtypes(est):
    return {w.dtype for w in est.coefs_ + est.intercepts_}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("y", [y_clf, y_bin], ids=["multiclass", "binary"])
def test_classifier_keeps_the_input_float_dtype(y, solver, dtype):
    est = MLPClassifierNB(solver=solver, **PARAMS).fit(X.astype(dtype), y)
    assert _weights_dtypes(est) == {np.dtype(dtype)}
    assert est.predict_proba(X.astype(dtype)).dtype == dtype
    assert est.predict_log_proba(X.astype(dtype)).dtype == dtype
    assert est.predict(X.astype(dtype)).dtype == y.dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_regressor_keeps_the_input_float_dtype(loss, solver, dtype):
    y = np.abs(y_reg) if loss == "poisson" else y_reg
    est = MLPRegressorNB(loss=loss, solver=solver, **PARAMS).fit(X.astype(dtype), y)
    assert _weights_dtypes(est) == {np.dtype(dtype)}
    assert est.predict(X.astype(dtype)).dtype == dtype


@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("input_dtype", [np.float32, np.float64, np.int64, np.int8])
def test_output_dtype_follows_scikit_learn(model_dtype, input_dtype):
    """The dtype of ``X @ coefs_[0]``, as scikit-learn's MLP returns it."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    Xi = (X * 3).astype(input_dtype)
    Xm = X.astype(model_dtype)
    for ours, theirs, y in ((MLPRegressorNB, MLPRegressor, y_reg),
                            (MLPClassifierNB, MLPClassifier, y_clf)):
        a = ours(solver="adam", **PARAMS).fit(Xm, y)
        b = theirs(solver="adam", **PARAMS).fit(Xm, y)
        assert a.coefs_[0].dtype == b.coefs_[0].dtype == model_dtype
        for method in ("predict", "predict_proba") if ours is MLPClassifierNB else (
                "predict",):
            got, want = getattr(a, method)(Xi), getattr(b, method)(Xi)
            assert got.dtype == want.dtype, (method, got.dtype, want.dtype)


def test_float32_model_on_float64_input_computes_in_float64():
    """As scikit-learn's product does: the float32 weights are upcast, not X rounded."""
    est = MLPRegressorNB(solver="adam", **PARAMS).fit(X.astype(np.float32), y_reg)
    X64 = X + 1e-9  # differences that float32 would round away
    W, b = est.coefs_, est.intercepts_
    h = np.maximum(X64 @ W[0].astype(np.float64) + b[0], 0.0)
    expected = (h @ W[1].astype(np.float64) + b[1]).ravel()
    np.testing.assert_allclose(est.predict(X64), expected, rtol=1e-12, atol=1e-12)
    assert est.predict(X64.astype(np.float32)).dtype == np.float32


def test_float32_targets_do_not_change_a_float64_model():
    est = MLPRegressorNB(solver="adam", **PARAMS).fit(X, y_reg.astype(np.float32))
    assert _weights_dtypes(est) == {np.dtype(np.float64)}


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_float32_model_agrees_with_float64_model_to_float32_precision(solver):
    # Same seed, same initial weights (drawn in float64, then rounded): the two
    # runs differ only by float32 rounding over a few epochs.
    a = MLPRegressorNB(solver=solver, **PARAMS).fit(X.astype(np.float32), y_reg)
    b = MLPRegressorNB(solver=solver, **PARAMS).fit(X, y_reg)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-3,
                               atol=1e-3 * np.abs(y_reg).max())
    assert not np.array_equal(a.predict(X).astype(np.float64), b.predict(X))
