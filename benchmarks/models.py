"""The three contestants, configured to do exactly the same training.

Every fit uses a fixed number of epochs: ``max_iter=E``, ``tol=0`` and
``n_iter_no_change`` larger than ``E`` (no early stop), ``shuffle=True``, the
same batch size, learning rate, L2 penalty, seed and initial-weight
distribution (Glorot uniform).
"""

import numpy as np

import skmlp
from sklearn.neural_network import MLPClassifier


def mlp_params(hidden, solver, batch_size, epochs, lr=None, alpha=1e-4, seed=0):
    """Keyword arguments shared by ``MLPClassifier`` and ``MLPClassifierNB``."""
    if lr is None:
        lr = 1e-3 if solver == "adam" else 1e-2
    return dict(
        hidden_layer_sizes=tuple(hidden),
        activation="relu",
        solver=solver,
        alpha=alpha,
        batch_size=batch_size,
        learning_rate="constant",
        learning_rate_init=lr,
        max_iter=epochs,
        shuffle=True,
        random_state=seed,
        tol=0.0,
        n_iter_no_change=epochs + 10,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    )


def make_estimator(lib, params):
    """An unfitted classifier of ``lib`` (``"skmlp"`` or ``"sklearn"``)."""
    if lib == "skmlp":
        return skmlp.MLPClassifierNB(**params)
    if lib == "sklearn":
        return MLPClassifier(**params)
    raise ValueError(f"unknown library {lib!r}")


def torch_available():
    """True when PyTorch can be imported (it is optional, never a dependency)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def fit_fn(lib, params, X, y):
    """A zero-argument callable that trains a fresh model and returns it."""
    if lib == "torch":
        from . import torch_mlp

        return lambda: torch_mlp.fit(X, y, params)
    return lambda: make_estimator(lib, params).fit(X, y)


def predict_proba_fn(lib, model, X):
    """A zero-argument callable returning class probabilities for ``X``."""
    if lib == "torch":
        from . import torch_mlp

        return lambda: torch_mlp.predict_proba(model, X)
    return lambda: model.predict_proba(X)


def accuracy(lib, model, X, y):
    """Test accuracy of a fitted model."""
    if lib == "torch":
        from . import torch_mlp

        proba = torch_mlp.predict_proba(model, X)
        return float(np.mean(model.classes_[proba.argmax(axis=1)] == y))
    return float(model.score(X, y))
