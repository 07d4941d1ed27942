"""skmlp through scikit-learn's own tools, each compared with scikit-learn's MLP.

Every case runs the same tool twice, once around skmlp's estimator and once around
scikit-learn's, and asserts that both work and give the same kind of output (type,
shape, dtype, classes). At default settings skmlp follows scikit-learn's training
trajectory (same initial weights, same sample order), so where the tool is
deterministic the outputs also agree: labels and search choices exactly, floats
to ``RTOL``/``ATOL`` below (the two libraries' matrix products may run on
different BLAS kernels, so agreement is to rounding, not bitwise).
"""

import copy
import io
import pickle
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_regression
from sklearn.ensemble import (
    BaggingClassifier,
    BaggingRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.feature_selection import RFE, SelectFromModel, SequentialFeatureSelector
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    KFold,
    TunedThresholdClassifierCV,
    cross_val_predict,
    cross_validate,
    learning_curve,
    validation_curve,
)
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.multioutput import (
    ClassifierChain,
    MultiOutputClassifier,
    MultiOutputRegressor,
    RegressorChain,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.semi_supervised import SelfTrainingClassifier

from skmlp import MLPClassifierNB, MLPRegressorNB

from _versions import sklearn_older_than

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # the unshuffled-folds case drops a class from each training fold on purpose
    pytest.mark.filterwarnings("ignore:Number of classes in training fold:RuntimeWarning"),
]

# Agreement of floats between the libraries: rounding differences of ~1e-15 in
# the weights, amplified at most a few orders by the tools' own fits
# (calibrators, final estimators, target transformers).
RTOL, ATOL = 1e-7, 1e-9

XI, YI = load_iris(return_X_y=True)
XI = StandardScaler().fit_transform(XI)
XB, YB = load_breast_cancer(return_X_y=True)
XB = StandardScaler().fit_transform(XB)[:200, :8]
YB = YB[:200]
XD, YD = load_digits(return_X_y=True)
XD, YD = XD[:200] / 16, YD[:200]
XR, YR = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
YR = YR / YR.std()
SW = np.linspace(0.5, 2.0, len(YI))
SWR = np.linspace(0.5, 2.0, len(YR))

SMALL = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0, learning_rate_init=0.01)
LIBS = ("skmlp", "sklearn")


def clf(lib, **kw):
    return (MLPClassifierNB if lib == "skmlp" else MLPClassifier)(**{**SMALL, **kw})


def reg(lib, **kw):
    return (MLPRegressorNB if lib == "skmlp" else MLPRegressor)(**{**SMALL, **kw})


def cases(table):
    """pytest parameters from a table of named cases; worker processes are slow."""
    return [pytest.param(case, id=name,
                         marks=[pytest.mark.slow] if "processes" in name else [])
            for name, case in table.items()]


def assert_agree(ours, theirs):
    """Same structure, type, shape and dtype; labels equal, floats to RTOL/ATOL."""
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for key in theirs:
            assert_agree(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_agree(a, b)
    elif isinstance(theirs, (np.ndarray, pd.DataFrame, pd.Series)):
        assert type(ours) is type(theirs)
        a, b = np.asarray(ours), np.asarray(theirs)
        assert a.shape == b.shape and a.dtype == b.dtype
        if b.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
        else:
            np.testing.assert_array_equal(a, b)
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=RTOL, abs=ATOL)
    else:
        assert ours == theirs


def run_both(case):
    """Run ``case(lib)`` for both libraries and assert that the outputs agree."""
    ours, theirs = case("skmlp"), case("sklearn")
    assert_agree(ours, theirs)
    return ours


def raises_both(case, exc, match):
    """Both libraries raise the same error type, naming the same problem."""
    for lib in LIBS:
        with pytest.raises(exc, match=match):
            case(lib)


# ---------------------------------------------------------------- calibration
CALIBRATION = {
    "sigmoid-cv": lambda lib: CalibratedClassifierCV(
        clf(lib), method="sigmoid", cv=3).fit(XI, YI).predict_proba(XI),
    "isotonic-cv": lambda lib: CalibratedClassifierCV(
        clf(lib), method="isotonic", cv=3).fit(XB, YB).predict_proba(XB),
    "temperature-cv": lambda lib: CalibratedClassifierCV(
        clf(lib), method="temperature", cv=3).fit(XI, YI).predict_proba(XI),
    "sample-weight": lambda lib: CalibratedClassifierCV(
        clf(lib), cv=3).fit(XI, YI, sample_weight=SW).predict_proba(XI),
    "frozen-prefit": lambda lib: CalibratedClassifierCV(
        FrozenEstimator(clf(lib).fit(XI[::2], YI[::2]))).fit(
            XI[1::2], YI[1::2]).predict_proba(XI),
    "no-ensemble-string-labels": lambda lib: (lambda m: (m.classes_, m.predict(XI)))(
        CalibratedClassifierCV(clf(lib), cv=3, ensemble=False).fit(
            XI, np.array(["a", "b", "c"])[YI])),
}


@pytest.mark.parametrize("case", cases(CALIBRATION))
def test_calibration(case, request):
    if "temperature" in request.node.callspec.id and sklearn_older_than("1.8"):
        pytest.skip("CalibratedClassifierCV(method='temperature') is new in scikit-learn 1.8")
    run_both(case)


