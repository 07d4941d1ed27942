"""Conversion between skmlp's estimators and scikit-learn's MLPs.

``to_sklearn`` hands a trained network to an environment without Numba (or to
``skl2onnx``, which converts scikit-learn's MLPs); ``from_sklearn`` takes an
already-fitted scikit-learn MLP over so that it keeps training at skmlp's speed.

Both directions copy every array: the two models never share memory. The
optimizer state (Adam's moments and step count, SGD's velocity and current
learning rate) is converted as well, so a ``partial_fit`` after the conversion
takes the same step the original library would have taken.

The mapping relies on private attributes of scikit-learn (``_label_binarizer``,
``_optimizer``, ``_best_coefs``, ``_no_improvement_count``) and on skmlp's
solver state (:class:`~skmlp._solver_state.SolverState`: moments, counters,
learning rate, best weights, patience count); ``tests/test_export.py`` checks
it against the pinned scikit-learn.
"""

import copy

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network._base import ACTIVATIONS as _SKLEARN_ACTIVATIONS
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer,
    SGDOptimizer,
)
from sklearn.utils.validation import check_is_fitted

from ._epoch import new_counters
from ._network import BN_EPS, SKLEARN_ACTIVATIONS
from ._solver_state import SolverState
from ._specs import LOSSES, names

# Output activations skmlp has that the installed scikit-learn's predict knows
# ('exp', for the Poisson loss, arrived in scikit-learn 1.7).
SKLEARN_OUTPUT_ACTIVATIONS = tuple(
    a for a in ("identity", "logistic", "softmax", "exp") if a in _SKLEARN_ACTIVATIONS
)

# Fitted attributes with the same name and meaning in both libraries; copied
# when present. Which exist depends on the solver and on early stopping.
_SHARED_FITTED = (
    "n_features_in_",
    "feature_names_in_",
    "n_outputs_",
    "out_activation_",
    "n_iter_",
    "t_",
    "loss_",
    "best_loss_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
    "classes_",
    "_label_binarizer",
)


def sklearn_twin(cls):
    """scikit-learn's MLP class matching the skmlp class ``cls``."""
    return MLPClassifier if issubclass(cls, ClassifierMixin) else MLPRegressor


def exportable_activation(activation):
    """The single activation name scikit-learn's MLP can express, or raise.

    Accepts one of scikit-learn's hidden activations, or a list/tuple of
    per-hidden-layer names that are all the same such name.
    """
    if isinstance(activation, str):
        if activation in SKLEARN_ACTIVATIONS:
            return activation
        raise ValueError(
            f"Cannot export activation={activation!r} to scikit-learn: its MLP "
            f"supports only {list(SKLEARN_ACTIVATIONS)}. Train with one of "
            "those to export the model."
        )
    if isinstance(activation, (list, tuple)) and len(activation) > 0:
        for layer, name in enumerate(activation):
            if not isinstance(name, str) or name not in SKLEARN_ACTIVATIONS:
                raise ValueError(
                    f"Cannot export to scikit-learn: hidden layer {layer} uses "
                    f"activation {name!r}, which scikit-learn's MLP lacks (it "
                    f"supports {list(SKLEARN_ACTIVATIONS)})."
                )
        if len(set(activation)) > 1:
            raise ValueError(
                "Cannot export to scikit-learn: the hidden layers use different "
                f"activations {list(activation)}, and scikit-learn's MLP applies "
                "one activation to every hidden layer. Train with a single "
                "activation name to export the model."
            )
        return activation[0]
    raise ValueError(
        f"Cannot export activation={activation!r} to scikit-learn: expected one of "
        f"{list(SKLEARN_ACTIVATIONS)} or a list of such names."
    )


def _split(flat, shapes):
    """Copies of consecutive pieces of ``flat`` in the given shapes."""
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(np.array(flat[start : start + size].reshape(shape), copy=True))
        start += size
    return out


def _flat(arrays, dtype):
    return np.concatenate([np.ravel(a) for a in arrays]).astype(dtype, copy=True)


def _copy_shared(src, dst):
    for name in _SHARED_FITTED:
        if hasattr(src, name):
            setattr(dst, name, copy.deepcopy(getattr(src, name)))


