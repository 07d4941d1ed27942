"""The contestants, doing the same training from the same weights; a peer left out is never
imported."""

import importlib
import importlib.util
import json
import os

import numpy as np

# The contestants, the fit cases, the profiles and the cases --case accepts (its "about").
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.json")) as _f:
    SETTINGS = json.load(_f)
LIBS = SETTINGS["libs"]
CORE_LIBS, ALL_LIBS = ["skmlp", "sklearn"], list(LIBS)
LIB_NAMES = {lib: d["name"] for lib, d in LIBS.items()}


def select_libs(requested=None, disabled=()):
    """``(libs, notes)``: the libraries to run, skmlp first, and why each other is not."""
    requested = list(ALL_LIBS if requested is None else requested)
    unknown = set(requested) - set(ALL_LIBS)
    if unknown:
        raise SystemExit("unknown library(ies) %s; choose among %s" % (
            ", ".join(sorted(unknown)), ", ".join(ALL_LIBS)))
    libs, notes = [], {}
    for lib in ALL_LIBS:
        needs, install = LIBS[lib].get("needs", []), LIBS[lib].get("install")
        missing = [m for m in needs if importlib.util.find_spec(m) is None]  # no import
        off = [m for m in needs if m in disabled]
        if lib != "skmlp" and lib not in requested:
            notes[lib] = "not requested"
        elif off:
            notes[lib] = "left out (--no-%s)" % off[0]
        elif missing:
            notes[lib] = "not installed (missing %s; %s)" % (", ".join(missing), install)
        else:
            libs.append(lib)
    return libs, notes


def mlp_params(hidden, solver, batch_size, epochs, lr=None, alpha=1e-4, seed=0, momentum=0.9):
    """Keyword arguments of ``MLPClassifier`` and ``MLPClassifierNB``; the peers read them."""
    return dict(
        hidden_layer_sizes=tuple(hidden), activation="relu", solver=solver, alpha=alpha,
        batch_size=batch_size, learning_rate="constant",
        learning_rate_init=lr or (1e-3 if solver == "adam" else 1e-2), max_iter=epochs,
        shuffle=True, random_state=seed, tol=0.0, n_iter_no_change=epochs + 10,
        momentum=momentum, nesterovs_momentum=momentum > 0, early_stopping=False,
        beta_1=0.9, beta_2=0.999, epsilon=1e-8)


def glorot_weights(units, seed, dtype=np.float64):
    """Initial ``[(W, b), ...]`` as scikit-learn draws them for ReLU."""
    rng = np.random.RandomState(seed)
    layers = []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_in, fan_out))
        layers.append((W.astype(dtype), rng.uniform(-bound, bound, fan_out).astype(dtype)))
    return layers


def make_estimator(lib, params):
    if lib == "skmlp":
        from skmlp import MLPClassifierNB as Estimator
    else:
        from sklearn.neural_network import MLPClassifier as Estimator
    return Estimator(**params)


def peer_module(lib):
    return importlib.import_module("benchmarks." + LIBS[lib]["module"])


def fit_fn(lib, params, X, y):
    if lib in CORE_LIBS:
        return lambda: make_estimator(lib, params).fit(X, y)
    return lambda: getattr(peer_module(lib), "fit_" + lib)(X, y, params)


def warmup_fn(lib, params, X, y, n_rows):
    """One untimed epoch on ``n_rows`` rows; for JAX (compiled per shape) on all rows."""
    rows = slice(None) if lib.startswith("jax") else slice(n_rows)
    return fit_fn(lib, dict(params, max_iter=1), X[rows], y[rows])


def predict_proba_fn(lib, model, X):
    if lib in CORE_LIBS:
        return lambda: model.predict_proba(X)
    return lambda: peer_module(lib).predict_proba(model, X)
