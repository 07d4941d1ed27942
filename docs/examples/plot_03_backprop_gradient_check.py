"""
Back-propagation, checked against finite differences
====================================================

Training an MLP needs the gradient of the loss with respect to every weight
and bias. *Back-propagation* computes all of them in one backward sweep: the
output layer's error :math:`\\delta_L` is passed down through the transposed
weight matrices, multiplied at each layer by the activation's derivative,
and each layer's weight gradient is its input times the error arriving at it.

Here we write the forward pass and back-propagation in a few lines of NumPy,
run them on the weights of a network trained by skmlp, and check:

1. that the NumPy forward pass gives skmlp's reported loss ``loss_``;
2. that back-propagation agrees with a numerical gradient from central finite
   differences, one parameter at a time.
"""

# %%
# A small network trained by skmlp
# --------------------------------
# Three classes, two tanh hidden layers, L2 penalty ``alpha``. We stop L-BFGS
# after 15 iterations on purpose: at a converged solution the gradient is
# close to zero and a comparison of gradients would say little, so the
# ConvergenceWarning this causes is silenced.
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from skmlp import MLPClassifierNB

X, y = make_classification(n_samples=150, n_features=5, n_informative=4,
                           n_redundant=0, n_classes=3, random_state=0)
clf = MLPClassifierNB(hidden_layer_sizes=(8, 6), activation="tanh",
                      solver="lbfgs", alpha=1e-2, max_iter=15, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X, y)
print("layer shapes:", [W.shape for W in clf.coefs_], " output:", clf.out_activation_)

# %%
# Forward pass and loss in NumPy
# ------------------------------
# Hidden layers apply tanh, the output layer softmax. The loss is the mean
# cross-entropy plus the L2 penalty :math:`\frac{\alpha}{2n}\sum\|W\|^2` on the
# weight matrices (not the biases), as scikit-learn defines it.
Y = (y[:, None] == clf.classes_).astype(float)  # one-hot targets
n = X.shape[0]


def forward(coefs, intercepts):
    activations = [X]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = activations[-1] @ W + b
        if i < len(coefs) - 1:
            activations.append(np.tanh(z))
        else:
            z = z - z.max(axis=1, keepdims=True)  # softmax, overflow-safe
            e = np.exp(z)
            activations.append(e / e.sum(axis=1, keepdims=True))
    return activations


def loss(coefs, intercepts):
    P = forward(coefs, intercepts)[-1]
    cross_entropy = -np.sum(Y * np.log(P)) / n
    penalty = clf.alpha / (2 * n) * sum(np.sum(W * W) for W in coefs)
    return cross_entropy + penalty


coefs = [W.copy() for W in clf.coefs_]
intercepts = [b.copy() for b in clf.intercepts_]
print(f"NumPy loss {loss(coefs, intercepts):.12f}\nskmlp loss_ {clf.loss_:.12f}")

# %%
# Back-propagation in NumPy
# -------------------------
# With softmax and cross-entropy the output error is simply
# :math:`\delta_L = (P - Y)/n`. Going down, :math:`\delta_{l-1} = \delta_l
# W_l^\top \odot f'(z_{l-1})`, and tanh's derivative is written from the
# layer's output: :math:`1 - a^2`.


def backprop(coefs, intercepts):
    activations = forward(coefs, intercepts)
    delta = (activations[-1] - Y) / n
    grad_W, grad_b = [None] * len(coefs), [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        grad_W[i] = activations[i].T @ delta + clf.alpha / n * coefs[i]
        grad_b[i] = delta.sum(axis=0)
        if i > 0:
            delta = (delta @ coefs[i].T) * (1 - activations[i] ** 2)
    return grad_W, grad_b


grad_W, grad_b = backprop(coefs, intercepts)

# %%
# The numerical gradient
# ----------------------
# Nudge each of the network's parameters by :math:`\pm h` and difference the
# loss: :math:`\partial L / \partial \theta \approx (L(\theta + h) -
# L(\theta - h)) / 2h`, with an error of order :math:`h^2`. Two loss
# evaluations per parameter: fine for this network's 123 parameters, hopeless
# for the 266,610 of the 784-300-100-10 MNIST network, which back-propagation
# handles in one backward sweep.
h = 1e-6
analytic, numeric = [], []
for params, grads in ((coefs, grad_W), (intercepts, grad_b)):
    for p, g in zip(params, grads):
        for idx in np.ndindex(p.shape):
            saved = p[idx]
            p[idx] = saved + h
            up = loss(coefs, intercepts)
            p[idx] = saved - h
            down = loss(coefs, intercepts)
            p[idx] = saved
            numeric.append((up - down) / (2 * h))
            analytic.append(g[idx])
analytic, numeric = np.array(analytic), np.array(numeric)
rel = np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)
print(f"{analytic.size} parameters; largest gradient entry "
      f"{np.max(np.abs(analytic)):.3e}")
print(f"relative difference |analytic - numeric| / |analytic + numeric| = {rel:.1e}")

# %%
# A relative difference around :math:`10^{-8}` or below means the two agree to
# the precision finite differences allow. Mistakes show at once: dropping the
# penalty term from ``grad_W`` gives about :math:`4 \cdot 10^{-3}` here, and
# using :math:`1 - a` instead of :math:`1 - a^2` for tanh's derivative about 1.
# skmlp's compiled kernels are tested the same way for every activation and
# loss (``tests/test_gradients.py``).
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.scatter(numeric, analytic, s=10)
lim = np.max(np.abs(analytic)) * 1.1
ax.plot([-lim, lim], [-lim, lim], color="0.6", lw=0.8)
ax.set_xlabel("finite-difference gradient")
ax.set_ylabel("back-propagation gradient")
ax.set_title("one point per parameter")
fig.tight_layout()
