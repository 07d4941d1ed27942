"""Pipelines and hyper-parameter search, in parallel worker processes."""

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB, MLPRegressorNB

X, y = make_classification(n_samples=120, n_features=6, n_informative=4, n_classes=3,
                           random_state=0)
X = X * [1, 10, 100, 0.1, 1, 1000]  # badly scaled: the scaler matters
XR, yR = make_regression(n_samples=120, n_features=6, noise=5.0, random_state=0)


def _pipeline():
    return make_pipeline(
        StandardScaler(),
        MLPClassifierNB(hidden_layer_sizes=(8,), max_iter=30, random_state=0,
                        learning_rate_init=0.01),
    )


GRID = {
    "mlpclassifiernb__alpha": [1e-4, 1e-1],
    "mlpclassifiernb__hidden_layer_sizes": [(4,), (8,)],
}


def _cv_scores(search):
    return np.asarray(search.cv_results_["mean_test_score"])


@pytest.mark.slow
def test_grid_search_in_two_processes_equals_sequential_search():
    parallel = GridSearchCV(_pipeline(), GRID, cv=3, n_jobs=2).fit(X, y)
    sequential = GridSearchCV(_pipeline(), GRID, cv=3, n_jobs=1).fit(X, y)
    assert len(parallel.cv_results_["params"]) == 4
    np.testing.assert_array_equal(_cv_scores(parallel), _cv_scores(sequential))
    assert parallel.best_params_ == sequential.best_params_


@pytest.mark.slow
def test_grid_search_scores_equal_cross_val_score_of_each_candidate():
    search = GridSearchCV(_pipeline(), GRID, cv=3, n_jobs=2).fit(X, y)
    for params, score in zip(search.cv_results_["params"], _cv_scores(search)):
        expected = cross_val_score(clone(_pipeline()).set_params(**params), X, y, cv=3)
        assert score == pytest.approx(expected.mean(), rel=1e-12)


@pytest.mark.slow
def test_grid_search_refits_the_best_pipeline_on_all_data():
    search = GridSearchCV(_pipeline(), GRID, cv=3, n_jobs=2).fit(X, y)
    manual = _pipeline().set_params(**search.best_params_).fit(X, y)
    np.testing.assert_array_equal(search.predict_proba(X), manual.predict_proba(X))
    assert search.best_estimator_[-1].n_features_in_ == X.shape[1]


@pytest.mark.slow
def test_randomized_search_in_two_processes_equals_sequential_search():
    dists = {
        "mlpclassifiernb__alpha": loguniform(1e-5, 1e-1),
        "mlpclassifiernb__learning_rate_init": loguniform(1e-3, 1e-1),
        "mlpclassifiernb__solver": ["adam", "sgd", "lbfgs"],
    }
    kwargs = dict(n_iter=4, cv=3, random_state=0)
    parallel = RandomizedSearchCV(_pipeline(), dists, n_jobs=2, **kwargs).fit(X, y)
    sequential = RandomizedSearchCV(_pipeline(), dists, n_jobs=1, **kwargs).fit(X, y)
    assert len(parallel.cv_results_["params"]) == 4
    np.testing.assert_array_equal(_cv_scores(parallel), _cv_scores(sequential))
    np.testing.assert_array_equal(parallel.predict(X), sequential.predict(X))


def test_scaling_in_the_pipeline_changes_the_model():
    scaled = _pipeline().fit(X, y)
    unscaled = clone(_pipeline()[-1]).fit(X, y)
    assert not np.allclose(scaled.predict_proba(X), unscaled.predict_proba(X))


@pytest.mark.slow
def test_regressor_grid_search_in_two_processes_equals_sequential_search():
    pipe = make_pipeline(StandardScaler(),
                         MLPRegressorNB(hidden_layer_sizes=(8,), solver="lbfgs",
                                        max_iter=50, random_state=0))
    grid = {"mlpregressornb__alpha": [1e-3, 1.0]}
    parallel = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(XR, yR)
    sequential = GridSearchCV(pipe, grid, cv=3, n_jobs=1).fit(XR, yR)
    np.testing.assert_array_equal(_cv_scores(parallel), _cv_scores(sequential))