# ----------------------------------------------------------------- ensembles
ENSEMBLES = {
    "stacking-classifier": lambda lib: StackingClassifier(
        [("a", clf(lib)), ("b", clf(lib, hidden_layer_sizes=(4,)))],
        final_estimator=LogisticRegression(), cv=3).fit(XI, YI).predict_proba(XI),
    "stacking-mlp-as-final": lambda lib: StackingClassifier(
        [("lr", LogisticRegression())], final_estimator=clf(lib), cv=3).fit(
            XI, YI).predict_proba(XI),
    "stacking-regressor": lambda lib: StackingRegressor(
        [("a", reg(lib)), ("b", reg(lib, hidden_layer_sizes=(4,)))],
        final_estimator=Ridge(), cv=3).fit(XR, YR).predict(XR),
    "stacking-frozen": lambda lib: StackingClassifier(
        [("f", FrozenEstimator(clf(lib).fit(XI, YI)))], cv=3).fit(
            XI, YI).predict_proba(XI),
    "voting-soft-sample-weight": lambda lib: VotingClassifier(
        [("a", clf(lib)), ("b", clf(lib, random_state=1))], voting="soft").fit(
            XI, YI, sample_weight=SW).predict_proba(XI),
    "voting-regressor": lambda lib: VotingRegressor(
        [("a", reg(lib)), ("b", reg(lib, random_state=1))]).fit(XR, YR).predict(XR),
    "bagging-sample-weight": lambda lib: BaggingClassifier(
        clf(lib), n_estimators=3, random_state=0).fit(
            XI, YI, sample_weight=SW).predict_proba(XI),
    "bagging-regressor-sample-weight": lambda lib: BaggingRegressor(
        reg(lib), n_estimators=3, random_state=0).fit(
            XR, YR, sample_weight=SWR).predict(XR),
    "bagging-features-in-processes": lambda lib: BaggingClassifier(
        clf(lib), n_estimators=4, max_features=0.5, bootstrap_features=True,
        n_jobs=2, random_state=0).fit(XI, YI).predict_proba(XI),
}


@pytest.mark.parametrize("case", cases(ENSEMBLES))
def test_ensembles(case):
    run_both(case)


# ------------------------------------------------------------------ searches
def _search_result(search):
    return (search.best_params_, search.cv_results_["mean_test_score"],
            search.predict(XI))


SEARCHES = {
    "halving-grid": lambda lib: HalvingGridSearchCV(
        clf(lib), {"alpha": [1e-4, 1e-2, 1.0], "hidden_layer_sizes": [(4,), (8,)]},
        cv=3, factor=2, min_resources=30, random_state=0),
    "halving-grid-max-iter-resource": lambda lib: HalvingGridSearchCV(
        clf(lib), {"alpha": [1e-4, 1e-2, 1.0]}, resource="max_iter",
        min_resources=5, max_resources=20, factor=2, cv=3, random_state=0),
    "halving-random": lambda lib: HalvingRandomSearchCV(
        clf(lib), {"alpha": loguniform(1e-5, 1)}, n_candidates=4, cv=3,
        factor=2, min_resources=30, random_state=0),
    "grid-in-processes": lambda lib: GridSearchCV(
        clf(lib), {"alpha": [1e-4, 1.0]}, cv=3, n_jobs=2),
}


@pytest.mark.parametrize("make", cases(SEARCHES))
def test_searches(make):
    run_both(lambda lib: _search_result(make(lib).fit(XI, YI)))


# ---------------------------------------------------------------- thresholds
THRESHOLDS = {
    "tuned": lambda lib: (lambda m: (m.best_threshold_, m.predict(XB)))(
        TunedThresholdClassifierCV(clf(lib), cv=3, random_state=0).fit(XB, YB)),
    "tuned-string-labels-f1": lambda lib: TunedThresholdClassifierCV(
        clf(lib), cv=3, scoring=make_scorer(f1_score, pos_label="pos"),
        random_state=0).fit(
            XB, np.array(["neg", "pos"])[YB]).predict(XB),
    "fixed-proba": lambda lib: FixedThresholdClassifier(
        clf(lib), threshold=0.3).fit(XB, YB).predict(XB),
}


@pytest.mark.parametrize("case", cases(THRESHOLDS))
def test_thresholds(case):
    run_both(case)


# -------------------------------------------------------------- self-training
def _unlabelled(y):
    # string labels go in an object array, where -1 still marks "unlabelled"
    y = y.copy()
    y[::3] = -1
    return y


SELF_TRAINING = {
    "threshold": lambda lib: (lambda m: (m.predict(XI), m.n_iter_, m.labeled_iter_))(
        SelfTrainingClassifier(clf(lib), max_iter=3).fit(XI, _unlabelled(YI))),
    "k-best": lambda lib: SelfTrainingClassifier(
        clf(lib), criterion="k_best", k_best=10, max_iter=3).fit(
            XI, _unlabelled(YI)).predict(XI),
    "string-labels": lambda lib: SelfTrainingClassifier(clf(lib), max_iter=2).fit(
        XI, _unlabelled(np.array(["a", "b", "c"], dtype=object)[YI])).predict(XI),
}


@pytest.mark.parametrize("case", cases(SELF_TRAINING))
def test_self_training(case):
    run_both(case)


# --------------------------------------------------------- feature selection
def _input_weight_norm(est):
    # an MLP has no coef_: rank features by the size of their first-layer weights
    return np.abs(est.coefs_[0]).sum(axis=1)


FEATURE_SELECTION = {
    "select-from-model-getter": lambda lib: SelectFromModel(
        clf(lib), importance_getter=_input_weight_norm, max_features=2).fit(
            XI, YI).get_support(),
    "rfe-getter": lambda lib: RFE(
        clf(lib), n_features_to_select=2, importance_getter=_input_weight_norm).fit(
            XI, YI).support_,
    "sequential-forward": lambda lib: SequentialFeatureSelector(
        clf(lib), n_features_to_select=2, cv=2).fit(XI, YI).get_support(),
    "sequential-backward-regressor": lambda lib: SequentialFeatureSelector(
        reg(lib), n_features_to_select=3, direction="backward", cv=2).fit(
            XR, YR).get_support(),
}


@pytest.mark.parametrize("case", cases(FEATURE_SELECTION))
def test_feature_selection(case):
    run_both(case)


@pytest.mark.parametrize("selector", [
    lambda est: SelectFromModel(est).fit(XI, YI).transform(XI),
    lambda est: RFE(est, n_features_to_select=2).fit(XI, YI),
], ids=["select-from-model", "rfe"])
def test_feature_selection_without_importances_refuses_like_sklearn(selector):
    # neither MLP has coef_ or feature_importances_: both need importance_getter
    raises_both(lambda lib: selector(clf(lib)), ValueError,
                "should have `coef_` or `feature_importances_`")


