"""Every invalid parameter value raises InvalidParameterError before any work.

"Before any work" is checked three ways: the data passed along is itself
invalid (it contains NaN), so the parameter must be checked first; a fresh
estimator is left without any fitted attribute; a fitted estimator keeps its
weights byte for byte. Both estimators, ``fit`` and ``partial_fit``.
"""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.randn(20, 3)
X_NAN = X.copy()
X_NAN[2, 2] = np.nan
Y = {MLPClassifierNB: np.arange(20) % 3, MLPRegressorNB: X[:, 0] + 1.0}
SKLEARN = {MLPClassifierNB: MLPClassifier, MLPRegressorNB: MLPRegressor}
SMALL = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)

BAD_VALUES = {
    "hidden_layer_sizes": ["abc", 0, -3, 2.5, None, (0,), (3, 0), (-1,), (2.5,),
                           ((3,),), (np.nan,), (True,)],
    "activation": ["softmax", "exp", "RELU", None],
    "solver": ["newton", "SGD", None],
    "alpha": [-1.0, np.nan, "0.1", None],
    "batch_size": [0, -1, 2.5, "big", None],
    "learning_rate": ["optimal", None],
    "learning_rate_init": [0.0, -1.0, np.inf, np.nan],
    "power_t": [-0.5, np.nan],
    "max_iter": [0, -1, 2.5, np.inf, None],
    "shuffle": ["yes", None, 1],
    "random_state": ["seed", -1, 1.5, 2**32],
    "tol": [-1.0, np.nan],
    "verbose": [-1, "yes", None],
    "warm_start": ["no", None, 0],
    "momentum": [-0.1, 1.5, np.nan],
    "nesterovs_momentum": ["yes", None, 1],
    "early_stopping": ["yes", None, 1],
    "validation_fraction": [1.0, -0.1, np.nan],
    "beta_1": [1.0, -0.1, np.nan],
    "beta_2": [1.0, -0.1],
    "epsilon": [0.0, -1e-8, np.nan],
    "n_iter_no_change": [0, -1, 2.5, -np.inf, np.nan],
    "max_fun": [0, -1, 2.5],
    "loss": ["hinge", None, "log_loss"],  # MLPRegressorNB only
}

# Element-wise checks of hidden_layer_sizes (a non-positive or non-integer
# entry) cannot be expressed as a scikit-learn constraint; skmlp still raises
# InvalidParameterError for them, scikit-learn a ValueError/TypeError/OverflowError.
_HLS_ELEMENTWISE = [(0,), (3, 0), (-1,), (2.5,), ((3,),), (np.nan,), (True,)]


def _is_elementwise_hls(param, value):
    return param == "hidden_layer_sizes" and any(
        value is v or (isinstance(value, tuple) and repr(value) == repr(v))
        for v in _HLS_ELEMENTWISE
    )


def _cases(estimators, first_only=False):
    out = []
    for Est in estimators:
        for param, values in BAD_VALUES.items():
            if param == "loss" and Est is not MLPRegressorNB:
                continue
            for value in values[:1] if first_only else values:
                out.append(pytest.param(Est, param, value,
                                        id=f"{Est.__name__}-{param}={value!r}"))
    return out


ALL = _cases([MLPClassifierNB, MLPRegressorNB])
FIRST = _cases([MLPClassifierNB, MLPRegressorNB], first_only=True)


def _fitted_attributes(est):
    return sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("_"))


def _call(est, method, Xd):
    y = Y[type(est)]
    if method == "partial_fit" and isinstance(est, MLPClassifierNB):
        return est.partial_fit(Xd, y, classes=np.unique(y))
    return getattr(est, method)(Xd, y)


