"""Optimizer update kernels: SGD (with momentum or Nesterov momentum) and Adam.

Every optimizer is one step function with the same signature,
``step(theta, grad, state, lo, hi, n_coef, hyper, hp, t)``, reached through
:func:`optimizer_step` by its code (``_specs.OPTIMIZERS`` gives each its code
and the rows of ``state`` it keeps). A step reads its settings from ``hyper``
(float64, see :mod:`skmlp._hyper`) and writes the ones it uses per element into
``hp`` in theta's dtype; the engine has set ``hp[HP_REG]`` (the L2 factor of
this batch) before the call. ``t`` counts the steps taken, this one included.

Each step is one fused pass over the flat parameter vector: it adds the L2
term to the coefficient gradient, updates the optimizer's moments and the
parameters, and returns the squared norm of the coefficients it read (the
L2 penalty of the loss that was just evaluated), so no separate pass computes it.

The update formulas follow scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer``
so that training with the same initial weights gives the same loss curve.

Two settings apply to every optimizer, outside its step function:

- Decoupled weight decay (``hyper[H_WEIGHT_DECAY]``, AdamW's and SGDW's,
  Loshchilov & Hutter): :func:`decay_coefficients`, called by the engine before
  the step, multiplies the coefficients (not the intercepts) by ``1 - lr *
  weight_decay``, with the epoch's learning rate before Adam's bias correction;
  the step then uses the gradient of the weights before the decay (PyTorch's
  ``AdamW`` order). Off (0), that pass is not run at all: folding the factor
  into the update loops would let LLVM contract ``t * 1 - lr * g`` into a
  different fused multiply-add than ``t - lr * g`` (measured: 10% of plain
  SGD's updates changed in the last bit), so the default would no longer be
  bitwise what it was.
- Gradient clipping (``hyper[H_MAX_GRAD_NORM]``): the engine sums
  :func:`gradient_sq_norm` over the threads' shares and calls
  :func:`clip_gradient` before the step.

Both are compiled only into the extended engine (``_data.Net.ext``): a default
fit compiles neither.

Speed notes (measured on the MNIST network, 266k parameters per step):
- The loops are branch-free so LLVM vectorises them; the coefficient and
  intercept segments are separate calls instead of a test per element.
- Scalars arrive in ``hp``, an array of the parameters' dtype filled once per
  batch by the caller: float64 scalars would promote float32 arithmetic to
  float64 and halve the vector width.
- Moments below ``tiny`` (the dtype's smallest normal number) are flushed to
  zero: the first moment of a weight whose gradient stays zero decays by
  ``beta_1`` per step and would turn subnormal within a few epochs in float32,
  and subnormal arithmetic is many times slower.
"""

import math

import numpy as np

from ._hyper import (
    H_BETA_1,
    H_BETA_2,
    H_EPSILON,
    H_LR,
    H_MOMENTUM,
    H_NESTEROV,
    H_TINY,
    H_WEIGHT_DECAY,
)
from ._jit import jit, jit_inline
from ._specs import ADAM, SGD

# Slots of the per-step scalar array ``hp`` (dtype of theta).
HP_REG = 0
HP_LR = 1
HP_MOMENTUM = 2
HP_BETA_1 = 3
HP_ONE_MINUS_BETA_1 = 4
HP_BETA_2 = 5
HP_ONE_MINUS_BETA_2 = 6
HP_EPSILON = 7
HP_TINY = 8
HP_ZERO = 9
HP_DECAY = 10  # 1 - lr * weight_decay
N_HP = 11


@jit
def _sgd_segment(theta, grad, velocity, reg, lr, momentum, nesterov):
    sq = 0.0
    if momentum == 0.0:
        # Plain SGD: the velocity would only ever be multiplied by zero, so it
        # is neither read nor written (it stays zero): two of the five passes
        # over parameter-sized memory per step are saved, which is what bounds
        # a large network's step at small batches.
        for p in range(theta.shape[0]):
            t = theta[p]
            g = grad[p] + reg * t
            sq += t * t
            theta[p] = t - lr * g
    elif nesterov:
        for p in range(theta.shape[0]):
            t = theta[p]
            g = grad[p] + reg * t
            sq += t * t
            v = momentum * velocity[p] - lr * g
            velocity[p] = v
            theta[p] = t + (momentum * v - lr * g)
    else:
        for p in range(theta.shape[0]):
            t = theta[p]
            g = grad[p] + reg * t
            sq += t * t
            v = momentum * velocity[p] - lr * g
            velocity[p] = v
            theta[p] = t + v
    return sq


