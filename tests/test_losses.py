"""The robust and quantile regression losses: 'absolute_error', 'huber', 'quantile'.

The kernel's loss and delta against the NumPy reference (``_reference.py``),
the full-data gradient against finite differences (away from the kinks),
the reported losses against scikit-learn's metrics, and what a user sees:
quantile levels that bracket the expected share of held-out targets, one
column per level in the given order, robustness to outliers, bad values,
the ``to_sklearn`` refusal, ``score`` and persistence.
"""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error, mean_pinball_loss, r2_score
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPRegressorNB, _data, _kernels, _specs
from skmlp._epoch import H_OUT_SCALE, loss_gradient

import _reference as ref
from conftest import ROUND_OFF_TOL, ROUND_OFF_TOL_FLOAT32

NEW = ["absolute_error", "huber", "quantile"]
DTYPES = [np.float32, np.float64]
HUBER_DELTA = 0.7
LEVELS = (0.1, 0.5, 0.9)

EXT = True  # the extended engine's kernels (every code; see _data.Net.ext)


def _par(name, k):
    """The ``loss_par`` the estimator builds for ``k`` outputs."""
    if name == "huber":
        return np.array([HUBER_DELTA])
    if name == "quantile":
        return np.array(LEVELS[:k])
    return np.empty(0)


def _tol(dtype):
    return ROUND_OFF_TOL_FLOAT32 if dtype == np.float32 else ROUND_OFF_TOL


