"""warm_start: a second fit continues from the previous weights."""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from skmlp import MLPClassifierNB, MLPRegressorNB

from conftest import ROUND_OFF_TOL, X_CLF, X_REG, Y_CLF, Y_REG

X, Y, XR, YR = X_CLF, Y_CLF, X_REG, Y_REG
PARAMS = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, tol=0.0,
              learning_rate_init=0.01)


def _weights(est):
    return [w.copy() for w in est.coefs_ + est.intercepts_]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_continues_training_from_previous_weights(solver):
    est = MLPClassifierNB(solver=solver, warm_start=True, **PARAMS).fit(X, Y)
    first_curve = list(est.loss_curve_)
    est.fit(X, Y)
    assert est.n_iter_ == PARAMS["max_iter"]  # counts the last fit only
    assert est.t_ == 2 * PARAMS["max_iter"] * X.shape[0]  # counts both
    assert est.loss_curve_[: len(first_curve)] == first_curve
    assert len(est.loss_curve_) == 2 * len(first_curve)
    # A fresh network would start again near the first fit's initial loss.
    assert est.loss_curve_[len(first_curve)] < first_curve[0]


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_without_warm_start_refit_starts_from_scratch(solver):
    est = MLPClassifierNB(solver=solver, **PARAMS).fit(X, Y)
    first = _weights(est)
    est.fit(X, Y)
    for a, b in zip(first, _weights(est)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_second_fit_changes_the_weights(solver):
    est = MLPRegressorNB(solver=solver, warm_start=True, **PARAMS).fit(XR, YR)
    first = _weights(est)
    first_loss = est.loss_
    est.fit(XR, YR)
    assert any(not np.array_equal(a, b) for a, b in zip(first, _weights(est)))
    if solver == "lbfgs":
        assert est.loss_ < first_loss


def test_warm_start_lbfgs_matches_sklearn():
    params = dict(PARAMS, solver="lbfgs", warm_start=True, alpha=1e-2)
    ours = MLPClassifierNB(**params).fit(X, Y).fit(X, Y)
    theirs = MLPClassifier(**params).fit(X, Y).fit(X, Y)
    np.testing.assert_allclose(ours.loss_, theirs.loss_, **ROUND_OFF_TOL)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, **ROUND_OFF_TOL)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               **ROUND_OFF_TOL)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_warm_start_keeps_the_dtype_of_the_first_fit():
    est = MLPRegressorNB(warm_start=True, **PARAMS).fit(XR.astype(np.float32), YR)
    est.fit(XR, YR)
    assert all(w.dtype == np.float32 for w in est.coefs_ + est.intercepts_)
    assert est.predict(XR.astype(np.float32)).dtype == np.float32
