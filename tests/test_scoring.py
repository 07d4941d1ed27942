"""``scoring``: what the validation score is, what it stops on, which weights it keeps.

None keeps scikit-learn's score; 'loss' records the negative validation loss;
a scorer name or a callable records that score. Under early stopping the score
decides when to stop and which weights are restored: re-scoring the validation
rows with the restored model gives ``best_validation_score_``.
"""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import accuracy_score, get_scorer, mean_absolute_error
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB

from _split import early_stopping_split
from conftest import ROUND_OFF_TOL

PARAMS = dict(hidden_layer_sizes=(12,), early_stopping=True, validation_fraction=0.25,
              n_iter_no_change=4, max_iter=80, random_state=0, learning_rate_init=0.01,
              tol=1e-3)


def _problem(kind):
    if kind == "regressor":
        X, y = make_regression(n_samples=200, n_features=6, noise=30.0, random_state=0)
        return MLPRegressorNB, X, y / y.std()
    n_classes = 2 if kind == "binary" else 3
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4,
                               n_classes=n_classes, flip_y=0.15, random_state=0)
    return MLPClassifierNB, X, y


def _split_given(X, y):
    return X[:150], y[:150], X[150:], y[150:]


NAMES = {
    "binary": ["neg_log_loss", "roc_auc", "f1", "balanced_accuracy"],
    "multiclass": ["neg_log_loss", "roc_auc_ovr", "f1_macro"],
    "regressor": ["neg_mean_absolute_error", "neg_median_absolute_error", "r2"],
}
CASES = [(kind, name) for kind, names in NAMES.items() for name in names]


@pytest.mark.parametrize("kind, name", CASES)
def test_restored_weights_reproduce_best_score_on_given_validation_data(kind, name):
    Est, X, y = _problem(kind)
    X_tr, y_tr, X_val, y_val = _split_given(X, y)
    est = Est(scoring=name, **PARAMS).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    assert len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == max(est.validation_scores_)
    rescored = get_scorer(name)(est, X_val, y_val)
    np.testing.assert_allclose(rescored, est.best_validation_score_, **ROUND_OFF_TOL)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor"])
def test_restored_weights_reproduce_best_score_on_internal_split(kind):
    Est, X, y = _problem(kind)
    name = NAMES[kind][0]
    est = Est(scoring=name, **dict(PARAMS, max_iter=300)).fit(X, y)
    _, idx_val = early_stopping_split(est, X, y)
    rescored = get_scorer(name)(est, X[idx_val], y[idx_val])
    np.testing.assert_allclose(rescored, est.best_validation_score_, **ROUND_OFF_TOL)
    # The score drove the stop: the last n_iter_no_change + 1 epochs did not
    # improve on the best by tol.
    assert est.n_iter_ < 300
    tail = est.validation_scores_[-(PARAMS["n_iter_no_change"] + 1):]
    assert all(s < est.best_validation_score_ + est.tol for s in tail)


@pytest.mark.parametrize("kind, name", [("binary", "accuracy"),
                                        ("multiclass", "accuracy"),
                                        ("regressor", "r2")])
