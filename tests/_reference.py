"""Slow, obviously-correct NumPy references for skmlp's kernels.

Everything here works in float64 on whole arrays, with one formula per line and
no in-place tricks, so that each function can be checked by reading it against
the textbook (or scikit-learn's ``neural_network/_base.py`` and
``_stochastic_optimizers.py``). Activation codes are skmlp's
(``skmlp._network.ACTIVATION_CODES``).
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import erf

IDENTITY, LOGISTIC, TANH, RELU, SOFTMAX, EXP, LEAKY_RELU, ELU, GELU, SILU = range(10)
LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


# ----------------------------------------------------------------- activations
def activation(Z, code):
    """The activation ``code`` applied to the pre-activations ``Z`` (a new array)."""
    Z = np.asarray(Z, dtype=np.float64)
    if code == IDENTITY:
        return Z.copy()
    if code == LOGISTIC:
        return 1.0 / (1.0 + np.exp(-Z))
    if code == TANH:
        return np.tanh(Z)
    if code == RELU:
        return np.maximum(Z, 0.0)
    if code == SOFTMAX:
        shifted = Z - Z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        return e / e.sum(axis=1, keepdims=True)
    if code == EXP:
        return np.exp(Z)
    if code == LEAKY_RELU:
        return np.where(Z > 0, Z, LEAKY_SLOPE * Z)
    if code == ELU:
        return np.where(Z > 0, Z, ELU_ALPHA * (np.exp(Z) - 1.0))
    if code == GELU:
        return 0.5 * Z * (1.0 + erf(Z / np.sqrt(2.0)))
    if code == SILU:
        return Z / (1.0 + np.exp(-Z))
    raise ValueError(code)


def activation_derivative(Z, code):
    """d activation / d pre-activation at the pre-activation ``Z`` (textbook forms)."""
    Z = np.asarray(Z, dtype=np.float64)
    if code == IDENTITY:
        return np.ones_like(Z)
    if code == LOGISTIC:
        s = 1.0 / (1.0 + np.exp(-Z))
        return s * (1.0 - s)
    if code == TANH:
        return 1.0 - np.tanh(Z) ** 2
    if code == RELU:
        return (Z > 0).astype(np.float64)
    if code == LEAKY_RELU:
        return np.where(Z > 0, 1.0, LEAKY_SLOPE)
    if code == ELU:
        return np.where(Z > 0, 1.0, ELU_ALPHA * np.exp(Z))
    if code == GELU:
        cdf = 0.5 * (1.0 + erf(Z / np.sqrt(2.0)))
        pdf = np.exp(-0.5 * Z**2) / np.sqrt(2.0 * np.pi)
        return cdf + Z * pdf
    if code == SILU:
        s = 1.0 / (1.0 + np.exp(-Z))
        return s * (1.0 + Z * (1.0 - s))
    raise ValueError(code)


# ----------------------------------------------------------------- parameters
def pack(coefs, intercepts):
    """scikit-learn's ``_pack``: coefficient matrices row-major, then intercepts."""
    return np.concatenate([np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts])


def unpack(theta, units):
    """Inverse of :func:`pack` for layer sizes ``units`` (copies, float64)."""
    theta = np.asarray(theta, dtype=np.float64)
    coefs, intercepts = [], []
    pos = 0
    for n_in, n_out in zip(units[:-1], units[1:]):
        coefs.append(theta[pos : pos + n_in * n_out].reshape(n_in, n_out).copy())
        pos += n_in * n_out
    for n_out in units[1:]:
        intercepts.append(theta[pos : pos + n_out].copy())
        pos += n_out
    assert pos == theta.shape[0]
    return coefs, intercepts


def n_coef(units):
    """Number of coefficient entries (the ones the L2 penalty applies to)."""
    return int(sum(a * b for a, b in zip(units[:-1], units[1:])))


def random_theta(units, rng, scale=0.5):
    n = n_coef(units) + int(sum(units[1:]))
    return rng.uniform(-scale, scale, n)


# --------------------------------------------------------------------- forward
def _dense(X):
    if sp.issparse(X):
        return X.toarray().astype(np.float64)
    return np.asarray(X, dtype=np.float64)


