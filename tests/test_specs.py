"""The specification tables and the kernels' dispatch agree.

Every row of ``skmlp._specs`` has its kernel (a finite result), and a code
without a kernel gives NaN (never another member's arithmetic), so that a row
added without its branch, or a branch forgotten, fails here and in the
divergence tests rather than training with different maths.
"""

import numpy as np
import pytest

from skmlp import _epoch, _kernels, _optim, _specs
from skmlp._base import BaseMultilayerPerceptronNB
from skmlp._network import CANONICAL_LOSS, HIDDEN_ACTIVATIONS, net_arrays

UNKNOWN = 99  # a code no table row has


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


def _activation(code, n=4):
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((3, n))
    pre = np.empty_like(Z)
    _kernels.bias_activation(Z, rng.standard_normal(n), code, 1e-300, pre)
    return Z, pre


@pytest.mark.parametrize("name", list(_specs.ACTIVATIONS))
def test_every_activation_row_has_its_kernel(name):
    spec = _specs.ACTIVATIONS[name]
    A, pre = _activation(spec.code)
    assert np.isfinite(A).all()
    if spec.hidden:
        D = np.ones_like(A)
        _kernels.activation_derivative(D, A, pre, spec.code, 1e-300)
        assert np.isfinite(D).all()


def test_an_activation_code_without_a_kernel_gives_nan():
    A, pre = _activation(UNKNOWN)
    assert np.isnan(A).all()
    D = np.ones_like(A)
    # The output-only codes have no hidden-layer derivative either.
    for code in (UNKNOWN, _specs.SOFTMAX, _specs.EXP):
        D[:] = 1.0
        _kernels.activation_derivative(D, A, pre, code, 1e-300)
        assert np.isnan(D).all()


def _loss(code):
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
                                 1e-16, D)
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
