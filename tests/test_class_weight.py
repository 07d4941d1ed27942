"""class_weight: the meaning LogisticRegression gives it, as sample weights.

skmlp turns ``class_weight`` into per-sample weights with
``sklearn.utils.class_weight.compute_sample_weight`` and multiplies them into
``sample_weight``. So the proof that it does exactly that is a bitwise
comparison: a fit with ``class_weight`` equals a fit with the sample weights
computed by scikit-learn.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
N = 90
X = rng.standard_normal((N, 5))
# Imbalanced: 60 / 20 / 10, so that 'balanced' weights differ per class.
Y_MULTI = np.repeat([0, 1, 2], [60, 20, 10])[rng.permutation(N)]
Y_BINARY = (Y_MULTI > 0).astype(int)
Y_NAMES = np.array(["cat", "dog", "eel"])[Y_MULTI]
Y_LABELS = (X[:, :3] + 0.3 * rng.standard_normal((N, 3)) > [-0.5, 0.3, 1.0]).astype(int)
SW = rng.uniform(0.2, 3.0, N)
PARAMS = dict(hidden_layer_sizes=(8,), max_iter=6, random_state=0, batch_size=32,
              learning_rate_init=0.01, n_iter_no_change=100)
TARGETS = {"binary": Y_BINARY, "multiclass": Y_MULTI, "strings": Y_NAMES,
           "multilabel": Y_LABELS}


def _assert_same_model(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(u, v)
    assert a.loss_ == b.loss_
    assert getattr(a, "loss_curve_", None) == getattr(b, "loss_curve_", None)
    assert getattr(a, "validation_scores_", None) == getattr(b, "validation_scores_",
                                                             None)


SETTINGS = [dict(solver="sgd"), dict(solver="adam"), dict(solver="lbfgs"),
            dict(solver="adam", early_stopping=True, validation_fraction=0.3)]


def _ids(settings):
    return "-".join(f"{k}={v}" for k, v in settings.items()
                    if k != "validation_fraction")


# --------------------------------------------------------------- 'balanced'
@pytest.mark.parametrize("settings", SETTINGS, ids=_ids)
@pytest.mark.parametrize("target", list(TARGETS))
def test_balanced_is_compute_sample_weight_balanced(target, settings):
    y = TARGETS[target]
    params = dict(PARAMS, **settings)
    weighted = MLPClassifierNB(class_weight="balanced", **params).fit(X, y)
    expected = compute_sample_weight("balanced", y)
    assert len(np.unique(expected)) > 1  # the test would be vacuous otherwise
    by_hand = MLPClassifierNB(**params).fit(X, y, sample_weight=expected)
    _assert_same_model(weighted, by_hand)
    unweighted = MLPClassifierNB(**params).fit(X, y)
    assert not np.array_equal(weighted.coefs_[0], unweighted.coefs_[0])


# -------------------------------------------------------------------- dicts
DICTS = {
    "binary": {0: 0.5, 1: 3.0},
    "multiclass": {0: 0.5, 2: 4.0},  # class 1 missing: weight 1
    "strings": {"dog": 2.5, "eel": 0.25},
    # multilabel: one {0: w, 1: w} per label, as compute_sample_weight takes it
    "multilabel": [{0: 1.0, 1: 3.0}, {0: 0.5, 1: 1.0}, {0: 2.0, 1: 1.0}],
}


@pytest.mark.parametrize("settings", SETTINGS, ids=_ids)
@pytest.mark.parametrize("target", list(TARGETS))
def test_dict_is_compute_sample_weight_of_the_dict(target, settings):
    y, cw = TARGETS[target], DICTS[target]
    params = dict(PARAMS, **settings)
    weighted = MLPClassifierNB(class_weight=cw, **params).fit(X, y)
    by_hand = MLPClassifierNB(**params).fit(
        X, y, sample_weight=compute_sample_weight(cw, y))
    _assert_same_model(weighted, by_hand)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cw", ["balanced", DICTS["multiclass"]],
                         ids=["balanced", "dict"])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_class_weight_multiplies_sample_weight(solver, cw, dtype):
    params = dict(PARAMS, solver=solver)
    Xd = X.astype(dtype)
    weighted = MLPClassifierNB(class_weight=cw, **params).fit(Xd, Y_MULTI,
                                                              sample_weight=SW)
    # Both factors in the model's dtype, multiplied there, as documented.
    product = SW.astype(dtype) * compute_sample_weight(cw, Y_MULTI).astype(dtype)
    by_hand = MLPClassifierNB(**params).fit(Xd, Y_MULTI, sample_weight=product)
    _assert_same_model(weighted, by_hand)


def test_unit_dict_changes_nothing():
    plain = MLPClassifierNB(**PARAMS).fit(X, Y_MULTI)
    ones = MLPClassifierNB(class_weight={0: 1, 1: 1.0, 2: 1}, **PARAMS).fit(X, Y_MULTI)
    _assert_same_model(plain, ones)


@pytest.mark.parametrize("cw, missing", [({0: 1.0, 5: 2.0}, r"\[1, 2\]"),
                                         ({"cat": 2.0, "cow": 1.0}, r"\['dog', 'eel'\]")],
                         ids=["int", "str"])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_unknown_key_raises_when_a_present_class_has_no_weight(method, cw, missing):
    """compute_class_weight's rule: an unknown key is an error when classes lack one."""
    y = Y_NAMES if "cow" in cw else Y_MULTI
    est = MLPClassifierNB(class_weight=cw, **PARAMS)
    kw = {"classes": np.unique(y)} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match=rf"The classes, {missing}, are not in "
                                         "class_weight"):
        getattr(est, method)(X, y, **kw)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_weight_of_a_class_this_fit_lacks_is_ignored(solver):
    """A CV fold without a rare class: its weight is ignored, as LogisticRegression does."""
    params = dict(PARAMS, solver=solver)
    rows = Y_MULTI != 2
    cw = {0: 1.0, 1: 3.0}
    with_extra = MLPClassifierNB(class_weight={**cw, 2: 5.0}, **params).fit(
        X[rows], Y_MULTI[rows])
    _assert_same_model(with_extra, MLPClassifierNB(class_weight=cw, **params).fit(
        X[rows], Y_MULTI[rows]))
    expected = compute_class_weight({**cw, 2: 5.0}, classes=np.array([0, 1]),
                                    y=Y_MULTI[rows])
    np.testing.assert_array_equal(expected, [1.0, 3.0])