def forward(X, theta, units, acts, masks=None):
    """Activations of every layer, input layer first, in float64.

    ``masks[l]`` (optional, one per non-input layer, None for no dropout) is
    multiplied into layer ``l + 1``'s activations before the next layer: the
    returned activations are the dropped ones, which is what the next layer and
    the gradient see.
    """
    coefs, intercepts = unpack(theta, units)
    activations = [_dense(X)]
    for i, (W, b, code) in enumerate(zip(coefs, intercepts, acts)):
        Z = activations[-1] @ W + b
        A = activation(Z, code)
        if masks is not None and masks[i] is not None:
            A = A * masks[i]
        activations.append(A)
    return activations


# ------------------------------------------------------------------------ loss
def loss_matrix(P, Y, out_code, eps):
    """Per-sample, per-output loss of predictions ``P`` for targets ``Y``.

    softmax: cross-entropy; logistic: binary cross-entropy (both with the
    predictions clipped to ``[eps, 1 - eps]`` as scikit-learn does); identity:
    half the squared error; exp: half the Poisson deviance
    ``y log(y / p) - y + p`` (with ``0 log 0 = 0``).
    """
    P = np.asarray(P, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if out_code == IDENTITY:
        return 0.5 * (Y - P) ** 2
    if out_code == EXP:
        ylogy = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0) / P), 0.0)
        return ylogy - Y + P
    Pc = np.clip(P, eps, 1.0 - eps)
    if out_code == SOFTMAX:
        return np.where(Y != 0, -Y * np.log(Pc), 0.0)
    if out_code == LOGISTIC:
        pos = np.where(Y != 0, -Y * np.log(Pc), 0.0)
        neg = np.where(Y != 1, -(1.0 - Y) * np.log(1.0 - Pc), 0.0)
        return pos + neg
    raise ValueError(out_code)


def weighted_loss_sum(P, Y, sw, out_code, eps):
    """``sum_i sw_i * sum_j loss_ij``: the kernel's ``output_delta`` return value."""
    per_row = loss_matrix(P, Y, out_code, eps).sum(axis=1)
    return float(np.sum(np.asarray(sw, dtype=np.float64) * per_row))


