"""``weight_decay`` (decoupled, AdamW's) and ``max_grad_norm`` (gradient clipping).

The arithmetic of one step and one epoch is checked against the NumPy reference
in tests/test_kernels.py; here: the estimators' behaviour. The defaults change
nothing, bitwise; the documented relation of plain sgd's decay to ``alpha``
holds; a clipped sgd step moves the weights by ``learning_rate * max_grad_norm``;
split batches clip by the whole batch's norm (the one-thread fit to rounding,
bitwise reproducible); lbfgs and bad values are refused before any work.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB

from conftest import ROUND_OFF_TOL

rng = np.random.RandomState(0)
X = rng.standard_normal((384, 12))
Y_CLF = (X[:, :3].sum(axis=1) > 0).astype(int) + (X[:, 3] > 1)
Y_REG = X @ rng.standard_normal(12)
BASE = dict(hidden_layer_sizes=(32, 16), max_iter=4, batch_size=64, random_state=42)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def weights(est):
    return est.coefs_ + est.intercepts_


def assert_bitwise_equal(a, b):
    for u, v in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(u, v)


def assert_close(a, b):
    for u, v in zip(weights(a), weights(b), strict=True):
        np.testing.assert_allclose(u, v, **ROUND_OFF_TOL)


def step_norm(a, b):
    return np.sqrt(sum(np.sum((u - v) ** 2) for u, v in zip(a, b)))



# ------------------------------------------------------------------ defaults
@pytest.mark.parametrize("params", [dict(), dict(solver="sgd"),
                                    dict(solver="sgd", momentum=0.0), dict(n_jobs=2)],
                         ids=["adam", "sgd", "plain-sgd", "adam-split"])
def test_defaults_and_an_unreached_limit_change_nothing(params):
    # max_grad_norm=1e300 runs the clipping pass (the norm is computed, and
    # summed over the threads) but never scales: the weights keep their bits.
    default = MLPClassifierNB(**BASE, **params).fit(X, Y_CLF)
    explicit = MLPClassifierNB(**BASE, **params, weight_decay=0.0,
                               max_grad_norm=1e300).fit(X, Y_CLF)
    assert_bitwise_equal(explicit, default)
    assert explicit.loss_curve_ == default.loss_curve_
    assert default.get_params()["weight_decay"] == 0.0
    assert default.get_params()["max_grad_norm"] is None


def test_saved_models_load_with_the_defaults():
    # Saved before these parameters existed: loading gives them their defaults
    # (tests/test_saved_models.py checks that such models keep training).
    # The skops file: it loads under every NumPy the floors allow (the joblib
    # pickle of NumPy 2 does not load under NumPy 1, see test_saved_models.py).
    sio = pytest.importorskip("skops.io", reason="skops is optional: pip install 'skmlp[skops]'")
    path = (Path(__file__).resolve().parent / "fixtures" / "saved_models"
            / "clf_binary_sgd_nesterov_invscaling.skops")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert "weight_decay" not in est.__dict__ or est.weight_decay == 0.0
    assert est.get_params()["weight_decay"] == 0.0
    assert est.get_params()["max_grad_norm"] is None


# -------------------------------------------------------------- weight decay
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling"])
def test_plain_sgd_weight_decay_is_alpha_times_the_batch_weight(learning_rate):
    # Plain sgd: theta * (1 - lr * wd) - lr * g equals the step with the L2
    # term alpha / batch_size * theta when alpha = wd * batch_size (unit weights,
    # 384 rows in full batches of 64), also with the epoch's decaying rate.
    wd = 0.02
    common = dict(BASE, solver="sgd", momentum=0.0, learning_rate=learning_rate,
                  learning_rate_init=0.05)
    decayed = MLPRegressorNB(**common, alpha=0.0, weight_decay=wd).fit(X, Y_REG)
    penalised = MLPRegressorNB(**common, alpha=wd * 64).fit(X, Y_REG)
    assert_close(decayed, penalised)
    # The decay is not part of the loss; alpha's penalty is.
    assert decayed.loss_ < penalised.loss_
    plain = MLPRegressorNB(**common, alpha=0.0).fit(X, Y_REG)
    assert not np.allclose(decayed.coefs_[0], plain.coefs_[0])


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_weight_decay_shrinks_the_coefficients(solver):
    # A strong decay (2% of the coefficients per step) against the data's pull.
    common = dict(BASE, solver=solver, learning_rate_init=0.01, max_iter=10)
    free = MLPClassifierNB(**common).fit(X, Y_CLF)
    decayed = MLPClassifierNB(**common, weight_decay=2.0).fit(X, Y_CLF)
    for u, v in zip(decayed.coefs_, free.coefs_, strict=True):
        assert np.linalg.norm(u) < 0.9 * np.linalg.norm(v)


# ---------------------------------------------------------------- clipping
def test_clipped_sgd_step_moves_the_weights_by_lr_times_the_limit():
    # One batch per epoch, plain sgd: the step is lr times a gradient of norm
    # exactly max_grad_norm (the unclipped gradient is far longer).
    lr, limit = 0.1, 1e-3
    est = MLPClassifierNB(**dict(BASE, max_iter=1, batch_size=384), solver="sgd",
                          momentum=0.0, learning_rate_init=lr).fit(X, Y_CLF)
    before = [w.copy() for w in weights(est)]
    est.set_params(warm_start=True, max_grad_norm=limit).fit(X, Y_CLF)
    np.testing.assert_allclose(step_norm(weights(est), before), lr * limit, rtol=1e-8)
    # Several batches: each step is at most lr * limit long.
    est.set_params(batch_size=48)  # 8 steps
    before = [w.copy() for w in weights(est)]
    est.fit(X, Y_CLF)
    moved = step_norm(weights(est), before)
    assert 0.5 * lr * limit < moved <= 8 * lr * limit * (1 + 1e-9)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_split_batches_clip_by_the_whole_gradient(solver, split_epochs):
    common = dict(BASE, solver=solver, max_grad_norm=0.05, weight_decay=0.01)
    one = MLPClassifierNB(**common).fit(X, Y_CLF)
    assert set(split_epochs) == {1}
    split_epochs.clear()
    split = MLPClassifierNB(**common, n_jobs=2).fit(X, Y_CLF)
    again = MLPClassifierNB(**common, n_jobs=2).fit(X, Y_CLF)
    assert set(split_epochs) == {2}
    assert_bitwise_equal(split, again)
    assert_close(split, one)
    np.testing.assert_allclose(split.loss_curve_, one.loss_curve_, **ROUND_OFF_TOL)
    # The limit was reached: without it the fit is another one.
    unclipped = MLPClassifierNB(**dict(common, max_grad_norm=None)).fit(X, Y_CLF)
    assert not np.allclose(unclipped.coefs_[0], one.coefs_[0])


def test_partial_fit_continues_as_fit():
    common = dict(BASE, max_grad_norm=0.05, weight_decay=0.1, shuffle=False)
    fitted = MLPRegressorNB(**dict(common, max_iter=3)).fit(X, Y_REG)
    est = MLPRegressorNB(**common)
    for _ in range(3):
        est.partial_fit(X, Y_REG)
    assert_bitwise_equal(est, fitted)


def test_to_sklearn_drops_the_training_only_settings():
    est = MLPClassifierNB(**BASE, weight_decay=0.1, max_grad_norm=0.5).fit(X, Y_CLF)
    sk = est.to_sklearn()
    assert "weight_decay" not in sk.get_params()
    np.testing.assert_allclose(sk.predict_proba(X), est.predict_proba(X),
                               **ROUND_OFF_TOL)


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("param, value, match", [
    ("weight_decay", 0.1, "alpha"), ("max_grad_norm", 1.0, "max_grad_norm")])
@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
def test_lbfgs_refuses_them_and_leaves_the_model_untouched(Est, param, value, match):
    y = Y_CLF if Est is MLPClassifierNB else Y_REG
    est = Est(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5,
              random_state=0).fit(X, y)
    before = [w.copy() for w in weights(est)]
    prediction = est.predict(X)
    est.set_params(**{param: value})
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    for u, v in zip(weights(est), before, strict=True):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(est.predict(X), prediction)


@pytest.mark.parametrize("param, value", [
    ("weight_decay", -0.1), ("weight_decay", "0.1"), ("weight_decay", None),
    ("weight_decay", np.nan), ("max_grad_norm", 0.0), ("max_grad_norm", -1.0),
    ("max_grad_norm", "1"), ("max_grad_norm", np.nan)])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_values_are_refused_before_any_work(param, value, method):
    est = MLPRegressorNB(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    est.fit(X, Y_REG)
    before = [w.copy() for w in weights(est)]
    n_iter = est.n_iter_
    est.set_params(**{param: value})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        getattr(est, method)(X, Y_REG)
    for u, v in zip(weights(est), before, strict=True):
        np.testing.assert_array_equal(u, v)
    assert est.n_iter_ == n_iter