def _common_params(src, dst_cls):
    """``src``'s constructor parameters that ``dst_cls`` accepts, deep-copied.

    Deep copies, as :func:`sklearn.base.clone` makes, so that the two models do
    not share a ``RandomState`` instance passed as ``random_state``.
    """
    accepted = dst_cls().get_params(deep=False)
    return {
        k: copy.deepcopy(v)
        for k, v in src.get_params(deep=False).items()
        if k in accepted
    }


def to_sklearn(est):
    """See :meth:`SklearnExportMixin.to_sklearn`."""
    check_is_fitted(est)
    activation = exportable_activation(est.activation)
    if est.out_activation_ not in SKLEARN_OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"Cannot export the output activation {est.out_activation_!r} to "
            f"scikit-learn: its MLP supports only {list(SKLEARN_OUTPUT_ACTIVATIONS)}."
        )
    twin = sklearn_twin(type(est))
    _check_exportable_loss(est, twin)
    params = _common_params(est, twin)
    params["activation"] = activation
    sk = twin(**params)
    _copy_shared(est, sk)
    sk.coefs_ = [np.array(c, copy=True) for c in est.coefs_]
    sk.intercepts_ = [np.array(b, copy=True) for b in est.intercepts_]
    _fold_batch_norm(est, sk.coefs_, sk.intercepts_)
    sk.n_layers_ = len(sk.coefs_) + 1
    state = getattr(est, "_solver_state", None) or SolverState()
    if hasattr(est, "loss_curve_"):
        # scikit-learn keeps the patience count of its stochastic solvers only
        sk._no_improvement_count = state.no_improvement_count
    shapes = [c.shape for c in sk.coefs_] + [b.shape for b in sk.intercepts_]
    n_coef = len(sk.coefs_)
    best = state.best_theta
    if best is not None and best.shape[0] == sum(int(np.prod(s)) for s in shapes):
        pieces = _split(best, shapes)
        sk._best_coefs, sk._best_intercepts = pieces[:n_coef], pieces[n_coef:]
    optimizer = _sklearn_optimizer(est, state, sk.coefs_ + sk.intercepts_, shapes)
    if optimizer is not None:
        sk._optimizer = optimizer
    return sk


def _check_exportable_loss(est, twin):
    """Refuse a loss the scikit-learn twin cannot train with.

    The weights alone would predict the same in scikit-learn, but the copy
    would silently continue training (``partial_fit``, ``warm_start``) with
    another loss, and a multi-level quantile model's columns would lose their
    meaning; so the export, and ONNX export through it, refuse.
    """
    loss = getattr(est, "loss", None)
    if not isinstance(loss, str) or loss not in LOSSES or LOSSES[loss].canonical:
        return  # the output activation's own loss, as scikit-learn's MLP has
    accepted = names(LOSSES, regression=True, canonical=True)
    raise ValueError(
        f"Cannot export loss={loss!r} to scikit-learn: its {twin.__name__} "
        f"trains only with {list(accepted)}, so the copy could not keep "
        "training as this model does (and ONNX export goes through "
        "to_sklearn). Keep the skmlp model (joblib or skops persistence), or "
        "train with one of those losses to export."
    )


def _fold_batch_norm(est, coefs, intercepts):
    """Fold inference-time batch normalisation into the layers it follows, in place.

    With running statistics, ``gamma * (x @ W + b - mean) / sqrt(var + eps) +
    beta`` is affine in ``x``: ``x @ (W * s) + (b - mean) * s + beta`` with
    ``s = gamma / sqrt(var + eps)``, computed in float64. The folded model has
    the same predictions to rounding but other parameters, so neither the
    optimizer state nor the best weights carry over (their sizes differ too):
    scikit-learn continues training it as a plain MLP, from fresh state.
    """
    bn = est._fitted_bn()
    if bn is None:
        return
    for layer, (gamma, beta, mean, var) in enumerate(zip(*bn)):
        if gamma is None:
            continue
        W, b = coefs[layer], intercepts[layer]
        scale = np.asarray(gamma, np.float64) / np.sqrt(
            np.asarray(var, np.float64) + BN_EPS)
        coefs[layer] = (W.astype(np.float64) * scale).astype(W.dtype)
        intercepts[layer] = ((b.astype(np.float64) - mean) * scale + beta).astype(b.dtype)


