"""JAX peers: a ``jax.jit`` step per batch, or an epoch in one ``lax.scan`` (``jax_scan``);
compiled steps are cached, so the warm-up fit compiles and the timed fits only run."""

import functools
import os
import types

os.environ.setdefault("JAX_PLATFORMS", "cpu")  # no accelerator probing

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402

from .models import glorot_weights  # noqa: E402

jax.config.update("jax_enable_x64", True)
OPTIMIZER_KEYS = ("solver", "learning_rate_init", "beta_1", "beta_2", "epsilon", "momentum",
                  "nesterovs_momentum", "alpha")


def _forward(params, h):
    for W, b in params[:-1]:
        h = jax.nn.relu(h @ W + b)
    return h @ params[-1][0] + params[-1][1]


@functools.lru_cache(maxsize=None)
def _compiled(solver, lr, beta_1, beta_2, epsilon, momentum, nesterov, alpha):
    """``(optimizer, step, epoch_scan)`` for one optimizer configuration, compiled once."""
    opt = optax.adam(lr, b1=beta_1, b2=beta_2, eps=epsilon) if solver == "adam" else \
        optax.sgd(lr, momentum=momentum or None, nesterov=bool(nesterov))

    def loss(p, X, y):  # scikit-learn's: mean cross-entropy + alpha / (2 rows) * sum W^2
        ce = optax.softmax_cross_entropy_with_integer_labels(_forward(p, X), y).mean()
        return ce + (0.5 * alpha / X.shape[0]) * sum(jnp.sum(W * W) for W, _ in p)

    def update(p, state, X, y, idx):
        grads = jax.grad(loss)(p, X[idx], y[idx])
        updates, state = opt.update(grads, state, p)
        return optax.apply_updates(p, updates), state

    def step(p, state, X, y, perm, start, size):
        return update(p, state, X, y, lax.dynamic_slice(perm, (start,), (size,)))

    def epoch_scan(p, state, X, y, batches):
        def body(carry, idx):
            return update(*carry, X, y, idx), None

        (p, state), _ = lax.scan(body, (p, state), batches)
        return p, state

    return (opt, jax.jit(step, static_argnames=("size",), donate_argnums=(0, 1)),
            jax.jit(epoch_scan, donate_argnums=(0, 1)))


def fit_jax(X, y, params, scan=False):
    """Train with scikit-learn's keyword arguments; return once every buffer is computed."""
    classes, y_idx = np.unique(y, return_inverse=True)
    units = [X.shape[1], *params["hidden_layer_sizes"], len(classes)]
    seed = int(params["random_state"])
    opt, step, epoch_scan = _compiled(*(params[k] for k in OPTIMIZER_KEYS))
    p = [(jnp.asarray(W), jnp.asarray(b)) for W, b in glorot_weights(units, seed, X.dtype)]
    state = opt.init(p)
    Xd, yd, n = jnp.asarray(X), jnp.asarray(y_idx.astype(np.int32)), X.shape[0]
    batch = min(int(params["batch_size"]), n)
    n_full, rest = divmod(n, batch)
    rng = np.random.RandomState(seed)
    for _ in range(int(params["max_iter"])):
        perm = (rng.permutation(n) if params["shuffle"] else np.arange(n)).astype(np.int32)
        perm_d = jnp.asarray(perm) if rest or not scan else None
        if scan:
            p, state = epoch_scan(p, state, Xd, yd,
                                  jnp.asarray(perm[:n_full * batch].reshape(n_full, batch)))
        else:
            for start in range(0, n_full * batch, batch):
                p, state = step(p, state, Xd, yd, perm_d, start, size=batch)
        if rest:
            p, state = step(p, state, Xd, yd, perm_d, n_full * batch, size=rest)
    jax.block_until_ready(p)
    return types.SimpleNamespace(params=p, classes_=classes)


fit_jax_scan = functools.partial(fit_jax, scan=True)


@jax.jit
def _proba(params, X):
    return jax.nn.softmax(_forward(params, X), axis=1)


def predict_proba(model, X):
    return np.asarray(_proba(model.params, jnp.asarray(X)))