def _heteroscedastic(n, seed):
    """``y = sin(2x) + noise`` with noise growing with ``|x|`` (one feature)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, (n, 1))
    y = np.sin(2 * X[:, 0]) + (0.1 + 0.4 * np.abs(X[:, 0])) * rng.standard_normal(n)
    return X, y


# ------------------------------------------------------------- the reference
def test_reference_is_scikit_learns_metrics():
    rng = np.random.RandomState(0)
    P, Y = rng.standard_normal((50, 3)), rng.standard_normal((50, 3))
    mae = ref.robust_loss_matrix(P, Y, "absolute_error", ()).mean()
    assert mae == pytest.approx(mean_absolute_error(Y, P), rel=1e-12)
    pin = ref.robust_loss_matrix(P, Y, "quantile", LEVELS).mean(axis=0)
    expected = [mean_pinball_loss(Y[:, j], P[:, j], alpha=q) for j, q in enumerate(LEVELS)]
    np.testing.assert_allclose(pin, expected, rtol=1e-12)
    # huber: quadratic inside delta, linear (with the matching value) outside
    R = np.array([[0.3, -0.7, 2.0, -3.0]])
    h = ref.robust_loss_matrix(R, np.zeros_like(R), "huber", (HUBER_DELTA,))
    np.testing.assert_allclose(h, [[0.045, 0.245, 0.7 * (2.0 - 0.35), 0.7 * (3.0 - 0.35)]])


# ------------------------------------------------------------------ kernels
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NEW)
def test_output_delta_matches_reference(name, dtype, weighted):
    rng = np.random.RandomState(3)
    n_all, k = 11, 3
    P_all = rng.standard_normal((n_all, k)).astype(dtype)
    Y = rng.standard_normal((n_all, k)).astype(dtype)
    sw = (rng.uniform(0.2, 3.0, n_all) if weighted else np.ones(n_all)).astype(dtype)
    rows = np.array([7, 2, 9, 0, 4], dtype=np.int64)
    P = np.ascontiguousarray(P_all[rows])
    norm = 1.0 / float(sw[rows].sum())
    D = np.full((rows.shape[0], k), np.nan, dtype=dtype)
    par = _par(name, k)

    loss = _kernels.output_delta(P, Y, sw, rows, norm, _specs.LOSSES[name].code, par,
                                 np.finfo(dtype).eps, D, EXT)

    per_row = ref.robust_loss_matrix(P, Y[rows], name, par).sum(axis=1)
    expected_loss = float(np.sum(sw[rows].astype(np.float64) * per_row))
    expected_D = ref.robust_output_delta(P, Y[rows], sw[rows], norm, name, par)
    np.testing.assert_allclose(loss, expected_loss, **_tol(dtype))
    np.testing.assert_allclose(D, expected_D, **_tol(dtype))
    if name == "huber":  # both branches were visited
        r = np.abs(P - Y[rows])
        assert (r < HUBER_DELTA).any() and (r > HUBER_DELTA).any()


@pytest.mark.parametrize("name", NEW)
def test_subgradient_at_the_kink_and_nan(name):
    """A prediction equal to its target: sign(0) = 0, and -tau for the pinball loss."""
    P = np.array([[0.5, -1.0, 2.0], [np.nan, 1.0, 1.0]])
    Y = np.array([[0.5, -1.0, 2.0], [0.0, 1.0, 1.0]])
    sw = np.array([2.0, 1.0])
    D = np.empty_like(P)
    par = _par(name, 3)
    _kernels.output_delta(P[:1], Y, sw, np.array([0], dtype=np.int64), 0.5,
                          _specs.LOSSES[name].code, par, 1e-16, D[:1], EXT)
    expected = -np.array(LEVELS) if name == "quantile" else np.zeros(3)
    np.testing.assert_array_equal(D[0], expected * 2.0 * 0.5)
    # A NaN output keeps its NaN in the loss and the delta (divergence shows).
    loss = _kernels.output_delta(P[1:], Y[1:], sw[1:], np.array([0], dtype=np.int64), 1.0,
                                 _specs.LOSSES[name].code, par, 1e-16, D[1:], EXT)
    assert np.isnan(loss) and np.isnan(D[1, 0]) and np.isfinite(D[1, 1:]).all()


# ---------------------------------------------------------------- gradients
N, STEP = 23, 1e-6


def _fitted(name, hidden, rng):
    """A small fitted model with two outputs for ``name`` (two levels for quantile)."""
    X = rng.standard_normal((N, 4))
    if name == "quantile":
        params, y = {"quantile": LEVELS[::2]}, rng.standard_normal(N)
    else:
        params, y = {"huber_delta": HUBER_DELTA}, rng.standard_normal((N, 2))
    est = MLPRegressorNB(loss=name, hidden_layer_sizes=(5, 3), activation=hidden,
                         alpha=0.3, solver="sgd", max_iter=1, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_outputs_ == 2
    return est, X


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("hidden", ["tanh", "gelu"])
@pytest.mark.parametrize("name", NEW)
def test_gradient_matches_finite_differences_away_from_kinks(name, hidden, weighted):
    rng = np.random.RandomState(0)
    est, X = _fitted(name, hidden, rng)
    net = est._net(training=True)
    units, acts = net.units, net.acts
    theta = ref.random_theta(units, rng, scale=0.8)
    # Targets at a distance of 0.1 to 2 from the predictions, on both sides,
    # and at least 0.1 from huber's delta: a step of 1e-6 crosses no kink.
    P = ref.forward(X, theta, units, acts)[-1]
    gap = rng.choice([0.1, 0.3, 0.5, 1.0, 2.0], size=P.shape)
    Y = P + gap * rng.choice([-1.0, 1.0], size=P.shape)
    sw = rng.uniform(0.2, 3.0, N) if weighted else np.ones(N)
    if weighted:
        sw[[2, 9]] = 0.0
    data = _data.kernel_data(X, Y, sw, np.float64)
    work = _data.workspace(net, 7, np.float64, dense=True, with_accumulator=True)
    hyper = est._hyper(np.float64, 0.0)
    hyper[H_OUT_SCALE] = 1.0  # the objective of the gradient (see test_gradients)

    def f(t):
        return loss_gradient(data, net, t, hyper, work, 7), work.G.copy()

    loss, grad = f(theta)
    fd = np.empty_like(theta)
    for p in range(theta.shape[0]):
        plus, minus = theta.copy(), theta.copy()
        plus[p] += STEP
        minus[p] -= STEP
        fd[p] = (f(plus)[0] - f(minus)[0]) / (2 * STEP)

    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)
    assert np.abs(grad).max() > 1e-3
    expected_loss, expected_grad = ref.robust_loss_gradient(
        theta, X, Y, sw, units, acts, est.alpha, name, net.loss_par)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-13)


def test_the_loss_parameters_reach_the_kernels():
    X, y = _heteroscedastic(30, 0)
    est = MLPRegressorNB(loss="huber", huber_delta=0.3, hidden_layer_sizes=(3,),
                         max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        assert est._net(training=True).loss_par.tolist() == [0.3]
        est.set_params(loss="quantile", quantile=0.25).fit(X, y)
        assert est._net(training=True).loss_par.tolist() == [0.25]
        two = MLPRegressorNB(loss="quantile", quantile=0.8, hidden_layer_sizes=(3,),
                             max_iter=1, random_state=0).fit(X, np.c_[y, -y])
    # one level and a 2-D target: that level for every output
    assert two._net(training=True).loss_par.tolist() == [0.8, 0.8]


# ------------------------------------------------------------ reported loss
@pytest.mark.parametrize("name", NEW)
def test_reported_validation_loss_is_scikit_learns_metric(name):
    """The validation loss is the mean over samples and outputs (scikit-learn's)."""
    X, y = _heteroscedastic(300, 0)
    X_val, y_val = _heteroscedastic(100, 1)
    if name == "quantile":
        params, Y_val = {"quantile": LEVELS}, np.repeat(y_val[:, None], 3, axis=1)
    else:
        y, y_val = np.c_[y, 2 * y], np.c_[y_val, 2 * y_val]
        params, Y_val = {"huber_delta": HUBER_DELTA}, y_val
    est = MLPRegressorNB(loss=name, hidden_layer_sizes=(8,), max_iter=5,
                         random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, X_val=X_val, y_val=y_val)
    P = est.predict(X_val)
    expected = ref.robust_loss_matrix(P, Y_val, name, _par(name, 3)).mean()
    if name == "absolute_error":
        assert expected == pytest.approx(mean_absolute_error(y_val, P), rel=1e-12)
    np.testing.assert_allclose(est.validation_loss_curve_[-1], expected, rtol=1e-9)


# --------------------------------------------------------- what a user sees
def test_quantile_levels_bracket_held_out_targets():
    X, y = _heteroscedastic(3000, 0)
    X_test, y_test = _heteroscedastic(3000, 1)
    # A decaying step: the pinball gradient does not shrink near the optimum.
    est = MLPRegressorNB(loss="quantile", quantile=[0.1, 0.9], hidden_layer_sizes=(32,),
                         learning_rate_init=0.01, max_iter=100,
                         learning_rate_schedule="cosine", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    P = est.predict(X_test)
    assert P.shape == (3000, 2) and est.n_outputs_ == 2
    inside = (P[:, 0] <= y_test) & (y_test <= P[:, 1])
    assert 0.72 <= inside.mean() <= 0.88  # 80% nominal
    below = (y_test[:, None] < P).mean(axis=0)
    np.testing.assert_allclose(below, [0.1, 0.9], atol=0.05)
    # the interval widens with the noise (|x| large), as the data's does
    width = P[:, 1] - P[:, 0]
    wide = np.abs(X_test[:, 0]) > 1.5
    narrow = np.abs(X_test[:, 0]) < 0.5
    assert width[wide].mean() > 2 * width[narrow].mean()


def test_one_column_per_level_in_the_given_order():
    X, y = _heteroscedastic(2000, 2)
    levels = [0.9, 0.2, 0.5]  # not sorted: the columns follow this order
    est = MLPRegressorNB(loss="quantile", quantile=levels, hidden_layer_sizes=(16,),
                         learning_rate_init=0.01, max_iter=100,
                         learning_rate_schedule="cosine", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    P = est.predict(X)
    assert P.shape == (2000, 3)
    np.testing.assert_allclose((y[:, None] < P).mean(axis=0), levels, atol=0.03)
    # one level keeps a 1-D prediction, given as a number or a sequence of one
    kw = dict(loss="quantile", hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = MLPRegressorNB(quantile=0.3, **kw).fit(X, y).predict(X)
        listed = MLPRegressorNB(quantile=[0.3], **kw).fit(X, y).predict(X)
    assert one.shape == (2000,)
    np.testing.assert_array_equal(listed, one)


@pytest.mark.parametrize("name", ["absolute_error", "huber"])
def test_robust_losses_ignore_outliers_that_squared_error_follows(name):
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (400, 2))
    y = 2 * X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(400)
    y[rng.uniform(size=400) < 0.15] += 30.0  # 15% gross outliers, all upwards
    X_test = rng.uniform(-1, 1, (500, 2))
    y_test = 2 * X_test[:, 0] - X_test[:, 1]
    errors = {}
    for loss in ("squared_error", name):
        # a linear model: the outliers shift the squared error's intercept by ~4.5
        est = MLPRegressorNB(loss=loss, hidden_layer_sizes=(), learning_rate_init=0.05,
                             max_iter=300, random_state=0).fit(X, y)
        errors[loss] = mean_absolute_error(y_test, est.predict(X_test))
    assert errors["squared_error"] > 3.0
    assert errors[name] < 0.1 * errors["squared_error"]


@pytest.mark.parametrize("name", NEW)
def test_lbfgs_trains_every_loss(name):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((500, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.3 * rng.standard_normal(500)
    est = MLPRegressorNB(loss=name, solver="lbfgs", hidden_layer_sizes=(8,),
                         max_iter=200, random_state=0)
    with warnings.catch_warnings():
        # the line search may stop at a kink: that is a ConvergenceWarning
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert np.isfinite(est.loss_) and est.n_iter_ > 5
    assert est.score(X, y) > 0.9


def test_loss_parameters_are_ignored_by_the_other_losses():
    X, y = _heteroscedastic(100, 0)
    kw = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        default = MLPRegressorNB(**kw).fit(X, y)
        other = MLPRegressorNB(huber_delta=3.0, quantile=[0.1, 0.9], **kw).fit(X, y)
    for a, b in zip(default.coefs_ + default.intercepts_, other.coefs_ + other.intercepts_):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- score
def test_score_is_r2_and_averaged_over_levels():
    X, y = _heteroscedastic(400, 0)
    kw = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = MLPRegressorNB(loss="quantile", quantile=0.3, **kw).fit(X, y)
        many = MLPRegressorNB(loss="quantile", quantile=LEVELS, **kw).fit(X, y)
    assert one.score(X, y) == r2_score(y, one.predict(X))
    P = many.predict(X)
    expected = np.mean([r2_score(y, P[:, j]) for j in range(3)])
    assert many.score(X, y) == pytest.approx(expected, rel=1e-12)
    w = np.linspace(0.5, 2, 400)
    expected_w = np.mean([r2_score(y, P[:, j], sample_weight=w) for j in range(3)])
    assert many.score(X, y, sample_weight=w) == pytest.approx(expected_w, rel=1e-12)


def test_score_on_dask_matches_local_for_levels():
    da = pytest.importorskip("dask.array")
    X, y = _heteroscedastic(300, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPRegressorNB(loss="quantile", quantile=LEVELS, hidden_layer_sizes=(8,),
                             max_iter=5, random_state=0).fit(X, y)
    lazy = est.score(da.from_array(X, chunks=100), da.from_array(y, chunks=100))
    assert lazy == pytest.approx(est.score(X, y), rel=1e-9)


# ------------------------------------------------------------- bad input
X_BAD = np.random.RandomState(0).standard_normal((20, 2))
X_BAD[3, 1] = np.nan  # a parameter error must come before the data's
Y_BAD = np.arange(20.0)
BAD = [("huber_delta", v) for v in (0.0, -1.0, np.nan, "1", None)] + [
    ("quantile", v) for v in (0.0, 1.0, -0.1, 1.5, np.nan, "0.5", None, [], [0.1, 1.0],
                              [0.1, np.nan], [[0.1, 0.9]], ["a"], (0.5, -0.5))]


def _state(est):
    return {k: (v.tobytes() if isinstance(v, np.ndarray)
                else [a.tobytes() for a in v] if k in ("coefs_", "intercepts_")
                else repr(v))
            for k, v in vars(est).items() if k.endswith("_")}


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("param, value", BAD, ids=[f"{p}={v!r}" for p, v in BAD])
def test_bad_values_raise_before_any_work(param, value, method):
    fresh = MLPRegressorNB(hidden_layer_sizes=(3,), max_iter=2, **{param: value})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        getattr(fresh, method)(X_BAD, Y_BAD)
    assert not hasattr(fresh, "coefs_")
    X = np.nan_to_num(X_BAD)
    fitted = MLPRegressorNB(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        getattr(fitted, method)(X, Y_BAD)
    before = _state(fitted)
    fitted.set_params(**{param: value})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        getattr(fitted, method)(X_BAD, Y_BAD)
    assert _state(fitted) == before


def test_several_levels_refuse_a_2d_target_and_leave_the_model_untouched():
    X = np.nan_to_num(X_BAD)
    est = MLPRegressorNB(loss="quantile", quantile=[0.1, 0.9], hidden_layer_sizes=(3,),
                         max_iter=2, random_state=0)
    with pytest.raises(ValueError, match=r"sequence of levels.*1-D target.*y has 2 columns"):
        est.fit(X, np.c_[Y_BAD, Y_BAD])
    assert not hasattr(est, "coefs_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y_BAD)
        before = _state(est)
        with pytest.raises(ValueError, match=r"y_val has 2 columns"):
            est.fit(X, Y_BAD, X_val=X, y_val=np.c_[Y_BAD, Y_BAD])
        with pytest.raises(ValueError, match=r"y has 2 columns"):
            est.partial_fit(X, np.c_[Y_BAD, Y_BAD])
    assert _state(est) == before
    # a (n, 1) column is a 1-D target (with scikit-learn's warning)
    with pytest.warns(Warning, match="column-vector y"):
        est.fit(X, Y_BAD[:, None])
    assert est.n_outputs_ == 2


@pytest.mark.parametrize("name", NEW)
def test_to_sklearn_refuses_the_new_losses(name):
    X, y = _heteroscedastic(50, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPRegressorNB(loss=name, hidden_layer_sizes=(3,), max_iter=2,
                             random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=rf"Cannot export loss='{name}' to scikit-learn.*"
                                         r"'squared_error', 'poisson'"):
        est.to_sklearn()


# ------------------------------------------------------------ persistence
def test_levels_model_round_trips_and_keeps_training(tmp_path):
    X, y = _heteroscedastic(200, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = MLPRegressorNB(loss="quantile", quantile=LEVELS, hidden_layer_sizes=(6,),
                             max_iter=3, random_state=0).fit(X, y)
    joblib.dump(est, tmp_path / "m.joblib")
    copies = [pickle.loads(pickle.dumps(est)), joblib.load(tmp_path / "m.joblib")]
    sio = pytest.importorskip("skops.io")
    blob = sio.dumps(est)
    copies.append(sio.loads(blob, trusted=sio.get_untrusted_types(data=blob)))
    before = est.predict(X)
    expected = est.partial_fit(X, y).predict(X)
    for other in copies:
        assert other.get_params()["quantile"] == LEVELS
        np.testing.assert_array_equal(other.predict(X), before)
        np.testing.assert_array_equal(other.partial_fit(X, y).predict(X), expected)
