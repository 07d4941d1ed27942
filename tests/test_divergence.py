"""Non-finite training is reported, and never leaves a model that predicts NaN.

When the loss or the weights stop being finite (a learning rate far too large,
inputs or targets around 1e30 and beyond) skmlp stops training with
``ValueError('Solver produced non-finite parameter weights. ... Training
diverged: <what> at epoch <n>. Lower learning_rate_init ..., scale the inputs
... or increase alpha. The estimator was left as it was before this call
(unfitted if it was).')`` (scikit-learn's sentence first). With early stopping,
divergence ends training on the best weights instead (see
tests/test_early_stopping.py). Whatever happens, a fitted
estimator afterwards holds finite weights and predicts finite values, on the
data it was trained on and on ordinary data (an unfitted estimator cannot
predict NaN: it raises NotFittedError); a fit that returns normally has a
finite loss, or warned that it has not.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp._base import SKLEARN_NONFINITE

rng = np.random.RandomState(0)
N = 30
X = rng.randn(N, 3)
Y_CLF = np.arange(N) % 3
Y_REG = 3 * X[:, 0] + 1
Y_POIS = np.abs(Y_REG)

_NON_FINITE_WORDS = re.compile(r"non-finite|diverged|\bnan\b|\binf(inity)?\b", re.I)


def make(kind, solver, lr=1e-3, **params):
    base = dict(hidden_layer_sizes=(5,), solver=solver, learning_rate_init=lr,
                max_iter=30, random_state=0)
    base.update(params)
    if kind == "clf":
        return MLPClassifierNB(**base)
    if kind == "pois":
        base["loss"] = "poisson"
    return MLPRegressorNB(**base)


def data(kind, trigger, dtype):
    Xd = X.copy()
    y = {"clf": Y_CLF, "reg": Y_REG, "pois": Y_POIS}[kind].copy()
    if trigger.startswith("X*"):
        Xd = Xd * float(trigger[2:])
    elif trigger.startswith("y*"):
        y = y * float(trigger[2:])
    return Xd.astype(dtype), y


def build(case):
    kind, solver, trigger, dtype = case
    lr = float(trigger[3:]) if trigger.startswith("lr=") else 1e-3
    Xd, y = data(kind, trigger, dtype)
    return make(kind, solver, lr=lr), Xd, y


def fit_recording(est, Xd, y, **kw):
    """Fit; return (the ValueError raised or None, the warnings emitted)."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            est.fit(Xd, y, **kw)
        except ValueError as e:
            return e, rec
    return None, rec


def is_fitted(est):
    try:
        check_is_fitted(est)
    except NotFittedError:
        return False
    return True


def assert_never_predicts_nan(est, *inputs):
    """A fitted estimator predicts finite values; an unfitted one refuses to."""
    if not is_fitted(est):
        with pytest.raises(NotFittedError):
            est.predict(inputs[0])
        return
    for c in est.coefs_ + est.intercepts_:
        assert np.isfinite(c).all(), "non-finite weights kept"
    for Xp in inputs:
        if hasattr(est, "predict_proba"):
            p = est.predict_proba(Xp)
            assert np.isfinite(p).all(), "predict_proba returns NaN/inf"
            np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
            assert np.isin(est.predict(Xp), est.classes_).all()
        else:
            assert np.isfinite(est.predict(Xp)).all(), "predict returns NaN/inf"


# (kind, solver, trigger, dtype). lbfgs ignores the learning rate.
GRID = [
    (kind, solver, trigger, np.float64)
    for kind in ("clf", "reg", "pois")
    for solver in ("sgd", "adam", "lbfgs")
    for trigger in ("lr=1e3", "lr=1e200", "X*1e30", "X*1e300", "y*1e30", "y*1e200")
    if not (solver == "lbfgs" and trigger.startswith("lr="))
    and not (kind == "clf" and trigger.startswith("y*"))
] + [
    ("clf", "sgd", "lr=1e3", np.float32),
    ("reg", "sgd", "lr=1e3", np.float32),
    ("reg", "adam", "X*1e30", np.float32),
    ("reg", "lbfgs", "X*1e30", np.float32),
]