# ---------------------------------------------------------------- inspection
def _display(make):
    matplotlib = pytest.importorskip("matplotlib", reason="the displays draw with matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        return make()
    finally:
        plt.close("all")


def _pd_display(lib):
    from sklearn.inspection import PartialDependenceDisplay

    m = reg(lib).fit(XR, YR)
    d = _display(lambda: PartialDependenceDisplay.from_estimator(
        m, XR, [0, (0, 1)], grid_resolution=5))
    return [r["average"] for r in d.pd_results]


def _boundary_display(lib):
    from sklearn.inspection import DecisionBoundaryDisplay

    m = clf(lib).fit(XI[:, :2], YI)
    return _display(lambda: DecisionBoundaryDisplay.from_estimator(
        m, XI[:, :2], response_method="predict_proba", class_of_interest=1,
        grid_resolution=10)).response


INSPECTION = {
    "permutation-importance": lambda lib: permutation_importance(
        clf(lib).fit(XI, YI), XI, YI, n_repeats=2, random_state=0).importances_mean,
    "permutation-importance-frame-two-scorers-in-processes": lambda lib: {
        k: v.importances_mean for k, v in permutation_importance(
            clf(lib).fit(pd.DataFrame(XI, columns=list("abcd")), YI),
            pd.DataFrame(XI, columns=list("abcd")), YI, n_jobs=2,
            scoring=["accuracy", "neg_log_loss"], n_repeats=2, random_state=0).items()},
    "partial-dependence-classifier": lambda lib: partial_dependence(
        clf(lib).fit(XI, YI), XI, [0], grid_resolution=5)["average"],
    "partial-dependence-both-kinds": lambda lib: (lambda r: (r["average"], r["individual"]))(
        partial_dependence(reg(lib).fit(XR, YR), XR, [1], grid_resolution=5,
                           kind="both")),
    "partial-dependence-display": _pd_display,
    "decision-boundary-display": _boundary_display,
}


@pytest.mark.parametrize("case", cases(INSPECTION))
def test_inspection(case):
    run_both(case)


def test_partial_dependence_recursion_is_refused_like_sklearn():
    raises_both(lambda lib: partial_dependence(reg(lib).fit(XR, YR), XR, [0],
                                               method="recursion"),
                ValueError, "recursion")


# ----------------------------------------------------------- model selection
MODEL_SELECTION = {
    "learning-curve": lambda lib: learning_curve(
        clf(lib), XI, YI, cv=3, train_sizes=[0.5, 1.0], shuffle=True, random_state=0),
    # exploit_incremental_learning drives partial_fit
    "learning-curve-incremental": lambda lib: learning_curve(
        clf(lib), XI, YI, cv=3, train_sizes=[0.3, 0.6, 1.0], shuffle=True,
        random_state=0, exploit_incremental_learning=True),
    "learning-curve-incremental-regressor": lambda lib: learning_curve(
        reg(lib), XR, YR, cv=3, train_sizes=[0.3, 1.0],
        exploit_incremental_learning=True),
    "validation-curve-layers": lambda lib: validation_curve(
        clf(lib), XI, YI, param_name="hidden_layer_sizes",
        param_range=[(4,), (4, 4)], cv=3),
    "cross-val-predict-proba": lambda lib: cross_val_predict(
        clf(lib), XI, YI, cv=3, method="predict_proba"),
    "cross-val-predict-log-proba": lambda lib: cross_val_predict(
        clf(lib), XI, YI, cv=3, method="predict_log_proba"),
    # unshuffled folds of sorted iris: a class is missing from every training fold
    "cross-val-predict-proba-class-missing-in-fold": lambda lib: cross_val_predict(
        clf(lib), XI, YI, cv=KFold(3), method="predict_proba"),
    "cross-val-predict-lbfgs-calibrated": lambda lib: cross_val_predict(
        CalibratedClassifierCV(clf(lib, solver="lbfgs", max_iter=30), cv=2), XI, YI,
        cv=3, method="predict_proba"),
    "cross-val-predict-sgd-adaptive": lambda lib: cross_val_predict(
        clf(lib, solver="sgd", learning_rate="adaptive", momentum=0.5), XI, YI, cv=3,
        method="predict_proba"),
    "cross-val-predict-lbfgs-regressor": lambda lib: cross_val_predict(
        reg(lib, solver="lbfgs", max_iter=30), XR, YR, cv=3),
    "cross-val-predict-poisson": lambda lib: cross_val_predict(
        reg(lib, loss="poisson"), XR, np.abs(YR), cv=3),
    # the regressor's early-stopping split is scikit-learn's (not stratified)
    "cross-val-predict-early-stopping-regressor": lambda lib: cross_val_predict(
        reg(lib, early_stopping=True), XR, YR, cv=3),
    "cross-val-predict-multilabel-proba": lambda lib: cross_val_predict(
        clf(lib), XI, np.c_[YI == 0, YI == 1, YI % 2].astype(int), cv=3,
        method="predict_proba"),
    "cross-validate-three-scorers": lambda lib: {
        k: v for k, v in cross_validate(
            clf(lib), XI, np.array(["a", "b", "c"])[YI], cv=3,
            scoring=["accuracy", "neg_log_loss", "roc_auc_ovr"]).items()
        if k.startswith("test_")},
}


@pytest.mark.parametrize("case", cases(MODEL_SELECTION))
def test_model_selection(case):
    run_both(case)


def test_cross_val_predict_decision_function_is_refused_like_sklearn():
    raises_both(lambda lib: cross_val_predict(clf(lib), XI, YI, cv=3,
                                              method="decision_function"),
                AttributeError, "decision_function")


# ---------------------------------------------------------- metadata routing
def _routed(case):
    def run(lib):
        with sklearn.config_context(enable_metadata_routing=True):
            return case(lib)
    return run


def _weighted(est):
    return est.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)


