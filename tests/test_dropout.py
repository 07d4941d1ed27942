"""Dropout: off at rate 0, on only while training, seeded, validated before work.

Inverted dropout is applied to the hidden layers inside the compiled epoch,
with masks drawn from a generator seeded once per fit from ``random_state``.
It must never reach ``predict``, the validation pass or L-BFGS, and a seed
must give bitwise the same weights in this process, another process (the
"dropout-" configurations of tests/test_determinism.py) and a joblib worker.
The networks here are small, so that skmlp keeps BLAS on one thread (see
docs/errors_and_threads.md) and bitwise comparisons are meaningful.
"""


import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp._network import ACTIVATION_CODES

import _reference as ref
from _split import early_stopping_split

rng = np.random.RandomState(0)
X = rng.standard_normal((80, 6))
Y_CLF = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
Y_REG = X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(80)
PARAMS = dict(hidden_layer_sizes=(12, 7), max_iter=6, batch_size=16,
              random_state=3, learning_rate_init=0.01, n_iter_no_change=100)
ESTIMATORS = {"clf": (MLPClassifierNB, Y_CLF), "reg": (MLPRegressorNB, Y_REG)}


def _assert_same_fit(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert u.dtype == v.dtype
        np.testing.assert_array_equal(u, v)
    assert a.loss_curve_ == b.loss_curve_


def _differ(a, b):
    return any(not np.array_equal(u, v) for u, v in zip(a.coefs_, b.coefs_))


# ------------------------------------------------------------ rate 0 is off
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("zero", [0.0, 0, [0.0, 0.0], (0, 0.0)], ids=repr)
def test_zero_dropout_is_bitwise_no_dropout(kind, solver, dtype, zero):
    Est, y = ESTIMATORS[kind]
    Xd = X.astype(dtype)
    plain = Est(solver=solver, **PARAMS).fit(Xd, y)
    zeroed = Est(solver=solver, dropout=zero, **PARAMS).fit(Xd, y)
    _assert_same_fit(plain, zeroed)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_zero_dropout_leaves_the_random_stream_alone(kind, solver):
    """No seed is drawn for rate 0: the early-stopping split and shuffles stay."""
    Est, y = ESTIMATORS[kind]
    params = dict(PARAMS, solver=solver, early_stopping=True, max_iter=8)
    plain = Est(**params).fit(X, y)
    zeroed = Est(dropout=[0.0, 0.0], **params).fit(X, y)
    _assert_same_fit(plain, zeroed)
    assert plain.validation_scores_ == zeroed.validation_scores_


@pytest.mark.parametrize("dropout", [0.3, [0.3, 0.0], [0.0, 0.3]], ids=repr)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_dropout_changes_training(kind, solver, dropout):
    Est, y = ESTIMATORS[kind]
    plain = Est(solver=solver, **PARAMS).fit(X, y)
    dropped = Est(solver=solver, dropout=dropout, **PARAMS).fit(X, y)
    assert _differ(plain, dropped)
    # Every hidden layer's incoming weights change only if that layer's
    # masks reach the gradient: the first epoch's loss already differs.
    assert dropped.loss_curve_[0] != plain.loss_curve_[0]


# ----------------------------------------------------- never when predicting
def _numpy_outputs(est, Xp):
    """Output activations from coefs_/intercepts_ by the NumPy reference."""
    units = [est.coefs_[0].shape[0]] + [c.shape[1] for c in est.coefs_]
    acts = ([est.activation] * (len(units) - 2) if isinstance(est.activation, str)
            else list(est.activation)) + [est.out_activation_]
    theta = ref.pack([c.astype(np.float64) for c in est.coefs_],
                     [b.astype(np.float64) for b in est.intercepts_])
    return ref.forward(Xp, theta, units, [ACTIVATION_CODES[a] for a in acts])[-1]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_predictions_do_not_use_dropout(kind, dtype):
    Est, y = ESTIMATORS[kind]
    est = Est(dropout=[0.5, 0.3], **PARAMS).fit(X.astype(dtype), y)
    Xp = X.astype(dtype)
    method = est.predict_proba if kind == "clf" else est.predict
    first, second = method(Xp), method(Xp)
    np.testing.assert_array_equal(first, second)
    expected = _numpy_outputs(est, Xp)
    if kind == "reg":
        expected = expected.ravel()
    # A dropped-out unit would change its outputs by far more than rounding.
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(first, expected, rtol=tol, atol=tol)
    if kind == "clf":
        np.testing.assert_array_equal(est.predict(Xp),
                                      est.classes_[expected.argmax(axis=1)])


# ------------------------------------------------- never when validating
def _validation_loss(est, Xv, yv):
    """The validation loss by hand: log-loss, or half the mean squared error."""
    if isinstance(est, MLPClassifierNB):
        return log_loss(yv, est.predict_proba(Xv), labels=est.classes_)
    return 0.5 * mean_squared_error(yv, est.predict(Xv))


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_early_stopping_validation_does_not_use_dropout(kind):
    """The restored (best) weights score exactly what validation recorded."""
    Est, y = ESTIMATORS[kind]
    est = Est(dropout=0.5, early_stopping=True, validation_fraction=0.25,
              **dict(PARAMS, max_iter=40, n_iter_no_change=4)).fit(X, y)
    best = int(np.argmax(est.validation_scores_))
    assert best + 1 < est.n_iter_, "the best epoch must not be the last one"
    _, idx_val = early_stopping_split(est, X, y)
    assert est.score(X[idx_val], y[idx_val]) == pytest.approx(
        est.best_validation_score_, rel=1e-12, abs=1e-15)
    assert est.validation_loss_curve_[best] == pytest.approx(
        _validation_loss(est, X[idx_val], y[idx_val]), rel=1e-10)


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_monitored_validation_does_not_use_dropout(kind):
    """Each epoch's recorded score and loss are those of that epoch's weights."""
    Est, y = ESTIMATORS[kind]
    Xt, yt, Xv, yv = X[:60], y[:60], X[60:], y[60:]
    full = Est(dropout=0.5, **PARAMS).fit(Xt, yt, X_val=Xv, y_val=yv)
    assert len(full.validation_scores_) == PARAMS["max_iter"]
    for k in (1, 3, PARAMS["max_iter"]):
        cut = Est(dropout=0.5, **dict(PARAMS, max_iter=k)).fit(Xt, yt)
        assert full.validation_scores_[k - 1] == pytest.approx(
            cut.score(Xv, yv), rel=1e-12, abs=1e-15)
        assert full.validation_loss_curve_[k - 1] == pytest.approx(
            _validation_loss(cut, Xv, yv), rel=1e-10)


# -------------------------------------------------------------- determinism
# In process, in another process and across BLAS thread limits: the "dropout-"
# configurations of tests/test_determinism.py.


def test_dropout_depends_on_the_seed():
    a = MLPRegressorNB(dropout=0.3, **PARAMS).fit(X, Y_REG)
    b = MLPRegressorNB(dropout=0.3, **dict(PARAMS, random_state=4)).fit(X, Y_REG)
    assert _differ(a, b)


@pytest.mark.slow
def test_dropout_is_bitwise_deterministic_in_joblib_workers():
    models = [(MLPClassifierNB(dropout=0.3, **PARAMS), X, Y_CLF),
              (MLPRegressorNB(dropout=0.2, **PARAMS), X.astype(np.float32), Y_REG)]
    fitted = Parallel(n_jobs=2, backend="loky")(
        delayed(clone(est).fit)(Xf, y) for est, Xf, y in models)
    for (est, Xf, y), in_worker in zip(models, fitted, strict=True):
        _assert_same_fit(in_worker, clone(est).fit(Xf, y))


# ------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_partial_fit_continues_the_dropout_generator(kind, solver):
    """k partial_fit calls equal fit(max_iter=k): the masks continue, not restart."""
    Est, y = ESTIMATORS[kind]
    k = 4
    params = dict(PARAMS, solver=solver, shuffle=True, dropout=[0.4, 0.2])
    fitted = Est(**dict(params, max_iter=k)).fit(X, y)
    incremental = Est(**params)
    for i in range(k):
        extra = {"classes": np.unique(Y_CLF)} if kind == "clf" and i == 0 else {}
        incremental.partial_fit(X, y, **extra)
    _assert_same_fit(fitted, incremental)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_after_fit_continues_the_dropout_generator(solver):
    params = dict(PARAMS, solver=solver, dropout=0.3)
    fitted = MLPRegressorNB(**dict(params, max_iter=4)).fit(X, Y_REG)
    continued = MLPRegressorNB(**dict(params, max_iter=3)).fit(X, Y_REG)
    continued.partial_fit(X, Y_REG)
    _assert_same_fit(fitted, continued)


# ------------------------------------------------------------------- errors
X_NAN = X.copy()
X_NAN[0, 0] = np.nan


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_lbfgs_with_dropout_raises_before_any_work(kind):
    Est, y = ESTIMATORS[kind]
    est = Est(solver="lbfgs", dropout=0.2, **PARAMS)
    # X holds NaN: the dropout error must come first, before X is looked at.
    with pytest.raises(ValueError, match=r"dropout needs a stochastic solver.*"
                                         r"solver='adam' or 'sgd', or dropout=0"):
        est.fit(X_NAN, y)
    assert not hasattr(est, "coefs_")


def test_lbfgs_with_zero_dropout_trains():
    est = MLPClassifierNB(solver="lbfgs", dropout=[0.0, 0.0], **PARAMS).fit(X, Y_CLF)
    ref_est = MLPClassifierNB(solver="lbfgs", **PARAMS).fit(X, Y_CLF)
    np.testing.assert_array_equal(est.coefs_[0], ref_est.coefs_[0])


@pytest.mark.parametrize("dropout", [[0.1], [0.1, 0.2, 0.3], ()], ids=repr)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_wrong_number_of_rates_names_both_lengths(method, dropout):
    est = MLPRegressorNB(dropout=dropout, **PARAMS)
    with pytest.raises(ValueError, match=rf"dropout has {len(dropout)} entries but "
                                         r"the network has 2 hidden layer"):
        getattr(est, method)(X_NAN, Y_REG)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize(
    "dropout",
    [1.0, -0.1, np.nan, np.inf, 1.5, True, "0.5", None, [0.1, 1.0], [-0.2, 0.1],
     [0.1, np.nan], [0.1, "a"], [0.1, None], (0.5, True)],
    ids=repr,
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_rates_outside_zero_one_raise_invalid_parameter(method, dropout):
    est = MLPRegressorNB(dropout=dropout, **PARAMS)
    with pytest.raises(InvalidParameterError, match=r"'dropout' parameter"):
        getattr(est, method)(X_NAN, Y_REG)
    assert not hasattr(est, "coefs_")


def test_invalid_rate_on_a_fitted_estimator_keeps_its_weights():
    est = MLPRegressorNB(**PARAMS).fit(X, Y_REG)
    before = [w.copy() for w in est.coefs_ + est.intercepts_]
    est.set_params(dropout=[0.1, 1.0])
    for call in (lambda: est.fit(X, Y_REG), lambda: est.partial_fit(X, Y_REG)):
        with pytest.raises(InvalidParameterError):
            call()
        for u, v in zip(before, est.coefs_ + est.intercepts_):
            np.testing.assert_array_equal(u, v)
