"""Analytic gradients of the compiled loss against central finite differences.

``skmlp._epoch.loss_gradient`` returns the full-batch objective and writes its
gradient to ``work.G``; both are evaluated in float64 for every hidden
activation (and lists mixing them per layer) x every output/loss pair, with an L2
penalty, sample weights (some of them zero) and a chunk size that does not divide
the number of samples, so the accumulation across chunks is part of what is checked.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skmlp import MLPClassifierNB, MLPRegressorNB, _data
from skmlp._epoch import H_OUT_SCALE, loss_gradient

import _reference as ref

HIDDEN = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu",
          ["gelu", "relu"], ["tanh", "silu"], ["leaky_relu", "elu"]]
# Activations with a kink at 0 (finite differences across it are meaningless).
KINKED = {"relu", "leaky_relu"}
HIDDEN_SIZES = (5, 3)
N_SAMPLES, N_FEATURES, CHUNK = 23, 4, 7
STEP = 1e-6


def _problem(kind, rng):
    """``(estimator, y for fit, 2-D target matrix)`` for one output/loss kind."""
    n = N_SAMPLES
    if kind == "softmax-multiclass":
        y = np.arange(n) % 3
        rng.shuffle(y)
        return MLPClassifierNB, {}, y, np.eye(3)[y]
    if kind == "logistic-binary":
        y = np.arange(n) % 2
        rng.shuffle(y)
        return MLPClassifierNB, {}, y, y[:, None].astype(float)
    if kind == "logistic-multilabel":
        Y = (rng.uniform(size=(n, 3)) < 0.5).astype(int)
        Y[0] = [1, 1, 1]
        Y[1] = [0, 0, 0]
        return MLPClassifierNB, {}, Y, Y.astype(float)
    if kind == "identity-single":
        y = rng.standard_normal(n)
        return MLPRegressorNB, {}, y, y[:, None]
    if kind == "identity-multioutput":
        Y = rng.standard_normal((n, 2))
        return MLPRegressorNB, {}, Y, Y
    if kind == "exp-poisson":
        y = rng.poisson(1.5, n).astype(float)
        return MLPRegressorNB, {"loss": "poisson"}, y, y[:, None]
    raise ValueError(kind)


KINDS = [
    "softmax-multiclass",
    "logistic-binary",
    "logistic-multilabel",
    "identity-single",
    "identity-multioutput",
    "exp-poisson",
]
EXPECTED_OUTPUT = {
    "softmax-multiclass": "softmax",
    "logistic-binary": "logistic",
    "logistic-multilabel": "logistic",
    "identity-single": "identity",
    "identity-multioutput": "identity",
    "exp-poisson": "exp",
}


def _fitted(kind, hidden, alpha, rng):
    Est, params, y, Y2d = _problem(kind, rng)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES))
    est = Est(hidden_layer_sizes=HIDDEN_SIZES, activation=hidden, alpha=alpha,
              solver="sgd", max_iter=1, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.out_activation_ == EXPECTED_OUTPUT[kind]
    return est, X, Y2d


def _relu_margin(theta, X, units, acts):
    """Smallest |pre-activation| of any hidden unit (distance to the ReLU kink)."""
    coefs, intercepts = ref.unpack(theta, units)
    A = ref._dense(X)
    margin = np.inf
    for W, b, code in zip(coefs[:-1], intercepts[:-1], acts[:-1]):
        Z = A @ W + b
        margin = min(margin, np.abs(Z).min())
        A = ref.activation(Z, code)
    return margin


def _theta_away_from_kinks(units, acts, X, rng, hidden):
    theta = ref.random_theta(units, rng, scale=0.8)
    names = [hidden] if isinstance(hidden, str) else hidden
    if not KINKED.intersection(names):
        return theta
    # A perturbation of STEP moves every pre-activation by far less than 1e-3,
    # so with this margin no ReLU unit crosses its kink during the differences.
    for _ in range(200):
        if _relu_margin(theta, X, units, acts) > 1e-3:
            return theta
        theta = ref.random_theta(units, rng, scale=0.8)
    raise AssertionError("no parameter draw kept the ReLU units away from 0")


def _compiled(X, Y2d, sw, est, chunk):
    net = est._net()
    data = _data.kernel_data(X, Y2d, sw, np.float64)
    work = _data.workspace(net, chunk, np.float64, dense=not sp.issparse(X),
                           with_accumulator=True)
    hyper = est._hyper(np.float64, 0.0)
    # Loss and gradient of the same function (scikit-learn averages the reported
    # squared error over outputs but differentiates the sum).
    hyper[H_OUT_SCALE] = 1.0

    def f(theta):
        loss = loss_gradient(data, net, theta, hyper, work, chunk)
        return loss, work.G.copy()

    return f


def _finite_differences(f, theta):
    grad = np.empty_like(theta)
    for p in range(theta.shape[0]):
        plus = theta.copy()
        minus = theta.copy()
        plus[p] += STEP
        minus[p] -= STEP
        grad[p] = (f(plus)[0] - f(minus)[0]) / (2 * STEP)
    return grad


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hidden", HIDDEN, ids=str)
def test_gradient_matches_finite_differences(hidden, kind, weighted):
    rng = np.random.RandomState(0)
    est, X, Y2d = _fitted(kind, hidden, alpha=0.3, rng=rng)
    sw = None
    if weighted:
        sw = rng.uniform(0.2, 3.0, N_SAMPLES)
        sw[[2, 9]] = 0.0
    units, acts = est._net()[:2]
    theta = _theta_away_from_kinks(units, acts, X, rng, hidden)
    f = _compiled(X, Y2d, sw, est, CHUNK)

    loss, grad = f(theta)
    fd = _finite_differences(f, theta)

    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)
    # The gradient is not trivially zero (the comparison above is meaningful).
    assert np.abs(grad).max() > 1e-3
    # Loss and gradient are the reference's back-propagation, L2 term included.
    w = np.ones(N_SAMPLES) if sw is None else sw
    expected_loss, expected_grad = ref.loss_gradient(
        theta, X, Y2d, w, units, acts, est.alpha, np.finfo(np.float64).eps)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind", ["softmax-multiclass", "identity-multioutput"])
@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_sparse_gradient_matches_finite_differences(hidden, kind):
    rng = np.random.RandomState(1)
    est, X, Y2d = _fitted(kind, hidden, alpha=0.3, rng=rng)
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    Xs = sp.csr_matrix(X)
    sw = rng.uniform(0.2, 3.0, N_SAMPLES)
    units, acts = est._net()[:2]
    theta = _theta_away_from_kinks(units, acts, X, rng, hidden)

    loss, grad = _compiled(Xs, Y2d, sw, est, CHUNK)(theta)
    fd = _finite_differences(_compiled(Xs, Y2d, sw, est, CHUNK), theta)
    dense_loss, dense_grad = _compiled(X, Y2d, sw, est, CHUNK)(theta)

    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(grad, dense_grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(loss, dense_loss, rtol=1e-13)


@pytest.mark.parametrize("kind", ["softmax-multiclass", "exp-poisson"])
def test_gradient_does_not_depend_on_chunk_size(kind):
    rng = np.random.RandomState(2)
    est, X, Y2d = _fitted(kind, "tanh", alpha=0.3, rng=rng)
    sw = rng.uniform(0.2, 3.0, N_SAMPLES)
    units, acts = est._net()[:2]
    theta = ref.random_theta(units, rng, scale=0.8)
    results = [_compiled(X, Y2d, sw, est, chunk)(theta) for chunk in (1, 7, N_SAMPLES)]
    for loss, grad in results[1:]:
        np.testing.assert_allclose(loss, results[0][0], rtol=1e-13)
        np.testing.assert_allclose(grad, results[0][1], rtol=1e-11, atol=1e-15)
