"""ConvergenceWarning when max_iter stops training, and only then."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.standard_normal((60, 4))
y = (X[:, 0] - X[:, 1] > 0).astype(int)
y_reg = X @ rng.standard_normal(4)
PROBLEMS = [(MLPClassifierNB, y), (MLPRegressorNB, y_reg)]
IDS = ["classifier", "regressor"]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est, target", PROBLEMS, ids=IDS)
def test_stochastic_solver_warns_when_max_iter_is_reached(Est, target, solver):
    est = Est(hidden_layer_sizes=(5,), solver=solver, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        est.fit(X, target)
    assert est.n_iter_ == 3


@pytest.mark.parametrize("Est, target", PROBLEMS, ids=IDS)
def test_lbfgs_warns_when_max_iter_is_reached(Est, target):
    est = Est(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est.fit(X, target)
    assert est.n_iter_ == 3


def test_lbfgs_warns_when_max_fun_is_reached():
    est = MLPRegressorNB(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=1000,
                         max_fun=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        est.fit(X, y_reg)
    assert est.n_iter_ < 1000


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_no_warning_when_training_stops_on_tol(solver):
    # A tol larger than any loss: no epoch counts as an improvement, so training
    # stops after n_iter_no_change + 1 epochs without a ConvergenceWarning.
    est = MLPRegressorNB(hidden_layer_sizes=(5,), solver=solver, max_iter=50,
                         tol=1e6, n_iter_no_change=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y_reg)
    assert est.n_iter_ < 50


def test_no_warning_when_lbfgs_converges():
    est = MLPRegressorNB(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=1000,
                         tol=1e-1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y_reg)
    assert est.n_iter_ < 1000


def test_no_warning_when_early_stopping_stops():
    est = MLPClassifierNB(hidden_layer_sizes=(5,), early_stopping=True, max_iter=500,
                          n_iter_no_change=2, random_state=0, learning_rate_init=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ < 500


def test_adaptive_schedule_stops_when_learning_rate_is_too_small():
    # Every epoch fails to improve by tol, so the rate is divided by 5 each time
    # until it is below 1e-6; then training stops without a ConvergenceWarning.
    est = MLPRegressorNB(hidden_layer_sizes=(5,), solver="sgd", learning_rate="adaptive",
                         learning_rate_init=0.01, tol=1e6, n_iter_no_change=1,
                         max_iter=500, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y_reg)
    assert est._solver_state.learning_rate <= 1e-6
    assert est.n_iter_ < 500