ROUTING = {
    "pipeline": lambda lib: make_pipeline(
        StandardScaler().set_fit_request(sample_weight=False),
        clf(lib).set_fit_request(sample_weight=True)).fit(
            XI, YI, sample_weight=SW).predict_proba(XI),
    "grid-search": lambda lib: GridSearchCV(
        _weighted(clf(lib)), {"alpha": [1e-4, 1.0]}, cv=3).fit(
            XI, YI, sample_weight=SW).cv_results_["mean_test_score"],
    "halving-search": lambda lib: HalvingGridSearchCV(
        _weighted(clf(lib)), {"alpha": [1e-4, 1.0]}, cv=3, min_resources=50,
        random_state=0).fit(XI, YI, sample_weight=SW).best_params_,
    "cross-validate": lambda lib: cross_validate(
        _weighted(clf(lib)), XI, YI, cv=3,
        params={"sample_weight": SW})["test_score"],
    "bagging": lambda lib: BaggingClassifier(
        clf(lib).set_fit_request(sample_weight=True), n_estimators=2,
        random_state=0).fit(XI, YI, sample_weight=SW).predict_proba(XI),
    "stacking": lambda lib: StackingClassifier(
        [("a", clf(lib).set_fit_request(sample_weight=True))],
        final_estimator=LogisticRegression().set_fit_request(sample_weight=True),
        cv=3).fit(XI, YI, sample_weight=SW).predict_proba(XI),
    "calibration": lambda lib: CalibratedClassifierCV(
        clf(lib).set_fit_request(sample_weight=True), cv=3).fit(
            XI, YI, sample_weight=SW).predict_proba(XI),
    "partial-fit-requests": lambda lib: sorted(
        clf(lib).set_partial_fit_request(sample_weight=True, classes=True)
        .get_metadata_routing().partial_fit.requests.items()),
}


@pytest.mark.parametrize("case", cases(ROUTING))
def test_metadata_routing(case):
    run_both(_routed(case))


def test_metadata_routing_unrequested_weight_is_refused_like_sklearn():
    from sklearn.exceptions import UnsetMetadataPassedError

    raises_both(_routed(lambda lib: make_pipeline(StandardScaler(), clf(lib)).fit(
        XI, YI, sample_weight=SW)), UnsetMetadataPassedError, "sample_weight")


def test_metadata_routing_fit_requests_extend_sklearns():
    # by design: fit also takes the validation data (X_val, y_val, sample_weight_val)
    ours = set(clf("skmlp").get_metadata_routing().fit.requests)
    theirs = set(clf("sklearn").get_metadata_routing().fit.requests)
    assert ours == theirs | {"X_val", "y_val", "sample_weight_val"}


def test_metadata_routing_routes_validation_data_through_a_search():
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(clf("skmlp").set_fit_request(X_val=True, y_val=True),
                              {"alpha": [1e-4, 1.0]}, cv=3)
        search.fit(XI[::2], YI[::2], X_val=XI[1::2], y_val=YI[1::2])
    direct = clf("skmlp", **search.best_params_).fit(
        XI[::2], YI[::2], X_val=XI[1::2], y_val=YI[1::2])
    assert len(search.best_estimator_.validation_scores_) == SMALL["max_iter"]
    assert search.best_estimator_.validation_scores_ == direct.validation_scores_


# -------------------------------------------------------- data frames, set_output
COLUMNS = list("abcd")


def _frame_pipeline(lib, output):
    p = make_pipeline(StandardScaler(), clf(lib)).set_output(transform=output)
    return p


def _pandas_set_output(lib):
    p = _frame_pipeline(lib, "pandas").fit(pd.DataFrame(XI, columns=COLUMNS), YI)
    return (list(p[-1].feature_names_in_), p.predict_proba(pd.DataFrame(XI, columns=COLUMNS)))


def _fitted_labels(lib, X, y):
    m = clf(lib).fit(X, y)
    return (m.classes_, m.predict(X), m.predict_proba(X))


def _column_transformer(lib):
    df = pd.DataFrame({"x0": XI[:, 0], "x1": XI[:, 1],
                       "kind": np.array(["p", "q"])[YI % 2]})
    ct = ColumnTransformer([("num", StandardScaler(), ["x0", "x1"]),
                            ("cat", OneHotEncoder(), ["kind"])])
    return make_pipeline(ct, clf(lib)).fit(df, YI).predict_proba(df)


PANDAS = {
    "set-output-pandas": _pandas_set_output,
    "global-transform-output-pandas": lambda lib: _with_config(
        lambda: make_pipeline(StandardScaler(), clf(lib)).fit(XI, YI).predict_proba(XI),
        transform_output="pandas"),
    "string-series-target": lambda lib: _fitted_labels(
        lib, pd.DataFrame(XI, columns=COLUMNS),
        pd.Series(np.array(["setosa", "versicolor", "virginica"])[YI])),
    "categorical-target": lambda lib: _fitted_labels(
        lib, pd.DataFrame(XI), pd.Series(pd.Categorical(np.array(["x", "y", "z"])[YI]))),
    "nullable-int-target": lambda lib: _fitted_labels(
        lib, pd.DataFrame(XI), pd.Series(YI, dtype="Int64")),
    "bool-target": lambda lib: _fitted_labels(lib, pd.DataFrame(XB), pd.Series(YB == 1)),
    "sample-weight-series": lambda lib: clf(lib).fit(
        pd.DataFrame(XI), pd.Series(YI), sample_weight=pd.Series(SW)).predict_proba(XI),
    "nullable-float-regression": lambda lib: reg(lib).fit(
        pd.DataFrame(XR).astype("Float64"), pd.Series(YR, dtype="Float64")).predict(XR),
    "frame-multioutput-regression": lambda lib: reg(lib).fit(
        pd.DataFrame(XR), pd.DataFrame({"a": YR, "b": -YR})).predict(XR),
    "column-transformer": _column_transformer,
}


def _with_config(make, **config):
    with sklearn.config_context(**config):
        return make()


@pytest.mark.parametrize("case", cases(PANDAS))
def test_pandas(case):
    run_both(case)