def test_the_default_score_by_name_records_what_none_records(kind, name):
    """Through the scorer machinery, the estimator's own score gives the same run."""
    Est, X, y = _problem(kind)
    default = Est(**PARAMS).fit(X, y)
    named = Est(scoring=name, **PARAMS).fit(X, y)
    assert named.validation_scores_ == default.validation_scores_
    assert named.n_iter_ == default.n_iter_
    for a, b in zip(named.coefs_, default.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regressor"])
def test_loss_scoring_records_the_negative_validation_loss(kind):
    Est, X, y = _problem(kind)
    est = Est(scoring="loss", **PARAMS).fit(X, y)
    assert est.validation_scores_ == [-v for v in est.validation_loss_curve_]
    assert est.best_validation_score_ == -min(est.validation_loss_curve_)


def test_regressor_early_stops_on_its_loss_not_r2():
    """scikit-learn #24411: 'loss' keeps the weights of the lowest validation loss."""
    Est, X, y = _problem("regressor")
    X_tr, y_tr, X_val, y_val = _split_given(X, y)
    est = Est(scoring="loss", **PARAMS).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    # scikit-learn's squared error: half the mean squared residual
    reference = 0.5 * np.mean((est.predict(X_val) - y_val) ** 2)
    np.testing.assert_allclose(-reference, est.best_validation_score_, **ROUND_OFF_TOL)
    np.testing.assert_allclose(reference, min(est.validation_loss_curve_),
                               **ROUND_OFF_TOL)


def test_callable_scorer_sees_the_current_weights():
    """A callable gets the validation rows; any other X is predicted with this epoch's weights."""
    Est, X, y = _problem("regressor")
    X_tr, y_tr, X_val, y_val = _split_given(X, y)
    calls = []

    def scorer(est, X_, y_):
        calls.append((X_ is X_val or X_.shape == X_val.shape, y_.shape))
        # a copy is not the validation rows' object: predicted by the model itself
        return -mean_absolute_error(y_, est.predict(np.array(X_, copy=True)))

    by_callable = Est(scoring=scorer, **PARAMS).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    by_name = Est(scoring="neg_mean_absolute_error", **PARAMS).fit(
        X_tr, y_tr, X_val=X_val, y_val=y_val)
    assert len(calls) == by_callable.n_iter_
    assert all(ok and shape == y_val.shape for ok, shape in calls)
    np.testing.assert_allclose(by_callable.validation_scores_, by_name.validation_scores_,
                               **ROUND_OFF_TOL)
    assert by_callable.n_iter_ == by_name.n_iter_
    np.testing.assert_allclose(scorer(by_callable, X_val, y_val),
                               by_callable.best_validation_score_, **ROUND_OFF_TOL)


def test_callable_scorer_gets_validation_sample_weights():
    Est, X, y = _problem("binary")
    X_tr, y_tr, X_val, y_val = _split_given(X, y)
    w_val = np.linspace(0.5, 2.0, X_val.shape[0])
    seen = []

    def scorer(est, X_, y_, sample_weight=None):
        seen.append(sample_weight)
        return accuracy_score(y_, est.predict(X_), sample_weight=sample_weight)

    est = Est(scoring=scorer, **PARAMS).fit(X_tr, y_tr, X_val=X_val, y_val=y_val,
                                            sample_weight_val=w_val)
    assert len(seen) == est.n_iter_
    assert all(np.array_equal(w, w_val) for w in seen)
    np.testing.assert_allclose(scorer(est, X_val, y_val, w_val),
                               est.best_validation_score_, **ROUND_OFF_TOL)


def test_scoring_without_early_stopping_only_records():
    """With X_val but no early stopping, training (and stopping) ignore the score."""
    Est, X, y = _problem("multiclass")
    X_tr, y_tr, X_val, y_val = _split_given(X, y)
    params = dict(PARAMS, early_stopping=False, max_iter=15)
    plain = Est(**params).fit(X_tr, y_tr, X_val=X_val, y_val=y_val)
    scored = Est(scoring="neg_log_loss", **params).fit(X_tr, y_tr, X_val=X_val,
                                                       y_val=y_val)
    assert scored.loss_curve_ == plain.loss_curve_
    for a, b in zip(scored.coefs_, plain.coefs_):
        np.testing.assert_array_equal(a, b)
    assert scored.validation_scores_ != plain.validation_scores_
    # the multiclass log loss is the validation loss
    np.testing.assert_allclose(scored.validation_scores_,
                               [-v for v in scored.validation_loss_curve_], rtol=1e-7)


@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
@pytest.mark.parametrize("bad", ["nope", "Loss", 3, ["loss"], ("r2",)])
def test_bad_scoring_raises_before_training_and_leaves_the_model(Est, bad):
    _, X, y = _problem("regressor" if Est is MLPRegressorNB else "binary")
    est = Est(**dict(PARAMS, max_iter=3)).fit(X, y)
    before = pickle.dumps(est)
    with pytest.raises(InvalidParameterError, match="scoring"):
        est.set_params(scoring=bad).fit(X, y)
    est.set_params(scoring=None)
    assert pickle.dumps(est) == before


def test_scoring_survives_pickling_and_clone():
    from sklearn.base import clone

    est = MLPClassifierNB(scoring="neg_log_loss", **dict(PARAMS, max_iter=3))
    X, y = _problem("binary")[1:]
    est.fit(X, y)
    assert clone(est).scoring == "neg_log_loss"
    assert pickle.loads(pickle.dumps(est)).scoring == "neg_log_loss"


@pytest.mark.parametrize("form", ["csr", "float32"])
def test_scorer_takes_the_held_out_rows_in_the_form_fit_got(form):
    """Sparse and float32 X: the scorer's rows are X's, and the best score replays."""
    import scipy.sparse as sp

    from conftest import ROUND_OFF_TOL_FLOAT32

    Est, X, y = _problem("multiclass")
    Xf = sp.csr_matrix(X) if form == "csr" else X.astype(np.float32)
    seen = []

    def scorer(est, X_, y_):
        seen.append((type(X_), X_.dtype, X_.shape))
        return get_scorer("neg_log_loss")(est, X_, y_)

    est = Est(scoring=scorer, **PARAMS).fit(Xf, y)
    _, idx_val = early_stopping_split(est, X, y)
    assert set(seen) == {(type(Xf), Xf.dtype, (idx_val.shape[0], X.shape[1]))}
    tol = ROUND_OFF_TOL_FLOAT32 if form == "float32" else ROUND_OFF_TOL
    np.testing.assert_allclose(scorer(est, Xf[idx_val], y[idx_val]),
                               est.best_validation_score_, **tol)
