"""scikit-learn's MLPClassifier / MLPRegressor as the oracle.

skmlp draws the initial weights, the per-epoch shuffles and the early-stopping
split from the same RandomState stream, in the same order, as scikit-learn. With
the same ``random_state`` both libraries therefore follow the same trajectory,
and in float64 only rounding (BLAS, summation order) separates them: loss curves,
weights and predictions agree to ~1e-10 after a few epochs.

Known, intentional differences that are *not* compared here:

- early stopping on multiclass targets: skmlp stratifies the validation split,
  scikit-learn only stratifies binary targets;
- L-BFGS on multi-output regression: scikit-learn minimises a loss averaged over
  outputs with the gradient of the sum (inconsistent for the line search); skmlp
  minimises the sum;
- partial_fit with shuffle=True: skmlp continues the RNG stream across calls;
- the weights restored by a warm-started early-stopped fit (scikit-learn aliases
  its best and current weights, see below).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skmlp import MLPClassifierNB, MLPRegressorNB

from conftest import ROUND_OFF_TOL, make_data

N_SAMPLES, N_FEATURES = 60, 5
# Equal to rounding, not bitwise: see ROUND_OFF_TOL in conftest.py.
RTOL, ATOL = ROUND_OFF_TOL["rtol"], ROUND_OFF_TOL["atol"]


def _dataset(kind, seed=0):
    return make_data(kind, N_SAMPLES, N_FEATURES, seed)


CLASSIFICATION = ("binary", "multiclass", "multilabel")


def _pair(kind):
    if kind in CLASSIFICATION:
        return MLPClassifierNB, MLPClassifier, {}
    if kind == "poisson":
        return MLPRegressorNB, MLPRegressor, {"loss": "poisson"}
    return MLPRegressorNB, MLPRegressor, {}


def _sparsify(X, seed=1):
    rng = np.random.RandomState(seed)
    X = X.copy()
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    return sp.csr_matrix(X)


def fit_both(kind, params, *, sparse=False, weighted=False, X=None, y=None):
    """Fit skmlp and scikit-learn with the same parameters on the same data."""
    if X is None:
        X, y = _dataset(kind)
    if sparse:
        X = _sparsify(X)
    sample_weight = None
    if weighted:
        sample_weight = np.random.RandomState(2).uniform(0.1, 3.0, X.shape[0])
    Ours, Theirs, extra = _pair(kind)
    params = {"random_state": 0, **extra, **params}
    ours = Ours(**params).fit(X, y, sample_weight=sample_weight)
    theirs = Theirs(**params).fit(X, y, sample_weight=sample_weight)
    return ours, theirs, X


def assert_same_model(ours, theirs, X, rtol=RTOL, atol=ATOL):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.out_activation_ == theirs.out_activation_
    assert ours.n_outputs_ == theirs.n_outputs_
    assert ours.n_layers_ == theirs.n_layers_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=rtol, atol=atol)
    if hasattr(theirs, "loss_curve_"):
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol,
                                   atol=atol)
        assert ours.t_ == theirs.t_
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    if hasattr(theirs, "classes_"):
        np.testing.assert_array_equal(ours.classes_, theirs.classes_)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                                   rtol=rtol, atol=atol)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    else:
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=rtol,
                                   atol=atol)


SMALL = dict(hidden_layer_sizes=(8,), batch_size=16, max_iter=8, alpha=1e-2)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize(
    "kind", ["binary", "multiclass", "multilabel", "squared_error", "multioutput",
             "poisson"]
)
def test_stochastic_solver_matches_sklearn_for_every_target(solver, kind):
    lr = 0.01 if kind == "poisson" else 0.05
    params = dict(SMALL, solver=solver, learning_rate_init=lr)
    ours, theirs, X = fit_both(kind, params)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize(
    "momentum, nesterovs_momentum",
    [(0.9, True), (0.9, False), (0.0, False)],
    ids=["nesterov", "momentum", "plain"],
)
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_sgd_schedules_match_sklearn(momentum, nesterovs_momentum, learning_rate):
    # A large tol and n_iter_no_change=1 make the 'adaptive' schedule divide the
    # learning rate within a few epochs, and the other schedules stop early.
    params = dict(SMALL, solver="sgd", learning_rate=learning_rate,
                  learning_rate_init=0.2, power_t=0.3, momentum=momentum,
                  nesterovs_momentum=nesterovs_momentum, max_iter=25, tol=1e-2,
                  n_iter_no_change=1)
    ours, theirs, X = fit_both("multiclass", params)
    assert_same_model(ours, theirs, X)
    if learning_rate == "adaptive":
        assert ours._solver_state.learning_rate < 0.2
        assert ours._solver_state.learning_rate == pytest.approx(theirs._optimizer.learning_rate,
                                                    rel=1e-15)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("shuffle", [False, True], ids=["noshuffle", "shuffle"])
@pytest.mark.parametrize("kind", ["multiclass", "squared_error"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_input_variants_match_sklearn(solver, kind, shuffle, sparse,
                                                  weighted):
    params = dict(SMALL, solver=solver, shuffle=shuffle, learning_rate_init=0.05)
    ours, theirs, X = fit_both(kind, params, sparse=sparse, weighted=weighted)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_deep_network_with_each_activation_matches_sklearn(activation):
    params = dict(SMALL, hidden_layer_sizes=(7, 6, 5), activation=activation,
                  solver="adam", learning_rate_init=0.02, batch_size="auto")
    ours, theirs, X = fit_both("multiclass", params)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(
    "kind", ["binary", "multiclass", "multilabel", "squared_error", "poisson"]
)
def test_lbfgs_matches_sklearn(kind, sparse, weighted):
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=25, alpha=1e-2,
                  activation="tanh")
    ours, theirs, X = fit_both(kind, params, sparse=sparse, weighted=weighted)
    assert ours.n_iter_ == 25  # every iteration ran: a long trajectory to compare
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_early_stopping_on_binary_target_matches_sklearn(solver, weighted):
    params = dict(SMALL, solver=solver, early_stopping=True, validation_fraction=0.25,
                  n_iter_no_change=2, max_iter=30, learning_rate_init=0.05, tol=1e-3)
    ours, theirs, X = fit_both("binary", params, weighted=weighted)
    assert ours.n_iter_ < 30  # stopped by the validation score
    assert_same_model(ours, theirs, X)
    # accuracies of identical predictions
    np.testing.assert_array_equal(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == theirs.best_validation_score_
    assert ours.best_loss_ is None and theirs.best_loss_ is None


@pytest.mark.parametrize("kind", ["squared_error", "multioutput", "multilabel"])
def test_early_stopping_without_stratification_matches_sklearn(kind):
    # Regression and multilabel targets are split without stratification by both
    # libraries, so their early stopping must agree as well.
    params = dict(SMALL, solver="adam", early_stopping=True, validation_fraction=0.25,
                  n_iter_no_change=2, max_iter=60, learning_rate_init=0.05, tol=1e-3)
    ours, theirs, X = fit_both(kind, params)
    assert_same_model(ours, theirs, X)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_,
                               **ROUND_OFF_TOL)


def test_warm_start_with_early_stopping_matches_sklearn_training_history():
    # Only the history is compared: after an early-stopped fit, scikit-learn's
    # coefs_ *are* its _best_coefs arrays, so a warm-started second fit updates
    # its "best" weights in place and restores the last ones. skmlp restores the
    # true best (see test_early_stopping.py).
    params = dict(SMALL, solver="adam", early_stopping=True, validation_fraction=0.25,
                  n_iter_no_change=2, max_iter=30, learning_rate_init=0.05,
                  warm_start=True)
    ours, theirs, X = fit_both("binary", params)
    _, y = _dataset("binary")
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, **ROUND_OFF_TOL)
    # accuracies of identical predictions
    np.testing.assert_array_equal(ours.validation_scores_, theirs.validation_scores_)
    assert ours.best_validation_score_ == theirs.best_validation_score_


@pytest.mark.parametrize("kind", ["multiclass", "squared_error"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_refit_matches_sklearn(solver, kind):
    params = dict(SMALL, solver=solver, warm_start=True, learning_rate_init=0.05)
    ours, theirs, X = fit_both(kind, params)
    _, y = _dataset(kind)
    ours.set_params(max_iter=4).fit(X, y)
    theirs.set_params(max_iter=4).fit(X, y)
    assert_same_model(ours, theirs, X)


@pytest.mark.parametrize("kind", ["multiclass", "squared_error"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_without_shuffle_matches_sklearn(solver, kind):
    X, y = _dataset(kind)
    Ours, Theirs, _ = _pair(kind)
    params = dict(SMALL, solver=solver, shuffle=False, random_state=0,
                  learning_rate_init=0.05)
    ours, theirs = Ours(**params), Theirs(**params)
    extra = {"classes": np.unique(y)} if kind in CLASSIFICATION else {}
    for _ in range(4):
        ours.partial_fit(X[:40], y[:40], **extra)
        theirs.partial_fit(X[:40], y[:40], **extra)
        ours.partial_fit(X[40:], y[40:])
        theirs.partial_fit(X[40:], y[40:])
    assert_same_model(ours, theirs, X)