@pytest.mark.parametrize("target", [
    pd.Series([0, 1, pd.NA] * 50, dtype="Int64"),
    pd.Series([0.0, 1.0, np.nan] * 50),
], ids=["pandas-NA", "NaN"])
def test_missing_labels_are_refused_like_sklearn(target):
    raises_both(lambda lib: clf(lib).fit(XI, target), ValueError, "NaN")


def _polars():
    return pytest.importorskip(
        "polars", reason="polars is optional: the polars cases run where it is installed")


def _feature_names(est):
    """``feature_names_in_`` as a list; None where scikit-learn sets none.

    scikit-learn takes feature names from polars frames since 1.8; before it,
    neither library has the attribute (both read names through validate_data).
    """
    names = getattr(est, "feature_names_in_", None)
    assert (names is None) == sklearn_older_than("1.8")
    return None if names is None else list(names)


def _polars_set_output(lib):
    pl = _polars()
    p = _frame_pipeline(lib, "polars").fit(pl.DataFrame(XI, schema=COLUMNS), YI)
    return (_feature_names(p[-1]), p.predict_proba(pl.DataFrame(XI, schema=COLUMNS)))


def _polars_labels(lib, dtype):
    pl = _polars()
    y = pl.Series("species", np.array(["setosa", "versicolor", "virginica"])[YI],
                  dtype=dtype(pl))
    m = clf(lib).fit(pl.DataFrame(XI, schema=COLUMNS), y)
    return (_feature_names(m), m.classes_,
            m.predict(pl.DataFrame(XI, schema=COLUMNS)),
            m.predict_proba(pl.DataFrame(XI, schema=COLUMNS)))


def _polars_weighted(lib):
    pl = _polars()
    return clf(lib).fit(pl.DataFrame(XI), pl.Series(YI),
                        sample_weight=pl.Series(SW)).predict_proba(pl.DataFrame(XI))


def _polars_multilabel(lib):
    pl = _polars()
    Y = pl.DataFrame({"a": (YI == 0).astype(int), "b": (YI == 1).astype(int)})
    m = clf(lib).fit(pl.DataFrame(XI), Y)
    return (m.predict(pl.DataFrame(XI)), m.predict_proba(pl.DataFrame(XI)))


def _polars_regression(lib):
    pl = _polars()
    m = reg(lib).fit(pl.DataFrame(XR), pl.Series(YR))
    return m.predict(pl.DataFrame(XR))


POLARS = {
    "set-output-polars": _polars_set_output,
    "string-series-target": lambda lib: _polars_labels(lib, lambda pl: pl.String),
    "categorical-target": lambda lib: _polars_labels(lib, lambda pl: pl.Categorical),
    "sample-weight-series": _polars_weighted,
    "frame-multilabel-target": _polars_multilabel,
    "regression": _polars_regression,
}


@pytest.mark.parametrize("case", cases(POLARS))
def test_polars(case):
    run_both(case)


def test_polars_validation_data_equals_numpy_validation_data():
    pl = _polars()
    X = pl.DataFrame(XI, schema=COLUMNS)
    frames = clf("skmlp", early_stopping=True).fit(
        X[::2], pl.Series(YI[::2]), X_val=X[1::2], y_val=pl.Series(YI[1::2]))
    arrays = clf("skmlp", early_stopping=True).fit(
        pd.DataFrame(XI[::2], columns=COLUMNS), YI[::2],
        X_val=pd.DataFrame(XI[1::2], columns=COLUMNS), y_val=YI[1::2])
    assert frames.validation_scores_ == arrays.validation_scores_
    np.testing.assert_array_equal(frames.coefs_[0], arrays.coefs_[0])


def test_validation_frame_with_other_columns_is_refused():
    X = pd.DataFrame(XI, columns=COLUMNS)
    with pytest.raises(ValueError, match="feature names"):
        clf("skmlp").fit(X, YI, X_val=X[COLUMNS[::-1]], y_val=YI)


# ---------------------------------------------------------- partial_fit streams
def _stream(lib, sizes, **kw):
    m = clf(lib)
    order = np.random.RandomState(0).permutation(len(YI))
    start = 0
    for size in sizes:
        rows = order[start:start + size]
        start += size
        m.partial_fit(XI[rows], YI[rows], classes=np.unique(YI),
                      **{k: v[rows] for k, v in kw.items()})
    return (m.predict_proba(XI), m.n_iter_, m.t_)


def _string_stream(lib):
    m = clf(lib)
    y = pd.Series(np.array(["a", "b", "c"])[YI], dtype="string")
    m.partial_fit(pd.DataFrame(XI[:60]), y[:60], classes=pd.Series(["a", "b", "c"]))
    m.partial_fit(pd.DataFrame(XI[60:]), y[60:].reset_index(drop=True))
    return (m.classes_, m.predict(pd.DataFrame(XI)), m.predict_proba(pd.DataFrame(XI)))


def _regression_stream(lib):
    m = reg(lib)
    for rows in np.array_split(np.arange(len(YR)), 5):
        m.partial_fit(XR[rows], YR[rows], sample_weight=SWR[rows])
    return m.predict(XR)


def _binary_stream(lib):
    m = clf(lib)
    for rows in np.array_split(np.arange(len(YB)), 4):
        m.partial_fit(XB[rows], YB[rows], classes=[0, 1])
    return m.predict_proba(XB)


def _partial_then_fit(lib):
    m = clf(lib)
    m.partial_fit(XI, YI, classes=[0, 1, 2])
    m.fit(XB, YB)
    return (m.classes_, m.predict_proba(XB), [c.shape for c in m.coefs_])


PARTIAL_FIT = {
    "changing-batch-sizes": lambda lib: _stream(lib, [7, 30, 1, 50, 62]),
    "sample-weight": lambda lib: _stream(lib, [40, 40, 70], sample_weight=SW),
    "string-labels-one-missing-per-batch": _string_stream,
    "regressor-sample-weight": _regression_stream,
    "binary": _binary_stream,
    "then-fit-on-other-classes": _partial_then_fit,
}


