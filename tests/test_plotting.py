"""LossCurveDisplay: the lines it draws are the fitted curves (Agg backend)."""

import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier

from skmlp import LossCurveDisplay, MLPClassifierNB, MLPRegressorNB

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

rng = np.random.RandomState(0)
X = rng.standard_normal((80, 4))
y = (X[:, 0] + X[:, 1] > 0).astype(int)
y_reg = X @ rng.standard_normal(4)
PARAMS = dict(hidden_layer_sizes=(5,), max_iter=8, random_state=0,
              learning_rate_init=0.01)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _assert_line(line, curve, first_epoch=1):
    np.testing.assert_array_equal(line.get_xdata(),
                                  np.arange(first_epoch, first_epoch + len(curve)))
    np.testing.assert_array_equal(line.get_ydata(), np.asarray(curve, dtype=float))


def _legend(display):
    return [t.get_text() for t in display.ax_.get_legend().get_texts()]


@pytest.mark.slow
def test_import_skmlp_does_not_import_matplotlib():
    code = ("import sys, skmlp, skmlp.plotting; "
            "assert 'matplotlib' not in sys.modules, 'imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_training_loss_only_without_validation():
    est = MLPClassifierNB(**PARAMS).fit(X, y)
    display = LossCurveDisplay.from_estimator(est)
    assert list(display.lines_) == ["training_loss"]
    assert display.line_ is display.lines_["training_loss"]
    _assert_line(display.line_, est.loss_curve_)
    assert display.ax_.get_xlabel() == "Epoch"
    assert display.ax_.get_ylabel() == "Loss"
    assert display.line_.axes is display.ax_
    assert display.figure_ is display.ax_.figure
    assert display.score_ax_ is None
    assert _legend(display) == ["Training loss"]


@pytest.mark.parametrize("Est, target, score_name", [
    (MLPClassifierNB, y, "accuracy"), (MLPRegressorNB, y_reg, "R²")],
    ids=["classifier", "regressor"])
def test_early_stopping_adds_validation_loss_and_score(Est, target, score_name):
    est = Est(early_stopping=True, validation_fraction=0.25, **PARAMS).fit(X, target)
    display = LossCurveDisplay.from_estimator(est)
    assert list(display.lines_) == ["training_loss", "validation_loss",
                                    "validation_score"]
    _assert_line(display.line_, est.loss_curve_)
    _assert_line(display.lines_["validation_loss"], est.validation_loss_curve_)
    _assert_line(display.lines_["validation_score"], est.validation_scores_)
    # the loss curves share one y-axis, the score has its own
    assert display.lines_["validation_loss"].axes is display.ax_
    assert display.lines_["validation_score"].axes is display.score_ax_
    assert display.score_ax_ is not display.ax_
    assert display.score_ax_.get_ylabel() == f"Validation score ({score_name})"
    assert _legend(display) == ["Training loss", "Validation loss",
                                f"Validation score ({score_name})"]


def test_validation_data_given_to_fit_is_drawn():
    est = MLPRegressorNB(**PARAMS).fit(X[:60], y_reg[:60], X_val=X[60:], y_val=y_reg[60:])
    display = LossCurveDisplay.from_estimator(est, name="adam")
    _assert_line(display.lines_["validation_loss"], est.validation_loss_curve_)
    _assert_line(display.lines_["validation_score"], est.validation_scores_)
    assert _legend(display)[0] == "adam: Training loss"


def test_validation_curves_align_with_the_epochs_they_were_measured_at():
    est = MLPClassifierNB(warm_start=True, **PARAMS).fit(X, y)
    est.set_params(max_iter=3).fit(X[:60], y[:60], X_val=X[60:], y_val=y[60:])
    assert len(est.loss_curve_) == 11 and len(est.validation_loss_curve_) == 3
    display = LossCurveDisplay.from_estimator(est)
    _assert_line(display.line_, est.loss_curve_)
    _assert_line(display.lines_["validation_loss"], est.validation_loss_curve_,
                 first_epoch=9)


def test_draws_on_the_given_axes_with_the_given_styles():
    est = MLPClassifierNB(early_stopping=True, **PARAMS).fit(X, y)
    fig, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(
        est, ax, color="black", validation_loss_kw={"linewidth": 3},
        validation_score_kw={"color": "red"})
    assert display.ax_ is ax and display.figure_ is fig
    assert display.line_.get_color() == "black"
    assert display.lines_["validation_loss"].get_linewidth() == 3
    assert display.lines_["validation_score"].get_color() == "red"


def test_plot_from_the_curves_themselves():
    display = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5], validation_scores=[0.5, 0.7],
                               score_name="F1")
    assert display.plot() is display
    _assert_line(display.line_, [3.0, 2.0, 1.5])
    _assert_line(display.lines_["validation_score"], [0.5, 0.7], first_epoch=2)
    assert "validation_loss" not in display.lines_


def test_works_with_scikit_learns_mlp():
    est = MLPClassifier(early_stopping=True, **PARAMS).fit(X, y)
    display = LossCurveDisplay.from_estimator(est)
    # scikit-learn's MLP records no validation loss
    assert list(display.lines_) == ["training_loss", "validation_score"]
    _assert_line(display.line_, est.loss_curve_)
    _assert_line(display.lines_["validation_score"], est.validation_scores_)


def test_unfitted_estimator_raises_not_fitted():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPClassifierNB())


def test_lbfgs_fit_has_no_loss_curve_to_plot():
    est = MLPRegressorNB(solver="lbfgs", **PARAMS).fit(X, y_reg)
    with pytest.raises(ValueError, match=r"solver='lbfgs'.*solver='adam'"):
        LossCurveDisplay.from_estimator(est)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    est = MLPClassifierNB(**PARAMS).fit(X, y)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import fails
    with pytest.raises(ImportError, match=r"skmlp\[plot\]"):
        LossCurveDisplay.from_estimator(est)


def test_legend_covers_no_curve_of_either_y_axis():
    # The loss falls to the bottom and the score rises to the top: a legend
    # placed by loc="best" on the loss axes alone lands on the score curve.
    display = LossCurveDisplay(loss_curve=np.linspace(1.0, 0.2, 30),
                               validation_loss_curve=np.linspace(1.1, 0.3, 30),
                               validation_scores=np.linspace(0.2, 0.95, 30)).plot()
    box = display.ax_.get_legend().get_window_extent()
    for name, line in display.lines_.items():
        path = line.get_transform().transform_path(line.get_path())
        assert not box.count_contains(path.vertices), name
        assert not path.intersects_bbox(box, filled=False), name
    # and nothing is drawn over it: the loss axes, with the legend, are on top
    assert display.ax_.get_zorder() > display.score_ax_.get_zorder()
