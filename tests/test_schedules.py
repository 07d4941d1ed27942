"""learning_rate_schedule: each schedule's rates are its formula, for adam and sgd.

The rate each epoch trains with is observed two ways: by recording the rate
handed to the compiled engine (a wrapper around ``train_epoch`` as the epoch
loop calls it), and by training: a fit with a schedule equals, bitwise, the
same epochs run one ``partial_fit`` at a time without a schedule, with the
formula's rate set by hand before each epoch.
"""

import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import (
    CosineAnnealing,
    ExponentialDecay,
    MLPClassifierNB,
    MLPRegressorNB,
    ReduceLROnPlateau,
    StepDecay,
    _stochastic,
)
from skmlp._epoch import H_LR
from skmlp._optim import ADAM, SGD

rng = np.random.RandomState(0)
X = rng.standard_normal((60, 5))
Y_REG = X @ rng.standard_normal(5) + 0.1 * rng.standard_normal(60)
Y_CLF = (X[:, 0] + X[:, 1] > 0).astype(int)
LR0 = 0.02
K = 7
PARAMS = dict(hidden_layer_sizes=(8,), batch_size=16, random_state=0,
              learning_rate_init=LR0, n_iter_no_change=100, max_iter=K)


@pytest.fixture
def used_rates(monkeypatch):
    """The learning rate of every training epoch, in the order trained (the
    final output check, an evaluation pass, is left out)."""
    rates = []
    real = _stochastic.train_epoch

    def spy(data, order, batch_size, net, theta, hyper, opt_code, *args):
        if opt_code in (ADAM, SGD):
            rates.append(float(hyper[H_LR]))
        return real(data, order, batch_size, net, theta, hyper, opt_code, *args)

    monkeypatch.setattr(_stochastic, "train_epoch", spy)
    return rates


# The formulas, written from the docstrings: the rate of epoch e (0-based).
def exponential(e, gamma):
    return LR0 * gamma**e


def step(e, step_size, gamma):
    return LR0 * gamma ** math.floor(e / step_size)


def cosine(e, t_max, eta_min):
    cos = math.cos(math.pi * min(e, t_max) / t_max)
    return eta_min + (LR0 - eta_min) * 0.5 * (1 + cos)


CASES = {
    "exponential": (ExponentialDecay(gamma=0.7), lambda e: exponential(e, 0.7)),
    "exponential-default": ("exponential", lambda e: exponential(e, 0.95)),
    "step": (StepDecay(step_size=3, gamma=0.5), lambda e: step(e, 3, 0.5)),
    "step-default": ("step", lambda e: step(e, 10, 0.1)),
    "cosine-max-iter": (CosineAnnealing(eta_min=0.001), lambda e: cosine(e, K, 0.001)),
    "cosine-short": (CosineAnnealing(T_max=4), lambda e: cosine(e, 4, 0.0)),
    "cosine-default": ("cosine", lambda e: cosine(e, K, 0.0)),
}


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("case", list(CASES))
def test_schedule_rates_are_the_formula(used_rates, case, solver):
    schedule, formula = CASES[case]
    MLPRegressorNB(solver=solver, learning_rate_schedule=schedule,
                   **PARAMS).fit(X, Y_REG)
    assert len(used_rates) == K
    np.testing.assert_allclose(used_rates, [formula(e) for e in range(K)],
                               rtol=1e-14, atol=0)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("case", ["exponential", "step", "cosine-max-iter"])
def test_training_follows_the_schedule(case, solver):
    """fit with a schedule == epochs by hand with the formula's rates (bitwise)."""
    schedule, formula = CASES[case]
    params = dict(PARAMS, solver=solver)
    scheduled = MLPClassifierNB(learning_rate_schedule=schedule, **params).fit(X, Y_CLF)
    by_hand = MLPClassifierNB(**params)
    for e in range(K):
        if e:  # the first call starts at learning_rate_init, formula(0)
            by_hand._solver_state.learning_rate = formula(e)
        by_hand.partial_fit(X, Y_CLF, **({"classes": [0, 1]} if e == 0 else {}))
    for u, v in zip(scheduled.coefs_ + scheduled.intercepts_,
                    by_hand.coefs_ + by_hand.intercepts_):
        np.testing.assert_array_equal(u, v)
    assert scheduled.loss_curve_ == by_hand.loss_curve_
    # And the schedule did change training (else this proves nothing).
    constant = MLPClassifierNB(**params).fit(X, Y_CLF)
    assert constant.loss_curve_[1:] != scheduled.loss_curve_[1:]


