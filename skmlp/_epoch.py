"""Compiled entry points: one call trains an epoch or evaluates the full loss.

Python calls these once per epoch (stochastic solvers) or once per function
evaluation (L-BFGS); every per-batch operation happens inside.

Argument groups are tuples so that signatures stay short and every call site
passes the same types (one compiled specialisation per dtype):

- ``data = (X, sp_data, sp_indices, sp_indptr, Y, sw)``: dense X (or an empty
  placeholder when X is sparse), the CSR arrays (empty when X is dense), the
  targets as a 2-D float array and the sample weights. The Python layer passes
  them as read-only views, so read-only input (joblib memmaps) needs no second
  compilation.
- ``net = (units, acts)``: see :mod:`skmlp._kernels`.
- ``work = (Xb, A, D, G, Gtmp)``: workspaces allocated once per fit.
- ``hyper``: float64 array of scalars, indexed by the ``H_*`` constants below.
"""

import math

import numpy as np

from ._jit import jit
from ._kernels import backward, forward, layer_offsets, output_delta
from ._optim import (
    ADAM,
    HP_BETA_1,
    HP_BETA_2,
    HP_EPSILON,
    HP_LR,
    HP_MOMENTUM,
    HP_ONE_MINUS_BETA_1,
    HP_ONE_MINUS_BETA_2,
    HP_REG,
    HP_TINY,
    N_HP,
    adam_step,
    sgd_step,
)

EVALUATE = -1  # opt_code of train_epoch: forward pass and loss only

H_LR = 0
H_MOMENTUM = 1
H_NESTEROV = 2
H_BETA_1 = 3
H_BETA_2 = 4
H_EPSILON = 5
H_ALPHA = 6
H_OUT_SCALE = 7
H_CLIP_EPS = 8
H_TINY = 9
N_HYPER = 10


@jit
def train_epoch(data, order, batch_size, net, theta, hyper, opt_code, moments, step,
                work):
    """Run one epoch of minibatch training, in place.

    Parameters
    ----------
    data, net, work, hyper : tuples and array
        See the module docstring.
    order : ndarray of shape (n_train,), int64
        Sample indices in the order this epoch visits them.
    batch_size : int
        Rows per minibatch; the last batch holds the remainder.
    theta : ndarray of shape (n_params,)
        Packed parameters, updated in place.
    opt_code : int
        ``_optim.SGD`` or ``_optim.ADAM``; or ``EVALUATE`` to only run the
        forward pass and the loss (no update), which lets the driver check a
        fit's final weights without compiling another entry point.
    moments : ndarray of shape (2, n_params)
        SGD velocity in row 0; Adam's first and second moments in rows 0 and 1.
    step : ndarray of shape (1,), int64
        Adam's update counter, advanced in place.

    Returns
    -------
    loss_sum : float
        Sum over batches of ``batch_loss * batch_rows`` (scikit-learn's
        accumulation; the caller divides by ``n_train``).
    """
    X, sp_data, sp_indices, sp_indptr, Y, sw = data
    units, acts = net
    Xb, A, D, G, Gtmp = work
    cap = A.shape[0] // max(1, _sum_units(units))
    off = layer_offsets(units, cap)
    n_coef = off[1, 0]
    out_code = acts[acts.shape[0] - 1]
    lr = hyper[H_LR]
    alpha = hyper[H_ALPHA]
    out_scale = hyper[H_OUT_SCALE]
    clip_eps = hyper[H_CLIP_EPS]
    tiny = hyper[H_TINY]
    beta_1 = hyper[H_BETA_1]
    beta_2 = hyper[H_BETA_2]
    # Step scalars in theta's dtype, allocated once per epoch (see _optim).
    hp = np.zeros(N_HP, dtype=theta.dtype)
    hp[HP_MOMENTUM] = hyper[H_MOMENTUM]
    hp[HP_BETA_1] = beta_1
    hp[HP_ONE_MINUS_BETA_1] = 1.0 - beta_1
    hp[HP_BETA_2] = beta_2
    hp[HP_ONE_MINUS_BETA_2] = 1.0 - beta_2
    hp[HP_EPSILON] = hyper[H_EPSILON]
    hp[HP_TINY] = tiny
    nesterov = hyper[H_NESTEROV] != 0.0
    n = order.shape[0]
    total = 0.0
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        rows = order[start:stop]
        sw_sum = 0.0
        for i in range(rows.shape[0]):
            sw_sum += sw[rows[i]]
        if sw_sum == 0.0:
            # A batch of zero-weight samples carries no gradient (and would
            # divide by zero): it contributes nothing, as if it were absent.
            continue
        P = forward(X, sp_data, sp_indices, sp_indptr, rows, units, acts, theta, off,
                    Xb, A, tiny)
        k = P.shape[1]
        lo = off[2, acts.shape[0] - 1]
        Dout = D[lo : lo + rows.shape[0] * k].reshape((rows.shape[0], k))
        loss = output_delta(P, Y, sw, rows, 1.0 / sw_sum, out_code, clip_eps, Dout)
        if opt_code == EVALUATE:
            total += loss / sw_sum * out_scale * rows.shape[0]
            continue
        backward(sp_data, sp_indices, sp_indptr, rows, units, acts, theta, off, Xb, A,
                 D, G, False, Gtmp, tiny)
        hp[HP_REG] = alpha / sw_sum
        if opt_code == ADAM:
            step[0] += 1
            t = step[0]
            hp[HP_LR] = lr * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
            sq = adam_step(theta, G, moments[0], moments[1], n_coef, hp)
        else:
            hp[HP_LR] = lr
            sq = sgd_step(theta, G, moments[0], n_coef, hp, nesterov)
        batch_loss = loss / sw_sum * out_scale + 0.5 * alpha * sq / sw_sum
        total += batch_loss * rows.shape[0]
    return total


