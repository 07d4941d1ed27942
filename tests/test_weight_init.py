"""weight_init: scikit-learn's Glorot draws by default, each initialiser its formula.

The initial weights of a fit are captured by wrapping
``skmlp._network.initial_weights`` (what ``fit`` calls to draw them), so the
checks see exactly the arrays training started from.
"""

import numpy as np
import pytest
import scipy.stats
from sklearn.neural_network import MLPClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB, _network

rng = np.random.RandomState(0)
X = rng.standard_normal((40, 6))
Y = np.arange(40) % 3
Y_REG = X[:, 0] - X[:, 1]
# A wide layer: 784 * 300 = 235,200 draws, enough for tight statistics.
X_WIDE = rng.standard_normal((12, 784))
Y_WIDE = np.arange(12) % 10
PARAMS = dict(max_iter=1, random_state=0)
INITS = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
         "truncated_normal"]


@pytest.fixture
def drawn(monkeypatch):
    """The (coefs, intercepts) drawn by every fit in the test, as copies."""
    record = []
    real = _network.initial_weights

    def spy(*args, **kwargs):
        coefs, intercepts = real(*args, **kwargs)
        record.append(([c.copy() for c in coefs], [b.copy() for b in intercepts]))
        return coefs, intercepts

    monkeypatch.setattr(_network, "initial_weights", spy)
    return record


def _sklearn_draws(activation, seed, units, dtype):
    """scikit-learn's own initial weights (its _init_coef, in its order)."""
    sk = MLPClassifier(activation=activation)
    sk._random_state = np.random.RandomState(seed)
    pairs = [sk._init_coef(a, b, dtype) for a, b in zip(units[:-1], units[1:])]
    return [c for c, _ in pairs], [b for _, b in pairs]


# ---------------------------------------------------------------- default
@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
def test_glorot_uniform_is_the_default(Est):
    assert Est().weight_init == "glorot_uniform"
    y = Y if Est is MLPClassifierNB else Y_REG
    implicit = Est(hidden_layer_sizes=(5,), **PARAMS).fit(X, y)
    explicit = Est(hidden_layer_sizes=(5,), weight_init="glorot_uniform",
                   **PARAMS).fit(X, y)
    for u, v in zip(implicit.coefs_ + implicit.intercepts_,
                    explicit.coefs_ + explicit.intercepts_):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_glorot_uniform_draws_are_sklearns(drawn, activation, dtype):
    MLPClassifierNB(hidden_layer_sizes=(7, 5), activation=activation,
                    **PARAMS).fit(X.astype(dtype), Y)
    (coefs, intercepts), = drawn
    sk_coefs, sk_intercepts = _sklearn_draws(activation, 0, [6, 7, 5, 3], dtype)
    for ours, theirs in zip(coefs + intercepts, sk_coefs + sk_intercepts):
        assert ours.dtype == theirs.dtype == dtype
        np.testing.assert_array_equal(ours, theirs)


def test_glorot_uniform_factor_follows_each_layers_activation(drawn):
    """Per-layer activations: each layer takes the factor of the layer it feeds
    (2 for logistic, else 6), the output layer that of the last hidden layer."""
    MLPClassifierNB(hidden_layer_sizes=(7, 5, 4),
                    activation=["relu", "logistic", "tanh"], **PARAMS).fit(X, Y)
    (coefs, intercepts), = drawn
    rs = np.random.RandomState(0)
    units = [6, 7, 5, 4, 3]
    for i, factor in enumerate([6.0, 2.0, 6.0, 6.0]):
        bound = np.sqrt(factor / (units[i] + units[i + 1]))
        np.testing.assert_array_equal(
            coefs[i], rs.uniform(-bound, bound, (units[i], units[i + 1])))
        np.testing.assert_array_equal(intercepts[i], rs.uniform(-bound, bound,
                                                                units[i + 1]))


# ------------------------------------------------------------- the formulas
def _wide(drawn, method):
    MLPClassifierNB(hidden_layer_sizes=(300,), weight_init=method,
                    **PARAMS).fit(X_WIDE, Y_WIDE)
    (coefs, intercepts), = drawn
    assert [c.shape for c in coefs] == [(784, 300), (300, 10)]
    return coefs, intercepts


