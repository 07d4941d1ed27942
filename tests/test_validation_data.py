"""fit(..., X_val=, y_val=, sample_weight_val=): explicit validation data.

With ``early_stopping=True`` the given rows replace the internal split, and
must then be exactly the internal split's validation (same scores, same
weights); without it they are only monitored, and training must not change
at all. ``validation_loss_curve_`` holds the loss of the validation rows per
epoch, in the same convention as ``loss_curve_`` (no L2 term).
"""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    mean_poisson_deviance,
    mean_squared_error,
    r2_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp.exceptions import UntransformedValidationWarning

from _split import early_stopping_split

rng = np.random.RandomState(0)
N = 100
X = rng.standard_normal((N, 5))
S = X @ rng.standard_normal((5, 3)) + 0.5 * rng.standard_normal((N, 3))
SW = rng.uniform(0.2, 3.0, N)
TARGETS = {
    "binary": (MLPClassifierNB, (S[:, 0] > 0).astype(int), {}),
    "multiclass": (MLPClassifierNB, np.array(["a", "b", "c"])[S.argmax(axis=1)], {}),
    "multilabel": (MLPClassifierNB, (S > 0).astype(int), {}),
    "regression": (MLPRegressorNB, S[:, 0], {}),
    "multioutput": (MLPRegressorNB, S[:, :2], {}),
    "poisson": (MLPRegressorNB, rng.poisson(np.exp(0.3 * S[:, 0])).astype(float),
                {"loss": "poisson"}),
}
PARAMS = dict(hidden_layer_sizes=(8,), max_iter=30, batch_size=25, random_state=1,
              learning_rate_init=0.02, n_iter_no_change=4, validation_fraction=0.25)
CURVES = ("loss_curve_", "validation_scores_", "validation_loss_curve_")


def _make(target, **params):
    Est, y, extra = TARGETS[target]
    return Est(**dict(PARAMS, **extra, **params)), y


