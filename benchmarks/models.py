"""The contestants, configured to do exactly the same training.

Every fit uses a fixed number of epochs: ``max_iter=E``, ``tol=0`` and
``n_iter_no_change`` larger than ``E`` (no early stop), ``shuffle=True``, the
same batch size, learning rate, L2 penalty, seed and initial weights (Glorot
uniform drawn from ``RandomState(seed)`` in scikit-learn's order).

Libraries are named by short keys:

- ``skmlp`` and ``sklearn``: always present;
- ``torch``: a plain PyTorch loop (:mod:`benchmarks.torch_mlp`);
- ``skorch``: ``skorch.NeuralNetClassifier`` over the same PyTorch module
  (:mod:`benchmarks.skorch_mlp`);
- ``jax``: a ``jax.jit`` training step with optax (:mod:`benchmarks.jax_mlp`);
- ``jax_scan``: the same step, the whole epoch in one ``lax.scan``.

The optional peers are found with :func:`importlib.util.find_spec`, which does
not import them: a peer that is left out is never imported.
"""

import importlib.util

import numpy as np

CORE_LIBS = ["skmlp", "sklearn"]
PEER_LIBS = ["torch", "skorch", "jax", "jax_scan"]
ALL_LIBS = CORE_LIBS + PEER_LIBS
LIB_NAMES = {"skmlp": "skmlp", "sklearn": "scikit-learn", "torch": "PyTorch",
             "skorch": "skorch", "jax": "JAX (jit step)", "jax_scan": "JAX (lax.scan)"}
# Python modules each peer needs, and how to install them.
PEER_REQUIRES = {
    "torch": ["torch"],
    "skorch": ["skorch", "torch"],
    "jax": ["jax", "optax"],
    "jax_scan": ["jax", "optax"],
}
PEER_INSTALL = {
    "torch": "pip install torch, a CPU build: see benchmarks/README.md",
    "skorch": "pip install --no-deps skorch tabulate tqdm, and a CPU torch",
    "jax": "pip install jax optax",
    "jax_scan": "pip install jax optax",
}


def module_available(name):
    """True when ``name`` can be imported; nothing is imported to find out."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def peer_available(lib):
    """True when every module the peer ``lib`` needs is installed."""
    return all(module_available(m) for m in PEER_REQUIRES[lib])


def select_libs(requested=None, disabled=()):
    """The libraries to run and a note for every peer left out.

    Parameters
    ----------
    requested : list of str, optional
        Libraries asked for (default: every library). ``skmlp`` is always run.
    disabled : iterable of str
        Module names the user switched off (``"torch"`` for ``--no-torch``):
        every peer needing one of them is left out.

    Returns
    -------
    libs : list of str
        In the order of :data:`ALL_LIBS`, ``skmlp`` first.
    notes : dict of str to str
        Why each peer not in ``libs`` was left out.
    """
    requested = list(ALL_LIBS if requested is None else requested)
    unknown = set(requested) - set(ALL_LIBS)
    if unknown:
        raise SystemExit("unknown library(ies) %s; choose among %s" % (
            ", ".join(sorted(unknown)), ", ".join(ALL_LIBS)))
    libs, notes = [], {}
    for lib in ALL_LIBS:
        if lib == "skmlp":
            libs.append(lib)
            continue
        if lib not in requested:
            notes[lib] = "not requested"
            continue
        if lib in CORE_LIBS:
            libs.append(lib)
            continue
        off = [m for m in PEER_REQUIRES[lib] if m in disabled]
        if off:
            notes[lib] = "left out (--no-%s)" % off[0]
        elif not peer_available(lib):
            missing = [m for m in PEER_REQUIRES[lib] if not module_available(m)]
            notes[lib] = "not installed (missing %s; %s)" % (", ".join(missing),
                                                              PEER_INSTALL[lib])
        else:
            libs.append(lib)
    return libs, notes


def mlp_params(hidden, solver, batch_size, epochs, lr=None, alpha=1e-4, seed=0,
               momentum=0.9, nesterov=True):
    """Keyword arguments shared by ``MLPClassifier`` and ``MLPClassifierNB``.

    The peers read the same dictionary (see their modules).
    """
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
        momentum=momentum,
        nesterovs_momentum=bool(nesterov and momentum > 0),
        early_stopping=False,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    )


def glorot_weights(units, seed, dtype=np.float64):
    """Initial ``[(W, b), ...]`` exactly as scikit-learn draws them for ReLU.

    ``RandomState(seed)``, then per layer ``W`` of shape ``(fan_in, fan_out)``
    and ``b``, both uniform in ``+-sqrt(6 / (fan_in + fan_out))``.
    """
    rng = np.random.RandomState(seed)
    layers = []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_in, fan_out))
        b = rng.uniform(-bound, bound, fan_out)
        layers.append((W.astype(dtype), b.astype(dtype)))
    return layers


def has_dropout():
    """True when skmlp's estimator takes a ``dropout`` parameter."""
    import skmlp

    return "dropout" in skmlp.MLPClassifierNB().get_params()


def make_estimator(lib, params):
    """An unfitted classifier of ``lib`` (``"skmlp"`` or ``"sklearn"``)."""
    if lib == "skmlp":
        import skmlp

        return skmlp.MLPClassifierNB(**params)
    if lib == "sklearn":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(**params)
    raise ValueError(f"{lib!r} is not a scikit-learn-style estimator here")


def _peer_module(lib):
    # Imported here, on first use, so that a peer left out is never imported.
    if lib == "torch":
        from . import torch_mlp as mod
    elif lib == "skorch":
        from . import skorch_mlp as mod
    elif lib in ("jax", "jax_scan"):
        from . import jax_mlp as mod
    else:
        raise ValueError(f"unknown library {lib!r}")
    return mod


def fit_fn(lib, params, X, y):
    """A zero-argument callable that trains a fresh model and returns it."""
    if lib in CORE_LIBS:
        return lambda: make_estimator(lib, params).fit(X, y)
    mod = _peer_module(lib)
    if lib == "jax_scan":
        return lambda: mod.fit(X, y, params, scan=True)
    return lambda: mod.fit(X, y, params)


def warmup_fn(lib, params, X, y, n_rows):
    """The untimed fit that precedes the timed ones: one epoch on ``n_rows`` rows.

    It compiles (or loads) what each library compiles: skmlp's Numba kernels,
    JAX's jitted steps. JAX compiles per array shape, the training set's
    included, so its warm-up is one epoch on all rows: the timed fits then
    run compiled code only, as they do for skmlp.
    """
    if lib in ("jax", "jax_scan"):
        return fit_fn(lib, dict(params, max_iter=1), X, y)
    return fit_fn(lib, dict(params, max_iter=1), X[:n_rows], y[:n_rows])


def predict_proba_fn(lib, model, X):
    """A zero-argument callable returning class probabilities for ``X``."""
    if lib in CORE_LIBS:
        return lambda: model.predict_proba(X)
    mod = _peer_module(lib)
    return lambda: mod.predict_proba(model, X)


def accuracy(lib, model, X, y):
    """Test accuracy of a fitted model."""
    proba = np.asarray(predict_proba_fn(lib, model, X)())
    return float(np.mean(model.classes_[proba.argmax(axis=1)] == y))


def final_loss(lib, model):
    """Training loss after the last epoch where the library reports it."""
    loss = getattr(model, "loss_", None)
    return None if loss is None else float(loss)


def set_peer_threads(libs, n):
    """Set the intra-op thread count of the already selected torch-based peers."""
    if any(lib in ("torch", "skorch") for lib in libs):
        from . import torch_mlp

        torch_mlp.set_threads(n)
