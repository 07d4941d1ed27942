"""The specification tables and the kernels' dispatch agree.

Every row of ``skmlp._specs`` has its kernel (a finite result), and a code
without a kernel gives NaN (never another member's arithmetic), so that a row
added without its branch, or a branch forgotten, fails here and in the
divergence tests rather than training with different maths.
"""

import warnings

import numpy as np
import pytest

from skmlp import _epoch, _kernels, _optim, _specs
from skmlp._base import BaseMultilayerPerceptronNB
from skmlp._network import CANONICAL_LOSS, HIDDEN_ACTIVATIONS, net_arrays

from conftest import ROUND_OFF_TOL

UNKNOWN = 99  # a code no table row has

EXT = True  # the extended engine's kernels (every code; see _data.Net.ext)


@pytest.mark.parametrize("table", [_specs.ACTIVATIONS, _specs.LOSSES, _specs.OPTIMIZERS],
                         ids=["activations", "losses", "optimizers"])
def test_codes_are_unique_and_named_once(table):
    codes = [row.code for row in table.values()]
    assert len(set(codes)) == len(codes)
    assert all(name == row.name for name, row in table.items())
    assert UNKNOWN not in codes


def test_lists_and_constraints_come_from_the_tables():
    hidden = [n for n, a in _specs.ACTIVATIONS.items() if a.hidden]
    assert list(HIDDEN_ACTIVATIONS) == hidden
    options = BaseMultilayerPerceptronNB._parameter_constraints["activation"][0].options
    assert options == set(hidden)
    # Every output activation has exactly one canonical loss.
    outputs = {s.output for s in _specs.LOSSES.values()}
    assert set(CANONICAL_LOSS) == outputs


def test_workspace_keeps_preactivations_exactly_for_the_flagged_layers():
    acts = list(HIDDEN_ACTIVATIONS)
    net = net_arrays([3] + [2] * len(acts) + [1], acts, "identity")
    flagged = [int(_specs.ACTIVATIONS[a].preactivation) for a in acts] + [0]
    np.testing.assert_array_equal(net.pre, flagged)


def _activation(code, n=4, ext=EXT):
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((3, n))
    pre = np.empty_like(Z)
    _kernels.bias_activation(Z, rng.standard_normal(n), code, 1e-300, pre, ext)
    return Z, pre


@pytest.mark.parametrize("name", list(_specs.ACTIVATIONS))
def test_every_activation_row_has_its_kernel(name):
    spec = _specs.ACTIVATIONS[name]
    A, pre = _activation(spec.code)
    assert np.isfinite(A).all()
    if spec.hidden:
        D = np.ones_like(A)
        _kernels.activation_derivative(D, A, pre, spec.code, 1e-300, EXT)
        assert np.isfinite(D).all()


def test_an_activation_code_without_a_kernel_gives_nan():
    A, pre = _activation(UNKNOWN)
    assert np.isnan(A).all()
    D = np.ones_like(A)
    # The output-only codes have no hidden-layer derivative either.
    for code in (UNKNOWN, _specs.SOFTMAX, _specs.EXP):
        D[:] = 1.0
        _kernels.activation_derivative(D, A, pre, code, 1e-300, EXT)
        assert np.isnan(D).all()


def _loss(code, ext=EXT):
    rng = np.random.RandomState(1)
    P = rng.uniform(0.1, 0.9, (4, 2))
    P /= P.sum(axis=1, keepdims=True)
    Y = np.eye(2)[[0, 1, 1, 0]]
    D = np.empty_like(P)
    rows = np.arange(4, dtype=np.int64)
    # Room for every loss's parameters (huber's delta, one quantile level per
    # output); the losses without parameters never read them.
    loss_par = np.full(2, 0.5)
    loss = _kernels.output_delta(P, Y, np.ones(4), rows, 0.25, code, loss_par,
                                 1e-16, D, ext)
    return loss, D


@pytest.mark.parametrize("name", list(_specs.LOSSES))
def test_every_loss_row_has_its_kernel(name):
    loss, D = _loss(_specs.LOSSES[name].code)
    assert np.isfinite(loss) and loss > 0
    assert np.isfinite(D).all()


def test_a_loss_code_without_a_kernel_gives_nan():
    loss, D = _loss(UNKNOWN)
    assert np.isnan(loss)
    assert np.isnan(D).all()


@pytest.mark.parametrize("name", list(_specs.ACTIVATIONS))
def test_the_core_engine_has_exactly_the_core_activations(name):
    """With ``ext`` None (a network of core rows only) the other codes are
    pruned at compile time and give NaN: a network wrongly built without
    ``ext`` fails loudly instead of training with other arithmetic."""
    spec = _specs.ACTIVATIONS[name]
    A, pre = _activation(spec.code, ext=None)
    assert np.isfinite(A).all() == spec.core
    assert np.isnan(A).all() != spec.core
    if spec.hidden:
        D = np.ones_like(A)
        _kernels.activation_derivative(D, A, pre, spec.code, 1e-300, None)
        assert np.isfinite(D).all() == spec.core


