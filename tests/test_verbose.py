"""verbose=True prints one progress line per epoch (or L-BFGS iteration)."""

import re

import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.standard_normal((60, 4))
y = (X[:, 0] > 0).astype(int)
y_reg = X @ rng.standard_normal(4)
LINE = re.compile(r"^Iteration (\d+), loss = (\d+\.\d{8})$")
# n_iter_no_change above max_iter: no stopping message, only progress lines.
PARAMS = dict(hidden_layer_sizes=(5,), max_iter=7, random_state=0,
              n_iter_no_change=100)


def _iteration_lines(out):
    return [LINE.match(line) for line in out.splitlines() if line.startswith("Iteration")]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_verbose_prints_one_line_per_epoch_with_its_loss(capsys, solver):
    est = MLPClassifierNB(solver=solver, verbose=True, **PARAMS).fit(X, y)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == est.n_iter_ == PARAMS["max_iter"]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [int(m.group(1)) for m in matches] == list(range(1, est.n_iter_ + 1))
    assert [m.group(2) for m in matches] == ["%.8f" % v for v in est.loss_curve_]


def test_verbose_lbfgs_prints_one_line_per_iteration(capsys):
    est = MLPRegressorNB(solver="lbfgs", verbose=True, **PARAMS).fit(X, y_reg)
    matches = _iteration_lines(capsys.readouterr().out)
    assert all(matches)
    assert [int(m.group(1)) for m in matches] == list(range(1, est.n_iter_ + 1))
    assert est.n_iter_ == PARAMS["max_iter"]
    assert matches[-1].group(2) == "%.8f" % est.loss_


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_not_verbose_prints_nothing(capsys, solver):
    MLPRegressorNB(solver=solver, **PARAMS).fit(X, y_reg)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_early_stopping_prints_validation_score_after_each_epoch(capsys):
    est = MLPClassifierNB(solver="adam", verbose=True, early_stopping=True,
                          validation_fraction=0.2, **PARAMS).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * est.n_iter_
    assert all(LINE.match(line) for line in lines[0::2])
    assert lines[1::2] == ["Validation score: %f" % s for s in est.validation_scores_]


def test_verbose_reports_why_training_stopped_like_sklearn(capsys):
    params = dict(solver="sgd", verbose=True, tol=1e6, n_iter_no_change=2,
                  hidden_layer_sizes=(5,), random_state=0, max_iter=50)
    est = MLPRegressorNB(**params).fit(X, y_reg)
    lines = capsys.readouterr().out.splitlines()
    MLPRegressor(**params).fit(X, y_reg)
    sklearn_lines = capsys.readouterr().out.splitlines()
    assert est.n_iter_ < 50
    assert len(lines) == est.n_iter_ + 1
    assert lines[-1] == ("Training loss did not improve more than tol=%f for %d "
                         "consecutive epochs. Stopping." % (1e6, 2))
    # The same lines; the losses in them are two libraries' and equal only to
    # rounding (see ROUND_OFF_TOL in conftest.py), so a printed last digit
    # (1e-8) may differ by one.
    number = re.compile(r"\d+\.\d+")
    assert [number.sub("#", line) for line in lines] == \
        [number.sub("#", line) for line in sklearn_lines]
    np.testing.assert_allclose(
        [float(x) for line in lines for x in number.findall(line)],
        [float(x) for line in sklearn_lines for x in number.findall(line)],
        rtol=0, atol=1.01e-8)


def test_verbose_adaptive_schedule_reports_learning_rate_changes(capsys):
    est = MLPRegressorNB(solver="sgd", learning_rate="adaptive", verbose=True,
                         tol=1e6, n_iter_no_change=1, hidden_layer_sizes=(5,),
                         random_state=0, max_iter=6)
    est.fit(X, y_reg)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if "Setting learning rate to" in line]
    assert len(lines) >= 2
    assert lines[0].endswith("Setting learning rate to %f" % (0.001 / 5))