@pytest.mark.parametrize("name, obj", [("exponential", ExponentialDecay()),
                                       ("step", StepDecay()),
                                       ("cosine", CosineAnnealing()),
                                       ("plateau", ReduceLROnPlateau())])
def test_names_are_the_default_objects(name, obj):
    params = dict(PARAMS, max_iter=12, learning_rate_init=0.05)
    a = MLPRegressorNB(learning_rate_schedule=name, **params).fit(X, Y_REG)
    b = MLPRegressorNB(learning_rate_schedule=obj, **params).fit(X, Y_REG)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(u, v)
    assert a.loss_curve_ == b.loss_curve_


# ------------------------------------------------------------------ plateau
def _replay_plateau(metrics, lr0, factor, patience, threshold, min_lr):
    """ReduceLROnPlateau as documented: the rate of each epoch, given the
    monitored values of the epochs before it."""
    rates, lr, best, wait = [lr0], lr0, math.inf, 0
    for m in metrics[:-1]:
        if m < best * (1 - threshold):
            best, wait = m, 0
        else:
            wait += 1
            if wait > patience:
                lr, wait = max(lr * factor, min_lr), 0
        rates.append(lr)
    return rates


def test_plateau_reduces_after_patience_on_a_plateau(used_rates):
    # learning_rate_init so small that the loss does not move by 1e-4
    # (relative) in an epoch: a plateau from the first epoch on.
    lr0 = 1e-9
    schedule = ReduceLROnPlateau(factor=0.5, patience=2)
    est = MLPRegressorNB(learning_rate_schedule=schedule,
                         **dict(PARAMS, max_iter=10, learning_rate_init=lr0))
    est.fit(X, Y_REG)
    # Epoch 1 sets the best value; epochs 2, 3, 4 do not improve on it, and
    # after the third of them (wait 3 > patience 2) the rate halves; the next
    # three epochs halve it again.
    expected = [lr0] * 4 + [lr0 / 2] * 3 + [lr0 / 4] * 3
    assert used_rates == pytest.approx(expected, rel=1e-15)


def test_plateau_never_goes_below_min_lr(used_rates):
    lr0 = 1e-9
    schedule = ReduceLROnPlateau(factor=0.1, patience=0, min_lr=lr0 / 50)
    MLPRegressorNB(learning_rate_schedule=schedule,
                   **dict(PARAMS, max_iter=5, learning_rate_init=lr0)).fit(X, Y_REG)
    assert used_rates == pytest.approx([lr0, lr0, lr0 / 10, lr0 / 50, lr0 / 50],
                                       rel=1e-15)


