"""partial_fit: one epoch per call, continuing the same run."""

import warnings

import numpy as np
import pytest

from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp._specs import OPTIMIZERS

from conftest import X_CLF, X_REG, Y_CLF, Y_REG

X, Y, XR, YR = X_CLF, Y_CLF, X_REG, Y_REG
CLASSES = np.unique(Y)
# n_iter_no_change above the number of epochs: fit never stops on its own.
PARAMS = dict(hidden_layer_sizes=(8,), batch_size=32, random_state=0,
              learning_rate_init=0.05, n_iter_no_change=100)


def _assert_same_weights(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(u, v)


def _problem(kind):
    if kind == "classifier":
        return MLPClassifierNB, X, Y, {"classes": CLASSES}
    return MLPRegressorNB, XR, YR, {}


@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffle", "no-shuffle"])
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_k_partial_fit_calls_equal_fit_with_max_iter_k(kind, solver, learning_rate,
                                                        shuffle):
    # shuffle=True: partial_fit continues the RandomState stream across calls, so
    # the k calls visit the samples in the same orders as fit's k epochs.
    Est, Xk, yk, first = _problem(kind)
    k = 4
    params = dict(PARAMS, solver=solver, shuffle=shuffle, learning_rate=learning_rate)
    fitted = Est(max_iter=k, **params).fit(Xk, yk)
    incremental = Est(**params)
    for i in range(k):
        incremental.partial_fit(Xk, yk, **(first if i == 0 else {}))
    _assert_same_weights(fitted, incremental)
    assert incremental.loss_curve_ == fitted.loss_curve_
    assert incremental.t_ == fitted.t_
    assert incremental.n_iter_ == 1  # one epoch per call, as in scikit-learn


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_after_fit_continues_the_same_run(solver):
    params = dict(PARAMS, solver=solver)
    fitted = MLPRegressorNB(max_iter=4, **params).fit(XR, YR)
    continued = MLPRegressorNB(max_iter=3, **params).fit(XR, YR).partial_fit(XR, YR)
    _assert_same_weights(fitted, continued)
    assert continued.loss_curve_ == fitted.loss_curve_


def test_partial_fit_trains_one_epoch_per_call():
    est = MLPClassifierNB(solver="adam", **PARAMS)
    est.partial_fit(X, Y, classes=CLASSES)
    before = [w.copy() for w in est.coefs_]
    est.partial_fit(X, Y)
    assert len(est.loss_curve_) == 2
    assert est.t_ == 2 * X.shape[0]
    assert any(not np.array_equal(a, b) for a, b in zip(before, est.coefs_))


@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
def test_partial_fit_accepts_a_batch_with_a_subset_of_classes():
    est = MLPClassifierNB(**PARAMS).partial_fit(X[Y < 2], Y[Y < 2], classes=CLASSES)
    np.testing.assert_array_equal(est.classes_, CLASSES)
    assert est.predict_proba(X).shape == (X.shape[0], 3)
    est.partial_fit(X[Y == 2], Y[Y == 2])
    assert est.predict_proba(X).shape == (X.shape[0], 3)


def test_partial_fit_does_not_warn_about_convergence(recwarn):
    est = MLPRegressorNB(max_iter=1, **PARAMS)
    est.partial_fit(XR, YR)
    est.partial_fit(XR, YR)
    assert not [w for w in recwarn if "Maximum iterations" in str(w.message)]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_after_weights_replaced_by_a_bigger_network(solver):
    # The optimizer state of the small network does not fit the new weights:
    # it must be started anew, never handed to the kernels (which would write
    # past its end). Found by review: this crashed the process.
    rng = np.random.RandomState(0)
    X = rng.standard_normal((200, 5))
    y = X @ rng.standard_normal(5)
    params = dict(solver=solver, max_iter=2, random_state=0, learning_rate_init=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = MLPRegressorNB(hidden_layer_sizes=(2,), **params).fit(X, y)
        big = MLPRegressorNB(hidden_layer_sizes=(300,), **params).fit(X, y)
        small.coefs_ = [c.copy() for c in big.coefs_]
        small.intercepts_ = [b.copy() for b in big.intercepts_]
        small.set_params(hidden_layer_sizes=(300,))
        small.partial_fit(X, y)
        small.partial_fit(X, y)
    rows = OPTIMIZERS[solver].state_rows
    n_params = sum(c.size for c in big.coefs_) + sum(b.size for b in big.intercepts_)
    assert small._solver_state.moments.shape == (rows, n_params)
    assert np.isfinite(small.predict(X)).all()
