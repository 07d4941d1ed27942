"""The engine's scalar arguments: one float64 array, one slot per scalar.

:func:`skmlp._epoch.run_epoch` and the optimizer steps read their scalars from
this array (``hyper``), so that adding one changes no compiled signature. The
``H_*`` constants name the slots; :func:`hyper_array` is the one place that
fills them.
"""

import numpy as np

H_LR = 0  # learning rate (before Adam's bias correction)
H_MOMENTUM = 1
H_NESTEROV = 2  # 1.0 for Nesterov's momentum
H_BETA_1 = 3
H_BETA_2 = 4
H_EPSILON = 5
H_ALPHA = 6  # L2 penalty
H_OUT_SCALE = 7  # factor of the data term (1 / n_outputs where the loss averages)
H_CLIP_EPS = 8  # probability clip of the log losses (the dtype's eps)
H_TINY = 9  # smallest normal number of the dtype (subnormal flush)
H_OPTIMIZER = 10  # the optimizer's code (see _specs.OPTIMIZERS)
H_WEIGHT_DECAY = 11  # decoupled weight decay of the coefficients (0: none)
H_MAX_GRAD_NORM = 12  # clip each batch's gradient to this L2 norm (0: no clipping)
N_HYPER = 13


def hyper_array(dtype, *, learning_rate=0.0, momentum=0.9, nesterov=True, beta_1=0.9,
                beta_2=0.999, epsilon=1e-8, alpha=0.0, out_scale=1.0, optimizer=0,
                weight_decay=0.0, max_grad_norm=None):
    """The engine's ``hyper`` array: every scalar :func:`~skmlp._epoch.run_epoch` reads.

    ``dtype`` (the model's) sets the probability clip and the subnormal limit.
    ``max_grad_norm`` None (or infinity) is stored as 0, the engine's "off".
    """
    h = np.zeros(N_HYPER, dtype=np.float64)
    h[H_LR] = learning_rate
    h[H_MOMENTUM] = momentum
    h[H_NESTEROV] = float(nesterov)
    h[H_BETA_1] = beta_1
    h[H_BETA_2] = beta_2
    h[H_EPSILON] = epsilon
    h[H_ALPHA] = alpha
    h[H_OUT_SCALE] = out_scale
    h[H_CLIP_EPS] = np.finfo(dtype).eps
    h[H_TINY] = np.finfo(dtype).tiny
    h[H_OPTIMIZER] = optimizer
    h[H_WEIGHT_DECAY] = weight_decay
    clip = 0.0 if max_grad_norm is None else float(max_grad_norm)
    h[H_MAX_GRAD_NORM] = clip if clip < np.inf else 0.0
    return h
