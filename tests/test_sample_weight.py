"""Sample weights: zero weights drop samples, integer weights repeat them."""

import numpy as np
import pytest

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.standard_normal((50, 4))
y_clf = (X[:, 0] + X[:, 1] ** 2 > 0.7).astype(int) + (X[:, 2] > 0.8)
y_reg = X @ rng.standard_normal(4) + np.sin(X[:, 3])
LBFGS = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=40, alpha=1e-2,
             random_state=0, activation="tanh")
PROBLEMS = [(MLPClassifierNB, y_clf), (MLPRegressorNB, y_reg)]
IDS = ["classifier", "regressor"]


def _assert_same_model(a, b, rtol=1e-8):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(a.loss_, b.loss_, rtol=rtol)


@pytest.mark.parametrize("Est, y", PROBLEMS, ids=IDS)
def test_zero_weights_equal_dropping_samples_with_lbfgs(Est, y):
    sw = np.ones(X.shape[0])
    sw[::3] = 0.0
    keep = sw > 0
    weighted = Est(**LBFGS).fit(X, y, sample_weight=sw)
    dropped = Est(**LBFGS).fit(X[keep], y[keep])
    _assert_same_model(weighted, dropped)


@pytest.mark.parametrize("Est, y", PROBLEMS, ids=IDS)
def test_integer_weights_equal_repeating_samples_with_lbfgs(Est, y):
    sw = np.random.RandomState(1).randint(1, 4, X.shape[0])
    weighted = Est(**LBFGS).fit(X, y, sample_weight=sw)
    repeated = Est(**LBFGS).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    _assert_same_model(weighted, repeated)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Est, y", PROBLEMS, ids=IDS)
def test_sample_weights_change_the_model(Est, y, solver):
    params = dict(LBFGS, solver=solver, max_iter=10)
    sw = np.random.RandomState(2).uniform(0.1, 5.0, X.shape[0])
    plain = Est(**params).fit(X, y)
    weighted = Est(**params).fit(X, y, sample_weight=sw)
    assert not np.allclose(plain.coefs_[0], weighted.coefs_[0])


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Est, y", PROBLEMS, ids=IDS)
def test_unit_weights_equal_no_weights(Est, y, solver):
    params = dict(LBFGS, solver=solver, max_iter=10)
    plain = Est(**params).fit(X, y)
    ones = Est(**params).fit(X, y, sample_weight=np.ones(X.shape[0]))
    for u, v in zip(plain.coefs_ + plain.intercepts_, ones.coefs_ + ones.intercepts_):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("Est, y", PROBLEMS, ids=IDS)
def test_scaling_weights_and_alpha_together_leaves_the_model_unchanged(Est, y):
    # The L2 term is divided by the sum of weights (scikit-learn's convention), so
    # multiplying the weights by c is the same as dividing alpha by c.
    c = 4.0
    sw = np.random.RandomState(3).uniform(0.5, 2.0, X.shape[0])
    a = Est(**LBFGS).fit(X, y, sample_weight=sw)
    b = Est(**dict(LBFGS, alpha=LBFGS["alpha"] * c)).fit(X, y, sample_weight=c * sw)
    _assert_same_model(a, b, rtol=1e-7)


def test_sample_weight_is_not_modified():
    sw = np.random.RandomState(5).uniform(0.1, 2.0, X.shape[0])
    before = sw.copy()
    MLPClassifierNB(**dict(LBFGS, solver="adam")).fit(X, y_clf, sample_weight=sw)
    np.testing.assert_array_equal(sw, before)