def _assert_same_fit(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(u, v)
    for attr in CURVES + ("n_iter_", "t_", "best_validation_score_", "best_loss_"):
        assert getattr(a, attr) == getattr(b, attr), attr


def _score(est, Xv, yv, sw=None):
    if isinstance(est, MLPClassifierNB):
        return accuracy_score(yv, est.predict(Xv), sample_weight=sw)
    return r2_score(yv, est.predict(Xv), sample_weight=sw)


def _loss(est, Xv, yv, sw=None):
    """The validation loss by hand, in scikit-learn's MLP conventions."""
    if isinstance(est, MLPClassifierNB):
        proba = est.predict_proba(Xv)
        if np.ndim(yv) == 2:  # multilabel: binary cross-entropy summed over labels
            return sum(log_loss(yv[:, j], proba[:, j], sample_weight=sw, labels=[0, 1])
                       for j in range(yv.shape[1]))
        return log_loss(yv, proba, sample_weight=sw, labels=est.classes_)
    if est.loss == "poisson":
        return 0.5 * mean_poisson_deviance(yv, est.predict(Xv), sample_weight=sw)
    return 0.5 * mean_squared_error(yv, est.predict(Xv), sample_weight=sw)


# -------------------------------------------- replaces the internal split
@pytest.mark.parametrize("variant", ["plain", "sample_weight", "dropout"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("target", list(TARGETS))
def test_X_val_equals_early_stopping_on_the_same_rows(target, solver, variant):
    extra = {"dropout": 0.2} if variant == "dropout" else {}
    sw = SW if variant == "sample_weight" else None
    # Small improvements do not count (tol) and training is quick
    # (learning_rate_init), so early stopping decides within max_iter.
    extra.update(tol=1e-2, learning_rate_init=0.05, max_iter=100)
    internal, y = _make(target, solver=solver, shuffle=False, early_stopping=True,
                        **extra)
    internal.fit(X, y, sample_weight=sw)
    tr, va = early_stopping_split(internal, X, y)
    given, _ = _make(target, solver=solver, shuffle=False, early_stopping=True, **extra)
    given.fit(X[tr], y[tr], X_val=X[va], y_val=y[va],
              sample_weight=None if sw is None else sw[tr],
              sample_weight_val=None if sw is None else sw[va])
    _assert_same_fit(internal, given)
    assert internal.n_iter_ < 100  # early stopping did decide
    assert len(given.validation_loss_curve_) == given.n_iter_


# ------------------------------------------------------ only monitored
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("target", list(TARGETS))
def test_X_val_without_early_stopping_is_only_monitored(target, solver, weighted):
    Xt, Xv = X[:70], X[70:]
    sw_val = SW[70:] if weighted else None
    plain, y = _make(target, solver=solver, max_iter=8)
    plain.fit(Xt, y[:70])
    monitored, _ = _make(target, solver=solver, max_iter=8)
    monitored.fit(Xt, y[:70], X_val=Xv, y_val=y[70:], sample_weight_val=sw_val)
    # Training is untouched, shuffles and stopping rule included.
    for u, v in zip(plain.coefs_ + plain.intercepts_,
                    monitored.coefs_ + monitored.intercepts_):
        np.testing.assert_array_equal(u, v)
    for attr in ("loss_curve_", "n_iter_", "best_loss_", "best_validation_score_"):
        assert getattr(plain, attr) == getattr(monitored, attr), attr
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None
    assert len(monitored.validation_scores_) == monitored.n_iter_
    assert len(monitored.validation_loss_curve_) == monitored.n_iter_
    # Epoch k's entries are the score and loss of the weights after epoch k.
    for k in (1, 4, monitored.n_iter_):
        cut, _ = _make(target, solver=solver, max_iter=k)
        cut.fit(Xt, y[:70])
        assert monitored.validation_scores_[k - 1] == pytest.approx(
            _score(cut, Xv, y[70:], sw_val), rel=1e-12, abs=1e-15)
        assert monitored.validation_loss_curve_[k - 1] == pytest.approx(
            _loss(cut, Xv, y[70:], sw_val), rel=1e-10)


def test_internal_split_records_the_validation_loss_too():
    est, y = _make("multiclass", early_stopping=True)
    est.fit(X, y)
    _, va = early_stopping_split(est, X, y)
    assert len(est.validation_loss_curve_) == est.n_iter_
    best = int(np.argmax(est.validation_scores_))
    assert est.validation_loss_curve_[best] == pytest.approx(
        _loss(est, X[va], y[va]), rel=1e-10)


def test_weighted_validation_differs_from_unweighted():
    """sample_weight_val really reaches the score (else the test above is vacuous)."""
    est, y = _make("regression", max_iter=3)
    a = est.fit(X[:70], y[:70], X_val=X[70:], y_val=y[70:]).validation_scores_
    b = est.fit(X[:70], y[:70], X_val=X[70:], y_val=y[70:],
                sample_weight_val=SW[70:]).validation_scores_
    assert a != b


# ------------------------------------------------------------- pipelines
@pytest.mark.parametrize("early_stopping", [False, True])
def test_pipeline_transforms_X_val(early_stopping):
    # Features on very different scales, so that an untransformed X_val scores
    # visibly differently.
    Xs = X * [1.0, 10.0, 100.0, 0.1, 3.0] + [5.0, -3.0, 50.0, 0.0, 1.0]
    _, y = _make("multiclass")
    Xt, yt, Xv, yv = Xs[:70], y[:70], Xs[70:], y[70:]
    params = dict(PARAMS, early_stopping=early_stopping, max_iter=10)
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = MLPClassifierNB(**params).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)],
                        transform_input=["X_val"])
        pipe.fit(Xt, yt, X_val=Xv, y_val=yv)
    scaler = StandardScaler().fit(Xt)
    direct = MLPClassifierNB(**params).fit(scaler.transform(Xt), yt,
                                          X_val=scaler.transform(Xv), y_val=yv)
    _assert_same_fit(pipe[-1], direct)
    np.testing.assert_array_equal(pipe.predict_proba(Xv),
                                  direct.predict_proba(scaler.transform(Xv)))
    with pytest.warns(UntransformedValidationWarning, match="transform_input"):
        raw = MLPClassifierNB(**params).fit(scaler.transform(Xt), yt, X_val=Xv,
                                            y_val=yv)
    assert raw.validation_loss_curve_ != direct.validation_loss_curve_