def _distribution(method, fan_in, fan_out):
    """The documented distribution of one layer's coefficients (scipy.stats)."""
    if method == "glorot_uniform":
        b = np.sqrt(6.0 / (fan_in + fan_out))
        return scipy.stats.uniform(-b, 2 * b)
    if method == "he_uniform":
        b = np.sqrt(6.0 / fan_in)
        return scipy.stats.uniform(-b, 2 * b)
    if method == "glorot_normal":
        return scipy.stats.norm(0.0, np.sqrt(2.0 / (fan_in + fan_out)))
    if method == "he_normal":
        return scipy.stats.norm(0.0, np.sqrt(2.0 / fan_in))
    std = 2.0 / np.sqrt(fan_in)  # truncated_normal: redrawn beyond 2 std
    return scipy.stats.truncnorm(-2.0, 2.0, scale=std)


@pytest.mark.parametrize("method", INITS)
def test_each_initialiser_follows_its_formula_on_a_wide_layer(drawn, method):
    coefs, _ = _wide(drawn, method)
    W = coefs[0].ravel()
    dist = _distribution(method, 784, 300)
    # Standard error of a std estimate from n draws is about std / sqrt(2n):
    # 0.15% here; 1% is > 6 standard errors.
    assert W.std() == pytest.approx(dist.std(), rel=0.01)
    assert abs(W.mean()) < 5 * dist.std() / np.sqrt(W.size)
    lo, hi = dist.support()
    assert W.min() >= lo and W.max() <= hi
    # The whole shape, not just two moments (deterministic: the seed is fixed).
    assert scipy.stats.kstest(W, dist.cdf).pvalue > 1e-3
    # Every layer has its own fan-in / fan-out.
    lo2, hi2 = _distribution(method, 300, 10).support()
    assert coefs[1].min() >= lo2 and coefs[1].max() <= hi2


@pytest.mark.parametrize("method", ["glorot_uniform", "he_uniform"])
def test_uniform_initialisers_reach_their_bounds(drawn, method):
    coefs, _ = _wide(drawn, method)
    _, hi = _distribution(method, 784, 300).support()
    assert np.abs(coefs[0]).max() > 0.999 * hi


def test_truncated_normal_never_beyond_two_std(drawn):
    coefs, _ = _wide(drawn, "truncated_normal")
    for W, fan_in in zip(coefs, (784, 300)):
        std = 2.0 / np.sqrt(fan_in)
        assert np.abs(W).max() <= 2.0 * std
        # Redrawn, not clipped: the last 0.5% before the cut holds what the
        # truncated density puts there (about 0.11% of the draws), not the
        # 4.6% of a normal beyond 2 std that clipping would pile up.
        band = scipy.stats.truncnorm(-2.0, 2.0).sf(1.99) * 2 * W.size
        assert np.sum(np.abs(W) > 1.99 * std) < 2 * band


@pytest.mark.parametrize("method", INITS[1:])
def test_non_default_initialisers_start_with_zero_intercepts(drawn, method):
    _, intercepts = _wide(drawn, method)
    for b in intercepts:
        np.testing.assert_array_equal(b, 0.0)


def test_glorot_uniform_draws_its_intercepts(drawn):
    _, intercepts = _wide(drawn, "glorot_uniform")
    bound = np.sqrt(6.0 / (784 + 300))
    assert np.all(np.abs(intercepts[0]) <= bound) and np.any(intercepts[0] != 0)


# ------------------------------------------------------------- determinism
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("method", INITS)
def test_initial_weights_are_deterministic_per_seed(drawn, method, dtype):
    params = dict(hidden_layer_sizes=(9, 4), weight_init=method, max_iter=2)
    for seed in (0, 0, 1):
        MLPRegressorNB(random_state=seed, **params).fit(X.astype(dtype), Y_REG)
    (a, ab), (b, bb), (c, _) = drawn
    for u, v in zip(a + ab, b + bb):
        assert u.dtype == dtype
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("method", INITS[1:])
def test_initialiser_changes_the_trained_model(method):
    params = dict(hidden_layer_sizes=(9,), max_iter=3, random_state=0)
    default = MLPRegressorNB(**params).fit(X, Y_REG)
    other = MLPRegressorNB(weight_init=method, **params).fit(X, Y_REG)
    assert not np.array_equal(default.coefs_[0], other.coefs_[0])


# ------------------------------------------------------------------- errors
@pytest.mark.parametrize("bad", ["xavier", "he", "Glorot_Uniform", None, 1],
                         ids=repr)
def test_unknown_initialiser_raises_invalid_parameter(drawn, bad):
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    est = MLPRegressorNB(weight_init=bad, **PARAMS)
    with pytest.raises(InvalidParameterError, match=r"'weight_init' parameter"):
        est.fit(X_nan, Y_REG)
    assert drawn == [] and not hasattr(est, "coefs_")
