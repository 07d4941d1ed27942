"""Bad X, y and sample_weight are rejected in Python, before any kernel runs.

The Numba kernels have no bounds checks, so one unchecked shape is an
out-of-bounds read or a segfault. Every malformed input must therefore be
refused by the estimator layer, with scikit-learn's exception type and a
message that names the problem.

Each case below is one row: the estimator kind, the call, the exception type
and a regex the message must match. Where scikit-learn's MLP gets the case
right, a second test checks that it raises the same type (skmlp is at least as
strict); where scikit-learn is wrong (a raw NumPy error, or silently accepting
the input) the row says so and only skmlp is checked.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skmlp import MLPClassifierNB, MLPRegressorNB

from _versions import sklearn_older_than

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.DataConversionWarning",
)

rng = np.random.RandomState(0)
X = rng.randn(20, 3)
Y_CLF = np.arange(20) % 3
Y_REG = X[:, 0] - 2 * X[:, 1]
Y_POIS = np.abs(Y_REG)
CLASSES = np.array([0, 1, 2])
Y = {"clf": Y_CLF, "reg": Y_REG, "pois": Y_POIS}

_CLASSES = {
    "skmlp": {"clf": MLPClassifierNB, "reg": MLPRegressorNB, "pois": MLPRegressorNB},
    "sklearn": {"clf": MLPClassifier, "reg": MLPRegressor, "pois": MLPRegressor},
}


def make(kind, lib="skmlp", **params):
    base = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    if kind == "pois":
        base["loss"] = "poisson"
    base.update(params)
    return _CLASSES[lib][kind](**base)


def with_value(a, index, value, dtype=None):
    a = np.array(a, dtype=dtype if dtype is not None else np.asarray(a).dtype)
    a[index] = value
    return a


X_NAN = with_value(X, (3, 1), np.nan)
X_INF = with_value(X, (3, 1), np.inf)
X_NEGINF = with_value(X, (0, 2), -np.inf)
X_OBJ_STR = with_value(X, (5, 0), "a", dtype=object)
X_OBJ_NONE = with_value(X, (5, 0), None, dtype=object)
X_STR = np.array([["a", "b", "c"]] * 20)


_GOOD_Y = object()  # stands for the estimator kind's valid target


def fit(Xb, yb=_GOOD_Y, **kw):
    """The call ``est.fit(Xb, yb, **kw)``."""
    return ("fit", Xb, yb, kw)


def partial_fit(Xb, yb=_GOOD_Y, **kw):
    return ("partial_fit", Xb, yb, kw)


def predict(Xb, method="predict"):
    """Fit on good data, then call ``method`` on ``Xb``."""
    return (method, Xb, None, {})


def run(est, kind, call):
    method, Xb, yb, kw = call
    y_good = Y[kind]
    if method in ("fit", "partial_fit"):
        yb = y_good if yb is _GOOD_Y else yb
        if method == "partial_fit" and kind == "clf" and "classes" not in kw:
            kw = dict(kw, classes=CLASSES)
        return getattr(est, method)(Xb, yb, **kw)
    est.fit(X, y_good)
    return getattr(est, method)(Xb)


# (id, kind, call, exception, message regex, scikit-learn raises the same type)
CASES = [
    # --- X: non-finite, non-numeric, wrong shape -------------------------------
    ("X-nan-clf", "clf", fit(X_NAN), ValueError, r"Input X contains NaN", True),
    ("X-nan-reg", "reg", fit(X_NAN), ValueError, r"Input X contains NaN", True),
    ("X-nan-partial_fit", "reg", partial_fit(X_NAN), ValueError,
     r"Input X contains NaN", True),
    ("X-inf", "clf", fit(X_INF), ValueError, r"Input X contains infinity", True),
    ("X-neginf", "reg", fit(X_NEGINF), ValueError, r"Input X contains infinity", True),
    ("X-None-in-object", "reg", fit(X_OBJ_NONE), ValueError, r"Input X contains NaN",
     True),
    ("X-complex", "clf", fit(X + 1j), ValueError, r"Complex data not supported", True),
    ("X-complex-reg", "reg", fit(X + 0j), ValueError, r"Complex data not supported",
     True),
    ("X-strings", "clf", fit(X_STR), ValueError, r"could not convert string to float",
     True),
    ("X-object-with-string", "reg", fit(X_OBJ_STR), ValueError,
     r"could not convert string to float: 'a'", True),
    ("X-dict", "clf", fit({"a": 1}), TypeError, r"dict", True),
    ("X-scalar", "reg", fit(3.0), ValueError, r"Expected 2D array, got scalar", True),
    ("X-1d", "clf", fit(X[:, 0]), ValueError, r"Expected 2D array, got 1D array", True),
    ("X-1d-reg", "reg", fit(X[:, 0]), ValueError, r"Expected 2D array, got 1D array",
     True),
    ("X-3d", "clf", fit(X.reshape(20, 3, 1)), ValueError, r"dim 3", True),
    ("X-3d-partial_fit", "clf", partial_fit(X.reshape(20, 3, 1)), ValueError,
     r"dim 3", True),
    ("X-ragged-list", "clf", fit([[1.0, 2.0], [3.0]], [0, 1]), ValueError,
     r"inhomogeneous", True),
    ("X-empty", "clf", fit(np.empty((0, 3)), np.empty(0)), ValueError,
     r"0 sample\(s\)", True),
    ("X-empty-reg", "reg", fit(np.empty((0, 3)), np.empty(0)), ValueError,
     r"0 sample\(s\)", True),
    ("X-zero-features", "clf", fit(np.empty((20, 0))), ValueError,
     r"0 feature\(s\)", True),
    ("X-zero-features-reg", "reg", fit(np.empty((20, 0))), ValueError,
     r"0 feature\(s\)", True),
    ("X-sparse-nan", "clf", fit(sp.csr_matrix(X_NAN)), ValueError,
     r"Input X contains NaN", True),
    ("X-sparse-inf", "reg", fit(sp.csr_matrix(X_INF)), ValueError,
     r"Input X contains infinity", True),
    ("X-sparse-complex", "clf", fit(sp.csr_matrix(X + 1j)), ValueError,
     r"Complex data not supported", True),
    # --- X and y disagree ---------------------------------------------------
    ("length-mismatch-clf", "clf", fit(X, Y_CLF[:-1]), ValueError,
     r"inconsistent numbers of samples: \[20, 19\]", True),
    ("length-mismatch-reg", "reg", fit(X, Y_REG[:-1]), ValueError,
     r"inconsistent numbers of samples: \[20, 19\]", True),
    ("length-mismatch-partial_fit", "clf", partial_fit(X[:-2], Y_CLF), ValueError,
     r"inconsistent numbers of samples: \[18, 20\]", True),
    ("y-None", "clf", fit(X, None), ValueError, r"requires y to be passed", True),
    ("y-None-reg", "reg", fit(X, None), ValueError, r"requires y to be passed", True),
    # --- y for the classifier -------------------------------------------------
    ("y-continuous-clf", "clf", fit(X, Y_REG), ValueError,
     r"Unknown label type: continuous", True),
    ("y-continuous-multioutput-clf", "clf", fit(X, np.c_[Y_REG, Y_REG]), ValueError,
     r"continuous-multioutput|Multioutput target", True),
    ("y-nan-clf", "clf", fit(X, with_value(Y_CLF, 0, np.nan, float)), ValueError,
     r"Input y contains NaN", True),
    ("y-3d-clf", "clf", fit(X, Y_CLF.reshape(20, 1, 1)), ValueError, r"dim 3", True),
    # --- y for the regressor --------------------------------------------------
    ("y-nan-reg", "reg", fit(X, with_value(Y_REG, 0, np.nan)), ValueError,
     r"Input y contains NaN", True),
    ("y-inf-reg", "reg", fit(X, with_value(Y_REG, 0, np.inf)), ValueError,
     r"Input y contains infinity", True),
    ("y-nan-partial_fit", "reg", partial_fit(X, with_value(Y_REG, 0, np.nan)),
     ValueError, r"Input y contains NaN", True),
    ("y-complex-reg", "reg", fit(X, Y_REG + 1j), ValueError,
     r"Complex data not supported", True),
    ("y-3d-reg", "reg", fit(X, Y_REG.reshape(20, 1, 1)), ValueError, r"dim 3", True),
    ("y-0d-reg", "reg", fit(X, np.float64(1.0)), TypeError, r"at least 1 dimension",
     True),
    ("y-sparse-reg", "reg", fit(X, sp.csr_matrix(Y_REG.reshape(-1, 1))), TypeError,
     r"Sparse data was passed for y", True),
    # scikit-learn answers string targets with a raw NumPy UFuncTypeError.
    ("y-strings-reg", "reg", fit(X, np.array(["a", "b"] * 10)), ValueError,
     r"numeric targets.*'a'", False),
    ("y-strings-2d-reg", "reg", fit(X, np.array([["a", "b"]] * 20)), ValueError,
     r"numeric targets.*'a'", False),
    ("y-bytes-reg", "reg", fit(X, np.array([b"a"] * 20)), ValueError,
     r"numeric targets", False),
    ("y-strings-partial_fit", "reg", partial_fit(X, np.array(["a"] * 20)), ValueError,
     r"numeric targets.*'a'", False),
    ("y-object-with-string-reg", "reg", fit(X, np.array(["a", 1.0] * 10, dtype=object)),
     ValueError, r"numeric targets.*'a'", True),
    # --- Poisson: scikit-learn trains on negative targets and ends with NaN. --
    ("y-negative-poisson-adam", "pois", fit(X, Y_REG), ValueError,
     r"negative.*loss='poisson'", False),
    ("y-negative-poisson-sgd", "pois", fit(X, Y_REG, ), ValueError,
     r"negative.*loss='poisson'", False),
    ("y-negative-poisson-partial_fit", "pois", partial_fit(X, -Y_POIS - 1), ValueError,
     r"negative.*loss='poisson'", False),
    ("y-negative-poisson-2d", "pois", fit(X, np.c_[Y_POIS, -Y_POIS - 1]), ValueError,
     r"negative.*loss='poisson'", False),
    ("y-inf-poisson", "pois", fit(X, with_value(Y_POIS, 0, np.inf)), ValueError,
     r"Input y contains infinity", True),
    # --- sample_weight ------------------------------------------------------
    ("sw-too-short", "clf", fit(X, sample_weight=np.ones(19)), ValueError,
     r"sample_weight.shape == \(19,\), expected \(20,\)", True),
    ("sw-too-long-reg", "reg", fit(X, sample_weight=np.ones(21)), ValueError,
     r"sample_weight.shape == \(21,\), expected \(20,\)", True),
    ("sw-wrong-length-partial_fit", "reg", partial_fit(X, sample_weight=np.ones(3)),
     ValueError, r"sample_weight.shape == \(3,\), expected \(20,\)", True),
    ("sw-2d", "clf", fit(X, sample_weight=np.ones((20, 1))), ValueError,
     r"Sample weights must be 1D", True),
    ("sw-2d-reg", "reg", fit(X, sample_weight=np.ones((20, 2))), ValueError,
     r"Sample weights must be 1D", True),
    ("sw-nan", "clf", fit(X, sample_weight=with_value(np.ones(20), 4, np.nan)),
     ValueError, r"Input sample_weight contains NaN", True),
    ("sw-nan-partial_fit", "reg",
     partial_fit(X, sample_weight=with_value(np.ones(20), 4, np.nan)), ValueError,
     r"Input sample_weight contains NaN", True),
    ("sw-inf", "reg", fit(X, sample_weight=with_value(np.ones(20), 4, np.inf)),
     ValueError, r"Input sample_weight contains infinity", True),
    ("sw-all-zero", "reg", fit(X, sample_weight=np.zeros(20)), ValueError,
     r"at least one non-zero", True),
    ("sw-strings", "clf", fit(X, sample_weight=np.array(["a"] * 20)), ValueError,
     r"could not convert string to float", True),
    ("sw-complex", "reg", fit(X, sample_weight=np.ones(20) + 1j), ValueError,
     r"Complex data not supported", True),
    # --- predict-time input -----------------------------------------------------
    ("predict-too-few-features", "clf", predict(X[:, :2]), ValueError,
     r"X has 2 features, but MLPClassifierNB is expecting 3 features", True),
    ("predict-too-many-features", "reg", predict(np.c_[X, X]), ValueError,
     r"X has 6 features, but MLPRegressorNB is expecting 3 features", True),
    ("predict_proba-wrong-features", "clf", predict(X[:, :1], "predict_proba"),
     ValueError, r"X has 1 features, but MLPClassifierNB is expecting 3", True),
    ("predict-sparse-wrong-features", "clf", predict(sp.csr_matrix(np.c_[X, X])),
     ValueError, r"X has 6 features, but MLPClassifierNB is expecting 3", True),
    ("predict-nan", "reg", predict(X_NAN), ValueError, r"Input X contains NaN", True),
    ("predict-inf", "clf", predict(X_INF, "predict_proba"), ValueError,
     r"Input X contains infinity", True),
    ("predict-complex", "clf", predict(X + 1j), ValueError,
     r"Complex data not supported", True),
    ("predict-1d", "clf", predict(X[0]), ValueError, r"Expected 2D array, got 1D", True),
    ("predict-3d", "reg", predict(X.reshape(20, 3, 1)), ValueError, r"dim 3", True),
    ("predict-empty", "reg", predict(np.empty((0, 3))), ValueError,
     r"0 sample\(s\)", True),
    ("predict-strings", "clf", predict(X_STR[:2]), ValueError, r"string", True),
]
def _ids(cases):
    return [c[0] for c in cases]


# sgd for one of the Poisson rows, so that both stochastic solvers are covered.
_PARAMS = {"y-negative-poisson-sgd": dict(solver="sgd"), "X-1d-reg": dict(solver="lbfgs")}


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_bad_input_raises_sklearn_type_with_clear_message(case):
    name, kind, call, exc, match, _ = case
    est = make(kind, **_PARAMS.get(name, {}))
    method, Xb, yb, kw = call
    with pytest.raises(exc, match=match):
        run(est, kind, (method, Xb, yb, dict(kw)))


SK_CASES = [c for c in CASES if c[5]]


@pytest.mark.parametrize("case", SK_CASES, ids=_ids(SK_CASES))
def test_sklearn_raises_the_same_type(case):
    """The expected types above are scikit-learn's: skmlp is as strict as it is."""
    name, kind, call, exc, _, _ = case
    if name == "sw-all-zero" and sklearn_older_than("1.9"):
        pytest.skip("scikit-learn < 1.9 does not check for all-zero sample_weight "
                    "(np.average raises ZeroDivisionError); 1.9 raises ValueError")
    est = make(kind, lib="sklearn", **_PARAMS.get(name, {}))
    method, Xb, yb, kw = call
    with pytest.raises(exc):
        run(est, kind, (method, Xb, yb, dict(kw)))


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_sklearn_accepts_negative_poisson_targets_but_skmlp_does_not(solver):
    """The scikit-learn bug the issue names: negative y for the Poisson loss."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make("pois", lib="sklearn", solver=solver).fit(X, Y_REG)  # no error there
    with pytest.raises(ValueError, match=r"negative.*loss='poisson'.*squared_error"):
        make("pois", solver=solver).fit(X, Y_REG)


def test_sklearn_answers_string_regression_targets_with_a_numpy_error():
    """The other scikit-learn bug the issue names; skmlp says what is wrong."""
    y = np.array(["a", "b"] * 10)
    with pytest.raises(Exception) as sk_err:
        make("reg", lib="sklearn").fit(X, y)
    assert "ufunc" in str(sk_err.value)
    with pytest.raises(ValueError, match=r"needs numeric targets") as nb_err:
        make("reg").fit(X, y)
    assert "ufunc" not in str(nb_err.value)
    assert "MLPClassifierNB" in str(nb_err.value)  # and what to use instead


# --------------------------------------------------------------- mixed labels
def test_mixed_label_types_string_first():
    y = np.array(["a", 1] * 10, dtype=object)
    # scikit-learn: TypeError from sorting; a fix may raise scikit-learn's own
    # "Mix of label input types" ValueError instead. Either must name both types.
    with pytest.raises((TypeError, ValueError), match=r"(?i)mix|str.*int|int.*str"):
        make("clf").fit(X, y)


def test_mixed_label_types_number_first():
    y = np.array([0, "a"] * 10, dtype=object)
    with pytest.raises((TypeError, ValueError), match=r"(?i)mix|str.*int|int.*str"):
        make("clf").fit(X, y)


def test_mixed_label_types_in_partial_fit_classes():
    with pytest.raises(ValueError, match=r"Mix of label input types"):
        make("clf").partial_fit(X, Y_CLF, classes=[0, "a"])


def test_partial_fit_labels_of_another_type_than_classes():
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        make("clf").partial_fit(X, np.array(["a", "b"] * 10), classes=[0, 1])


# ------------------------------------------------------- targets that become NaN
@pytest.mark.parametrize(
    "y",
    [np.array([None, 1.0] * 10, dtype=object), np.array(["1.5", "nan"] * 10)],
    ids=["None-in-object", "nan-string"],
)
def test_regression_targets_that_convert_to_nan_are_rejected(y):
    with pytest.raises(ValueError, match=r"Input y contains NaN"):
        make("reg").fit(X, y)


def test_datetime_regression_targets_are_rejected():
    y = np.arange(20).astype("datetime64[D]")
    with pytest.raises(ValueError, match=r"numeric"):
        make("reg").fit(X, y)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_targets_too_large_for_float32_are_rejected():
    y = with_value(Y_REG, 0, 1e39)
    with pytest.raises(ValueError, match=r"float32"):
        make("reg").fit(X.astype(np.float32), y)


def test_predict_refuses_numeric_strings_like_sklearn():
    est = make("clf").fit(X, Y_CLF)
    with pytest.raises(ValueError, match=r"strings"):
        est.predict(X.astype(str))


# ------------------------------------------------------------- sample_weight
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_negative_sample_weight_is_rejected(kind):
    sw = with_value(np.ones(20), 0, -1.0)
    with pytest.raises(ValueError, match=r"(?i)negative.*sample_weight"):
        make(kind).fit(X, Y[kind], sample_weight=sw)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_zero_weight_minibatch_is_handled(solver):
    sw = np.r_[np.zeros(10), np.ones(10)]
    est = make("reg", solver=solver, batch_size=5, shuffle=False)
    try:
        est.fit(X, Y_REG, sample_weight=sw)
    except ValueError as e:  # refusing it up front is fine if it says why
        assert "sample_weight" in str(e)
    else:
        assert np.isfinite(est.predict(X)).all()


# ------------------------------------------------------------- fitted state
@pytest.mark.parametrize(
    "kind, method",
    [("clf", "predict"), ("clf", "predict_proba"), ("clf", "predict_log_proba"),
     ("clf", "score"), ("reg", "predict"), ("reg", "score")],
)
def test_unfitted_estimator_raises_not_fitted(kind, method):
    est = make(kind)
    args = (X, Y[kind]) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match=r"is not fitted yet"):
        getattr(est, method)(*args)


def test_partial_fit_unseen_class():
    est = make("clf").partial_fit(X, Y_CLF % 2, classes=[0, 1])
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        est.partial_fit(X, Y_CLF)


def test_partial_fit_first_call_without_classes():
    with pytest.raises(ValueError, match=r"classes must be passed on the first call"):
        make("clf").partial_fit(X, Y_CLF)


def test_partial_fit_first_call_labels_outside_classes():
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        make("clf").partial_fit(X, Y_CLF + 5, classes=CLASSES)


def test_partial_fit_changed_classes():
    est = make("clf").partial_fit(X, Y_CLF, classes=CLASSES)
    with pytest.raises(ValueError, match=r"is not the same as on last call"):
        est.partial_fit(X, Y_CLF, classes=[0, 1, 2, 3])


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("n_features", [2, 4])
def test_partial_fit_different_number_of_features(kind, n_features):
    est = make(kind)
    kw = {"classes": CLASSES} if kind == "clf" else {}
    est.partial_fit(X, Y[kind], **kw)
    Xn = np.c_[X, X][:, :n_features]
    with pytest.raises(ValueError, match=rf"X has {n_features} features, but "
                                         r"MLP\w+NB is expecting 3 features"):
        est.partial_fit(Xn, Y[kind])


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("n_features", [2, 4])
def test_warm_start_different_number_of_features(kind, solver, n_features):
    est = make(kind, solver=solver, warm_start=True).fit(X, Y[kind])
    Xn = np.c_[X, X][:, :n_features]
    with pytest.raises(ValueError, match=rf"X has {n_features} features, but "
                                         r"MLP\w+NB is expecting 3 features"):
        est.fit(Xn, Y[kind])


def test_warm_start_different_classes():
    est = make("clf", warm_start=True).fit(X, Y_CLF)
    with pytest.raises(ValueError, match=r"warm_start can only be used where `y` has "
                                         r"the same classes"):
        est.fit(X, Y_CLF + 1)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_changed_number_of_regression_outputs(method):
    est = make("reg", warm_start=True)
    getattr(est, method)(X, Y_REG)
    with pytest.raises(ValueError, match=r"y has 2 output\(s\), but MLPRegressorNB was "
                                         r"fitted with 1"):
        getattr(est, method)(X, np.c_[Y_REG, Y_REG])


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("new_sizes", [(5,), (3, 2)])
def test_changed_hidden_layer_sizes_on_warm_start(method, new_sizes):
    # scikit-learn silently trains the new shape or fails inside NumPy; with no
    # bounds checks in the kernels this must be refused.
    est = make("reg", warm_start=True)
    getattr(est, method)(X, Y_REG)
    est.set_params(hidden_layer_sizes=new_sizes)
    with pytest.raises(ValueError, match=r"same network shape"):
        getattr(est, method)(X, Y_REG)


def test_multilabel_partial_fit_with_more_labels():
    Y3 = (rng.rand(20, 3) > 0.5).astype(int)
    Y4 = (rng.rand(20, 4) > 0.5).astype(int)
    est = make("clf").partial_fit(X, Y3, classes=np.arange(3))
    with pytest.raises(ValueError, match=r"`y` has classes not in `self.classes_`"):
        est.partial_fit(X, Y4)


def test_partial_fit_with_early_stopping():
    with pytest.raises(ValueError, match=r"partial_fit does not support early_stopping"):
        make("reg", early_stopping=True).partial_fit(X, Y_REG)


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_partial_fit_needs_a_stochastic_solver(kind):
    est = make(kind, solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match=r"has no attribute 'partial_fit'") as err:
        est.partial_fit(X, Y[kind])
    # The reason is chained, as scikit-learn's available_if does.
    assert "only available for stochastic optimizers" in str(err.value.__cause__)


# ------------------------------------------------- fitted attributes tampered with
def _short_intercept(est):
    est.intercepts_[0] = est.intercepts_[0][:1].copy()


def _wrong_coef_rows(est):
    est.coefs_[1] = np.zeros((2, est.coefs_[1].shape[1]))


def _wrong_first_layer(est):
    est.coefs_[0] = np.zeros((4, est.coefs_[0].shape[1]))


@pytest.mark.parametrize("tamper", [_short_intercept, _wrong_coef_rows,
                                    _wrong_first_layer],
                         ids=["short-intercept", "wrong-coef-rows",
                              "wrong-first-layer"])
def test_inconsistent_fitted_weights_are_refused(tamper):
    est = make("clf").fit(X, Y_CLF)
    tamper(est)
    with pytest.raises(ValueError, match=r"coefs_|intercepts_"):
        est.predict_proba(X)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("tamper", [_short_intercept, _wrong_coef_rows],
                         ids=["short-intercept", "wrong-coef-rows"])
def test_inconsistent_fitted_weights_are_refused_before_training(tamper, method):
    """warm_start and partial_fit train from the hand-set weights: check first."""
    est = make("clf", warm_start=True).partial_fit(X, Y_CLF, classes=CLASSES)
    tamper(est)
    with pytest.raises(ValueError, match=r"coefs_|intercepts_"):
        getattr(est, method)(X, Y_CLF)


def test_inconsistent_fitted_weights_message_shows_the_shapes_set():
    est = make("clf", warm_start=True).fit(X, Y_CLF)
    _short_intercept(est)
    with pytest.raises(ValueError, match=r"intercepts_ shapes \[\(1,\), \(3,\)\]"):
        est.fit(X, Y_CLF)
