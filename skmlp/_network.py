"""The network description: activation names, layer sizes, initial weights, packing.

Everything here is plain Python and NumPy on small per-layer lists; the kernels
see the result as two int64 arrays (``units``, ``acts``) and one flat parameter
vector ``theta`` laid out as scikit-learn's ``_pack`` does (every coefficient
matrix row-major, then every intercept vector).
"""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

from ._kernels import EXP, IDENTITY, LOGISTIC, RELU, SOFTMAX, TANH

# Names a user may give, and the output activations the estimators choose.
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "softmax": SOFTMAX,
    "exp": EXP,
}
HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


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


def hidden_activations(activation, n_hidden):
    """One activation name per hidden layer."""
    return [activation] * n_hidden


def net_arrays(units, hidden_acts, out_activation):
    """``(units, acts)`` int64 arrays for the kernels."""
    acts = [ACTIVATION_CODES[a] for a in hidden_acts] + [ACTIVATION_CODES[out_activation]]
    return np.asarray(units, dtype=np.int64), np.asarray(acts, dtype=np.int64)


def fitted_units(coefs):
    """Layer sizes, input first, of fitted coefficient matrices."""
    return [coefs[0].shape[0]] + [c.shape[1] for c in coefs]


def glorot_uniform(random_state, layer_units, hidden_acts, dtype):
    """scikit-learn's initial weights: Glorot uniform, drawn in its order.

    Drawing from the same stream in the same order (coefficients then
    intercepts, layer by layer) means that with the same seed skmlp and
    scikit-learn start from the same weights. The factor is 2 for logistic
    layers and 6 otherwise, as in scikit-learn (which uses the hidden
    activation for every layer, the output layer included).
    """
    factor = 2.0 if hidden_acts and hidden_acts[0] == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(random_state.uniform(-bound, bound, fan_out))
    return ([c.astype(dtype, copy=False) for c in coefs],
            [b.astype(dtype, copy=False) for b in intercepts])


def pack(coefs, intercepts, dtype):
    """One new C-contiguous vector holding every coefficient, then every intercept."""
    return np.concatenate(
        [np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
    ).astype(dtype, copy=False)


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