# ------------------------------------------- validation data left untransformed
def _breast_cancer_split():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    Xb, yb = load_breast_cancer(return_X_y=True)
    return train_test_split(Xb, yb, test_size=0.2, random_state=0)


def test_pipeline_with_raw_X_val_warns_and_names_the_recipe():
    """The issue's case: mlp__X_val reaches the MLP unscaled, silently before."""
    Xt, Xv, yt, yv = _breast_cancer_split()
    pipe = Pipeline([("scale", StandardScaler()),
                     ("mlp", MLPClassifierNB(early_stopping=True, max_iter=5,
                                             random_state=0))])
    with pytest.warns(UntransformedValidationWarning,
                      match=r"transform_input=\['X_val'\]"):
        pipe.fit(Xt, yt, mlp__X_val=Xv, mlp__y_val=yv)


def test_pipeline_with_transform_input_does_not_warn():
    Xt, Xv, yt, yv = _breast_cancer_split()
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("error", UntransformedValidationWarning)
        mlp = MLPClassifierNB(early_stopping=True, max_iter=5, random_state=0)
        pipe = Pipeline([("scale", StandardScaler()),
                         ("mlp", mlp.set_fit_request(X_val=True, y_val=True))],
                        transform_input=["X_val"])
        pipe.fit(Xt, yt, X_val=Xv, y_val=yv)
    assert len(pipe[-1].validation_scores_) == pipe[-1].n_iter_


def _datasets():
    from sklearn import datasets
    from sklearn.preprocessing import OneHotEncoder

    r = np.random.RandomState(0)
    out = {name: getattr(datasets, f"load_{name}")(return_X_y=True)[0]
           for name in ("iris", "digits", "breast_cancer", "diabetes", "wine")}
    out["classification"] = datasets.make_classification(1000, 20, random_state=0)[0]
    out["cauchy"] = r.standard_cauchy((1000, 8))
    out["lognormal"] = r.lognormal(0, 2, (1000, 8))
    out["one-hot"] = OneHotEncoder().fit_transform(r.randint(0, 40, (1500, 5)))
    return out