def test_cross_validation_with_a_rare_class_scores_every_fold():
    """StratifiedKFold cannot put the one sample of a class in every training fold."""
    y = Y_MULTI.copy()
    y[np.flatnonzero(y == 2)[1:]] = 1  # class 2 keeps a single sample
    est = MLPClassifierNB(class_weight={0: 1.0, 1: 2.0, 2: 10.0}, **PARAMS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn: a class with 1 member
        scores = cross_val_score(est, X, y, cv=3, error_score="raise")
    assert np.isfinite(scores).all()


def test_unknown_class_in_dict_leaves_a_fitted_model_unchanged():
    est = MLPClassifierNB(**PARAMS).fit(X, Y_MULTI)
    before = [w.copy() for w in est.coefs_ + est.intercepts_]
    est.set_params(class_weight={7: 2.0})
    with pytest.raises(ValueError, match="are not in class_weight"):
        est.fit(X, Y_MULTI)
    for u, v in zip(before, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "strings"])
def test_partial_fit_with_a_dict(target, solver):
    y, cw = TARGETS[target], DICTS[target]
    params = dict(PARAMS, solver=solver, batch_size=10)
    weighted, by_hand = (MLPClassifierNB(class_weight=cw, **params),
                         MLPClassifierNB(**params))
    # Blocks that do not hold every class: a dict needs no class frequencies.
    for i, rows in enumerate(np.array_split(np.argsort(y, kind="stable"), 3)):
        first = {"classes": np.unique(y)} if i == 0 else {}
        weighted.partial_fit(X[rows], y[rows], **first)
        # (compute_sample_weight refuses a dict naming a class the block lacks)
        sw = np.array([cw.get(label, 1.0) for label in y[rows]])
        by_hand.partial_fit(X[rows], y[rows], sample_weight=sw, **first)
    _assert_same_model(weighted, by_hand)


def test_partial_fit_with_a_dict_equals_fit():
    k = 3
    params = dict(PARAMS, class_weight=DICTS["multiclass"])
    fitted = MLPClassifierNB(**dict(params, max_iter=k)).fit(X, Y_MULTI)
    incremental = MLPClassifierNB(**params)
    for i in range(k):
        first = {"classes": [0, 1, 2]} if i == 0 else {}
        incremental.partial_fit(X, Y_MULTI, **first)
    _assert_same_model(fitted, incremental)


@pytest.mark.parametrize("target", ["multiclass", "multilabel"])
def test_partial_fit_refuses_balanced(target):
    y = TARGETS[target]
    est = MLPClassifierNB(class_weight="balanced", **PARAMS)
    classes = np.unique(y) if target == "multiclass" else np.arange(3)
    with pytest.raises(ValueError, match=r"class_weight='balanced' needs the class "
                                         r"frequencies.*compute_class_weight.*dict"):
        est.partial_fit(X, y, classes=classes)
    assert not hasattr(est, "coefs_")


def test_partial_fit_refuses_balanced_after_fit():
    est = MLPClassifierNB(class_weight="balanced", **PARAMS).fit(X, Y_MULTI)
    before = [w.copy() for w in est.coefs_]
    with pytest.raises(ValueError, match=r"class_weight='balanced'"):
        est.partial_fit(X, Y_MULTI)
    for u, v in zip(before, est.coefs_):
        np.testing.assert_array_equal(u, v)


# ----------------------------------------------------------------- regressor
def test_regressor_has_no_class_weight():
    assert "class_weight" not in MLPRegressorNB().get_params()
    assert "class_weight" in MLPClassifierNB().get_params()
    assert MLPClassifierNB().class_weight is None
    with pytest.raises(TypeError, match="class_weight"):
        MLPRegressorNB(class_weight="balanced")


def test_balanced_weights_validation_data_with_the_training_class_weights():
    # X_val is weighted as the internal early-stopping split is: with the class
    # weights of the training data, not weights balanced on y_val's own counts.
    from sklearn.metrics import log_loss
    from sklearn.utils.class_weight import compute_class_weight

    rng = np.random.RandomState(3)
    X_tr = rng.standard_normal((300, 4))
    y_tr = np.r_[np.zeros(270, int), np.ones(30, int)]
    X_val = rng.standard_normal((20, 4))
    y_val = np.r_[np.zeros(10, int), np.ones(10, int)]  # balanced on its own
    est = MLPClassifierNB(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                          class_weight="balanced")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    per_class = compute_class_weight("balanced", classes=np.array([0, 1]), y=y_tr)
    expected = log_loss(y_val, est.predict_proba(X_val),
                        sample_weight=per_class[y_val])
    unweighted = log_loss(y_val, est.predict_proba(X_val))
    assert est.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-12)
    assert abs(expected - unweighted) > 1e-3  # the weighting is visible
