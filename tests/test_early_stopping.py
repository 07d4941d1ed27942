"""Early stopping: when training stops, what is recorded, which weights are kept."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

from skmlp import MLPClassifierNB, MLPRegressorNB

from _split import early_stopping_split

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


# ------------------------------------------- where stratifying is impossible
def _digits(n):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _single_member_class():
    X, y = _digits(200)
    y = y.copy()
    y[-1] = 99  # a class with one sample
    return X, y


@pytest.mark.parametrize("problem", ["60 rows, 10 classes", "a one-sample class"])
def test_early_stopping_trains_where_stratifying_is_impossible(problem):
    """The split falls back to scikit-learn's plain one, so both libraries train."""
    from sklearn.neural_network import MLPClassifier

    X, y = _digits(60) if problem.startswith("60") else _single_member_class()
    params = dict(hidden_layer_sizes=(8,), early_stopping=True, max_iter=5,
                  random_state=0)
    ours = MLPClassifierNB(**params).fit(X, y)
    theirs = MLPClassifier(**params).fit(X, y)
    # The same rows were held out: scikit-learn's multiclass split is plain, and
    # the failed stratified attempt drew no random number.
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_failed_stratified_attempt_draws_no_random_number():
    from skmlp._stochastic import _validation_split

    _, y = _digits(60)
    a = _validation_split(60, np.random.RandomState(3), 0.1, y)
    b = _validation_split(60, np.random.RandomState(3), 0.1, None)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_stratified_split_is_kept_where_possible():
    from sklearn.model_selection import train_test_split

    from skmlp._stochastic import _validation_split

    _, y = _digits(500)
    got = _validation_split(500, np.random.RandomState(0), 0.2, y)
    want = train_test_split(np.arange(500), random_state=np.random.RandomState(0),
                            test_size=0.2, stratify=y)
    for u, v in zip(got, want):
        np.testing.assert_array_equal(u, v)


def test_halving_search_with_early_stopping_scores_every_candidate():
    """The issue's case: small first rounds on digits lost every fit."""
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.model_selection import HalvingRandomSearchCV

    X, y = _digits(600)
    search = HalvingRandomSearchCV(
        MLPClassifierNB(hidden_layer_sizes=(8,), early_stopping=True, max_iter=5,
                        random_state=0),
        {"alpha": [1e-4, 1e-3, 1e-2, 1e-1]}, n_candidates=4, min_resources=60,
        factor=2, cv=3, random_state=0, error_score="raise").fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_binary_target_that_cannot_be_stratified_fails_as_in_scikit_learn():
    """scikit-learn stratifies binary targets too: there skmlp keeps its error."""
    X = np.arange(40.0).reshape(20, 2)
    y = np.r_[np.zeros(19), 1]
    from sklearn.neural_network import MLPClassifier

    with pytest.raises(ValueError, match="least populated class") as theirs:
        MLPClassifier(early_stopping=True, max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="least populated class") as ours:
        MLPClassifierNB(early_stopping=True, max_iter=2).fit(X, y)
    assert str(ours.value) == str(theirs.value)
