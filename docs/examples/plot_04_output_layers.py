"""
Output layers: softmax and cross-entropy for classes, identity for regression
=============================================================================

The hidden layers of an MLP are the same whatever the task; the output layer
and the loss are what make it a classifier or a regressor:

* **several classes**: a *softmax* output,
  :math:`p_k = e^{z_k} / \\sum_j e^{z_j}`, turns the last layer's values into
  probabilities that are positive and sum to 1, trained with the
  *cross-entropy* :math:`-\\frac{1}{n}\\sum_i \\log p_{i, y_i}`;
* **two classes, or several independent labels**: one *logistic* output per
  label, with binary cross-entropy;
* **regression**: the *identity* output (the last layer's value itself), with
  the squared error.

skmlp picks the output from the target, as scikit-learn does, and reports it
in ``out_activation_``.
"""

# %%
# Softmax for three classes
# -------------------------
import warnings

import numpy as np
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB, MLPRegressorNB

X, y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
# a strong penalty (alpha=1) keeps the probabilities away from 0 and 1
clf = MLPClassifierNB(hidden_layer_sizes=(10,), solver="lbfgs", alpha=1.0,
                      random_state=0)
clf.fit(X, y)
proba = clf.predict_proba(X)
print("out_activation_:", clf.out_activation_)
print("first rows of predict_proba:\n", np.round(proba[[0, 70, 120]], 3))
print("rows sum to 1: largest deviation", np.max(np.abs(proba.sum(axis=1) - 1)))

# %%
# The softmax is easy to rebuild from the fitted weights (ReLU hidden layer,
# the default activation), and the cross-entropy of these probabilities is
# scikit-learn's ``log_loss``; with the L2 penalty added it is the loss L-BFGS
# minimised, ``loss_``.
hidden = np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)
z = hidden @ clf.coefs_[1] + clf.intercepts_[1]
softmax = np.exp(z - z.max(axis=1, keepdims=True))
softmax /= softmax.sum(axis=1, keepdims=True)
print("largest difference from predict_proba:", np.max(np.abs(softmax - proba)))
penalty = clf.alpha / (2 * len(X)) * sum(np.sum(W**2) for W in clf.coefs_)
print(f"log_loss + penalty = {log_loss(y, proba) + penalty:.10f}, "
      f"loss_ = {clf.loss_:.10f}")

# %%
# Two classes and multilabel targets: logistic outputs
# ----------------------------------------------------
# With two classes one logistic unit is enough (``predict_proba`` still has a
# column per class). With a label-indicator matrix every column is its own
# yes/no question, so the probabilities of a row need not sum to 1.
clf2 = MLPClassifierNB(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0)
clf2.fit(X, y == 2)
print("binary:", clf2.out_activation_, "units:", clf2.n_outputs_,
      " predict_proba shape:", clf2.predict_proba(X).shape)

Y_multi = np.column_stack([y == 2, X[:, 0] > 0])  # "is virginica", "long sepal"
clf3 = MLPClassifierNB(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0)
clf3.fit(X, Y_multi)
print("multilabel:", clf3.out_activation_, " row sums:",
      np.round(clf3.predict_proba(X)[[0, 70, 120]].sum(axis=1), 3))

# %%
# Identity for regression
# -----------------------
# A regressor's output is unbounded: the last layer's weighted sum. It learns
# a noisy sine curve; the training loss is half the mean squared error (plus
# the penalty), scikit-learn's convention.
rng = np.random.RandomState(0)
x = np.sort(rng.uniform(-3, 3, 200))
t = np.sin(x) + rng.normal(0, 0.1, x.size)
reg = MLPRegressorNB(hidden_layer_sizes=(32, 32), activation="tanh",
                     learning_rate_init=0.01, max_iter=500, random_state=0)
with warnings.catch_warnings():
    # Adam reaches a good fit well before its stopping rule triggers; the
    # warning that max_iter was reached is expected here.
    warnings.simplefilter("ignore", ConvergenceWarning)
    reg.fit(x.reshape(-1, 1), t)
pred = reg.predict(x.reshape(-1, 1))
print("out_activation_:", reg.out_activation_,
      f" half mean squared error {0.5 * np.mean((pred - t) ** 2):.4f}")

import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
order = np.argsort(y, kind="stable")
axes[0].stackplot(np.arange(len(X)), proba[order].T,
                  labels=[f"class {c}" for c in clf.classes_])
axes[0].set_xlabel("iris samples, sorted by true class")
axes[0].set_ylabel("predict_proba (stacked)")
axes[0].set_title("softmax: each row sums to 1")
axes[0].legend(loc="lower left")
axes[1].scatter(x, t, s=8, color="0.6", label="data")
axes[1].plot(x, pred, color="C3", label="MLPRegressorNB")
axes[1].set_title("identity output: a curve, unbounded")
axes[1].legend()
fig.tight_layout()