def _expect_invalid(est, param, value, method):
    """The error a bad ``param`` must raise from ``method``."""
    name = type(est).__name__
    if method == "partial_fit" and param == "solver":
        # partial_fit does not exist for a non-stochastic solver (scikit-learn's
        # available_if); the chained reason names the bad value.
        with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as e:
            _call(est, method, X_NAN)
        assert repr(value) in repr(str(e.value.__cause__)) or str(value) in str(
            e.value.__cause__)
        return
    with pytest.raises(InvalidParameterError,
                       match=rf"The '{param}' parameter of {name} must be"):
        _call(est, method, X_NAN)


@pytest.mark.parametrize("Est, param, value", ALL)
def test_invalid_parameter_fit_on_fresh_estimator(Est, param, value):
    est = Est(**SMALL).set_params(**{param: value})
    _expect_invalid(est, param, value, "fit")
    assert _fitted_attributes(est) == []


@pytest.mark.parametrize("Est, param, value", FIRST)
def test_invalid_parameter_partial_fit_on_fresh_estimator(Est, param, value):
    est = Est(**SMALL).set_params(**{param: value})
    _expect_invalid(est, param, value, "partial_fit")
    assert _fitted_attributes(est) == []


def _state(est):
    """Fitted attributes as bytes (weights) or plain values, for comparison."""
    state = {}
    for k, v in vars(est).items():
        if not k.endswith("_") or k.startswith("__"):
            continue
        if isinstance(v, np.ndarray):
            state[k] = (v.dtype.str, v.shape, v.tobytes())
        elif isinstance(v, list) and v and isinstance(v[0], np.ndarray):
            state[k] = [(a.dtype.str, a.shape, a.tobytes()) for a in v]
        else:
            state[k] = repr(v)
    return state


def _fitted_then_invalid(Est, param, value, method):
    est = Est(**SMALL, solver="sgd")
    _call(est, method, X)
    before = _state(est)
    est.set_params(**{param: value})
    _expect_invalid(est, param, value, method)
    assert _state(est) == before


@pytest.mark.parametrize("Est, param, value", FIRST)
def test_invalid_parameter_fit_leaves_fitted_estimator_untouched(Est, param, value):
    _fitted_then_invalid(Est, param, value, "fit")


@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
def test_invalid_parameter_partial_fit_on_fitted_estimator_solver(Est):
    _fitted_then_invalid(Est, "solver", "newton", "partial_fit")


@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
def test_invalid_parameter_partial_fit_leaves_fitted_estimator_untouched(Est):
    # One test over every parameter (a list of offenders is more useful than
    # forty near-identical failures).
    not_refused = []
    for param, values in BAD_VALUES.items():
        if param == "solver" or (param == "loss" and Est is not MLPRegressorNB):
            continue
        try:
            _fitted_then_invalid(Est, param, values[0], "partial_fit")
        except (AssertionError, pytest.fail.Exception, Exception) as e:
            not_refused.append(f"{param}={values[0]!r}: {type(e).__name__}")
    assert not_refused == []


SK_PARAMS = [(Est, p) for Est in (MLPClassifierNB, MLPRegressorNB)
             for p in BAD_VALUES if p != "loss" or Est is MLPRegressorNB]


@pytest.mark.parametrize("Est, param", SK_PARAMS,
                         ids=[f"{E.__name__}-{p}" for E, p in SK_PARAMS])
def test_sklearn_rejects_the_same_values(Est, param):
    """The bad values above are bad for scikit-learn too: same constraints."""
    for value in BAD_VALUES[param]:
        if _is_elementwise_hls(param, value):
            continue
        est = SKLEARN[Est](**SMALL).set_params(**{param: value})
        with pytest.raises(InvalidParameterError, match=rf"The '{param}' parameter"):
            est.fit(X_NAN, Y[Est])


def _constraint_key(c):
    """A comparable description of one scikit-learn constraint."""
    if hasattr(c, "options"):  # StrOptions / Options
        return (type(c).__name__, tuple(sorted(map(repr, c.options))))
    if hasattr(c, "closed"):  # Interval
        return (type(c).__name__, c.type, c.left, c.right, c.closed)
    return (type(c).__name__, str(c))


