"""Multilabel classification: logistic outputs, indicator-matrix predictions."""

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from skmlp import MLPClassifierNB

from conftest import ROUND_OFF_TOL, X_MULTILABEL, Y_MULTILABEL

X, Y = X_MULTILABEL, Y_MULTILABEL
PARAMS = dict(hidden_layer_sizes=(10,), max_iter=30, random_state=0)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_multilabel_predictions_are_indicator_matrices(solver):
    est = MLPClassifierNB(solver=solver, **PARAMS).fit(X, Y)
    assert est.out_activation_ == "logistic"
    assert est.n_outputs_ == 4
    np.testing.assert_array_equal(est.classes_, np.arange(4))
    pred = est.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_multilabel_predict_thresholds_independent_probabilities(solver):
    est = MLPClassifierNB(solver=solver, **PARAMS).fit(X, Y)
    proba = est.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba >= 0) & (proba <= 1))
    # Independent per-label probabilities: rows do not sum to one.
    assert not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X), (proba > 0.5).astype(int))
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba))


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_multilabel_model_matches_sklearn(solver):
    ours = MLPClassifierNB(solver=solver, **PARAMS).fit(X, Y)
    theirs = MLPClassifier(solver=solver, **PARAMS).fit(X, Y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               **ROUND_OFF_TOL)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_multilabel_score_is_subset_accuracy():
    est = MLPClassifierNB(solver="lbfgs", **PARAMS).fit(X, Y)
    expected = np.mean(np.all(est.predict(X) == Y, axis=1))
    assert est.score(X, Y) == expected


def test_multilabel_accepts_all_zero_and_all_one_rows():
    Yx = Y.copy()
    Yx[0] = 0
    Yx[1] = 1
    est = MLPClassifierNB(solver="lbfgs", **PARAMS).fit(X, Yx)
    assert est.predict(X[:2]).shape == (2, 4)


def test_multilabel_partial_fit_keeps_indicator_outputs():
    est = MLPClassifierNB(solver="adam", **PARAMS)
    est.partial_fit(X[:40], Y[:40], classes=np.arange(4))
    est.partial_fit(X[40:], Y[40:])
    assert est.out_activation_ == "logistic"
    assert est.predict(X).shape == Y.shape


def test_multilabel_with_early_stopping_trains_and_predicts():
    est = MLPClassifierNB(solver="adam", early_stopping=True, validation_fraction=0.25,
                          **PARAMS).fit(X, Y)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.predict(X).shape == Y.shape
