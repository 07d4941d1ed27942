"""Batch normalisation (``batch_norm``): kernels against the NumPy reference,
gradients against finite differences, and the estimator's behaviour (running
statistics in predict, transform and validation; persistence; bad values).
"""

import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB, _data, _kernels
from skmlp._network import ACTIVATION_CODES, BN_EPS, BN_MOMENTUM, net_arrays

import _reference as ref
from conftest import ROUND_OFF_TOL, X_CLF, X_REG, Y_CLF, Y_REG

DTYPES = [np.float32, np.float64]
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _tol(dtype):
    return dict(rtol=3e-5, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-10,
                                                                       atol=1e-12)


def _tiny(dtype):
    return float(np.finfo(dtype).tiny)


def _kdata(Xk, dtype):
    e = np.empty((0, 1), dtype=dtype)
    return _data.KernelData(*Xk, _data.readonly(e), _data.readonly(np.empty(0, dtype)))


def _setup(dtype, sparse, hidden, bn, dropout=(0.0, 0.0), k=2, n=13, seed=0):
    rng = np.random.RandomState(seed)
    units = [6, 5, 4, k]
    net = net_arrays(units, hidden, "identity", list(dropout), bn=bn)
    X = rng.standard_normal((n, units[0]))
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    X = X.astype(dtype)
    Xk = _data.kernel_X(sp.csr_matrix(X) if sparse else X, dtype)
    theta = ref.random_bn_theta(net.units, bn, rng).astype(dtype)
    return rng, net, X, _kdata(Xk, dtype), theta


def test_reference_agrees_with_the_estimators_constants():
    assert ref.BN_EPS == BN_EPS and BN_MOMENTUM == 0.1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("bn", [[True, True], [True, False], [False, True]])