@pytest.mark.parametrize("case", cases(PARTIAL_FIT))
def test_partial_fit_streams(case):
    run_both(case)


def test_partial_fit_all_zero_weight_batch_is_refused_like_sklearn():
    def case(lib):
        m = clf(lib).partial_fit(XI[:50], YI[:50], classes=[0, 1, 2])
        m.partial_fit(XI[50:60], YI[50:60], sample_weight=np.zeros(10))
    if sklearn_older_than("1.9"):
        # scikit-learn's MLP fails with ZeroDivisionError (np.average) before 1.9
        with pytest.raises(ValueError, match="non-zero"):
            case("skmlp")
        return
    raises_both(case, ValueError, "non-zero|sums to zero")


def test_partial_fit_split_batches_follow_sklearn():
    # n_jobs=2 splits each batch's rows over two threads, including batches of 1
    def case(lib):
        m = clf(lib, **({"n_jobs": 2} if lib == "skmlp" else {}))
        for rows in (slice(0, 1), slice(1, 3), slice(3, None)):
            m.partial_fit(XI[rows], YI[rows], classes=[0, 1, 2])
        return m.predict_proba(XI)
    run_both(case)


# ------------------------------------------------------- multi-output wrappers
def _multi_output_regressor_stream(lib):
    # MultiOutputRegressor.partial_fit returns None (scikit-learn 1.9): no chaining
    m = MultiOutputRegressor(reg(lib))
    for rows in np.array_split(np.arange(len(YR)), 3):
        m.partial_fit(XR[rows], np.c_[YR, -YR][rows], sample_weight=SWR[rows])
    return m.predict(XR)


WRAPPERS = {
    "multi-output-classifier": lambda lib: (lambda m: (m.predict(XI), m.predict_proba(XI)))(
        MultiOutputClassifier(clf(lib)).fit(XI, np.c_[YI, YI % 2])),
    "multi-output-classifier-partial-fit": lambda lib: MultiOutputClassifier(clf(lib))
        .partial_fit(XI[:75], np.c_[YI, YI % 2][:75], classes=[[0, 1, 2], [0, 1]])
        .partial_fit(XI[75:], np.c_[YI, YI % 2][75:]).predict(XI),
    "classifier-chain": lambda lib: ClassifierChain(clf(lib), random_state=0).fit(
        XI, np.c_[YI == 0, YI == 1, YI == 2].astype(int)).predict_proba(XI),
    "one-vs-rest": lambda lib: OneVsRestClassifier(clf(lib)).fit(XI, YI).predict_proba(XI),
    "one-vs-rest-partial-fit": lambda lib: OneVsRestClassifier(clf(lib))
        .partial_fit(XI[:75], YI[:75], classes=[0, 1, 2])
        .partial_fit(XI[75:], YI[75:]).predict(XI),
    "one-vs-one": lambda lib: OneVsOneClassifier(clf(lib)).fit(XI, YI).predict(XI),
    "native-multilabel": lambda lib: (lambda m: (m.predict(XI), m.predict_proba(XI)))(
        clf(lib).fit(XI, np.c_[YI == 0, YI == 1, YI == 2].astype(int))),
    "multi-output-regressor-partial-fit": _multi_output_regressor_stream,
    "regressor-chain": lambda lib: RegressorChain(reg(lib)).fit(
        XR, np.c_[YR, -YR]).predict(XR),
    "transformed-target-scaler-weighted": lambda lib: TransformedTargetRegressor(
        reg(lib), transformer=StandardScaler()).fit(
            XR, 100 * YR, sample_weight=SWR).predict(XR),
    "transformed-target-two-outputs": lambda lib: TransformedTargetRegressor(
        reg(lib), transformer=StandardScaler()).fit(
            XR, 100 * np.c_[YR, 2 * YR]).predict(XR),
    "transformed-target-poisson": lambda lib: TransformedTargetRegressor(
        reg(lib, loss="poisson"), func=np.sqrt, inverse_func=np.square).fit(
            XR, np.abs(YR)).predict(XR),
}


@pytest.mark.parametrize("case", cases(WRAPPERS))
def test_wrappers(case):
    run_both(case)


# ---------------------------------------------------------------- persistence
# Every skmlp addition on at once (scikit-learn's MLP has none of them).
EVERY_FEATURE = dict(
    dropout=[0.1, 0.0], activation=["relu", "tanh"], hidden_layer_sizes=(8, 6),
    class_weight={0: 1.0, 1: 2.0, 2: 1.0}, learning_rate_schedule="cosine",
    weight_init="he_normal", n_jobs=2, early_stopping=True,
)


def _dumps(est, how):
    if how == "pickle":
        return pickle.loads(pickle.dumps(est))
    buf = io.BytesIO()
    joblib.dump(est, buf, compress=3 if how == "joblib-compressed" else 0)
    buf.seek(0)
    return joblib.load(buf)


@pytest.mark.parametrize("how", ["pickle", "joblib", "joblib-compressed"])
def test_persistence_with_every_feature_continues_training_identically(how):
    est = clf("skmlp", **EVERY_FEATURE).fit(
        XI[::2], YI[::2], X_val=XI[1::2], y_val=YI[1::2])
    loaded = _dumps(est, how)
    np.testing.assert_array_equal(loaded.predict_proba(XI), est.predict_proba(XI))
    assert loaded.get_params() == est.get_params()
    # the loaded copy carries the optimizer, schedule and dropout-stream state
    for model in (est, loaded):
        model.set_params(warm_start=True, max_iter=3).fit(
            XI[::2], YI[::2], X_val=XI[1::2], y_val=YI[1::2])
    np.testing.assert_array_equal(loaded.predict_proba(XI), est.predict_proba(XI))
    assert loaded.validation_scores_ == est.validation_scores_


@pytest.mark.parametrize("how", ["pickle", "joblib-compressed"])
def test_persistence_at_defaults_matches_sklearn(how):
    def case(lib):
        loaded = _dumps(clf(lib).fit(XI, YI), how)
        loaded.partial_fit(XI, YI)
        return (loaded.predict_proba(XI), loaded.n_iter_, loaded.loss_curve_)
    run_both(case)


