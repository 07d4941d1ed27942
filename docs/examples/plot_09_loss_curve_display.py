"""
Plotting the loss curves with LossCurveDisplay
==============================================

:class:`skmlp.LossCurveDisplay` draws what a fit recorded per epoch: the
training loss (``loss_curve_``), the loss on the validation data
(``validation_loss_curve_``) and, on a second y-axis, the validation score
(``validation_scores_``: accuracy for a classifier, R² for a regressor).
The validation curves are there when the fit validated: with
``early_stopping=True``, or with validation data passed as ``X_val`` and
``y_val``. It follows scikit-learn's displays (``from_estimator``, ``ax_``,
``figure_``) and needs matplotlib (``pip install "skmlp[plot]"``).
"""

# %%
# A classifier that validates on data of its own
# ----------------------------------------------
# scikit-learn's digits, split three ways: training, validation (given to
# ``fit`` as ``X_val``, ``y_val``) and test. With ``X_val`` and no early
# stopping, every epoch is scored on the validation data and nothing stops
# early, so the curves show the whole run.
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmlp import LossCurveDisplay, MLPClassifierNB, MLPRegressorNB

X, y = load_digits(return_X_y=True)
X_rest, X_test, y_rest, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(
    X_rest, y_rest, test_size=0.2, stratify=y_rest, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))

clf = MLPClassifierNB(hidden_layer_sizes=(64,), max_iter=60, random_state=0)
with warnings.catch_warnings():
    # 60 epochs is the point here: reaching max_iter is expected
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
print(f"{clf.n_iter_} epochs; validation accuracy {clf.validation_scores_[-1]:.4f}, "
      f"test accuracy {clf.score(X_test, y_test):.4f}")

# %%
# One call draws the three curves
# -------------------------------
# The losses share the left axis, the accuracy has the right one; the legend
# is placed where it covers none of the curves.
display = LossCurveDisplay.from_estimator(clf)
display.ax_.set_title("MLPClassifierNB on digits")
plt.show()

# %%
# Both losses fall, the training loss faster: by epoch 30 it is well
# below the validation loss and the gap widens, as the network fits its
# training rows more closely than new ones. The validation accuracy levels off
# long before the losses do. A gap that grows while the validation loss turns
# upwards is what early stopping watches for (see :ref:`the early-stopping
# example <sphx_glr_auto_examples_plot_07_early_stopping.py>`).
for epoch in (10, 30, 60):
    print(f"epoch {epoch:2d}: training loss {clf.loss_curve_[epoch - 1]:.3f}, "
          f"validation loss {clf.validation_loss_curve_[epoch - 1]:.3f}, "
          f"validation accuracy {clf.validation_scores_[epoch - 1]:.3f}")

# %%
# Two fits on one set of axes
# ---------------------------
# ``from_estimator`` draws on an axes you give it, and ``name`` prefixes the
# legend, so runs compare side by side; keyword arguments style the lines.
# Here a regressor predicts the digit's value (a poor model of digits, but a
# regression) with and without an L2 penalty, on the early-stopping split
# that ``early_stopping=True`` holds out; its score is R². With ``alpha=1``
# the training and validation losses stay together: the penalty keeps the
# network from fitting its training rows more closely than new ones.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
for ax, alpha in zip(axes, [1e-4, 1.0]):
    reg = MLPRegressorNB(hidden_layer_sizes=(64,), alpha=alpha, early_stopping=True,
                         n_iter_no_change=20, max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X_train, y_train)
    LossCurveDisplay.from_estimator(reg, ax, name=f"alpha={alpha:g}")
    ax.set_title(f"MLPRegressorNB, alpha={alpha:g}: {reg.n_iter_} epochs")
plt.show()

# %%
# From saved curves
# -----------------
# The constructor takes the curves themselves, for example from a run whose
# estimator was not kept; the validation curves may be shorter than the
# training loss (they are aligned with the last epochs).
LossCurveDisplay(loss_curve=clf.loss_curve_,
                 validation_scores=clf.validation_scores_,
                 score_name="accuracy", estimator_name="saved run").plot()
plt.show()