@jit
def reduce_gradients(grads, lo, hi):
    """``grads[0, lo:hi] += grads[t, lo:hi]`` for every later row ``t``, in order.

    The rows are the gradients of the parts of a batch that several threads
    computed; adding them in a fixed order keeps the sum bitwise reproducible.
    """
    for t in range(1, grads.shape[0]):
        for p in range(lo, hi):
            grads[0, p] += grads[t, p]


@jit_inline
def sgd_step(theta, grad, state, lo, hi, n_coef, hyper, hp, t):
    """One SGD step on the parameters ``lo:hi``, in place.

    Parameters
    ----------
    theta, grad : ndarray of shape (n_params,)
        Parameters, and the gradient without the L2 term (summed over the parts
        of a split batch, see :func:`reduce_gradients`).
    state : ndarray of shape (1 or more, n_params)
        Row 0: the momentum velocity (left untouched when the momentum is 0).
    lo, hi : int
        The range of parameters this call updates (one thread's share).
    n_coef : int
        Number of coefficient entries at the start of ``theta``; the L2 term
        (``hp[HP_REG] = alpha / sum of the batch's sample weights``) applies to
        them and not to the intercepts after them.
    hyper : ndarray of shape (N_HYPER,)
        The fit's scalars (learning rate, momentum, Nesterov's flag).
    hp : ndarray of shape (N_HP,)
        Step scalars in theta's dtype, written here.
    t : int
        Steps taken, this one included (SGD does not use it).

    Returns
    -------
    sq_norm : float
        Sum of squares of the coefficients in ``lo:hi`` before the update.
    """
    hp[HP_LR] = hyper[H_LR]
    hp[HP_MOMENTUM] = hyper[H_MOMENTUM]
    hp[HP_ZERO] = 0.0
    nesterov = hyper[H_NESTEROV] != 0.0
    velocity = state[0]
    split = lo if n_coef < lo else (hi if n_coef > hi else n_coef)
    sq = 0.0
    # Coefficients (with the L2 term), then intercepts, through one call site.
    for seg in range(2):
        a, b = (lo, split) if seg == 0 else (split, hi)
        reg = hp[HP_REG] if seg == 0 else hp[HP_ZERO]
        s = _sgd_segment(theta[a:b], grad[a:b], velocity[a:b], reg, hp[HP_LR],
                         hp[HP_MOMENTUM], nesterov)
        if seg == 0:
            sq = s
    return sq


@jit
def _adam_segment(theta, grad, m, v, reg, lr_t, b1, c1, b2, c2, eps, tiny, zero):
    sq = 0.0
    for p in range(theta.shape[0]):
        t = theta[p]
        g = grad[p] + reg * t
        sq += t * t
        mp = b1 * m[p] + c1 * g
        vp = b2 * v[p] + c2 * (g * g)
        mp = mp if abs(mp) >= tiny else zero
        vp = vp if vp >= tiny else zero
        m[p] = mp
        v[p] = vp
        theta[p] = t - lr_t * mp / (math.sqrt(vp) + eps)
    return sq


