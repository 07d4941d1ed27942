"""Multi-output regression and the 1-D / 2-D target conventions."""

import numpy as np
import pytest
from sklearn.exceptions import DataConversionWarning

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.standard_normal((70, 5))
Y = np.column_stack([X @ rng.standard_normal(5), np.sin(X[:, 0]), X[:, 1] ** 2])
PARAMS = dict(hidden_layer_sizes=(12,), max_iter=40, random_state=0, alpha=1e-2)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
def test_multioutput_regressor_predicts_one_column_per_output(solver):
    est = MLPRegressorNB(solver=solver, learning_rate_init=0.01, **PARAMS).fit(X, Y)
    assert est.n_outputs_ == 3
    assert est.coefs_[-1].shape == (12, 3)
    assert est.predict(X).shape == (70, 3)


def test_single_column_2d_target_is_raveled_with_a_warning():
    est = MLPRegressorNB(solver="lbfgs", **PARAMS)
    with pytest.warns(DataConversionWarning):
        est.fit(X, Y[:, :1])
    assert est.n_outputs_ == 1
    assert est.predict(X).shape == (70,)


def test_multioutput_score_is_uniform_average_r2():
    from sklearn.metrics import r2_score

    est = MLPRegressorNB(solver="lbfgs", **PARAMS).fit(X, Y)
    assert est.score(X, Y) == pytest.approx(r2_score(Y, est.predict(X)), rel=1e-12)


def test_multioutput_lbfgs_reports_loss_averaged_over_outputs():
    # scikit-learn's convention for loss_: half the squared error averaged over
    # samples and outputs, plus 0.5 * alpha * ||W||^2 / n_samples.
    est = MLPRegressorNB(solver="lbfgs", **PARAMS).fit(X, Y)
    sq = sum(float(np.sum(c.astype(float) ** 2)) for c in est.coefs_)
    expected = (0.5 * np.mean((Y - est.predict(X)) ** 2)
                + 0.5 * est.alpha * sq / X.shape[0])
    assert est.loss_ == pytest.approx(expected, rel=1e-10)


def test_multioutput_outputs_are_not_trained_independently():
    # Shared hidden layer: the first output's predictions depend on the others.
    a = MLPRegressorNB(solver="lbfgs", **PARAMS).fit(X, Y)
    b = MLPRegressorNB(solver="lbfgs", **PARAMS).fit(X, Y[:, 0])
    assert not np.allclose(a.predict(X)[:, 0], b.predict(X))


def test_multioutput_poisson_regressor_predicts_positive_values():
    counts = np.random.RandomState(1).poisson(np.exp(0.3 * Y[:, :2]))
    est = MLPRegressorNB(loss="poisson", solver="lbfgs", **PARAMS).fit(X, counts)
    pred = est.predict(X)
    assert est.out_activation_ == "exp"
    assert pred.shape == (70, 2)
    assert np.all(pred > 0)


def test_classifier_rejects_multiclass_multioutput_targets():
    y = np.column_stack([np.arange(70) % 3, np.arange(70) % 2])
    with pytest.raises(ValueError):
        MLPClassifierNB(**PARAMS).fit(X, y)
