"""Export to scikit-learn's MLP and back: to_sklearn / from_sklearn.

Both directions must give a model that predicts the same to float rounding,
shares no memory with the original, and keeps training as the original
library would (the optimizer state travels with the weights).
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp._export import exportable_activation

from conftest import ROUND_OFF_TOL, ROUND_OFF_TOL_FLOAT32, make_data

KINDS = ("binary", "multiclass", "multilabel", "squared_error", "multioutput",
         "poisson")
CLASSIFICATION = ("binary", "multiclass", "multilabel")
DTYPES = (np.float32, np.float64)
# Same weights, same arithmetic in a different order (BLAS, fused kernels): see
# ROUND_OFF_TOL in conftest.py.
TOL = {np.float32: ROUND_OFF_TOL_FLOAT32, np.float64: ROUND_OFF_TOL}
SMALL = dict(hidden_layer_sizes=(9, 6), max_iter=15, batch_size=16,
             learning_rate_init=0.01, random_state=0)


def _data(kind, dtype=np.float64, n=64, seed=0):
    X, y = make_data(kind, n_samples=n, seed=seed)
    if kind == "binary":
        y = np.where(y == 1, "yes", "no")
    return X.astype(dtype), y


def _classes(kind):
    if kind in CLASSIFICATION:
        return MLPClassifierNB, MLPClassifier, {}
    return MLPRegressorNB, MLPRegressor, ({"loss": "poisson"} if kind == "poisson"
                                          else {})


def _outputs(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict(X), est.predict_proba(X)
    return (est.predict(X),)


def _assert_same_predictions(a, b, X):
    # Outputs follow the weights' dtype (scikit-learn's L-BFGS keeps float64
    # weights even for float32 X).
    dtype = a.coefs_[0].dtype.type
    pa, pb = _outputs(a, X), _outputs(b, X)
    if len(pa) == 2:
        np.testing.assert_array_equal(pa[0], pb[0])
        np.testing.assert_allclose(pa[1], pb[1], **TOL[dtype])
        assert pa[1].dtype == pb[1].dtype == dtype
    else:
        np.testing.assert_allclose(pa[0], pb[0], **TOL[dtype])
        assert pa[0].dtype == pb[0].dtype == dtype


def _assert_shared_params_equal(sk, est):
    sk_params, params = sk.get_params(), est.get_params()
    assert set(sk_params) <= set(params)
    assert {k: params[k] for k in sk_params} == sk_params


def _assert_no_shared_memory(a, b):
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert not np.shares_memory(x, y)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("kind", KINDS)
def test_to_sklearn_predicts_the_same(kind, solver, dtype):
    Ours, Theirs, extra = _classes(kind)
    X, y = _data(kind, dtype)
    est = Ours(solver=solver, **SMALL, **extra).fit(X, y)
    sk = est.to_sklearn()
    assert type(sk) is Theirs
    assert sk.coefs_[0].dtype == dtype
    _assert_same_predictions(sk, est, X)
    _assert_no_shared_memory(sk, est)
    for name in ("n_iter_", "t_", "n_layers_", "n_outputs_", "out_activation_",
                 "n_features_in_", "loss_"):
        assert getattr(sk, name) == getattr(est, name), name
    for name in ("loss_curve_", "best_loss_"):
        assert getattr(sk, name, None) == getattr(est, name, None), name
    _assert_shared_params_equal(sk, est)
    if kind in CLASSIFICATION:
        np.testing.assert_array_equal(sk.classes_, est.classes_)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("kind", KINDS)
def test_from_sklearn_predicts_the_same(kind, solver, dtype):
    Ours, Theirs, extra = _classes(kind)
    X, y = _data(kind, dtype)
    sk = Theirs(solver=solver, **SMALL, **extra).fit(X, y)
    est = Ours.from_sklearn(sk)
    assert type(est) is Ours
    assert est.coefs_[0].dtype == sk.coefs_[0].dtype
    _assert_same_predictions(est, sk, X)
    _assert_no_shared_memory(est, sk)
    _assert_shared_params_equal(sk, est)
    # Parameters only skmlp has take their defaults.
    defaults = Ours().get_params()
    for name in set(defaults) - set(sk.get_params()):
        assert est.get_params()[name] == defaults[name], name
    assert est.n_iter_ == sk.n_iter_ and est.t_ == sk.t_


@pytest.mark.parametrize("kind", ["multiclass", "multioutput"])
def test_round_trip_is_exact(kind):
    Ours, _, extra = _classes(kind)
    X, y = _data(kind)
    est = Ours(**SMALL, **extra).fit(X, y)
    back = Ours.from_sklearn(est.to_sklearn())
    for a, b in zip(est.coefs_ + est.intercepts_, back.coefs_ + back.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    np.testing.assert_array_equal(back._solver_state.moments, est._solver_state.moments)
    np.testing.assert_array_equal(back._solver_state.counters, est._solver_state.counters)
    np.testing.assert_array_equal(back._solver_state.best_theta, est._solver_state.best_theta)
    assert back.get_params() == est.get_params()


def test_feature_names_travel_both_ways():
    pd = pytest.importorskip("pandas", reason="pandas is in the test extra")
    X, y = _data("multiclass")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = MLPClassifierNB(**SMALL).fit(df, y)
    sk = est.to_sklearn()
    np.testing.assert_array_equal(sk.feature_names_in_, est.feature_names_in_)
    with pytest.raises(ValueError, match="feature names"):
        sk.predict(df.rename(columns={"f0": "other"}))
    back = MLPClassifierNB.from_sklearn(sk)
    np.testing.assert_array_equal(back.predict(df), est.predict(df))


# ------------------------------------------------------------- continuing


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("kind", ["multiclass", "squared_error"])
def test_from_sklearn_continues_as_sklearn_would(kind, solver):
    # The first call after wrapping draws from a fresh random_state stream, as
    # scikit-learn's next call does, and starts from its optimizer state: so
    # both libraries take the same steps.
    Ours, Theirs, extra = _classes(kind)
    X, y = _data(kind)
    params = dict(SMALL, solver=solver, learning_rate="invscaling", **extra)
    sk = Theirs(**params).fit(X, y)
    est = Ours.from_sklearn(sk)
    sk.partial_fit(X, y)
    est.partial_fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(a, b, **ROUND_OFF_TOL)
    np.testing.assert_allclose(est.loss_curve_, sk.loss_curve_, **ROUND_OFF_TOL)
    assert est.t_ == sk.t_

    sk.set_params(warm_start=True, max_iter=3)
    est.set_params(warm_start=True, max_iter=3)
    sk.fit(X, y)
    est.fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert est.n_iter_ == sk.n_iter_ == 3


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_to_sklearn_continues_as_skmlp_would(solver):
    # skmlp continues its own shuffling stream across partial_fit calls and
    # scikit-learn restarts it, so compare without shuffling.
    X, y = _data("multiclass")
    est = MLPClassifierNB(solver=solver, shuffle=False, **SMALL).fit(X, y)
    sk = est.to_sklearn()
    for _ in range(3):
        est.partial_fit(X, y)
        sk.partial_fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(a, b, **ROUND_OFF_TOL)
    np.testing.assert_allclose(est.loss_curve_, sk.loss_curve_, **ROUND_OFF_TOL)


def test_partial_fit_after_from_sklearn_keeps_learning():
    X, y = _data("multiclass", n=120)
    sk = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, learning_rate_init=0.01,
                       random_state=0).fit(X, y)
    est = MLPClassifierNB.from_sklearn(sk)
    start_loss = est.loss_
    start = [c.copy() for c in est.coefs_]
    for _ in range(30):
        est.partial_fit(X, y)
    assert est.loss_ < 0.8 * start_loss
    assert len(est.loss_curve_) == len(sk.loss_curve_) + 30
    assert not np.allclose(est.coefs_[0], start[0])
    # The scikit-learn model it came from is untouched.
    np.testing.assert_array_equal(sk.coefs_[0], start[0])


def test_lbfgs_model_continues_with_a_stochastic_solver():
    X, y = _data("squared_error")
    sk = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=5,
                      random_state=0).fit(X, y)
    est = MLPRegressorNB.from_sklearn(sk).set_params(solver="adam")
    before = est.predict(X)
    est.partial_fit(X, y)
    assert est.loss_curve_ and np.isfinite(est.loss_)
    assert not np.allclose(est.predict(X), before)


# ----------------------------------------------------------------- errors


def test_to_sklearn_needs_a_fitted_model():
    with pytest.raises(NotFittedError):
        MLPClassifierNB().to_sklearn()


def test_from_sklearn_needs_a_fitted_model():
    with pytest.raises(NotFittedError, match="from_sklearn wraps a fitted model"):
        MLPClassifierNB.from_sklearn(MLPClassifier())


def test_from_sklearn_refuses_other_estimators():
    X, y = _data("binary")
    with pytest.raises(TypeError, match="expects a fitted sklearn.neural_network"):
        MLPClassifierNB.from_sklearn(LogisticRegression().fit(X, y))
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(X, X[:, 0])
    with pytest.raises(TypeError, match="Use MLPRegressorNB.from_sklearn"):
        MLPClassifierNB.from_sklearn(reg)
    est = MLPClassifierNB(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    with pytest.raises(TypeError, match="got skmlp"):
        MLPClassifierNB.from_sklearn(est)


def test_from_sklearn_refuses_a_broken_network():
    X, y = _data("multiclass")
    sk = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    sk.coefs_[1] = sk.coefs_[1][:3]
    with pytest.raises(ValueError, match="do not form a network"):
        MLPClassifierNB.from_sklearn(sk)


@pytest.mark.parametrize(
    "activation, expected",
    [("relu", "relu"), ("identity", "identity"), (["tanh", "tanh"], "tanh"),
     (("logistic",), "logistic")],
)
def test_exportable_activations(activation, expected):
    assert exportable_activation(activation) == expected


@pytest.mark.parametrize(
    "activation, match",
    [
        ("gelu", r"activation='gelu'.*supports only"),
        (["relu", "elu"], r"hidden layer 1 uses activation 'elu'"),
        (("silu", "silu"), r"hidden layer 0 uses activation 'silu'"),
        (["relu", "tanh"], r"different activations \['relu', 'tanh'\]"),
        ([], "expected one of"),
        (None, "expected one of"),
    ],
)
def test_unexportable_activations_are_named(activation, match):
    with pytest.raises(ValueError, match=match):
        exportable_activation(activation)


@pytest.mark.parametrize(
    "activation, match",
    [
        (["relu", "leaky_relu"], "hidden layer 1 uses activation 'leaky_relu'"),
        ("gelu", "activation='gelu'"),
        (["elu", "elu"], "hidden layer 0 uses activation 'elu'"),
        (["silu", "relu"], "hidden layer 0 uses activation 'silu'"),
        (["tanh", "relu"], "different activations"),
    ],
)
def test_to_sklearn_refuses_what_sklearn_cannot_express(activation, match):
    X, y = _data("binary")
    est = MLPClassifierNB(activation=activation, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match=match):
        est.to_sklearn()


def test_one_activation_per_layer_exports_when_all_are_the_same():
    X, y = _data("multiclass")
    est = MLPClassifierNB(activation=["tanh", "tanh"], **SMALL).fit(X, y)
    sk = est.to_sklearn()
    assert sk.activation == "tanh"
    _assert_same_predictions(sk, est, X)


@pytest.mark.parametrize(
    "params",
    [
        {"dropout": 0.3},
        {"dropout": [0.2, 0.0], "weight_init": "he_normal"},
        {"class_weight": "balanced"},
        {"learning_rate_schedule": "cosine"},
        {"n_jobs": 2},
    ],
    ids=["dropout", "dropout-per-layer-he", "class_weight", "schedule", "n_jobs"],
)
def test_training_only_parameters_export(params):
    # Dropout, initialisers, class weights, schedules and threads shape training, not
    # prediction (dropout is inverted: nothing to rescale at prediction time),
    # so the export drops them and predicts the same.
    X, y = _data("multiclass")
    est = MLPClassifierNB(**SMALL, **params).fit(X, y)
    sk = est.to_sklearn()
    assert not set(params) & set(sk.get_params())
    _assert_same_predictions(sk, est, X)
