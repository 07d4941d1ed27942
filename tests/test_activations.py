"""Hidden activations: the four new ones train, one per layer works, bad values raise.

The kernels' activations and derivatives are checked against NumPy references
and finite differences in tests/test_kernels.py and tests/test_gradients.py;
scikit-learn parity for its four names is in tests/test_parity.py. This file
checks the estimator level: the names reach the kernels, lists give one
activation per hidden layer, and a list that repeats one name is the same
model as the name alone.
"""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp._network import ACTIVATION_CODES

import _reference as ref
from conftest import X_CLF, X_REG, Y_CLF, Y_REG

NEW = ["leaky_relu", "elu", "gelu", "silu"]
ALL = ["identity", "logistic", "tanh", "relu"] + NEW

X, Y, XR, YR = X_CLF, Y_CLF, X_REG, Y_REG
PARAMS = dict(hidden_layer_sizes=(16,), max_iter=40, random_state=0,
              learning_rate_init=0.01)
ESTIMATORS = {"clf": (MLPClassifierNB, X, Y), "reg": (MLPRegressorNB, XR, YR)}


def _weights(est):
    return est.coefs_ + est.intercepts_


def _assert_same_model(a, b):
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(u, v)
    assert getattr(a, "loss_curve_", None) == getattr(b, "loss_curve_", None)
    assert a.loss_ == b.loss_


def _numpy_outputs(est, Xp, acts):
    units = [est.coefs_[0].shape[0]] + [c.shape[1] for c in est.coefs_]
    codes = [ACTIVATION_CODES[a] for a in list(acts) + [est.out_activation_]]
    theta = ref.pack(est.coefs_, est.intercepts_)
    return ref.forward(Xp, theta, units, codes)[-1]


# ----------------------------------------------------------------- training
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("activation", NEW)
def test_new_activation_trains(activation, kind, solver):
    Est, Xk, yk = ESTIMATORS[kind]
    est = Est(activation=activation, solver=solver, **PARAMS).fit(Xk, yk)
    assert np.isfinite(est.loss_curve_).all()
    assert est.loss_curve_[-1] < 0.6 * est.loss_curve_[0]


@pytest.mark.parametrize("activation", NEW)
def test_new_activation_is_nonlinear_where_it_matters(activation):
    """Fitted to convergence, each beats the best a linear hidden layer can do.

    With ``activation='identity'`` the network is a linear classifier; a
    kernel that silently applied the identity (or nothing) would stop there.
    """
    params = dict(PARAMS, solver="lbfgs", max_iter=200)
    linear = MLPClassifierNB(activation="identity", **params).fit(X, Y)
    est = MLPClassifierNB(activation=activation, **params).fit(X, Y)
    assert est.loss_ < 0.5 * linear.loss_
    assert est.score(X, Y) > linear.score(X, Y)


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("activation", ALL)
def test_predictions_apply_the_named_activation(activation, kind):
    Est, Xk, yk = ESTIMATORS[kind]
    est = Est(activation=activation, **dict(PARAMS, max_iter=5)).fit(Xk, yk)
    expected = _numpy_outputs(est, Xk, [activation])
    got = est.predict_proba(Xk) if kind == "clf" else est.predict(Xk)[:, None]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------- one per layer
MIXED = [["tanh", "gelu", "leaky_relu"], ["silu", "relu", "logistic"],
         ("elu", "identity", "silu")]


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("acts", MIXED, ids=lambda a: "-".join(a))
def test_one_activation_per_layer(acts, kind, solver):
    Est, Xk, yk = ESTIMATORS[kind]
    params = dict(PARAMS, hidden_layer_sizes=(12, 9, 7), activation=acts, solver=solver)
    est = Est(**params).fit(Xk, yk)
    got = est.predict_proba(Xk) if kind == "clf" else est.predict(Xk)[:, None]
    np.testing.assert_allclose(got, _numpy_outputs(est, Xk, acts), rtol=1e-12,
                               atol=1e-12)
    if solver != "lbfgs":
        assert est.loss_curve_[-1] < est.loss_curve_[0]
    # The order matters: the reversed list is another network.
    other = Est(**dict(params, activation=list(acts)[::-1])).fit(Xk, yk)
    assert not np.array_equal(got, other.predict_proba(Xk) if kind == "clf"
                              else other.predict(Xk)[:, None])


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("activation", ALL)
def test_a_repeated_name_is_bitwise_the_name(activation, solver):
    """['relu', 'relu'] is 'relu': same draws, same kernels, same bits."""
    params = dict(PARAMS, hidden_layer_sizes=(9, 7), solver=solver, max_iter=8)
    single = MLPClassifierNB(activation=activation, **params).fit(X, Y)
    listed = MLPClassifierNB(activation=[activation] * 2, **params).fit(X, Y)
    tupled = MLPClassifierNB(activation=(activation,) * 2, **params).fit(X, Y)
    _assert_same_model(single, listed)
    _assert_same_model(single, tupled)


def test_a_list_of_one_name_with_one_hidden_layer_is_the_name():
    single = MLPRegressorNB(activation="gelu", **PARAMS).fit(XR, YR)
    listed = MLPRegressorNB(activation=["gelu"], **PARAMS).fit(XR, YR)
    _assert_same_model(single, listed)


# ------------------------------------------------------------------- errors
XR_NAN = XR.copy()
XR_NAN[0, 0] = np.nan


@pytest.mark.parametrize("acts", [["relu"], ["relu", "tanh", "gelu"], []], ids=repr)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_wrong_number_of_activations_names_both_lengths(method, acts):
    est = MLPRegressorNB(activation=acts, **dict(PARAMS, hidden_layer_sizes=(5, 4)))
    # X holds NaN: the list is checked before the data.
    with pytest.raises(ValueError, match=rf"activation has {len(acts)} entries but "
                                         r"the network has 2 hidden layer"):
        getattr(est, method)(XR_NAN, YR)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize(
    "activation",
    ["softmax", "exp", "RELU", "swish", None, 3,
     ["relu", "softmax"], ["relu", None], ["exp", "tanh"], ("gelu", "Gelu")],
    ids=repr,
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_invalid_activation_names_raise_invalid_parameter(method, activation):
    est = MLPRegressorNB(activation=activation,
                         **dict(PARAMS, hidden_layer_sizes=(5, 4)))
    with pytest.raises(InvalidParameterError, match=r"'activation' parameter"):
        getattr(est, method)(XR_NAN, YR)
    assert not hasattr(est, "coefs_")


def test_invalid_activation_on_a_fitted_estimator_keeps_its_weights():
    est = MLPRegressorNB(**dict(PARAMS, hidden_layer_sizes=(5, 4))).fit(XR, YR)
    before = [w.copy() for w in _weights(est)]
    for bad in (["relu", "softmax"], ["relu"]):
        est.set_params(activation=bad)
        with pytest.raises(ValueError):
            est.fit(XR, YR)
        with pytest.raises(ValueError):
            est.partial_fit(XR, YR)
        for u, v in zip(before, _weights(est)):
            np.testing.assert_array_equal(u, v)
