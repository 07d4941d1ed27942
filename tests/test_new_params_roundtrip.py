"""Every parameter added to scikit-learn's set survives clone, get/set_params,
pickle and joblib, unfitted and fitted, with its effect on training intact."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from skmlp import MLPClassifierNB, MLPRegressorNB, ReduceLROnPlateau, StepDecay

rng = np.random.RandomState(0)
X = rng.standard_normal((50, 4))
Y = {MLPClassifierNB: np.repeat([0, 1], [35, 15]),
     MLPRegressorNB: X @ rng.standard_normal(4)}
BASE = dict(hidden_layer_sizes=(6, 4), max_iter=5, random_state=0,
            learning_rate_init=0.05)

NEW_PARAMS = [
    ("activation", ["tanh", "gelu"]),
    ("activation", ("silu", "elu")),
    ("activation", "leaky_relu"),
    ("dropout", 0.25),
    ("dropout", [0.3, 0.0]),
    ("weight_init", "he_normal"),
    ("weight_init", "truncated_normal"),
    ("learning_rate_schedule", "cosine"),
    ("learning_rate_schedule", StepDecay(2, 0.5)),
    # threshold=0.5: only halving the loss counts, so it reduces within max_iter
    ("learning_rate_schedule",
     ReduceLROnPlateau(factor=0.5, patience=0, threshold=0.5)),
    ("class_weight", "balanced"),
    ("class_weight", {0: 0.5, 1: 3.0}),
    ("n_jobs", 2),  # the batches are split: the gradient sums round differently
    ("weight_decay", 0.5),
    ("max_grad_norm", 0.01),
    # the regressor's added loss values (their parameters: tests/test_losses.py)
    ("loss", "absolute_error"),
    ("loss", "huber"),
    ("loss", "quantile"),
    ("batch_norm", True),
    ("batch_norm", [False, True]),
]
CASES = [pytest.param(Est, name, value, id=f"{Est.__name__}-{name}={value!r}")
         for name, value in NEW_PARAMS
         for Est in (MLPClassifierNB, MLPRegressorNB)
         if not (name == "class_weight" and Est is MLPRegressorNB)
         and not (name == "loss" and Est is MLPClassifierNB)]


def _weights(est):
    return est.coefs_ + est.intercepts_


def _assert_same_weights(a, b):
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("Est, name, value", CASES)
def test_new_parameter_round_trips(Est, name, value, tmp_path):
    y = Y[Est]
    est = Est(**BASE, **{name: value})
    assert est.get_params()[name] == value
    # set_params on a default estimator gives the same estimator.
    reset = Est(**BASE).set_params(**{name: value})
    assert reset.get_params() == est.get_params()
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert pickle.loads(pickle.dumps(est)).get_params() == est.get_params()

    est.fit(X, y)
    # The value has an effect, so that losing it on the way would show.
    default = Est(**BASE).fit(X, y)
    assert any(not np.array_equal(u, v)
               for u, v in zip(_weights(est), _weights(default)))

    joblib.dump(est, tmp_path / "est.joblib")
    loaded = {
        "clone": cloned.fit(X, y),
        "set_params": reset.fit(X, y),
        "pickle": pickle.loads(pickle.dumps(est)),
        "joblib": joblib.load(tmp_path / "est.joblib"),
    }
    for how, other in loaded.items():
        assert other.get_params() == est.get_params(), how
        _assert_same_weights(est, other)
        np.testing.assert_array_equal(other.predict(X), est.predict(X))
    # A reloaded model refits to the same bits: the parameter still acts.
    _assert_same_weights(loaded["pickle"].fit(X, y), est)
    _assert_same_weights(loaded["joblib"].fit(X, y), est)
