"""The network description: activation names, layer sizes, initial weights, packing.

Everything here is plain Python and NumPy on small per-layer lists; the kernels
see the result as two int64 arrays (``units``, ``acts``) and one flat parameter
vector ``theta`` laid out as scikit-learn's ``_pack`` does (every coefficient
matrix row-major, then every intercept vector).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from ._data import Net
from ._specs import ACTIVATIONS, LOSSES, names

# Names a user may give, and the output activations the estimators choose.
ACTIVATION_CODES = {name: a.code for name, a in ACTIVATIONS.items()}
SKLEARN_ACTIVATIONS = names(ACTIVATIONS, hidden=True, sklearn=True)
HIDDEN_ACTIVATIONS = names(ACTIVATIONS, hidden=True)
# The loss each output activation pairs with when no loss is named.
CANONICAL_LOSS = {s.output: name for name, s in LOSSES.items() if s.canonical}
WEIGHT_INITS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                "truncated_normal")


def hidden_sizes(estimator):
    """``hidden_layer_sizes`` as a list of positive ints, or InvalidParameterError."""
    sizes = estimator.hidden_layer_sizes
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if any(isinstance(s, bool) or not isinstance(s, Integral) or s <= 0 for s in sizes):
        raise InvalidParameterError(
            "The 'hidden_layer_sizes' parameter of "
            f"{type(estimator).__name__} must be a positive integer or a "
            f"sequence of positive integers. Got {estimator.hidden_layer_sizes!r} "
            "instead."
        )
    return [int(s) for s in sizes]


def _per_layer(estimator, name, value, n_hidden):
    """A scalar repeated per hidden layer, or a list checked for its length."""
    if isinstance(value, (list, tuple)):
        if len(value) != n_hidden:
            raise ValueError(
                f"{name} has {len(value)} entries but the network has {n_hidden} "
                f"hidden layer(s) (hidden_layer_sizes={estimator.hidden_layer_sizes!r}):"
                f" give one {name} per hidden layer, or a single value for all."
            )
        return list(value)
    return [value] * n_hidden


def hidden_activations(estimator, n_hidden):
    """One activation name per hidden layer (``activation`` may be a list)."""
    acts = _per_layer(estimator, "activation", estimator.activation, n_hidden)
    bad = [a for a in acts if not isinstance(a, str) or a not in HIDDEN_ACTIVATIONS]
    if bad:
        raise InvalidParameterError(
            f"The 'activation' parameter of {type(estimator).__name__} must be one "
            f"of {HIDDEN_ACTIVATIONS} or a list of them, one per hidden layer. "
            f"Got {bad[0]!r} instead."
        )
    return acts


def dropout_rates(estimator, n_hidden):
    """One dropout rate per hidden layer, each in [0, 1)."""
    rates = _per_layer(estimator, "dropout", estimator.dropout, n_hidden)
    for r in rates:
        if isinstance(r, bool) or not isinstance(r, Real) or not 0.0 <= r < 1.0:
            raise InvalidParameterError(
                f"The 'dropout' parameter of {type(estimator).__name__} must be a "
                "float in [0, 1) or a list of them, one per hidden layer. Got "
                f"{estimator.dropout!r} instead."
            )
    return [float(r) for r in rates]


def uses_dropout(dropout):
    """Whether ``dropout`` (a rate, or one per hidden layer) drops anything.

    Lenient (no validation): prediction asks it of the current parameter to
    pick the same engine as training (see ``net_arrays``'s ``extended``).
    """
    try:
        rates = np.ravel(np.asarray(dropout, dtype=float))
    except (TypeError, ValueError):  # not numbers: fit will say so; nothing drops
        return False
    return bool(np.any(rates > 0))


def batch_norm_flags(estimator, n_hidden):
    """One bool per hidden layer from ``batch_norm`` (a bool or one per layer)."""
    flags = _per_layer(estimator, "batch_norm", estimator.batch_norm, n_hidden)
    for f in flags:
        if not isinstance(f, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The 'batch_norm' parameter of {type(estimator).__name__} must be "
                "a bool or a list of bools, one per hidden layer. Got "
                f"{estimator.batch_norm!r} instead."
            )
    return [bool(f) for f in flags]


# Batch normalisation's constants: PyTorch's eps and momentum (the weight of
# each training batch in the running statistics; Keras's 0.99 is 1 - 0.1).
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
BN_ATTRIBUTES = ("batch_norm_scales_", "batch_norm_offsets_", "running_means_",
                 "running_vars_")


def net_arrays(units, hidden_acts, out_activation, rates=None, loss=None,
               loss_par=(), bn=None, extended=False):
    """The kernels' :class:`~skmlp._data.Net` for these layers.

    ``loss`` names a row of ``_specs.LOSSES`` (default: the output
    activation's canonical loss); ``loss_par`` are its parameters. ``bn``:
    one flag per hidden layer, True where it is batch-normalised.
    ``extended``: compile the extended engine even when the layers and the
    loss are core (the estimator asks for it for weight decay, clipping and
    dropout, also for prediction); an activation or loss outside the core rows,
    or a dropout rate above 0, always does.
    """
    layers = [ACTIVATIONS[a] for a in hidden_acts] + [ACTIVATIONS[out_activation]]
    rates = [0.0] * len(hidden_acts) if rates is None else rates
    keep = [1.0 - r for r in rates] + [1.0]
    loss = CANONICAL_LOSS[out_activation] if loss is None else loss
    extended = (extended or not LOSSES[loss].canonical
                or not all(a.core for a in layers) or any(r > 0.0 for r in rates))
    return Net(np.asarray(units, dtype=np.int64),
               np.asarray([a.code for a in layers], dtype=np.int64),
               np.asarray(keep, dtype=np.float64),
               np.asarray([int(a.preactivation) for a in layers], dtype=np.int64),
               LOSSES[loss].code, np.asarray(loss_par, dtype=np.float64),
               # None without batch normalisation: a type of its own, so the
               # default engine compiles none of its code (_batch_norm.maybe_normalise).
               np.asarray([int(f) for f in bn] + [0], dtype=np.int64)
               if bn is not None and any(bn) else None,
               np.asarray([BN_EPS, BN_MOMENTUM], dtype=np.float64),
               # None for the core engine: a type of its own, as bn's.
               True if extended else None)


def fitted_units(coefs):
    """Layer sizes, input first, of fitted coefficient matrices."""
    return [coefs[0].shape[0]] + [c.shape[1] for c in coefs]


def initial_weights(method, random_state, layer_units, hidden_acts, dtype):
    """Draw initial ``(coefs, intercepts)`` with initialiser ``method``.

    ``"glorot_uniform"`` is scikit-learn's: Glorot uniform for coefficients and
    intercepts, drawn in its order (coefficients then intercepts, layer by
    layer) from the same stream, so that with the same seed skmlp and
    scikit-learn start from the same weights. Its bound is
    ``sqrt(factor / (fan_in + fan_out))`` with factor 2 for logistic layers and
    6 otherwise; scikit-learn applies the hidden activation's factor to every
    layer, output included, and so does skmlp with one activation. With one
    activation per layer, each layer's weights take the factor of the layer
    they feed (the output layer: of the last hidden layer).

    The other initialisers draw coefficients and set intercepts to zero, as
    Keras and PyTorch users expect: ``"glorot_normal"`` (std
    ``sqrt(2 / (fan_in + fan_out))``), ``"he_uniform"`` (bound
    ``sqrt(6 / fan_in)``), ``"he_normal"`` (std ``sqrt(2 / fan_in)``) and
    ``"truncated_normal"`` (std ``2 / sqrt(fan_in)``, redrawn beyond two
    standard deviations: the tutorial skmlp grew from).
    """
    n_layers = len(layer_units) - 1
    feeds = (list(hidden_acts) + list(hidden_acts[-1:]))[:n_layers] or ["identity"]
    coefs, intercepts = [], []
    for i, (fan_in, fan_out) in enumerate(zip(layer_units[:-1], layer_units[1:])):
        rs = random_state
        if method == "glorot_uniform":
            act = hidden_acts[0] if len(set(hidden_acts)) == 1 else feeds[i]
            bound = np.sqrt(ACTIVATIONS[act].glorot_factor / (fan_in + fan_out))
            coefs.append(rs.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(rs.uniform(-bound, bound, fan_out))
            continue
        shape = (fan_in, fan_out)
        if method == "glorot_normal":
            W = rs.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), shape)
        elif method == "he_uniform":
            bound = np.sqrt(6.0 / fan_in)
            W = rs.uniform(-bound, bound, shape)
        elif method == "he_normal":
            W = rs.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        else:  # truncated_normal
            W = _truncated_normal(rs, 2.0 / np.sqrt(fan_in), shape)
        coefs.append(W)
        intercepts.append(np.zeros(fan_out))
    return ([c.astype(dtype, copy=False) for c in coefs],
            [b.astype(dtype, copy=False) for b in intercepts])


def _truncated_normal(random_state, std, shape):
    """Normal draws with the ones beyond two standard deviations drawn again."""
    W = random_state.standard_normal(shape)
    bad = np.abs(W) > 2.0
    while bad.any():
        W[bad] = random_state.standard_normal(int(bad.sum()))
        bad = np.abs(W) > 2.0
    return W * std


def bn_order(bn):
    """The batch-normalisation arrays in theta's order, from
    ``(scales, offsets, means, vars)`` (lists with None for plain layers):
    every layer's scales and offsets, then every layer's means and variances.
    """
    if bn is None:
        return []
    scales, offsets, means, variances = bn
    trained = [a for s, o in zip(scales, offsets) if s is not None for a in (s, o)]
    running = [a for m, v in zip(means, variances) if m is not None for a in (m, v)]
    return trained + running


def pack(coefs, intercepts, dtype, bn=None):
    """One new C-contiguous vector holding every coefficient, then every intercept.

    Batch-normalised models append their scales, shifts and running
    statistics (see :func:`bn_order`).
    """
    return np.concatenate(
        [np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
        + [np.ravel(a) for a in bn_order(bn)]
    ).astype(dtype, copy=False)


def unpack_bn(theta, units, flags):
    """``(scales, offsets, means, vars)``: views of ``theta``, None for plain layers."""
    hidden = [int(u) for u in units[1:-1]]
    start = int(sum(units[i] * units[i + 1] for i in range(len(units) - 1))
                + sum(units[1:]))
    n_bn = sum(u for u, f in zip(hidden, flags) if f)
    lists = ([], [], [], [])
    g, r = start, start + 2 * n_bn
    for u, f in zip(hidden, flags):
        if not f:
            for lst in lists:
                lst.append(None)
            continue
        for lst, pos in zip(lists, (g, g + u, r, r + u)):
            lst.append(theta[pos : pos + u])
        g += 2 * u
        r += 2 * u
    return lists


def initial_bn(hidden, flags, dtype):
    """Fresh batch normalisation: scales 1, shifts 0, running mean 0 and variance 1."""
    def per_layer(value):
        return [np.full(u, value, dtype=dtype) if f else None
                for u, f in zip(hidden, flags)]
    return per_layer(1.0), per_layer(0.0), per_layer(0.0), per_layer(1.0)


def packed_base(coefs, intercepts, extra=()):
    """The packed vector the fitted arrays are views of, or None.

    True after a fit (``coefs_`` and ``intercepts_`` are views of the vector the
    fit trained) when nothing was replaced by hand; the vector must be writable
    and laid out as :func:`pack` lays it out. ``extra``: the batch
    normalisation arrays in :func:`bn_order`.
    """
    base = coefs[0].base
    if (not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous
            or not base.flags.writeable or base.dtype != coefs[0].dtype):
        return None
    start = base.__array_interface__["data"][0]
    size = base.dtype.itemsize
    pos = 0
    for a in (*coefs, *intercepts, *extra):
        if (a.base is not base or not a.flags.c_contiguous
                or a.__array_interface__["data"][0] != start + pos * size):
            return None
        pos += a.size
    return base if pos == base.shape[0] else None


def unpack(theta, units):
    """``(coefs, intercepts)``: views of ``theta`` for layer sizes ``units``."""
    coefs, intercepts = [], []
    w = 0
    b = int(sum(units[i] * units[i + 1] for i in range(len(units) - 1)))
    for n_in, n_out in zip(units[:-1], units[1:]):
        coefs.append(theta[w : w + n_in * n_out].reshape(n_in, n_out))
        intercepts.append(theta[b : b + n_out])
        w += n_in * n_out
        b += n_out
    return coefs, intercepts


def check_fitted_weights(coefs, intercepts, n_features_in, n_outputs):
    """Refuse fitted arrays that do not form a network (hand-edited weights).

    The kernels trust these sizes, so arrays replaced by hand (transfer learning,
    surgery) are checked for consistency before any kernel runs.
    """
    ok = (
        len(coefs) >= 1
        and len(coefs) == len(intercepts)
        and all(np.ndim(c) == 2 for c in coefs)
        and all(np.ndim(b) == 1 for b in intercepts)
        and all(coefs[i].shape[1] == coefs[i + 1].shape[0] for i in range(len(coefs) - 1))
        and all(b.shape[0] == c.shape[1] for c, b in zip(coefs, intercepts))
        and (n_features_in is None or coefs[0].shape[0] == n_features_in)
        and coefs[-1].shape[1] == n_outputs
    )
    if not ok:
        raise ValueError(
            "The fitted coefs_ and intercepts_ do not form a network: coefs_ "
            f"shapes {[np.shape(c) for c in coefs]}, intercepts_ shapes "
            f"{[np.shape(b) for b in intercepts]}, n_features_in_="
            f"{n_features_in}, n_outputs_={n_outputs}. Each coefs_[i] must "
            "be (units[i], units[i+1]) and intercepts_[i] (units[i+1],)."
        )


def check_same_structure(fitted, layer_units):
    """Warm starts and partial_fit continue the same network or raise."""
    if list(fitted) != list(layer_units):
        raise ValueError(
            "warm_start and partial_fit need the same network shape as the "
            f"previous fit: layer sizes were {list(fitted)}, now {list(layer_units)}. "
            "Set warm_start=False (or refit) to train a new network."
        )