@jit_inline
def adam_step(theta, grad, state, lo, hi, n_coef, hyper, hp, t):
    """One Adam step on the parameters ``lo:hi``, in place.

    ``state`` rows 0 and 1 are the first and second moments; the learning rate
    is bias-corrected for step ``t``. See :func:`sgd_step` for the rest.
    """
    beta_1 = hyper[H_BETA_1]
    beta_2 = hyper[H_BETA_2]
    hp[HP_LR] = hyper[H_LR] * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
    hp[HP_BETA_1] = beta_1
    hp[HP_ONE_MINUS_BETA_1] = 1.0 - beta_1
    hp[HP_BETA_2] = beta_2
    hp[HP_ONE_MINUS_BETA_2] = 1.0 - beta_2
    hp[HP_EPSILON] = hyper[H_EPSILON]
    hp[HP_TINY] = hyper[H_TINY]
    hp[HP_ZERO] = 0.0
    m = state[0]
    v = state[1]
    split = lo if n_coef < lo else (hi if n_coef > hi else n_coef)
    sq = 0.0
    # Coefficients (with the L2 term), then intercepts, through one call site.
    for seg in range(2):
        a, b = (lo, split) if seg == 0 else (split, hi)
        reg = hp[HP_REG] if seg == 0 else hp[HP_ZERO]
        s = _adam_segment(theta[a:b], grad[a:b], m[a:b], v[a:b], reg,
                          hp[HP_LR], hp[HP_BETA_1], hp[HP_ONE_MINUS_BETA_1],
                          hp[HP_BETA_2], hp[HP_ONE_MINUS_BETA_2], hp[HP_EPSILON],
                          hp[HP_TINY], hp[HP_ZERO])
        if seg == 0:
            sq = s
    return sq


@jit
def _decay_segment(theta, grad, reg, decay):
    """``grad += reg * theta`` (the L2 term), then ``theta *= decay``; returns the
    squared norm of theta before the decay."""
    sq = 0.0
    for p in range(theta.shape[0]):
        t = theta[p]
        grad[p] += reg * t
        sq += t * t
        theta[p] = t * decay
    return sq


@jit
def decay_coefficients(theta, grad, lo, hi, n_coef, hyper, hp):
    """Decoupled weight decay of the coefficients in ``lo:hi``, before the step.

    Adds the L2 term to ``grad`` in place (the step then adds none:
    ``hp[HP_REG]`` is set to 0) and multiplies the coefficients by ``1 - lr *
    weight_decay``; returns their squared norm before the decay, which the
    caller reports instead of the step's.
    """
    split = lo if n_coef < lo else (hi if n_coef > hi else n_coef)
    hp[HP_DECAY] = 1.0 - hyper[H_LR] * hyper[H_WEIGHT_DECAY]
    sq = _decay_segment(theta[lo:split], grad[lo:split], hp[HP_REG], hp[HP_DECAY])
    hp[HP_REG] = 0.0
    return sq


@jit_inline
def optimizer_step(code, theta, grad, state, lo, hi, n_coef, hyper, hp, t):
    """The step of optimizer ``code`` (see :func:`sgd_step` for the arguments).

    A code without a branch here sets the parameters to NaN, so the fit
    reports divergence instead of training with another optimizer.
    """
    if code == SGD:
        return sgd_step(theta, grad, state, lo, hi, n_coef, hyper, hp, t)
    elif code == ADAM:
        return adam_step(theta, grad, state, lo, hi, n_coef, hyper, hp, t)
    for p in range(lo, hi):
        theta[p] = np.nan
    return np.nan


@jit
def gradient_sq_norm(theta, grad, reg, lo, hi, n_coef):
    """Squared L2 norm of the gradient on the parameters ``lo:hi``, in float64.

    The gradient of the objective: ``grad`` plus the L2 term ``reg * theta`` on
    the coefficients (the first ``n_coef`` entries), as the step will add it.
    """
    split = lo if n_coef < lo else (hi if n_coef > hi else n_coef)
    sq = 0.0
    for p in range(lo, split):
        g = np.float64(grad[p]) + np.float64(reg) * np.float64(theta[p])
        sq += g * g
    for p in range(split, hi):
        g = np.float64(grad[p])
        sq += g * g
    return sq


@jit
def clip_gradient(grad, hp, lo, hi, sq_norm, max_norm):
    """Scale the gradient on ``lo:hi`` (and the L2 factor ``hp[HP_REG]``) by
    ``max_norm / norm`` when the whole gradient's norm exceeds ``max_norm``.

    ``sq_norm`` is the whole gradient's squared norm (every share's). A norm at
    or below the limit, or not finite-comparable (NaN), leaves everything as it
    is, bitwise; NaN then reaches the weights and the fit reports divergence.
    """
    norm = math.sqrt(sq_norm)
    if norm > max_norm:
        factor = max_norm / norm
        for p in range(lo, hi):
            grad[p] = grad[p] * factor
        hp[HP_REG] = hp[HP_REG] * factor