# Parameters skmlp adds, and scikit-learn parameters whose allowed values skmlp
# extends (activation: four more names, and one per hidden layer; the
# regressor's loss: 'absolute_error', 'huber', 'quantile').
ADDED = {"dropout", "weight_init", "learning_rate_schedule", "class_weight", "n_jobs",
         "scoring", "weight_decay", "max_grad_norm", "huber_delta", "quantile",
         "dask_sync_batches", "batch_norm"}
EXTENDED = {"activation", "loss"}


def test_constraints_match_sklearn():
    """scikit-learn's parameters, with the same allowed values, plus additions.

    Additions extend, never rename: every scikit-learn parameter keeps every
    value it accepts there.
    """
    for Est in (MLPClassifierNB, MLPRegressorNB):
        ours = {k: sorted(map(repr, map(_constraint_key, v)))
                for k, v in Est._parameter_constraints.items()}
        theirs = {k: sorted(map(repr, map(_constraint_key, v)))
                  for k, v in SKLEARN[Est]._parameter_constraints.items()}
        assert set(ours) - set(theirs) <= ADDED
        assert set(theirs) <= set(ours)
        for k in set(theirs) - EXTENDED:
            assert ours[k] == theirs[k], k
        for k in EXTENDED & set(theirs):
            sk_names = SKLEARN[Est]._parameter_constraints[k][0].options
            assert sk_names <= Est._parameter_constraints[k][0].options, k


def test_failed_partial_fit_leaves_no_classes():
    """A partial_fit refused for its parameters must not half-initialise."""
    est = MLPClassifierNB(hidden_layer_sizes=(0,), max_iter=3, random_state=0)
    y = Y[MLPClassifierNB]
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        est.partial_fit(X, y, classes=[0, 1, 2])
    assert not hasattr(est, "classes_")
    est.set_params(hidden_layer_sizes=(3,))
    # Still the first real call: classes are required.
    with pytest.raises(ValueError, match="classes must be passed"):
        est.partial_fit(X, y)


# ----------------------------------------------------- valid edge values work
EDGE_VALUES = [  # (parameter, value, the solver that uses it)
    ("hidden_layer_sizes", [], "adam"),
    ("hidden_layer_sizes", [], "lbfgs"),
    ("hidden_layer_sizes", 2, "sgd"),
    ("hidden_layer_sizes", np.array([2, 3]), "adam"),
    ("hidden_layer_sizes", [np.int32(2)], "lbfgs"),
    ("alpha", 0.0, "lbfgs"),
    ("alpha", 0.0, "adam"),
    ("batch_size", 1, "sgd"),
    ("max_iter", 1, "adam"),
    ("max_iter", 1, "lbfgs"),
    ("power_t", 0.0, "sgd"),
    ("tol", 0.0, "adam"),
    ("momentum", 0.0, "sgd"),
    ("momentum", 1.0, "sgd"),
    ("nesterovs_momentum", np.bool_(False), "sgd"),
    ("beta_1", 0.0, "adam"),
    ("beta_2", 0.0, "adam"),
    ("validation_fraction", 0.0, "adam"),
    ("n_iter_no_change", np.inf, "sgd"),
    ("max_fun", 1, "lbfgs"),
    ("random_state", np.random.RandomState(0), "adam"),
    ("random_state", None, "lbfgs"),
    ("random_state", np.int64(3), "sgd"),
    ("learning_rate_init", 1e-12, "adam"),
]


@pytest.mark.parametrize("param, value, solver", EDGE_VALUES,
                         ids=[f"{p}={v!r}-{s}" for p, v, s in EDGE_VALUES])
@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
def test_valid_edge_values_are_accepted(Est, param, value, solver):
    est = Est(**dict(SMALL, solver=solver)).set_params(**{param: value})
    est.fit(X, Y[Est])
    assert np.isfinite(est.predict(X).astype(float)).all()
