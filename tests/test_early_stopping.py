"""Early stopping: when training stops, what is recorded, which weights are kept."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from _split import early_stopping_split
from skmlp import MLPClassifierNB, MLPRegressorNB


MAX_ITER = 200
PARAMS = dict(hidden_layer_sizes=(16,), early_stopping=True, validation_fraction=0.2,
              n_iter_no_change=3, max_iter=MAX_ITER, random_state=0,
              learning_rate_init=0.01)


def _problem(kind):
    if kind == "regressor":
        X, y = make_regression(n_samples=150, n_features=6, noise=30.0, random_state=0)
        return MLPRegressorNB, X, y / y.std()
    n_classes = 2 if kind == "binary" else 3
    X, y = make_classification(n_samples=150, n_features=6, n_informative=4,
                               n_classes=n_classes, flip_y=0.15, random_state=0)
    return MLPClassifierNB, X, y


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor"])
def test_early_stopping_stops_before_max_iter_and_records_scores(kind, solver):
    Est, X, y = _problem(kind)
    est = Est(solver=solver, **PARAMS).fit(X, y)
    assert est.n_iter_ < MAX_ITER
    assert len(est.validation_scores_) == est.n_iter_
    assert len(est.loss_curve_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None
    # Stopped because the last n_iter_no_change + 1 epochs did not improve by tol.
    best = est.best_validation_score_
    tail = est.validation_scores_[-(PARAMS["n_iter_no_change"] + 1):]
    assert all(s < best + est.tol for s in tail)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor"])
def test_restored_weights_score_the_best_validation_score(kind):
    Est, X, y = _problem(kind)
    est = Est(solver="adam", **PARAMS).fit(X, y)
    _, idx_val = early_stopping_split(est, X, y)
    assert est.validation_scores_[-1] < est.best_validation_score_
    assert est.score(X[idx_val], y[idx_val]) == pytest.approx(
        est.best_validation_score_, rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor"])
def test_restored_weights_equal_weights_after_best_epoch(kind, solver):
    Est, X, y = _problem(kind)
    full = Est(solver=solver, **PARAMS).fit(X, y)
    best_epoch = int(np.argmax(full.validation_scores_)) + 1
    # Training went on after the best epoch, so keeping the last weights would be
    # visibly different from restoring the best ones.
    assert best_epoch < full.n_iter_

    # The same run cut at the best epoch: its last epoch is its best one.
    cut = Est(solver=solver, **dict(PARAMS, max_iter=best_epoch)).fit(X, y)
    assert cut.n_iter_ == best_epoch
    assert cut.validation_scores_ == full.validation_scores_[:best_epoch]
    for a, b in zip(full.coefs_ + full.intercepts_, cut.coefs_ + cut.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(full.predict(X), cut.predict(X))


def test_too_small_validation_set_raises():
    _, X, y = _problem("regressor")
    est = MLPRegressorNB(**dict(PARAMS, validation_fraction=0.01))
    with pytest.raises(ValueError, match="validation set is too small"):
        est.fit(X[:50], y[:50])


def test_without_early_stopping_there_are_no_validation_scores():
    _, X, y = _problem("binary")
    est = MLPClassifierNB(**dict(PARAMS, early_stopping=False, max_iter=5)).fit(X, y)
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None
    assert est.best_loss_ == min(est.loss_curve_)


def test_early_stopping_with_sample_weight_uses_weighted_validation_score():
    Est, X, y = _problem("multiclass")
    sw = np.random.RandomState(0).uniform(0.1, 3.0, X.shape[0])
    est = Est(solver="adam", **PARAMS).fit(X, y, sample_weight=sw)
    _, idx_val = early_stopping_split(est, X, y)
    weighted = est.score(X[idx_val], y[idx_val], sample_weight=sw[idx_val])
    assert weighted == pytest.approx(est.best_validation_score_, rel=1e-12)
    assert weighted != est.score(X[idx_val], y[idx_val])


def test_warm_start_without_improvement_restores_the_previous_best_weights():
    # Separable data: the first fit reaches a perfect validation score, which the
    # warm-started second fit cannot beat, so the first fit's best weights stay.
    rng = np.random.RandomState(0)
    X = rng.standard_normal((150, 4))
    X = X[np.abs(X[:, 0]) > 0.3]
    y = (X[:, 0] > 0).astype(int)
    est = MLPClassifierNB(solver="adam", warm_start=True,
                          **dict(PARAMS, learning_rate_init=0.05)).fit(X, y)
    assert est.best_validation_score_ == 1.0
    best = [w.copy() for w in est.coefs_ + est.intercepts_]
    n_scores = len(est.validation_scores_)
    est.fit(X, y)
    assert len(est.validation_scores_) == n_scores + est.n_iter_
    assert est.best_validation_score_ == 1.0
    for a, b in zip(best, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(a, b)