@pytest.mark.parametrize("size", [2, 5, 0.1, 0.5])
def test_no_false_alarm_on_data_transformed_alike(size):
    """Every bundled data set, heavy tails and sparse one-hot data, any split size."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler, QuantileTransformer

    from skmlp._validation_scale import looks_untransformed

    for name, data in _datasets().items():
        sparse = not isinstance(data, np.ndarray)
        scalers = [StandardScaler(with_mean=not sparse)]
        if not sparse:
            scalers += [MinMaxScaler(), QuantileTransformer(n_quantiles=20)]
        for scaler in scalers:
            for seed in range(10):
                Xt, Xv = train_test_split(data, test_size=size, random_state=seed)
                scaler.fit(Xt)
                flagged, n_off, n_var = looks_untransformed(scaler.transform(Xt),
                                                            scaler.transform(Xv))
                assert not flagged, (name, type(scaler).__name__, seed, n_off, n_var)


# The statistic is built to never raise a false alarm, so it misses data whose raw
# values mostly lie within 3 interquartile ranges of standardised ones (iris,
# wine, digits: pixels of 0-16): such data also trains acceptably unscaled.
@pytest.mark.parametrize("name", ["breast_cancer"])
def test_raw_validation_data_is_flagged(name):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    from skmlp._validation_scale import looks_untransformed

    data = getattr(datasets, f"load_{name}")(return_X_y=True)[0]
    Xt, Xv = train_test_split(data, test_size=0.2, random_state=0)
    assert looks_untransformed(StandardScaler().fit_transform(Xt), Xv)[0]


# ---------------------------------------------------------------- errors
def _fails(est, match, *args, **kwargs):
    with pytest.raises(ValueError, match=match):
        est.fit(*args, **kwargs)
    assert not hasattr(est, "coefs_")


Y_CLF = TARGETS["multiclass"][1]


@pytest.mark.parametrize("given", [dict(X_val=X[:5]), dict(y_val=Y_CLF[:5])],
                         ids=["X_val-only", "y_val-only"])
def test_X_val_and_y_val_go_together(given):
    _fails(MLPClassifierNB(**PARAMS), r"X_val and y_val must be given together",
           X, Y_CLF, **given)


def test_sample_weight_val_needs_X_val():
    _fails(MLPClassifierNB(**PARAMS), r"sample_weight_val needs X_val and y_val",
           X, Y_CLF, sample_weight_val=SW[:5])


@pytest.mark.parametrize("Est, y", [(MLPClassifierNB, Y_CLF),
                                    (MLPRegressorNB, S[:, 0])], ids=["clf", "reg"])
def test_lbfgs_refuses_X_val(Est, y):
    _fails(Est(solver="lbfgs", **PARAMS), r"X_val needs a stochastic solver.*"
           r"solver='adam' or 'sgd'", X, y, X_val=X[:5], y_val=y[:5])


@pytest.mark.parametrize("n_features", [4, 6])
def test_X_val_with_other_number_of_features(n_features):
    Xv = np.c_[X, X][:10, :n_features]
    _fails(MLPClassifierNB(**PARAMS), rf"X has {n_features} features, but "
           r"MLPClassifierNB is expecting 5 features", X, Y_CLF, X_val=Xv,
           y_val=Y_CLF[:10])


def test_unknown_class_in_y_val():
    yv = Y_CLF[:10].astype(object)
    yv[3] = "zebra"
    _fails(MLPClassifierNB(**PARAMS), r"y_val has classes \['zebra'\] that are not "
           r"in the training classes", X, Y_CLF, X_val=X[:10], y_val=yv)


def test_X_val_and_y_val_lengths_differ():
    _fails(MLPClassifierNB(**PARAMS), r"X_val has 10 samples but y_val has 9",
           X, Y_CLF, X_val=X[:10], y_val=Y_CLF[:9])


def test_y_val_with_other_number_of_outputs():
    _fails(MLPRegressorNB(**PARAMS), r"y_val has 2 output\(s\) where y has 1",
           X, S[:, 0], X_val=X[:10], y_val=S[:10, :2])


def test_nan_in_X_val():
    Xv = X[:10].copy()
    Xv[2, 2] = np.nan
    _fails(MLPRegressorNB(**PARAMS), r"Input X contains NaN", X, S[:, 0], X_val=Xv,
           y_val=S[:10, 0])


def test_bad_sample_weight_val():
    _fails(MLPRegressorNB(**PARAMS), r"(?i)negative.*sample_weight", X, S[:, 0],
           X_val=X[:10], y_val=S[:10, 0], sample_weight_val=-np.ones(10))


def test_failed_X_val_leaves_a_fitted_model_unchanged():
    est = MLPClassifierNB(**PARAMS).fit(X, Y_CLF)
    before = [w.copy() for w in est.coefs_ + est.intercepts_]
    curve = list(est.loss_curve_)
    with pytest.raises(ValueError):
        est.fit(X, Y_CLF, X_val=X[:10, :4], y_val=Y_CLF[:10])
    for u, v in zip(before, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(u, v)
    assert est.loss_curve_ == curve and est.validation_loss_curve_ is None


def test_a_fit_without_validation_leaves_no_curves_of_an_earlier_one():
    # Found by review: a warm-started fit without validation kept the previous
    # fit's validation_scores_, which a plot then drew against the wrong epochs.
    rng = np.random.RandomState(0)
    X = rng.standard_normal((80, 4))
    y = np.arange(80) % 2
    est = MLPClassifierNB(hidden_layer_sizes=(4,), max_iter=3, random_state=0,
                          warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y, X_val=X[:20], y_val=y[:20])
        assert len(est.validation_scores_) == 3
        est.fit(X, y)
    assert est.validation_scores_ is None and est.validation_loss_curve_ is None


def test_scaled_validation_data_next_to_raw_X_is_flagged():
    from sklearn.datasets import load_breast_cancer

    from skmlp._validation_scale import looks_untransformed

    data = load_breast_cancer(return_X_y=True)[0]
    Xt, Xv = data[:400], data[400:]
    assert looks_untransformed(Xt, StandardScaler().fit(Xt).transform(Xv))[0]