def test_clone_and_params_round_trip_with_every_feature():
    from skmlp._schedules import ReduceLROnPlateau

    est = clf("skmlp", **{**EVERY_FEATURE,
                          "learning_rate_schedule": ReduceLROnPlateau(patience=2)})
    twin = clone(est)
    assert twin.get_params().keys() == est.get_params().keys()
    for name, value in est.get_params().items():
        assert twin.get_params()[name] == value
    # clone copies parameters that are objects rather than sharing them
    for name in ("learning_rate_schedule", "dropout", "activation", "class_weight"):
        assert getattr(twin, name) is not getattr(est, name)
    twin.set_params(**est.get_params())
    copy_fit = copy.deepcopy(twin).fit(XI, YI)
    np.testing.assert_array_equal(clone(est).fit(XI, YI).predict_proba(XI),
                                  copy_fit.predict_proba(XI))


def test_search_over_skmlp_list_parameters():
    # list-valued activation and dropout are skmlp additions: a grid clones them
    grid = {"activation": [["relu"], "tanh"], "dropout": [0.0, [0.2]]}
    search = GridSearchCV(clf("skmlp"), grid, cv=3).fit(XI, YI)
    assert search.cv_results_["params"] == [
        {"activation": a, "dropout": d} for a in grid["activation"] for d in grid["dropout"]]
    refit = clf("skmlp", **search.best_params_).fit(XI, YI)
    np.testing.assert_array_equal(search.predict_proba(XI), refit.predict_proba(XI))


# --------------------------------------------------------------------- threads
def test_threads_fit_and_predict_like_serial_runs():
    def case(lib):
        with ThreadPoolExecutor(4) as pool:
            fitted = list(pool.map(lambda s: clf(lib, random_state=s).fit(XD, YD),
                                   range(4)))
            probas = list(pool.map(lambda m: m.predict_proba(XD), fitted))
        serial = [clf(lib, random_state=s).fit(XD, YD).predict_proba(XD) for s in range(4)]
        for p, q in zip(probas, serial):
            np.testing.assert_array_equal(p, q)
        return probas
    run_both(case)


def test_threads_share_one_split_batch_model():
    est = clf("skmlp", n_jobs=2, hidden_layer_sizes=(32,)).fit(XD, YD)
    expected = est.predict_proba(XD)
    with ThreadPoolExecutor(4) as pool:
        for p in pool.map(lambda _: est.predict_proba(XD), range(8)):
            np.testing.assert_array_equal(p, expected)


def test_threads_partial_fit_split_batch_models_like_serial_runs():
    def stream(seed):
        m = clf("skmlp", random_state=seed, n_jobs=2)
        for rows in np.array_split(np.arange(len(YD)), 4):
            m.partial_fit(XD[rows], YD[rows], classes=np.arange(10))
        return m.predict_proba(XD)

    with ThreadPoolExecutor(3) as pool:
        threaded = list(pool.map(stream, range(3)))
    for seed, p in enumerate(threaded):
        np.testing.assert_array_equal(p, stream(seed))


def test_search_with_threading_backend_matches_sklearn():
    def case(lib):
        with joblib.parallel_backend("threading", n_jobs=2):
            return GridSearchCV(clf(lib), {"alpha": [1e-4, 1.0]}, cv=3,
                                n_jobs=2).fit(XI, YI).cv_results_["mean_test_score"]
    run_both(case)


# ----------------------------------------------------- estimator checks, features on
# Dropout draws one mask per row: a row repeated twice gets two masks where a row
# of weight 2 gets one, so weights and repetitions are not equivalent under dropout.
DROPOUT_BREAKS_WEIGHT_EQUIVALENCE = {
    f"check_sample_weight_equivalence_on_{kind}_data":
        "dropout draws a mask per row: a repeated row is not a row of weight 2"
    for kind in ("dense", "sparse")
}


@pytest.mark.slow
@pytest.mark.parametrize("est", [
    MLPClassifierNB(max_iter=100, random_state=0, dropout=0.1, n_jobs=2,
                    activation=["relu"], weight_init="he_uniform"),
    MLPRegressorNB(max_iter=100, random_state=0, dropout=[0.1], n_jobs=2,
                   activation=["relu"], weight_init="truncated_normal"),
], ids=["classifier", "regressor"])
def test_estimator_checks_pass_with_features_on(est):
    # Settings that train less well at max_iter=100 (tanh, decaying schedules)
    # miss the score floors of check_class_weight_classifiers and
    # check_regressors_train at max_iter=100: quality, not compatibility, so
    # they are left out here.
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(est, on_fail=None,
                              expected_failed_checks=DROPOUT_BREAKS_WEIGHT_EQUIVALENCE)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results
              if r["status"] == "failed"]
    assert failed == []
    assert len({r["check_name"] for r in results if r["status"] == "passed"}) > 40


def test_class_weight_equals_sklearn_with_per_class_sample_weight():
    # scikit-learn's MLP has no class_weight: the oracle is its sample_weight
    weights = {0: 3.0, 1: 0.5, 2: 1.0}
    ours = clf("skmlp", class_weight=weights).fit(XI, YI, sample_weight=SW)
    theirs = clf("sklearn").fit(XI, YI, sample_weight=SW * np.vectorize(weights.get)(YI))
    assert_agree(ours.predict_proba(XI), theirs.predict_proba(XI))
    assert_agree(ours.loss_curve_, theirs.loss_curve_)


# ------------------------------------------------ early stopping switched off later
@pytest.mark.parametrize("resume", ["warm_start", "partial_fit"])
def test_early_stopping_switched_off_after_an_early_stopping_fit(resume):
    # scikit-learn's MLP raises TypeError here (best_loss_ is None); skmlp
    # tracks the training loss from the switch on
    est = clf("skmlp", early_stopping=True, max_iter=5).fit(XI, YI)
    n_before = len(est.loss_curve_)
    est.set_params(early_stopping=False)
    if resume == "warm_start":
        est.set_params(warm_start=True).fit(XI, YI)
    else:
        est.partial_fit(XI, YI)
    new = est.loss_curve_[n_before:]
    assert len(new) == (5 if resume == "warm_start" else 1)
    assert est.best_loss_ == min(new)
    assert est.validation_scores_ is None