def output_delta(P, Y, sw, norm):
    """Derivative of the weighted loss w.r.t. the output pre-activation.

    For the canonical pairs (softmax/CE, logistic/BCE, identity/squared error,
    exp/Poisson) it is ``P - Y``, times the sample weight and ``norm``.
    """
    P = np.asarray(P, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    return (P - Y) * np.asarray(sw, dtype=np.float64)[:, None] * norm


def robust_loss_matrix(P, Y, name, par):
    """Per-sample, per-output loss of the identity-output regression losses.

    ``name``: 'absolute_error' ``|y - p|``; 'huber' ``0.5 r^2`` for ``|r| <=
    delta`` else ``delta (|r| - delta / 2)`` with ``delta = par[0]``;
    'quantile' the pinball loss ``max(tau (y - p), (tau - 1) (y - p))`` with
    ``tau = par[j]`` for output ``j`` (scikit-learn's mean_pinball_loss).
    """
    P = np.asarray(P, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    R = Y - P
    if name == "absolute_error":
        return np.abs(R)
    if name == "huber":
        delta = par[0]
        return np.where(np.abs(R) <= delta, 0.5 * R**2, delta * (np.abs(R) - 0.5 * delta))
    if name == "quantile":
        tau = np.asarray(par, dtype=np.float64)[None, :]
        return np.maximum(tau * R, (tau - 1.0) * R)
    raise ValueError(name)


def robust_output_delta(P, Y, sw, norm, name, par):
    """The (sub)gradient of the weighted loss w.r.t. the (identity) output.

    With ``r = p - y``: absolute error ``sign(r)`` (0 at the kink); huber
    ``clip(r, -delta, delta)``; quantile ``1{y < p} - tau`` (``-tau`` at the
    kink, as HistGradientBoosting's pinball loss).
    """
    P = np.asarray(P, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    R = P - Y
    if name == "absolute_error":
        G = np.sign(R)
    elif name == "huber":
        G = np.clip(R, -par[0], par[0])
    elif name == "quantile":
        G = (Y < P).astype(np.float64) - np.asarray(par, dtype=np.float64)[None, :]
    else:
        raise ValueError(name)
    return G * np.asarray(sw, dtype=np.float64)[:, None] * norm


def robust_loss_gradient(theta, X, Y, sw, units, acts, alpha, name, par):
    """``(objective, gradient)`` of a robust loss, as :func:`loss_gradient`."""
    sw = np.asarray(sw, dtype=np.float64)
    norm = 1.0 / sw.sum()
    activations = forward(X, theta, units, acts)
    P = activations[-1]
    D_out = robust_output_delta(P, Y, sw, norm, name, par)
    grad, _ = backward(activations, D_out, theta, units, acts)
    k = n_coef(units)
    W = np.asarray(theta, dtype=np.float64)[:k]
    grad[:k] += alpha * norm * W
    data = float(np.sum(sw * robust_loss_matrix(P, Y, name, par).sum(axis=1)))
    return (data + 0.5 * alpha * np.dot(W, W)) * norm, grad


def objective(theta, X, Y, sw, units, acts, alpha, eps):
    """Full-batch objective ``(sum_i w_i loss_i + 0.5 alpha ||W||^2) / sum(w)``.

    This is what ``skmlp._epoch.loss_gradient`` minimises with ``H_OUT_SCALE = 1``.
    """
    sw = np.asarray(sw, dtype=np.float64)
    P = forward(X, theta, units, acts)[-1]
    data = weighted_loss_sum(P, Y, sw, acts[-1], eps)
    W = np.asarray(theta, dtype=np.float64)[: n_coef(units)]
    return (data + 0.5 * alpha * np.dot(W, W)) / sw.sum()


# -------------------------------------------------------------------- backward
def backward(activations, D_out, theta, units, acts, masks=None):
    """Gradient (packed like theta, no L2 term) from the output delta ``D_out``.

    ``activations`` and ``masks`` as :func:`forward` gives and takes them.
    Returns ``(grad, deltas)`` where ``deltas[l]`` is the delta of layer ``l + 1``.
    """
    coefs, intercepts = unpack(theta, units)
    n_layers = len(units) - 1
    deltas = [None] * n_layers
    deltas[-1] = np.asarray(D_out, dtype=np.float64)
    for layer in range(n_layers - 1, 0, -1):
        back = deltas[layer] @ coefs[layer].T
        if masks is not None and masks[layer - 1] is not None:
            back = back * masks[layer - 1]
        Z = activations[layer - 1] @ coefs[layer - 1] + intercepts[layer - 1]
        deltas[layer - 1] = back * activation_derivative(Z, acts[layer - 1])
    coef_grads = [activations[layer].T @ deltas[layer] for layer in range(n_layers)]
    intercept_grads = [deltas[layer].sum(axis=0) for layer in range(n_layers)]
    return pack(coef_grads, intercept_grads), deltas


def loss_gradient(theta, X, Y, sw, units, acts, alpha, eps):
    """``(objective, gradient)`` as in :func:`objective`, by back-propagation."""
    sw = np.asarray(sw, dtype=np.float64)
    norm = 1.0 / sw.sum()
    activations = forward(X, theta, units, acts)
    D_out = output_delta(activations[-1], Y, sw, norm)
    grad, _ = backward(activations, D_out, theta, units, acts)
    k = n_coef(units)
    grad[:k] += alpha * norm * np.asarray(theta, dtype=np.float64)[:k]
    return objective(theta, X, Y, sw, units, acts, alpha, eps), grad


# ------------------------------------------------------------------ optimizers
def l2_gradient(grad, theta, n_coef_, reg):
    """Add the L2 term ``reg * theta`` to the coefficient part of ``grad``."""
    full = np.asarray(grad, dtype=np.float64).copy()
    full[:n_coef_] += reg * np.asarray(theta, dtype=np.float64)[:n_coef_]
    return full


def sgd_step(theta, grad, velocity, lr, momentum, nesterov):
    """scikit-learn's ``SGDOptimizer._get_updates`` + ``update_params``.

    ``grad`` already contains the L2 term. Returns ``(theta, velocity)``, new arrays.
    """
    update = momentum * velocity - lr * grad
    new_velocity = update
    if nesterov:
        update = momentum * new_velocity - lr * grad
    return theta + update, new_velocity


def adam_step(theta, grad, m, v, t, learning_rate_init, beta_1, beta_2, epsilon):
    """scikit-learn's ``AdamOptimizer._get_updates`` for step ``t`` (1-based).

    ``grad`` already contains the L2 term. Returns ``(theta, m, v)``, new arrays.
    """
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    lr = adam_learning_rate(t, learning_rate_init, beta_1, beta_2)
    return theta - lr * m / (np.sqrt(v) + epsilon), m, v


def decay_coefficients(theta, k, lr, weight_decay):
    """Decoupled weight decay (PyTorch's ``AdamW``, before the step): the first
    ``k`` entries (the coefficients) times ``1 - lr * weight_decay``; a new array."""
    theta = np.array(theta, dtype=np.float64)
    theta[:k] *= 1.0 - lr * weight_decay
    return theta


def clip_by_norm(grad, max_norm):
    """PyTorch's ``clip_grad_norm_`` on one flat gradient: ``(grad, clipped)``,
    the gradient scaled to L2 norm ``max_norm`` when it is longer, and whether it was."""
    norm = np.sqrt(np.sum(np.asarray(grad, dtype=np.float64) ** 2))
    if norm > max_norm:
        return grad * (max_norm / norm), True
    return grad, False


def adam_learning_rate(t, learning_rate_init, beta_1, beta_2):
    """Adam's bias-corrected step size at step ``t``."""
    return learning_rate_init * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)


_EPS64 = np.finfo(np.float64).eps


def train_epoch(X, Y, sw, order, batch_size, theta, units, acts, *, solver, alpha,
                lr, momentum=0.9, nesterov=True, beta_1=0.9, beta_2=0.999,
                epsilon=1e-8, state=None, eps=_EPS64,
                out_scale=1.0, weight_decay=0.0, max_grad_norm=None):
    """One epoch of minibatch training as scikit-learn's ``_fit_stochastic`` does it.

    For each batch of ``order``: back-propagate the weighted loss normalised by
    the batch's weight sum, add ``alpha / sum(w) * W`` to the coefficient
    gradient, take one optimizer step. A batch whose weights sum to zero carries
    no gradient and is skipped. With ``max_grad_norm`` the gradient (L2 term
    included) is clipped to that norm (``state["clipped"]`` counts the batches
    it shortened); with ``weight_decay`` the coefficients are decayed before the
    step (:func:`decay_coefficients`). ``state`` holds the optimizer's moments and Adam's
    step counter between epochs (pass ``None`` to start fresh).

    Returns ``(theta, loss_sum, state)`` where ``loss_sum`` is the sum over batches
    of ``batch_loss * batch_rows``.
    """
    theta = np.asarray(theta, dtype=np.float64).copy()
    sw = np.asarray(sw, dtype=np.float64)
    k = n_coef(units)
    if state is None:
        zeros = np.zeros_like(theta)
        state = {"velocity": zeros, "m": zeros, "v": zeros, "t": 0, "clipped": 0}
    state = dict(state)
    total = 0.0
    for start in range(0, len(order), batch_size):
        rows = np.asarray(order[start : start + batch_size])
        w = sw[rows]
        if w.sum() == 0:
            continue
        norm = 1.0 / w.sum()
        activations = forward(_dense(X)[rows], theta, units, acts)
        grad, _ = backward(activations, output_delta(activations[-1], Y[rows], w, norm),
                           theta, units, acts)
        full = l2_gradient(grad, theta, k, alpha * norm)
        batch_loss = (weighted_loss_sum(activations[-1], Y[rows], w, acts[-1], eps)
                      * norm * out_scale + 0.5 * alpha * np.dot(theta[:k], theta[:k]) * norm)
        total += batch_loss * len(rows)
        if max_grad_norm is not None:
            full, clipped = clip_by_norm(full, max_grad_norm)
            state["clipped"] = state.get("clipped", 0) + clipped
        if weight_decay:
            theta = decay_coefficients(theta, k, lr, weight_decay)
        if solver == "adam":
            state["t"] += 1
            theta, state["m"], state["v"] = adam_step(theta, full, state["m"], state["v"],
                                                      state["t"], lr, beta_1, beta_2,
                                                      epsilon)
        else:
            theta, state["velocity"] = sgd_step(theta, full, state["velocity"], lr,
                                                momentum, nesterov)
    return theta, total, state


# ---------------------------------------------------------- batch normalisation
BN_EPS = 1e-5


def split_bn(theta, units, bn):
    """``(gammas, betas, means, variances)`` per hidden layer (None where off).

    Theta after the intercepts: every batch-normalised layer's scales and
    shifts, then every one's running means and variances.
    """
    hidden = [int(u) for u in units[1:-1]]
    pos = n_coef(units) + int(sum(units[1:]))
    trained, running = [], []
    for u, f in zip(hidden, bn):
        trained.append((theta[pos : pos + u], theta[pos + u : pos + 2 * u]) if f else None)
        pos += 2 * u if f else 0
    for u, f in zip(hidden, bn):
        running.append((theta[pos : pos + u], theta[pos + u : pos + 2 * u]) if f else None)
        pos += 2 * u if f else 0
    return trained, running


def bn_forward(X, theta, units, acts, bn, train, masks=None):
    """:func:`forward` with batch normalisation before the hidden activations.

    Returns ``(activations, cache)``; ``cache[l]`` is ``(Z, mean, var)`` of a
    batch-normalised layer ``l`` (Z = the affine product with its intercept),
    with the batch's statistics when ``train``, the running ones otherwise.
    """
    theta = np.asarray(theta, dtype=np.float64)
    n_plain = n_coef(units) + int(sum(units[1:]))
    coefs, intercepts = unpack(theta[:n_plain], units)
    trained, running = split_bn(theta, units, bn)
    activations = [_dense(X)]
    cache = []
    for i, (W, b, code) in enumerate(zip(coefs, intercepts, acts)):
        Z = activations[-1] @ W + b
        entry = None
        if i < len(bn) and bn[i]:
            gamma, beta = trained[i]
            if train:
                mean, var = Z.mean(axis=0), Z.var(axis=0)
            else:
                mean, var = running[i]
            entry = (Z, mean, var)
            Z = gamma * (Z - mean) / np.sqrt(var + BN_EPS) + beta
        cache.append(entry)
        A = activation(Z, code)
        if masks is not None and masks[i] is not None:
            A = A * masks[i]
        activations.append(A)
    return activations, cache


def bn_backward(activations, cache, D_out, theta, units, acts, bn, masks=None):
    """Gradient of the trained parameters (coefficients, intercepts, scales,
    shifts; zeros for the running statistics) in training mode.

    Written out term by term (derivatives through the variance and the mean
    of the batch), not in the kernel's compact form.
    """
    theta = np.asarray(theta, dtype=np.float64)
    coefs, intercepts = unpack(theta[: n_coef(units) + int(sum(units[1:]))], units)
    trained, _ = split_bn(theta, units, bn)
    n_layers = len(units) - 1
    d_gamma, d_beta = [None] * n_layers, [None] * n_layers
    deltas = [None] * n_layers
    delta = np.asarray(D_out, dtype=np.float64)  # by the layer's pre-activation
    for layer in range(n_layers - 1, -1, -1):
        if cache[layer] is not None:
            Z, mean, var = cache[layer]
            gamma, _ = trained[layer]
            m = Z.shape[0]
            xhat = (Z - mean) / np.sqrt(var + EPS_BN)
            d_gamma[layer] = (delta * xhat).sum(axis=0)
            d_beta[layer] = delta.sum(axis=0)
            dxhat = delta * gamma
            dvar = (dxhat * (Z - mean) * -0.5 * (var + EPS_BN) ** -1.5).sum(axis=0)
            dmean = (-dxhat / np.sqrt(var + EPS_BN)).sum(axis=0) + dvar * (
                -2.0 * (Z - mean)).mean(axis=0)
            delta = dxhat / np.sqrt(var + EPS_BN) + dvar * 2.0 * (Z - mean) / m + dmean / m
        deltas[layer] = delta
        if layer > 0:
            back = delta @ coefs[layer].T
            if masks is not None and masks[layer - 1] is not None:
                back = back * masks[layer - 1]
            if cache[layer - 1] is not None:
                Zp, mp, vp = cache[layer - 1]
                g, be = trained[layer - 1]
                pre = g * (Zp - mp) / np.sqrt(vp + EPS_BN) + be
            else:
                pre = activations[layer - 1] @ coefs[layer - 1] + intercepts[layer - 1]
            delta = back * activation_derivative(pre, acts[layer - 1])
    coef_grads = [activations[layer].T @ deltas[layer] for layer in range(n_layers)]
    intercept_grads = [deltas[layer].sum(axis=0) for layer in range(n_layers)]
    grad = list(pack(coef_grads, intercept_grads))
    for f, dg, db in zip(bn, d_gamma, d_beta):
        if f:
            grad += list(dg) + list(db)
    n_running = 2 * sum(int(u) for u, f in zip(units[1:-1], bn) if f)
    return np.asarray(grad + [0.0] * n_running), deltas


EPS_BN = BN_EPS


def random_bn_theta(units, bn, rng, scale=0.5):
    """Random weights, scales near 1, shifts, running means and positive variances."""
    theta = list(random_theta(units, rng, scale))
    hidden = [int(u) for u in units[1:-1]]
    for u, f in zip(hidden, bn):
        if f:
            theta += list(rng.uniform(0.5, 1.5, u)) + list(rng.uniform(-0.5, 0.5, u))
    for u, f in zip(hidden, bn):
        if f:
            theta += list(rng.uniform(-0.5, 0.5, u)) + list(rng.uniform(0.5, 2.0, u))
    return np.asarray(theta)