@pytest.mark.parametrize("name", list(_specs.LOSSES))
def test_the_core_engine_has_exactly_the_canonical_losses(name):
    spec = _specs.LOSSES[name]
    loss, D = _loss(spec.code, ext=None)
    assert np.isfinite(loss) == spec.canonical
    assert np.isnan(D).all() != spec.canonical


def test_a_network_is_extended_exactly_when_it_uses_a_non_core_row():
    assert net_arrays([3, 2, 2], ["relu"], "softmax").ext is None
    assert net_arrays([3, 2, 1], ["tanh"], "exp", loss="poisson").ext is None
    for act in HIDDEN_ACTIVATIONS:
        extended = net_arrays([3, 2, 1], [act], "identity").ext is not None
        assert extended != _specs.ACTIVATIONS[act].core
    for loss in ("absolute_error", "huber", "quantile"):
        assert net_arrays([3, 2, 1], ["relu"], "identity", loss=loss,
                          loss_par=[0.5]).ext is not None
    assert net_arrays([3, 2, 2], ["relu"], "softmax", extended=True).ext is not None
    # Dropout is compiled only into the extended engine (skmlp._dropout).
    assert net_arrays([3, 2, 2], ["relu"], "softmax", [0.0]).ext is None
    assert net_arrays([3, 2, 2], ["relu"], "softmax", [0.2]).ext is not None


@pytest.mark.parametrize("setting", [{}, {"weight_decay": 0.01}, {"max_grad_norm": 1.0},
                                     {"activation": "gelu"}, {"dropout": 0.2},
                                     {"dropout": [0.0, 0.1]}])
def test_the_estimator_asks_for_the_extended_engine_when_it_needs_it(setting):
    from sklearn.datasets import load_iris

    from skmlp import MLPClassifierNB

    X, y = load_iris(return_X_y=True)
    est = MLPClassifierNB(hidden_layer_sizes=(3, 2), max_iter=2, **setting).fit(X, y)
    # Training and predict use the same engine: one compile per model.
    assert (est._net(training=True).ext is None) == (not setting)
    assert (est._net().ext is None) == (not setting)


def test_dropout_asks_for_the_extended_engine_only_when_it_can_drop_something():
    from sklearn.datasets import load_iris

    from skmlp import MLPClassifierNB
    from skmlp._network import uses_dropout

    # Lenient: predict asks it of whatever the parameter holds now.
    assert uses_dropout(np.array(0.2)) and uses_dropout([0.0, 0.1])
    assert not any(uses_dropout(v) for v in (0.0, [0.0, 0.0], np.zeros(2), "x", None))
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # No hidden layer: nothing to drop, the core engine.
        est = MLPClassifierNB(hidden_layer_sizes=(), dropout=0.2, max_iter=2).fit(X, y)
    assert est._net(training=True).ext is None and est._net().ext is None


def test_the_extended_engine_trains_a_core_network_as_the_core_engine():
    """A clipping limit no gradient reaches switches to the extended engine
    without changing the arithmetic: the same weights, to rounding."""
    from sklearn.datasets import load_iris

    from skmlp import MLPClassifierNB

    X, y = load_iris(return_X_y=True)
    core = MLPClassifierNB(hidden_layer_sizes=(5,), max_iter=20, random_state=0)
    ext = MLPClassifierNB(hidden_layer_sizes=(5,), max_iter=20, random_state=0,
                          max_grad_norm=1e300)
    for est in (core, ext):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
    assert core._net().ext is None and ext._net().ext is not None
    for a, b in zip(core.coefs_ + core.intercepts_, ext.coefs_ + ext.intercepts_):
        np.testing.assert_allclose(a, b, **ROUND_OFF_TOL)
    np.testing.assert_allclose(core.loss_curve_, ext.loss_curve_, **ROUND_OFF_TOL)


def _step(code, rows):
    rng = np.random.RandomState(2)
    theta = rng.standard_normal(6)
    state = np.zeros((rows, 6))
    hyper = _epoch.hyper_array(np.float64, learning_rate=0.1)
    hp = np.zeros(_optim.N_HP)
    sq = _optim.optimizer_step(code, theta, rng.standard_normal(6), state, 0, 6, 4,
                               hyper, hp, 1)
    return theta, sq


@pytest.mark.parametrize("name", list(_specs.OPTIMIZERS))
def test_every_optimizer_row_has_its_step(name):
    spec = _specs.OPTIMIZERS[name]
    theta, sq = _step(spec.code, spec.state_rows)
    assert np.isfinite(theta).all() and np.isfinite(sq)


def test_an_optimizer_code_without_a_step_gives_nan():
    theta, sq = _step(UNKNOWN, 2)
    assert np.isnan(theta).all() and np.isnan(sq)
