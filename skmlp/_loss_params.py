"""The regression losses' parameters: ``huber_delta`` and the ``quantile`` level(s).

What the estimator layer does with them before the kernels see a number:
validating a sequence of levels (the declarative constraint only says
"a number in (0, 1) or an array-like"), repeating a 1-D target once per level
(a model with several levels is an ordinary multi-output problem to the
engine), and building the kernels' ``Net.loss_par`` (huber's delta; the
level of every output).
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError


def quantile_levels(est):
    """The levels of a sequence ``est.quantile`` as a float tuple; None for a number.

    Raises InvalidParameterError for anything but a non-empty 1-D sequence of
    levels in (0, 1), whatever the loss, so a bad value fails before any work.
    """
    q = est.quantile
    if isinstance(q, Real) and not isinstance(q, bool):
        return None  # a number: _parameter_constraints checked its range
    try:
        levels = np.asarray(q, dtype=np.float64)
    except (TypeError, ValueError):
        levels = None
    if (levels is None or levels.ndim != 1 or levels.size == 0
            or not np.all((levels > 0) & (levels < 1))):
        raise InvalidParameterError(
            f"The 'quantile' parameter of {type(est).__name__} must be a float "
            "in the range (0, 1) or a non-empty sequence of such floats (one "
            f"output per level). Got {q!r} instead."
        )
    return tuple(float(v) for v in levels)


def several_levels(est):
    """Whether ``est`` trains the quantile loss with a sequence of levels."""
    return est.loss == "quantile" and quantile_levels(est) is not None


def per_level(est, y, name):
    """``y`` repeated once per level (a sequence of levels), else ``y`` itself.

    Every output of a multi-level model is trained against the same target.
    A 2-D target with a sequence of levels raises a ValueError.
    """
    if not several_levels(est):
        return y
    levels = quantile_levels(est)
    if y.ndim != 1:
        raise ValueError(
            f"quantile={list(levels)} (a sequence of levels: one output per "
            f"level) needs a 1-D target, but {name} has {y.shape[1]} columns. "
            "Fit one model per column, or pass a single level (a number) for "
            "a multi-output target."
        )
    return np.repeat(y.reshape(-1, 1), len(levels), axis=1)


def scores_levels(est, y):
    """Whether ``score`` compares a 1-D ``y`` with every level's column of predict."""
    return (np.ndim(y) == 1 and several_levels(est)
            and getattr(est, "n_outputs_", None) == len(quantile_levels(est)))


def loss_parameters(est):
    """``Net.loss_par`` of a fit: huber's delta, or the level of every output."""
    if est.loss == "huber":
        return (float(est.huber_delta),)
    if est.loss == "quantile":
        levels = quantile_levels(est)
        # one number applies to every output (a multi-output target)
        return levels if levels is not None else (float(est.quantile),) * est.n_outputs_
    return ()
