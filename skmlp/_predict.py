"""The predict path: prepared weights, a cheap check for plain input, the engine call.

A small ``predict_proba`` request costs more in Python than in arithmetic:
scikit-learn's input validation alone takes about 150 us, and packing the
weights and building the network arrays and workspace layout another 50 us.
Here, a plain C-contiguous array of the model's dtype with the right number of
finite features is checked with a few attribute reads; anything else
(including every input that must raise) goes through ``validate_data`` and gets
scikit-learn's errors and warnings. The packed weights, network arrays and
layout are prepared once per fitted state.
"""

import math
import warnings
import weakref

import numpy as np
from sklearn.utils.validation import validate_data

from . import _data, _network
from ._compile_notice import compile_notice, net_features
from ._epoch import predict_rows, run_epoch

# Prepared state per estimator, outside the estimator's __dict__ (predict must
# leave it unchanged, and it must not be pickled): estimator -> (the fitted
# arrays it was built from, activation setting, theta, net, layout for 1 row).
_PREPARED = weakref.WeakKeyDictionary()


def prepared(est):
    """``(theta, net, unit_layout)`` for predicting with the fitted weights.

    When ``coefs_`` and ``intercepts_`` are views of one packed vector (after
    fit, and after loading), that vector is the engine's theta: nothing is
    copied and in-place edits of the fitted arrays are seen. The entry is
    reused while the same array objects and activation setting stay in place.
    Arrays set by hand are packed into a copy on every call instead (never
    cached: the copy would miss later in-place edits).
    """
    coefs, intercepts = est.coefs_, est.intercepts_
    acts = (est.activation if isinstance(est.activation, str)
            else tuple(est.activation), est.out_activation_)
    extra = tuple(_network.bn_order(est._fitted_bn()))
    arrays = (*coefs, *intercepts, *extra)
    try:
        entry = _PREPARED.get(est)
    except TypeError:  # an unhashable subclass (one that defines __eq__ only)
        entry = None
        cacheable = False
    else:
        cacheable = True
    if (entry is not None and entry[1] == acts and len(entry[0]) == len(arrays)
            and all(a is b for a, b in zip(entry[0], arrays))):
        return entry[2:]
    net = est._net()
    unit_layout = _data.layout(net, 1)
    theta = _network.packed_base(coefs, intercepts, extra)
    if theta is None:
        return est._pack(coefs[0].dtype), net, unit_layout
    if not cacheable:
        return theta, net, unit_layout
    _PREPARED[est] = (arrays, acts, theta, net, unit_layout)
    return theta, net, unit_layout


def plain_input(est, X, dtype):
    """Whether X may skip ``validate_data``: what it would accept without a change."""
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype == dtype
        and X.flags.c_contiguous
        and X.shape[0] > 0
        and X.shape[1] == est.n_features_in_
        and not hasattr(est, "feature_names_in_")
        and math.isfinite(X.sum())  # NaN/inf (or overflow): the full check's error
    )


def raw_outputs(Xdata, net, theta, rows, unit_layout=None):
    """Output activations for ``X[rows]`` from the kernel's view of X."""
    out = np.empty((rows.shape[0], int(net.units[-1])), dtype=theta.dtype)
    # theta stays writable (the fit's vector, or a fresh packed copy): the one
    # compiled engine is specialised for a writable theta.
    with compile_notice(run_epoch, theta.dtype,
                        features=net_features(net, Xdata[3] is not None)):
        predict_rows(Xdata, _data.readonly(rows), net, theta, out,
                     unit_layout=unit_layout)
    return out


def output_dtype(X_dtype, model_dtype):
    """The dtype scikit-learn's MLP returns: that of ``X @ coefs_[0]``.

    float32 only when neither X nor the weights need more (float32 or smaller
    input on a float32 model); float64 otherwise, including integer input on a
    float32 model.
    """
    dtype = np.result_type(X_dtype, model_dtype)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def forward_pass(est, X, check_input=True, prepare=prepared):
    """Output-layer activations for X (validated unless ``check_input``).

    ``prepare(est)`` gives ``(theta, net, unit_layout)``: :func:`prepared`
    (the whole network) by default; ``transform`` passes the network cut
    after its last hidden layer (``skmlp._transform``), so both share this
    validation and the one compiled engine.
    """
    theta, net, unit_layout = prepare(est)
    plain = check_input and plain_input(est, X, theta.dtype)
    if check_input and not plain:
        # "numeric" (as scikit-learn's predict) refuses strings; the kernel
        # view below converts to the dtype of the result.
        X = validate_data(est, X, accept_sparse=["csr", "csc"], reset=False)
    if not plain and getattr(X, "dtype", theta.dtype) != theta.dtype:
        # A float32 model given float64 input: scikit-learn's product upcasts
        # the weights, and so does this (the float64 engine, compiled once).
        # Plain input has the model's dtype already: nothing to decide there.
        dtype = output_dtype(X.dtype, theta.dtype)
        if dtype != theta.dtype:
            theta = theta.astype(dtype)
    if len(X.shape) != 2 or X.shape[1] != net.units[0]:
        # Even unchecked input (check_input=False) never reaches the kernel
        # with a width it would read past.
        raise ValueError(f"X has shape {X.shape}, but the network takes "
                         f"{int(net.units[0])} features.")
    n = X.shape[0]
    rows = np.arange(n, dtype=np.int64)
    out = raw_outputs(_data.kernel_X(X, theta.dtype), net, theta, rows, unit_layout)
    if not math.isfinite(out.sum()):
        bad = ~np.isfinite(out).all(axis=1)
        warnings.warn(
            f"{type(est).__name__} produced non-finite outputs (nan or inf) "
            f"for {int(bad.sum())} of {n} samples: their features are far "
            "outside the range the model can represent. Scale the inputs "
            "as in training (for example with StandardScaler).",
            RuntimeWarning,
            stacklevel=3,
        )
    return out