@pytest.mark.parametrize("validation", ["none", "early_stopping", "X_val"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_plateau_monitors_the_documented_value(used_rates, solver, validation):
    """The training loss, or the validation loss when there is validation data."""
    settings = dict(factor=0.5, patience=1, threshold=0.02, min_lr=0.0)
    params = dict(PARAMS, solver=solver, max_iter=25, learning_rate_init=0.05,
                  learning_rate_schedule=ReduceLROnPlateau(**settings),
                  early_stopping=validation == "early_stopping")
    fit_kw = {"X_val": X[:20], "y_val": Y_REG[:20]} if validation == "X_val" else {}
    est = MLPRegressorNB(**params).fit(X, Y_REG, **fit_kw)
    monitored = est.loss_curve_ if validation == "none" else est.validation_loss_curve_
    expected = _replay_plateau(monitored, 0.05, **settings)
    assert used_rates == pytest.approx(expected, rel=1e-15)
    assert min(expected) < 0.05  # at least one reduction happened


# -------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_continues_the_schedule(used_rates, solver):
    est = MLPRegressorNB(solver=solver, learning_rate_schedule=StepDecay(2, 0.5),
                         **PARAMS)
    for _ in range(5):
        est.partial_fit(X, Y_REG)
    assert used_rates == pytest.approx([step(e, 2, 0.5) for e in range(5)], rel=1e-15)


def test_partial_fit_with_a_schedule_equals_fit():
    params = dict(PARAMS, learning_rate_schedule=ExponentialDecay(0.6))
    fitted = MLPRegressorNB(**params).fit(X, Y_REG)
    incremental = MLPRegressorNB(**params)
    for _ in range(K):
        incremental.partial_fit(X, Y_REG)
    for u, v in zip(fitted.coefs_ + fitted.intercepts_,
                    incremental.coefs_ + incremental.intercepts_):
        np.testing.assert_array_equal(u, v)
    assert fitted.loss_curve_ == incremental.loss_curve_


def _restarts_or_continues(rates, n_before, n_after, formula):
    fresh = [formula(e) for e in range(n_after)]
    continued = [formula(n_before + e) for e in range(n_after)]
    return (rates == pytest.approx(fresh, rel=1e-14)
            or rates == pytest.approx(continued, rel=1e-14))


def test_warm_start_restarts_or_continues_the_schedule(used_rates):
    est = MLPRegressorNB(warm_start=True, learning_rate_schedule=ExponentialDecay(0.5),
                         **dict(PARAMS, max_iter=3))
    est.fit(X, Y_REG)
    del used_rates[:]
    est.fit(X, Y_REG)
    assert _restarts_or_continues(list(used_rates), 3, 3, lambda e: exponential(e, 0.5))


# ----------------------------------------------- without a schedule: as before
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_no_schedule_keeps_sklearns_rule(used_rates, solver, learning_rate):
    """learning_rate_schedule=None: sgd's 'learning_rate' rules as scikit-learn
    has them, and adam ignores 'learning_rate' (constant rate)."""
    est = MLPRegressorNB(solver=solver, learning_rate=learning_rate,
                         **dict(PARAMS, power_t=0.5)).fit(X, Y_REG)
    if solver == "sgd" and learning_rate == "invscaling":
        n = X.shape[0]
        expected = [LR0] + [LR0 / (n * e + 1) ** 0.5 for e in range(1, K)]
    else:  # 'adaptive' only acts after n_iter_no_change epochs (100 here)
        expected = [LR0] * K
    assert est.learning_rate_schedule is None
    assert used_rates == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("constant", [ExponentialDecay(gamma=1.0),
                                      StepDecay(step_size=K + 1, gamma=0.1),
                                      CosineAnnealing(eta_min=LR0)], ids=repr)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_constant_schedule_is_bitwise_no_schedule(solver, constant):
    params = dict(PARAMS, solver=solver)
    plain = MLPClassifierNB(**params).fit(X, Y_CLF)
    scheduled = MLPClassifierNB(learning_rate_schedule=constant, **params).fit(X, Y_CLF)
    for u, v in zip(plain.coefs_ + plain.intercepts_,
                    scheduled.coefs_ + scheduled.intercepts_):
        np.testing.assert_array_equal(u, v)
    assert plain.loss_curve_ == scheduled.loss_curve_


# ------------------------------------------------------------------- errors
X_NAN = X.copy()
X_NAN[0, 0] = np.nan


@pytest.mark.parametrize("learning_rate", ["invscaling", "adaptive"])
@pytest.mark.parametrize("schedule", ["exponential", StepDecay()], ids=repr)
def test_schedule_with_sgds_own_rule_raises(schedule, learning_rate):
    est = MLPRegressorNB(solver="sgd", learning_rate=learning_rate,
                         learning_rate_schedule=schedule, **PARAMS)
    with pytest.raises(ValueError, match=r"both set the sgd learning rate.*"
                                         r"learning_rate='constant'"):
        est.fit(X_NAN, Y_REG)
    assert not hasattr(est, "coefs_")


def test_adam_ignores_learning_rate_with_a_schedule_too(used_rates):
    MLPRegressorNB(solver="adam", learning_rate="invscaling",
                   learning_rate_schedule=ExponentialDecay(0.5), **PARAMS).fit(X, Y_REG)
    assert used_rates == pytest.approx([exponential(e, 0.5) for e in range(K)])


BAD_SCHEDULES = [
    (ExponentialDecay(gamma=0.0), "gamma"),
    (ExponentialDecay(gamma=1.5), "gamma"),
    (ExponentialDecay(gamma="0.5"), "gamma"),
    (ExponentialDecay(gamma=True), "gamma"),
    (ExponentialDecay(gamma=np.nan), "gamma"),
    (StepDecay(step_size=0), "step_size"),
    (StepDecay(step_size=2.5), "step_size"),
    (StepDecay(gamma=-0.1), "gamma"),
    (CosineAnnealing(T_max=0), "T_max"),
    (CosineAnnealing(T_max=3.0), "T_max"),
    (CosineAnnealing(eta_min=-1e-3), "eta_min"),
    (ReduceLROnPlateau(factor=0.0), "factor"),
    (ReduceLROnPlateau(factor=2.0), "factor"),
    (ReduceLROnPlateau(patience=-1), "patience"),
    (ReduceLROnPlateau(patience=1.5), "patience"),
    (ReduceLROnPlateau(threshold=-1e-4), "threshold"),
    (ReduceLROnPlateau(min_lr=-1.0), "min_lr"),
]


@pytest.mark.parametrize("schedule, setting", BAD_SCHEDULES, ids=repr)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_invalid_schedule_settings_raise_before_any_work(method, schedule, setting):
    est = MLPRegressorNB(learning_rate_schedule=schedule, **PARAMS)
    with pytest.raises(ValueError, match=rf"{type(schedule).__name__}: {setting} must"):
        getattr(est, method)(X_NAN, Y_REG)
    assert not hasattr(est, "coefs_")


def test_plateau_factor_one_is_refused_as_documented():
    est = MLPRegressorNB(learning_rate_schedule=ReduceLROnPlateau(factor=1.0), **PARAMS)
    with pytest.raises(ValueError, match="factor"):
        est.fit(X, Y_REG)


@pytest.mark.parametrize("bad", ["linear", "Exponential", 0.9, ExponentialDecay],
                         ids=repr)
def test_unknown_schedule_raises_invalid_parameter(bad):
    est = MLPRegressorNB(learning_rate_schedule=bad, **PARAMS)
    with pytest.raises(InvalidParameterError, match=r"'learning_rate_schedule'"):
        est.fit(X_NAN, Y_REG)


def test_invalid_schedule_leaves_a_fitted_model_unchanged():
    est = MLPRegressorNB(**PARAMS).fit(X, Y_REG)
    before = [w.copy() for w in est.coefs_ + est.intercepts_]
    est.set_params(learning_rate_schedule=StepDecay(step_size=0))
    for method in ("fit", "partial_fit"):
        with pytest.raises(ValueError, match="step_size"):
            getattr(est, method)(X, Y_REG)
        for u, v in zip(before, est.coefs_ + est.intercepts_):
            np.testing.assert_array_equal(u, v)


# ----------------------------------------------------- objects as parameters
@pytest.mark.parametrize("schedule", [ExponentialDecay(0.8), StepDecay(3, 0.5),
                                      CosineAnnealing(5, 1e-4),
                                      ReduceLROnPlateau(0.2, 3, 1e-3, 1e-6)], ids=repr)
def test_schedule_objects_hold_settings_only(schedule):
    """Equal by settings, picklable, printable, and never changed by a fit."""
    settings = dict(vars(schedule))
    assert pickle.loads(pickle.dumps(schedule)) == schedule
    assert eval(repr(schedule)) == schedule  # noqa: S307 (our own repr)
    assert hash(clone(schedule, safe=False)) == hash(schedule)
    est = MLPRegressorNB(learning_rate_schedule=schedule, **PARAMS)
    first = est.fit(X, Y_REG).coefs_[0].copy()
    assert vars(schedule) == settings
    # A second fit with the same object starts the schedule afresh.
    np.testing.assert_array_equal(est.fit(X, Y_REG).coefs_[0], first)
    cloned = clone(est)
    assert cloned.learning_rate_schedule == schedule
    assert cloned.learning_rate_schedule is not schedule
    np.testing.assert_array_equal(cloned.fit(X, Y_REG).coefs_[0], first)


def test_switching_schedules_between_partial_fit_calls_starts_the_new_one():
    # Found by review: the exponential schedule's state was handed to the
    # plateau schedule, which raised KeyError.
    est = MLPRegressorNB(learning_rate_schedule="exponential", **PARAMS)
    est.partial_fit(X, Y_REG)
    est.set_params(learning_rate_schedule="plateau").partial_fit(X, Y_REG)
    assert est._solver_state.schedule_state["_owner"] == repr(ReduceLROnPlateau())
    assert est._solver_state.learning_rate == pytest.approx(est.learning_rate_init)