def _sklearn_optimizer(est, state, params, shapes):
    """scikit-learn's optimizer object holding skmlp's optimizer state, or None."""
    moments = state.moments
    if moments is None or moments.shape[1] != sum(p.size for p in params):
        return None
    if est.solver == "adam":
        opt = AdamOptimizer(params, est.learning_rate_init, est.beta_1, est.beta_2,
                            est.epsilon)
        opt.t = int(state.counters[0])  # Adam's step count
        opt.ms = _split(moments[0], shapes)
        opt.vs = _split(moments[1], shapes)
        return opt
    if est.solver == "sgd":
        opt = SGDOptimizer(params, est.learning_rate_init, est.learning_rate,
                           est.momentum, est.nesterovs_momentum, est.power_t)
        opt.velocities = _split(moments[0], shapes)
        opt.learning_rate = float(state.learning_rate)
        return opt
    return None


def from_sklearn(cls, mlp):
    """See :meth:`SklearnExportMixin.from_sklearn`."""
    twin = sklearn_twin(cls)
    if not isinstance(mlp, twin):
        other = "MLPRegressorNB" if twin is MLPClassifier else "MLPClassifierNB"
        hint = (
            f" Use {other}.from_sklearn for a {type(mlp).__name__}."
            if isinstance(mlp, (MLPClassifier, MLPRegressor))
            else ""
        )
        raise TypeError(
            f"{cls.__name__}.from_sklearn expects a fitted "
            f"sklearn.neural_network.{twin.__name__}, got "
            f"{type(mlp).__module__}.{type(mlp).__name__}.{hint}"
        )
    check_is_fitted(
        mlp,
        ["coefs_", "intercepts_"],
        msg=(
            f"This {twin.__name__} is not fitted yet: {cls.__name__}.from_sklearn "
            "wraps a fitted model. Call fit on it first, or train a "
            f"{cls.__name__} directly."
        ),
    )
    if mlp.out_activation_ not in SKLEARN_OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"The {twin.__name__} has output activation {mlp.out_activation_!r}, "
            f"which skmlp does not implement ({list(SKLEARN_OUTPUT_ACTIVATIONS)})."
        )
    est = cls(**_common_params(mlp, cls))
    _copy_shared(mlp, est)
    dtype = np.result_type(*mlp.coefs_)
    est.coefs_ = [np.array(c, dtype=dtype, copy=True) for c in mlp.coefs_]
    est.intercepts_ = [np.array(b, dtype=dtype, copy=True) for b in mlp.intercepts_]
    est.n_layers_ = len(est.coefs_) + 1
    if not hasattr(est, "n_outputs_"):
        est.n_outputs_ = est.coefs_[-1].shape[1]
    # Refuse arrays that do not form a network before any kernel sees them.
    est._check_fitted_weights()
    params = est.coefs_ + est.intercepts_
    state = est._solver_state = SolverState(
        no_improvement_count=getattr(mlp, "_no_improvement_count", 0))
    if hasattr(mlp, "_best_coefs") and hasattr(mlp, "_best_intercepts"):
        state.best_theta = _flat(list(mlp._best_coefs) + list(mlp._best_intercepts),
                                 dtype)
    else:
        state.best_theta = _flat(params, dtype)
    _skmlp_optimizer(mlp, state, params, dtype)
    # No _random_state: skmlp's next fit or partial_fit starts a new stream from
    # random_state, which is what scikit-learn's next call does.
    return est


def _skmlp_optimizer(mlp, state, params, dtype):
    """Set skmlp's optimizer state from scikit-learn's ``_optimizer``, if any.

    Converted only when the optimizer matches the solver: a solver changed with
    ``set_params`` after fitting starts from fresh state in both libraries.
    """
    opt = getattr(mlp, "_optimizer", None)
    n = sum(p.size for p in params)
    counters = new_counters()
    if mlp.solver == "adam" and isinstance(opt, AdamOptimizer):
        moments = np.stack([_flat(opt.ms, dtype), _flat(opt.vs, dtype)])
        counters[0] = opt.t
        learning_rate = float(mlp.learning_rate_init)
    elif mlp.solver == "sgd" and isinstance(opt, SGDOptimizer):
        moments = _flat(opt.velocities, dtype)[None, :]
        learning_rate = float(opt.learning_rate)
    else:
        return
    state.moments = moments
    state.counters = counters
    state.learning_rate = learning_rate
    state.schedule_state = None  # scikit-learn has no skmlp schedule
    if moments.shape[1] != n:
        raise ValueError(
            f"The {type(mlp).__name__}'s optimizer state does not match its "
            "weights (a network edited after fitting?). Refit it, or delete its "
            "_optimizer attribute to continue from fresh optimizer state."
        )