# ------------------------------------------------- skmlp's additions inside the tools
def _class_weighted(lib, weights, y):
    """skmlp with class_weight, or scikit-learn's MLP with the same per-sample weights."""
    if lib == "skmlp":
        return clf(lib, class_weight=weights), {}
    return clf(lib), {"sample_weight": np.array([weights[c] for c in y])}


def _class_weight_case(make_tool, y):
    weights = dict(zip(np.unique(y).tolist(), [3.0, 0.5, 1.0]))

    def case(lib):
        est, fit_params = _class_weighted(lib, weights, y)
        return make_tool(est, y, fit_params)
    return case


CLASS_WEIGHT = {
    "string-labels": _class_weight_case(
        lambda est, y, kw: est.fit(XI, y, **kw).predict_proba(XI),
        np.array(["a", "b", "c"])[YI]),
    "cross-val-predict": _class_weight_case(
        lambda est, y, kw: cross_val_predict(est, XI, y, cv=3, params=kw,
                                             method="predict_proba"), YI),
    "pipeline": _class_weight_case(
        lambda est, y, kw: make_pipeline(StandardScaler(), est).fit(
            XI, y, **{f"{type(est).__name__.lower()}__{k}": v for k, v in kw.items()})
        .predict_proba(XI), YI),
}


@pytest.mark.parametrize("case", cases(CLASS_WEIGHT))
def test_class_weight_in_tools_equals_sklearn_with_sample_weight(case):
    # scikit-learn's MLP has no class_weight: the oracle is the same weights
    # given per sample, in tools that pass sample_weight only to the MLP's fit
    # (bagging, calibration and searches also resample, calibrate or score with
    # it: no oracle there)
    run_both(case)


def test_search_over_skmlp_parameters_and_schedule_objects():
    from skmlp._schedules import ReduceLROnPlateau, StepDecay

    space = {"dropout": [0.0, 0.1, [0.2]], "weight_init": ["he_normal", "glorot_uniform"],
             "learning_rate_schedule": [None, "cosine", StepDecay(), ReduceLROnPlateau()],
             "activation": ["relu", ["tanh"]], "class_weight": [None, "balanced"]}
    search = HalvingRandomSearchCV(clf("skmlp"), space, n_candidates=6, cv=3, factor=2,
                                   min_resources=40, random_state=0).fit(XI, YI)
    refit = clf("skmlp", **search.best_params_).fit(XI, YI)
    np.testing.assert_array_equal(search.predict_proba(XI), refit.predict_proba(XI))


def test_validation_data_routed_through_cross_validate():
    # the same X_val for every fold: each fold's score history is its own
    with sklearn.config_context(enable_metadata_routing=True):
        est = clf("skmlp", early_stopping=True).set_fit_request(
            X_val=True, y_val=True, sample_weight_val=True)
        result = cross_validate(est, XI[::2], YI[::2], cv=3, return_estimator=True,
                                params={"X_val": XI[1::2], "y_val": YI[1::2],
                                        "sample_weight_val": SW[1::2]})
    for fold in result["estimator"]:
        assert len(fold.validation_scores_) == fold.n_iter_
        assert fold.best_validation_score_ == max(fold.validation_scores_)


@pytest.mark.parametrize("target", ["pandas-categorical", "polars-string"])
def test_validation_labels_from_frames_equal_numpy_labels(target):
    labels = np.array(["x", "y", "z"])[YI]
    if target == "pandas-categorical":
        y = pd.Series(pd.Categorical(labels))
        train, val = y[::2].reset_index(drop=True), y[1::2].reset_index(drop=True)
    else:
        pl = _polars()
        y = pl.Series(labels)
        train, val = y[::2], y[1::2]
    frames = clf("skmlp", early_stopping=True).fit(XI[::2], train, X_val=XI[1::2], y_val=val)
    arrays = clf("skmlp", early_stopping=True).fit(XI[::2], labels[::2], X_val=XI[1::2],
                                                   y_val=labels[1::2])
    assert frames.validation_scores_ == arrays.validation_scores_
    np.testing.assert_array_equal(frames.predict(XI), arrays.predict(XI))


def test_multilabel_partial_fit_stream():
    # for indicator targets the classes are the label columns, np.arange(n_labels)
    Y = np.c_[YI == 0, YI == 1, YI % 2].astype(int)

    def case(lib):
        est = clf(lib)
        for rows in np.array_split(np.arange(len(YI)), 3):
            est.partial_fit(XI[rows], Y[rows], classes=[0, 1, 2])
        return (est.classes_, est.predict(XI), est.predict_proba(XI))
    run_both(case)


def test_multilabel_partial_fit_refuses_other_classes_on_the_first_call():
    # scikit-learn's MLP refuses classes=[0, 1] on the first call; skmlp used
    # to accept it and fail on the second call, saying the classes changed
    Y = np.c_[YI == 0, YI == 1, YI % 2].astype(int)
    with pytest.raises(ValueError, match="classes not in"):
        clf("sklearn").partial_fit(XI, Y, classes=[0, 1])
    for classes in ([0, 1], [0, 1, 2, 3]):
        est = clf("skmlp")
        with pytest.raises(ValueError, match=r"are not the labels of y.*np.arange\(3\)"):
            est.partial_fit(XI, Y, classes=classes)
        assert not hasattr(est, "classes_")


@pytest.mark.slow
def test_dropout_in_bagging_processes_equals_one_process():
    # dropout masks come from random_state alone, not from the worker process
    def bag(n_jobs):
        return BaggingClassifier(clf("skmlp", dropout=0.2), n_estimators=3,
                                 n_jobs=n_jobs, random_state=0).fit(XI, YI)
    np.testing.assert_array_equal(bag(2).predict_proba(XI), bag(1).predict_proba(XI))
