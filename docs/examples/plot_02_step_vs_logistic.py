"""
Why the step function cannot be trained by gradient descent
===========================================================

The first artificial neurons (the perceptron) used a *step* (Heaviside)
activation: output 1 when :math:`z = wx + b > 0`, else 0. Multilayer
perceptrons replaced it with smooth functions such as the logistic sigmoid
:math:`\\sigma(z) = 1 / (1 + e^{-z})`. The reason is gradient descent: it moves
each weight against the derivative of the loss, and the step function's
derivative is zero everywhere except at 0, where it does not exist. A tiny
change of a weight changes no output of a step neuron, so the gradient carries
no information about which way to go.

This example trains one neuron both ways on one-dimensional data.
"""

# %%
# Data: two classes on a line
# ---------------------------
import numpy as np

rng = np.random.RandomState(0)
x = np.concatenate([rng.normal(-1.0, 0.7, 100), rng.normal(1.0, 0.7, 100)])
y = np.concatenate([np.zeros(100), np.ones(100)])


def step(z):
    return (z > 0).astype(float)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def loss(w, b, activation):
    """Mean squared error of one neuron's outputs (the same loss for both)."""
    return np.mean((activation(w * x + b) - y) ** 2)


# %%
# The loss as a function of the weight
# ------------------------------------
# With the bias fixed at 0, the step neuron's loss is a staircase: flat almost
# everywhere, with jumps where a sample crosses the threshold. The logistic
# neuron's loss is smooth and slopes towards good weights.
import matplotlib.pyplot as plt

ws = np.linspace(-4, 4, 801)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(ws, [loss(w, 0.0, step) for w in ws], label="step neuron")
ax.plot(ws, [loss(w, 0.0, sigmoid) for w in ws], label="logistic neuron")
ax.set_xlabel("weight w (bias 0)")
ax.set_ylabel("mean squared error")
ax.legend()
fig.tight_layout()

# %%
# Its gradient, measured
# ----------------------
# A central finite difference of each loss at a few weights. For the step
# neuron it is exactly zero: no sample changes side within :math:`\pm h`.
h = 1e-4
for w in (-2.0, -0.5, 0.5, 2.0):
    g_step = (loss(w + h, 0.0, step) - loss(w - h, 0.0, step)) / (2 * h)
    g_sig = (loss(w + h, 0.0, sigmoid) - loss(w - h, 0.0, sigmoid)) / (2 * h)
    print(f"w = {w:+.1f}:  d loss / dw  step = {g_step:+.4f}   "
          f"logistic = {g_sig:+.4f}")

# %%
# Gradient descent
# ----------------
# Both neurons start from the same wrong weights (they classify most samples
# the wrong way round) and take 200 steps of plain gradient descent. The
# gradient of the mean squared error is
# :math:`\frac{2}{n}\sum_i (a_i - y_i)\, f'(z_i)\, (x_i, 1)`; for the step
# function :math:`f'(z) = 0` wherever it is defined, so its weights never move.


def train(activation, derivative, w=-2.0, b=0.0, lr=1.0, steps=200):
    for _ in range(steps):
        z = w * x + b
        delta = 2 * (activation(z) - y) * derivative(z) / len(x)
        w -= lr * np.sum(delta * x)
        b -= lr * np.sum(delta)
    accuracy = np.mean((w * x + b > 0) == y)
    return w, b, accuracy


for name, f, df in [
    ("step", step, lambda z: np.zeros_like(z)),
    ("logistic", sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
]:
    w, b, acc = train(f, df)
    print(f"{name:>8}: w = {w:+.3f}, b = {b:+.3f}, training accuracy {acc:.2f}")

# %%
# The perceptron learning rule does train a single step neuron, but it is not
# gradient descent and does not extend to hidden layers: it needs to know each
# neuron's target, which only the output layer has. Back-propagation gets the
# hidden layers' share of the error through derivatives, so every activation
# in an MLP must have a useful one. skmlp (like scikit-learn) offers no step
# activation for that reason; ``activation="logistic"`` is its smooth
# counterpart, and the same data is learnt by a small network with it:
from skmlp import MLPClassifierNB

clf = MLPClassifierNB(hidden_layer_sizes=(2,), activation="logistic",
                      solver="lbfgs", random_state=0)
clf.fit(x.reshape(-1, 1), y)
print(f"MLPClassifierNB(activation='logistic'): training accuracy "
      f"{clf.score(x.reshape(-1, 1), y):.2f}")