@pytest.mark.parametrize("hidden", [["relu", "tanh"], ["gelu", "logistic"]])
def test_training_forward_uses_batch_statistics_and_updates_running_ones(
        dtype, sparse, bn, hidden):
    _, net, X, data, theta = _setup(dtype, sparse, hidden, bn)
    rows = np.array([5, 3, 12, 0, 7, 1], dtype=np.int64)
    work = _data.workspace(net, rows.shape[0] + 2, dtype, not sparse)
    before = theta.copy()

    out = _kernels.forward(data, rows, net, theta, work, np.zeros(1, np.int64), True,
                           _tiny(dtype))

    acts, cache = ref.bn_forward(X[rows], before, net.units, net.acts, bn, train=True)
    np.testing.assert_allclose(out, acts[-1], **_tol(dtype))
    # Running statistics moved towards the batch's (unbiased variance), nothing else.
    n_fixed = theta.shape[0] - 2 * sum(u for u, f in zip(net.units[1:-1], bn) if f)
    np.testing.assert_array_equal(theta[:n_fixed], before[:n_fixed])
    _, run_before = ref.split_bn(before.astype(np.float64), net.units, bn)
    _, run_after = ref.split_bn(theta.astype(np.float64), net.units, bn)
    nb = rows.shape[0]
    for entry, old, new in zip(cache, run_before, run_after):
        if entry is None:
            continue
        _, mean, var = entry
        np.testing.assert_allclose(new[0], 0.9 * old[0] + 0.1 * mean, **_tol(dtype))
        np.testing.assert_allclose(new[1], 0.9 * old[1] + 0.1 * var * nb / (nb - 1),
                                   **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_inference_forward_uses_running_statistics_and_changes_nothing(dtype, sparse):
    bn = [True, True]
    _, net, X, data, theta = _setup(dtype, sparse, ["relu", "silu"], bn)
    rows = np.array([2, 9, 4], dtype=np.int64)
    before = theta.copy()
    for forward_only in (False, True):
        work = _data.workspace(net, 5, dtype, not sparse, forward_only=forward_only)
        out = _kernels.forward(data, rows, net, theta, work, np.zeros(1, np.int64),
                               False, _tiny(dtype))
        acts, _ = ref.bn_forward(X[rows], before, net.units, net.acts, bn, train=False)
        np.testing.assert_allclose(out, acts[-1], **_tol(dtype))
        np.testing.assert_array_equal(theta, before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("bn", [[True, True], [False, True]])
@pytest.mark.parametrize("dropout", [(0.0, 0.0), (0.5, 0.25)], ids=["full", "dropout"])
def test_training_backward_matches_reference(dtype, sparse, bn, dropout):
    rng, net, X, data, theta = _setup(dtype, sparse, ["tanh", "gelu"], bn, dropout)
    rows = np.array([4, 11, 3, 8, 0, 6], dtype=np.int64)
    nb = rows.shape[0]
    work = _data.workspace(net, nb + 2, dtype, not sparse)
    before = theta.copy()
    _kernels.forward(data, rows, net, theta, work, np.array([99], np.int64), True,
                     _tiny(dtype))
    D_out = rng.standard_normal((nb, 2)).astype(dtype)
    start = int(work.off[2, 2])
    work.D[start : start + 2 * nb] = D_out.ravel()
    work.G[:] = np.nan

    _kernels.backward(data, rows, net, theta, work, False, True, _tiny(dtype))

    masks = [None] * 3
    for layer, rate in enumerate(dropout):
        if rate > 0:
            s, u = int(work.off[4, layer]), int(net.units[layer + 1])
            masks[layer] = work.M[s : s + nb * u].reshape(nb, u).astype(float)
    acts, cache = ref.bn_forward(X[rows], before, net.units, net.acts, bn, True, masks)
    expected, _ = ref.bn_backward(acts, cache, D_out, before, net.units, net.acts, bn,
                                  masks)
    n_stepped = expected.shape[0] - 2 * sum(u for u, f in zip(net.units[1:-1], bn) if f)
    np.testing.assert_allclose(work.G[:n_stepped], expected[:n_stepped], **_tol(dtype))
    # The normalised layers' intercepts get exactly no gradient.
    for layer, f in enumerate(bn):
        if f:
            b = int(work.off[1, layer])
            assert not work.G[b : b + int(net.units[layer + 1])].any()


def _train_loss(theta, net, data, rows, Y, work):
    P = _kernels.forward(data, rows, net, theta, work, np.zeros(1, np.int64), True,
                         _tiny(np.float64))
    return 0.5 * float(((P - Y) ** 2).sum())


@pytest.mark.parametrize("bn", [[True, True], [True, False]])
@pytest.mark.parametrize("hidden", [["tanh", "gelu"], ["logistic", "silu"]])
def test_gradient_matches_finite_differences(bn, hidden):
    """Every trained parameter, the scales and shifts included (float64)."""
    rng, net, X, data, theta = _setup(np.float64, False, hidden, bn, n=11)
    rows = np.arange(11, dtype=np.int64)
    Y = rng.standard_normal((11, 2))
    work = _data.workspace(net, 11, np.float64, True)
    P = _kernels.forward(data, rows, net, theta.copy(), work, np.zeros(1, np.int64),
                         True, 0.0)
    start = int(work.off[2, 2])
    work.D[start : start + 22] = (P - Y).ravel()
    _kernels.backward(data, rows, net, theta, work, False, True, 0.0)
    grad = work.G.copy()
    n_stepped = int(work.off[8, 0])  # the first layer is normalised here
    step = 1e-6
    numeric = np.empty(n_stepped)
    for p in range(n_stepped):
        t = theta.copy()
        t[p] += step
        up = _train_loss(t, net, data, rows, Y, work)
        t[p] -= 2 * step
        numeric[p] = (up - _train_loss(t, net, data, rows, Y, work)) / (2 * step)
    np.testing.assert_allclose(grad[:n_stepped], numeric, rtol=1e-5, atol=1e-7)
