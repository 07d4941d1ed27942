"""Optimizer update kernels: SGD (with momentum or Nesterov momentum) and Adam.

Each step is one fused pass over the flat parameter vector: it adds the L2
term to the coefficient gradient, updates the optimizer's moments and the
parameters, and returns the squared norm of the coefficients it read (the
L2 penalty of the loss that was just evaluated), so no separate pass computes it.

The update formulas follow scikit-learn's ``SGDOptimizer`` and ``AdamOptimizer``
exactly, so that training with the same initial weights gives the same loss
curve. Moments that decay below ``tiny`` (the dtype's smallest normal number)
are flushed to zero: subnormal moments slow every later pass over them.
"""

import math

from ._jit import jit

SGD = 0
ADAM = 1


@jit
def sgd_step(theta, grad, velocity, n_coef, reg, lr, momentum, nesterov):
    """One SGD step, in place.

    Parameters
    ----------
    theta, grad, velocity : ndarray of shape (n_params,)
        Parameters, gradient without the L2 term, and momentum velocity.
    n_coef : int
        Number of coefficient entries at the start of ``theta`` (the L2 term
        applies to them and not to intercepts).
    reg : float
        ``alpha / sum(sample_weight of the batch)``.
    lr, momentum : float
        Current learning rate and momentum.
    nesterov : bool
        Use Nesterov's momentum.

    Returns
    -------
    sq_norm : float
        Sum of squares of the coefficients before the update.
    """
    sq = 0.0
    for p in range(theta.shape[0]):
        t = theta[p]
        g = grad[p]
        if p < n_coef:
            sq += t * t
            g += reg * t
        v = momentum * velocity[p] - lr * g
        velocity[p] = v
        if nesterov:
            v = momentum * v - lr * g
        theta[p] = t + v
    return sq


@jit
def adam_step(theta, grad, m, v, n_coef, reg, lr_t, beta_1, beta_2, epsilon, tiny):
    """One Adam step, in place, with the bias-corrected step size ``lr_t``.

    See :func:`sgd_step` for the shared arguments; ``m`` and ``v`` are the first
    and second moment vectors. Returns the squared coefficient norm.
    """
    sq = 0.0
    c1 = 1.0 - beta_1
    c2 = 1.0 - beta_2
    for p in range(theta.shape[0]):
        t = theta[p]
        g = grad[p]
        if p < n_coef:
            sq += t * t
            g += reg * t
        mp = beta_1 * m[p] + c1 * g
        vp = beta_2 * v[p] + c2 * (g * g)
        if abs(mp) < tiny:
            mp = 0.0
        if vp < tiny:
            vp = 0.0
        m[p] = mp
        v[p] = vp
        theta[p] = t - lr_t * mp / (math.sqrt(vp) + epsilon)
    return sq