@jit
def loss_gradient(data, net, theta, hyper, work, chunk):
    """Full-data loss and gradient (for L-BFGS), in chunks of ``chunk`` rows.

    The gradient is written to ``work``'s ``G``; the loss is returned. Both
    include the L2 term ``0.5 * alpha * ||W||^2 / sum(sw)``, and the loss is
    ``hyper[H_OUT_SCALE]`` times the data term, so that with scale 1 the pair is
    exactly consistent (what a line search needs).
    """
    X, sp_data, sp_indices, sp_indptr, Y, sw = data
    units, acts = net
    Xb, A, D, G, Gtmp = work
    off = layer_offsets(units, chunk)
    n_coef = off[1, 0]
    out_code = acts[acts.shape[0] - 1]
    alpha = hyper[H_ALPHA]
    tiny = hyper[H_TINY]
    n = Y.shape[0]
    sw_sum = 0.0
    for i in range(n):
        sw_sum += sw[i]
    norm = 1.0 / sw_sum
    order = np.arange(n)
    total = 0.0
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        rows = order[start:stop]
        P = forward(X, sp_data, sp_indices, sp_indptr, rows, units, acts, theta, off,
                    Xb, A, tiny)
        k = P.shape[1]
        lo = off[2, acts.shape[0] - 1]
        Dout = D[lo : lo + rows.shape[0] * k].reshape((rows.shape[0], k))
        total += output_delta(P, Y, sw, rows, norm, out_code, hyper[H_CLIP_EPS], Dout)
        backward(sp_data, sp_indices, sp_indptr, rows, units, acts, theta, off, Xb, A,
                 D, G, start > 0, Gtmp, tiny)
    sq = 0.0
    reg = alpha * norm
    for p in range(n_coef):
        t = theta[p]
        sq += t * t
        G[p] += reg * t
    return total * norm * hyper[H_OUT_SCALE] + 0.5 * alpha * sq * norm


@jit
def predict_rows(data, rows, net, theta, tiny, Xb, A, out):
    """Output-layer activations for ``X[rows]`` into ``out``, in chunks.

    The chunk size is the number of rows ``A`` has room for.
    """
    X, sp_data, sp_indices, sp_indptr = data
    units, acts = net
    cap = A.shape[0] // max(1, _sum_units(units))
    off = layer_offsets(units, cap)
    n = rows.shape[0]
    for start in range(0, n, cap):
        stop = min(start + cap, n)
        P = forward(X, sp_data, sp_indices, sp_indptr, rows[start:stop], units, acts,
                    theta, off, Xb, A, tiny)
        out[start:stop, :] = P


@jit
def _sum_units(units):
    s = 0
    for i in range(1, units.shape[0]):
        s += units[i]
    return s