class SklearnExportMixin:
    """``to_sklearn`` and ``from_sklearn`` for skmlp's estimators."""

    def to_sklearn(self):
        """Copy this fitted model into scikit-learn's MLP.

        Returns a fitted :class:`sklearn.neural_network.MLPClassifier` (for
        :class:`MLPClassifierNB`) or :class:`sklearn.neural_network.MLPRegressor`
        (for :class:`MLPRegressorNB`) with copies of the weights, the labels and
        the training bookkeeping (``n_iter_``, ``t_``, ``loss_``,
        ``loss_curve_``, optimizer state), so that it predicts the same to
        float rounding and can itself continue training with ``partial_fit``
        or ``warm_start``. Use it to deploy where Numba is unavailable, or to
        convert to ONNX with ``skl2onnx``.

        Constructor parameters that scikit-learn's class lacks only affect
        training (``dropout``, which is inverted and so needs no rescaling at
        prediction, ``weight_init``, ``class_weight``,
        ``learning_rate_schedule``, ``n_jobs``, ``weight_decay``,
        ``max_grad_norm``) and are dropped. Batch
        normalisation (``batch_norm``) is affine at prediction time and is
        folded into the weights and intercepts of the layer it follows; the
        folded model predicts the same to float rounding, and continues
        training as a plain MLP from fresh optimizer state. Everything that affects
        prediction must be expressible in scikit-learn, otherwise a
        ``ValueError`` says which part is not.

        Returns
        -------
        mlp : MLPClassifier or MLPRegressor
            A fitted scikit-learn estimator sharing no memory with this one.

        Raises
        ------
        NotFittedError
            If this estimator is not fitted.
        ValueError
            If the network uses something scikit-learn's MLP cannot express:
            an activation it lacks, different activations per hidden layer, or
            a loss it lacks ('absolute_error', 'huber', 'quantile').

        See Also
        --------
        from_sklearn : The reverse conversion.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skmlp import MLPClassifierNB
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifierNB(hidden_layer_sizes=(8,), max_iter=300,
        ...                       random_state=0).fit(X, y)
        >>> sk = clf.to_sklearn()
        >>> type(sk).__name__
        'MLPClassifier'
        >>> bool((sk.predict(X) == clf.predict(X)).all())
        True
        """
        return to_sklearn(self)

    @classmethod
    def from_sklearn(cls, mlp):
        """Wrap a fitted scikit-learn MLP in skmlp's estimator.

        Copies the parameters, weights, labels and training bookkeeping of a
        fitted :class:`sklearn.neural_network.MLPClassifier` (into
        :class:`MLPClassifierNB`) or :class:`sklearn.neural_network.MLPRegressor`
        (into :class:`MLPRegressorNB`), including the optimizer state, so that
        the result predicts the same to float rounding and continues training
        (``partial_fit``, or ``fit`` with ``warm_start=True``) as scikit-learn
        would, in skmlp's kernels. The weights keep their dtype.

        Parameters
        ----------
        mlp : MLPClassifier or MLPRegressor
            A fitted scikit-learn MLP of the matching kind. It is not modified.

        Returns
        -------
        est : MLPClassifierNB or MLPRegressorNB
            A fitted skmlp estimator sharing no memory with ``mlp``.

        Raises
        ------
        TypeError
            If ``mlp`` is not a scikit-learn MLP of the matching kind.
        NotFittedError
            If ``mlp`` is not fitted.

        See Also
        --------
        to_sklearn : The reverse conversion.

        Notes
        -----
        The next ``fit`` or ``partial_fit`` draws its shuffling from a new
        ``check_random_state(random_state)`` stream, as scikit-learn's next call
        does; later ``partial_fit`` calls continue that stream (skmlp's rule).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.neural_network import MLPClassifier
        >>> from skmlp import MLPClassifierNB
        >>> X, y = load_iris(return_X_y=True)
        >>> sk = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300,
        ...                    random_state=0).fit(X, y)
        >>> clf = MLPClassifierNB.from_sklearn(sk)
        >>> bool((clf.predict(X) == sk.predict(X)).all())
        True
        >>> clf = clf.partial_fit(X, y)  # keeps training, in skmlp's kernels
        """
        return from_sklearn(cls, mlp)