# Found by tests/test_properties.py when exploring wider ranges: the loss of an
# epoch is computed before its last update, so an update that makes the outputs
# overflow (finite weights, inf predictions) went unnoticed; fit now checks the
# final weights' outputs on the last minibatch.


def _param(case):
    kind, solver, trigger, dtype = case
    return pytest.param(case, id=f"{kind}-{solver}-{trigger}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("case", [_param(c) for c in GRID])
def test_non_finite_training_is_reported_and_model_stays_finite(case):
    est, Xd, y = build(case)
    err, rec = fit_recording(est, Xd, y)
    if err is not None:
        msg = str(err)
        # scikit-learn's sentence first (code matching on it keeps working),
        # then skmlp's diagnosis.
        assert msg.startswith(SKLEARN_NONFINITE), msg
        assert "Training diverged" in msg
        assert "StandardScaler" in msg  # what to change
        if case[1] != "lbfgs":
            assert "learning_rate_init" in msg
        assert all(np.isfinite(v) for v in getattr(est, "loss_curve_", []))
    elif not np.isfinite(est.loss_):
        warned = [str(w.message) for w in rec
                  if _NON_FINITE_WORDS.search(str(w.message))]
        assert warned, f"loss_={est.loss_} without an error or a warning saying so"
    assert_never_predicts_nan(est, Xd, X.astype(Xd.dtype))


# --------------------------------------------------------------- the message
def test_divergence_error_says_what_to_change():
    with pytest.raises(ValueError) as e:
        make("reg", "sgd", lr=1e3).fit(X, Y_REG)
    msg = str(e.value)
    assert re.search(r"Training diverged: .* at epoch \d+\.", msg)
    assert re.search(r"\b(nan|inf)\b|non-finite", msg)  # what went wrong
    assert "Lower learning_rate_init (currently 1000.0)" in msg  # what to change
    assert "StandardScaler" in msg and "alpha" in msg
    # and what state the estimator was left in
    assert re.search(r"restored to the last finite state|left as it was before", msg)


@pytest.mark.parametrize("case", [("reg", "sgd", "lr=1e3", np.float32),
                                  ("reg", "adam", "X*1e30", np.float32),
                                  ("clf", "sgd", "lr=1e200", np.float32)],
                         ids=["sgd-lr", "adam-hugeX", "sgd-clf"])
def test_divergence_message_names_the_non_finite_quantity(case):
    est, Xd, y = build(case)
    with pytest.raises(ValueError, match="Training diverged") as e:
        est.fit(Xd, y)
    assert re.search(r"\b(nan|inf)\b|non-finite", str(e.value))


def test_lbfgs_divergence_message_gives_advice_that_applies():
    with pytest.raises(ValueError, match="Training diverged") as e:
        make("reg", "lbfgs").fit(X, Y_REG * 1e200)
    msg = str(e.value)
    assert "StandardScaler" in msg
    assert "learning_rate_init" not in msg
    assert "L-BFGS iteration" in msg


# ------------------------------------------------------- after the error
def test_refit_with_a_sane_learning_rate_recovers():
    est = make("reg", "sgd", lr=1e3)
    with pytest.raises(ValueError, match="Training diverged"):
        est.fit(X, Y_REG)
    est.set_params(learning_rate_init=1e-3)
    est.fit(X, Y_REG)
    assert np.isfinite(est.loss_)
    assert_never_predicts_nan(est, X)


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_partial_fit_divergence_restores_the_state_before_the_call(kind):
    # learning rates that let a few partial_fit calls succeed before one diverges
    est = make(kind, "sgd", lr=1e3 if kind == "reg" else 1e50)
    kw = {"classes": [0, 1, 2]} if kind == "clf" else {}
    y = Y_CLF if kind == "clf" else Y_REG
    before = None
    for _ in range(30):
        if hasattr(est, "coefs_"):
            before = [w.copy() for w in est.coefs_ + est.intercepts_]
        try:
            est.partial_fit(X, y, **kw)
        except ValueError as e:
            assert "Training diverged" in str(e)
            break
    else:
        pytest.fail("partial_fit never diverged")
    assert before is not None, "diverged on the very first call"
    for w, b in zip(est.coefs_ + est.intercepts_, before):
        np.testing.assert_array_equal(w, b)
    assert_never_predicts_nan(est, X)


def test_warm_start_divergence_leaves_the_previous_model():
    est = make("reg", "sgd", warm_start=True).fit(X, Y_REG)
    before = [w.copy() for w in est.coefs_ + est.intercepts_]
    curve, n_iter = list(est.loss_curve_), est.n_iter_
    est.set_params(learning_rate_init=1e3)
    with pytest.raises(ValueError, match="Training diverged"):
        est.fit(X, Y_REG)
    for w, b in zip(est.coefs_ + est.intercepts_, before):
        np.testing.assert_array_equal(w, b)
    assert est.loss_curve_ == curve and est.n_iter_ == n_iter
    assert_never_predicts_nan(est, X)


@pytest.mark.parametrize("kind, solver, trigger", [
    ("reg", "sgd", "lr=1e3"), ("clf", "adam", "lr=1e200"),
    ("reg", "lbfgs", "y*1e200"),
])
def test_diverged_first_fit_leaves_the_estimator_unfitted(kind, solver, trigger):
    est, Xd, y = build((kind, solver, trigger, np.float64))
    with pytest.raises(ValueError, match="Training diverged"):
        est.fit(Xd, y)
    assert not hasattr(est, "coefs_")
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_diverged_refit_leaves_the_previous_model():
    """A refit (warm_start=False) that diverges keeps the earlier good model."""
    est = make("reg", "adam").fit(X, Y_REG)
    pred = est.predict(X)
    est.set_params(solver="sgd", learning_rate_init=1e3)
    with pytest.raises(ValueError, match="Training diverged"):
        est.fit(X, Y_REG)
    np.testing.assert_array_equal(est.predict(X), pred)


def test_non_finite_predictions_warn():
    """Inputs far outside what the model can represent: a warning, not silence."""
    est = make("pois", "adam").fit(X, Y_POIS)  # exp output: overflows first
    with pytest.warns(RuntimeWarning, match=r"non-finite outputs.*StandardScaler"):
        pred = est.predict(X * 1e6)
    assert not np.isfinite(pred).all()


def test_divergence_with_early_stopping_keeps_the_best_model():
    # scikit-learn #29504: a search over wide learning-rate ranges must not
    # crash. Training ends at the divergence on the best weights, the epoch is
    # recorded with a NaN validation score, and a ConvergenceWarning names it.
    est = make("reg", "sgd", lr=1e3, early_stopping=True)
    err, rec = fit_recording(est, X, Y_REG)
    assert err is None
    msgs = [str(w.message) for w in rec if issubclass(w.category, ConvergenceWarning)]
    assert any(re.search(rf"diverged at epoch {est.n_iter_}\b", m) for m in msgs), msgs
    assert isinstance(est.validation_scores_[-1], float)
    assert np.isnan(est.validation_scores_[-1])
    assert np.isnan(est.validation_loss_curve_[-1])
    assert len(est.validation_scores_) == len(est.loss_curve_) == est.n_iter_
    best = int(np.nanargmax(est.validation_scores_))
    assert est.best_validation_score_ == est.validation_scores_[best]
    assert_never_predicts_nan(est, X)


@pytest.mark.parametrize(
    "params, Xd, y",
    [
        (dict(loss="poisson", hidden_layer_sizes=(2,), activation="identity",
              solver="sgd", max_iter=3, shuffle=False, random_state=0, alpha=0.0),
         np.full((2, 3), 4.0), np.array([29.0, 29.0])),
        (dict(hidden_layer_sizes=(1,), activation="identity", solver="sgd",
              learning_rate_init=0.1, max_iter=3, shuffle=False, random_state=1,
              alpha=0.0),
         np.full((2, 1), 20.0, dtype=np.float32), np.zeros(2)),
    ],
    ids=["poisson-float64", "squared-error-float32"],
)
def test_fit_that_returns_predicts_finite_on_its_training_data(params, Xd, y):
    est = MLPRegressorNB(**params)
    err, rec = fit_recording(est, Xd, y)
    if err is not None:  # reporting the divergence is a correct outcome
        assert "Training diverged" in str(err)
    assert_never_predicts_nan(est, Xd)
