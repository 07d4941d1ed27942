"""
A neuron and its activation functions
=====================================

An artificial neuron computes a weighted sum of its inputs plus a bias,
:math:`z = w \\cdot x + b`, and passes it through an *activation function*,
:math:`a = f(z)`. A layer is many neurons side by side: :math:`a = f(XW + b)`
with one column of :math:`W` per neuron. Training needs the derivative
:math:`f'(z)` too, because back-propagation multiplies by it in every layer.

This example writes the activation functions and their derivatives in NumPy,
plots them, and checks the formulas against skmlp's hidden layers.
"""

# %%
# One neuron, by hand
# -------------------
import numpy as np

x = np.array([0.5, -1.0, 2.0])  # three inputs
w = np.array([0.8, 0.2, -0.5])  # one weight per input
b = 0.1  # the bias
z = w @ x + b
print(f"z = w . x + b = {z:.3f};  relu(z) = {max(z, 0.0):.3f};  "
      f"logistic(z) = {1 / (1 + np.exp(-z)):.3f}")

# %%
# The activation functions and their derivatives
# ----------------------------------------------
# scikit-learn's MLP offers the first four. The other four are common in
# modern networks: *leaky ReLU* keeps a small slope (0.01 here) for negative
# inputs so that a neuron never stops learning entirely; *ELU* (with
# :math:`\alpha = 1`) is smooth at zero with negative outputs that saturate at
# -1; *GELU* weights its input by the standard normal CDF :math:`\Phi(z)` (the
# exact form, not the tanh approximation); *SiLU* (also called swish) is
# :math:`z \sigma(z)`.
from scipy.special import erf


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def normal_cdf(z):
    return 0.5 * (1.0 + erf(z / np.sqrt(2.0)))


def normal_pdf(z):
    return np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi)


ACTIVATIONS = {
    # name: (f(z), f'(z))
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "logistic": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, 0.01 * z),
        lambda z: np.where(z > 0, 1.0, 0.01),
    ),
    "elu": (
        lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0.0))),
        lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
    ),
    "gelu": (
        lambda z: z * normal_cdf(z),
        lambda z: normal_cdf(z) + z * normal_pdf(z),
    ),
    "silu": (
        lambda z: z * sigmoid(z),
        lambda z: sigmoid(z) * (1.0 + z * (1.0 - sigmoid(z))),
    ),
}

# %%
# Each derivative agrees with a central finite difference of its function
# (away from the kinks of ReLU and leaky ReLU at 0, where the derivative is
# not defined and the networks use the right-hand value 0 or 0.01):
z = np.linspace(-4, 4, 801)
z = z[np.abs(z) > 1e-3]
h = 1e-6
for name, (f, df) in ACTIVATIONS.items():
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    print(f"{name:>10}: max |f'(z) - finite difference| = "
          f"{np.max(np.abs(df(z) - numeric)):.1e}")

# %%
# Plots
# -----
# The saturating functions (logistic, tanh) have derivatives that vanish for
# large :math:`|z|`: deep stacks of them learn slowly, which is one reason ReLU
# and its relatives became the default.
import matplotlib.pyplot as plt

z = np.linspace(-4, 4, 400)
fig, axes = plt.subplots(2, 4, figsize=(12, 5.5), sharex=True)
for ax, (name, (f, df)) in zip(axes.ravel(), ACTIVATIONS.items()):
    ax.axhline(0, color="0.8", lw=0.8)
    ax.axvline(0, color="0.8", lw=0.8)
    ax.plot(z, f(z), label="f(z)")
    ax.plot(z, df(z), "--", label="f'(z)")
    ax.set_title(name)
    ax.set_ylim(-1.5, 2.5)
axes[0, 0].legend(loc="upper left")
for ax in axes[1]:
    ax.set_xlabel("z")
fig.tight_layout()

# %%
# The same formulas inside skmlp
# ------------------------------
# A regressor with one hidden layer computes
# ``f(X @ coefs_[0] + intercepts_[0]) @ coefs_[1] + intercepts_[1]``
# (its output activation is the identity). Rebuilding that from the fitted
# weights with the NumPy formula above must give ``predict``'s answer, for
# every activation this version of skmlp accepts.
import warnings

from sklearn.exceptions import ConvergenceWarning

import skmlp
from skmlp import MLPRegressorNB

rng = np.random.RandomState(0)
X = rng.normal(size=(60, 3))
y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]

for name, (f, _) in ACTIVATIONS.items():
    reg = MLPRegressorNB(hidden_layer_sizes=(8,), activation=name,
                         max_iter=20, random_state=0)
    try:
        # 20 epochs are enough to get non-trivial weights; convergence does
        # not matter here, so its warning is silenced.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reg.fit(X, y)
    except ValueError as exc:
        # An unknown activation is rejected before any work, naming the
        # allowed values.
        print(f"{name:>10}: not in skmlp {skmlp.__version__} "
              f"(fit raised {type(exc).__name__})")
        continue
    by_hand = f(X @ reg.coefs_[0] + reg.intercepts_[0]) @ reg.coefs_[1]
    by_hand = by_hand.ravel() + reg.intercepts_[1]
    np.testing.assert_allclose(reg.predict(X), by_hand, rtol=1e-9, atol=1e-12)
    print(f"{name:>10}: predict matches the NumPy formula "
          f"(max difference {np.max(np.abs(reg.predict(X) - by_hand)):.1e})")
