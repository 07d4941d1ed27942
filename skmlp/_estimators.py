"""MLPClassifierNB and MLPRegressorNB: what a user touches."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    check_array,
    column_or_1d,
    validate_data,
)

from . import _dask, _loss_params
from ._base import BaseMultilayerPerceptronNB
from ._docstrings import (
    COMMON_ATTRS_DOC,
    COMMON_PARAMS_DOC,
    REGRESSOR_LOSS_DOC,
    REGRESSOR_LOSS_PARAMS_DOC,
    score_doc,
)
from ._export import SklearnExportMixin
from ._persistence import VersionedStateMixin
from ._specs import LOSSES, names
from ._transform import HiddenFeaturesMixin


class MLPClassifierNB(
    ClassifierMixin, HiddenFeaturesMixin, SklearnExportMixin, VersionedStateMixin,
    BaseMultilayerPerceptronNB,
):
    _parameter_constraints: dict = {
        **BaseMultilayerPerceptronNB._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    __doc__ = (
        """Multi-layer perceptron classifier trained in Numba kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`: the
    same parameters, defaults, fitted attributes and methods. Multiclass targets
    use a softmax output with cross-entropy; binary and multilabel-indicator
    targets use logistic outputs with binary cross-entropy. ``transform``
    returns the last hidden layer's activations, so a fitted model is also a
    feature extractor for a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------"""
        + COMMON_PARAMS_DOC
        + """
    class_weight : dict, list of dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``, with the
        meaning :class:`~sklearn.linear_model.LogisticRegression` gives them:
        a dict ``{class: weight}`` (classes left out weigh 1; a key for a
        class the labels lack is ignored when every class present has a
        weight, as :func:`~sklearn.utils.class_weight.compute_class_weight`
        does), or 'balanced'
        (``n_samples / (n_classes * np.bincount(y))``, from
        :func:`sklearn.utils.class_weight.compute_sample_weight`). For
        multilabel targets, 'balanced' or one dict ``{0: w, 1: w}`` per label.
        ``partial_fit`` accepts a dict but not 'balanced' (it never sees the
        whole training set). Validation data takes the training data's class
        weights (for multilabel targets, 'balanced' is computed on ``y_val``).

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels."""
        + COMMON_ATTRS_DOC
        + """
    See Also
    --------
    MLPRegressorNB : The regressor.
    sklearn.neural_network.MLPClassifier : The scikit-learn original.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skmlp import MLPClassifierNB
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifierNB(hidden_layer_sizes=(16,), max_iter=500,
    ...                       random_state=0).fit(X, y)
    >>> clf.predict(X[:2]).shape
    (2,)
    >>> clf.transform(X[:2]).shape  # the 16 hidden units
    (2, 16)
    """
    )

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        weight_init="glorot_uniform",
        learning_rate_schedule=None,
        n_jobs=None,
        scoring=None,
        weight_decay=0.0,
        max_grad_norm=None,
        dask_sync_batches=8,
        batch_norm=False,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            weight_init=weight_init,
            learning_rate_schedule=learning_rate_schedule,
            n_jobs=n_jobs,
            scoring=scoring,
            weight_decay=weight_decay,
            max_grad_norm=max_grad_norm,
            dask_sync_batches=dask_sync_batches,
            batch_norm=batch_norm,
        )
        self.class_weight = class_weight

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        _check_label_types(y)
        check_classification_targets(y)

        if (not hasattr(self, "classes_")) or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        # bool, so that float32 X is not upcast by the targets
        y = self._label_binarizer.transform(y).astype(bool)
        return X, y

    def _encode_targets(self, y):
        """Validation labels as the training targets' indicator matrix."""
        y = check_array(y, ensure_2d=False, dtype=None)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y)
        _check_label_types(y)
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y_val has classes {unknown} that are not in the training classes "
                f"{self.classes_}."
            )
        return self._label_binarizer.transform(y).astype(bool)

    def _class_sample_weight(self, Y, incremental, validation=False):
        """Per-sample weights from ``class_weight``, as LogisticRegression means it.

        With 'balanced', validation data takes the class weights of the
        training data it validates (as the internal early-stopping split
        does), not weights balanced on its own class counts.
        """
        cw = self.class_weight
        if cw is None:
            return None
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            # Each label is a binary output: "balanced" or a list of {0: w, 1: w}.
            if incremental and cw == "balanced":
                raise ValueError(_PARTIAL_BALANCED)
            return compute_sample_weight(cw, Y.astype(np.int64))
        index = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0].astype(np.int64)
        if isinstance(cw, str):
            if incremental:
                raise ValueError(_PARTIAL_BALANCED)
            if validation:
                return self._balanced_per_class[index]
            weights = compute_sample_weight(cw, self.classes_[index])
            per_class = np.ones(len(self.classes_))
            per_class[index] = weights  # every sample of a class has its weight
            self._balanced_per_class = per_class
            return weights
        if not isinstance(cw, dict):
            raise ValueError(
                "class_weight must be 'balanced', a dict {class: weight} or None for "
                f"a single-output classifier; got {type(cw).__name__}."
            )
        # scikit-learn's rule: keys of classes this fit lacks (a CV fold without
        # a rare class) are ignored when every class present has a weight, and
        # refused otherwise.
        per_class = compute_class_weight(cw, classes=self.classes_,
                                         y=self.classes_[index])
        return per_class[index]

    def _output_activation(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "softmax"
        return "logistic"

    def _stratify_labels(self, Y):
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            return None
        return Y if Y.shape[1] == 1 else Y.argmax(axis=1)

    def _validation_target(self, Y_val):
        return self._label_binarizer.inverse_transform(Y_val)

    def _labels_from_output(self, y_pred):
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def _score_raw(self, raw, y_true, sample_weight):
        if not np.isfinite(raw).all():
            return np.nan
        y_pred = self._labels_from_output(raw)
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    def _proba_from_output(self, y_pred):
        if len(self.classes_) == 1:
            # one class seen in training: every prediction is that class
            return np.ones((y_pred.shape[0], 1), dtype=y_pred.dtype)
        if self.n_outputs_ == 1:
            p = y_pred.ravel()
            return np.vstack([1 - p, p]).T
        return y_pred

    def _response_from_output(self, method, y_pred):
        """``predict``, ``predict_proba`` or ``predict_log_proba`` from output activations."""
        if method == "predict":
            return self._labels_from_output(y_pred)
        proba = self._proba_from_output(y_pred)
        if method == "predict_log_proba":
            with np.errstate(divide="ignore"):
                return np.log(proba, out=proba)
        return proba

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        if _dask.is_dask_collection(X):
            return _dask.predict(self, X, "predict")
        self._require_fitted()
        return self._labels_from_output(self._forward_pass_fast(X))

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            All classes across calls; required on the first call only.

        Returns
        -------
        self : object
            The updated estimator.
        """
        # scikit-learn's _fit_context skips validation for partial_fit on a
        # fitted estimator; a kernel must never see an unchecked value.
        self._validate_params()
        self._hidden_sizes()
        with self._restore_on_error():
            return self._partial_fit_classifier(X, y, sample_weight, classes)

    def _partial_fit_classifier(self, X, y, sample_weight, classes):
        first_call = not hasattr(self, "classes_")
        if classes is not None and not first_call:
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    "`classes=%r` is not the same as on last call to partial_fit, "
                    "was: %r" % (classes, self.classes_)
                )
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
                _check_multilabel_classes(classes, self._label_binarizer.classes_)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        if _dask.is_dask_collection(X):
            return _dask.predict(self, X, "predict_proba")
        self._require_fitted()
        return self._proba_from_output(self._forward_pass_fast(X))

    def predict_log_proba(self, X):
        """Log of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        if _dask.is_dask_collection(X):
            return _dask.predict(self, X, "predict_log_proba")
        y_prob = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(y_prob, out=y_prob)

    def score(self, X, y, sample_weight=None):
        if _dask.is_dask_collection(X):
            return _dask.score(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    score.__doc__ = score_doc(
        "Mean accuracy on the given data and labels.",
        "the predictions and per-block counts", "labels",
        "Mean accuracy of ``self.predict(X)`` with respect to ``y`` (subset\n"
        "            accuracy for multilabel targets).")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressorNB(
    RegressorMixin, HiddenFeaturesMixin, SklearnExportMixin, VersionedStateMixin,
    BaseMultilayerPerceptronNB,
):
    __doc__ = (
        """Multi-layer perceptron regressor trained in Numba kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    identity output with squared error, or an exp output with the Poisson
    deviance (``loss='poisson'``); single and multi-output targets. Beyond
    scikit-learn's MLP: robust losses ('absolute_error', 'huber') and the
    quantile (pinball) loss, with several levels in one model for a
    prediction interval. ``transform`` returns the last hidden layer's
    activations, so a fitted model is also a feature extractor for a
    :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------"""
        + REGRESSOR_LOSS_DOC
        + COMMON_PARAMS_DOC
        + REGRESSOR_LOSS_PARAMS_DOC
        + """
    Attributes
    ----------"""
        + COMMON_ATTRS_DOC
        + """
    See Also
    --------
    MLPClassifierNB : The classifier.
    sklearn.neural_network.MLPRegressor : The scikit-learn original.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skmlp import MLPRegressorNB
    >>> X, y = make_regression(n_samples=200, random_state=0)
    >>> reg = MLPRegressorNB(max_iter=50, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """
    )

    _parameter_constraints: dict = {
        **BaseMultilayerPerceptronNB._parameter_constraints,
        "loss": [StrOptions(set(names(LOSSES, regression=True)))],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        # A sequence is checked level by level in _loss_params.quantile_levels.
        "quantile": [Interval(Real, 0, 1, closed="neither"), "array-like"],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        weight_init="glorot_uniform",
        learning_rate_schedule=None,
        n_jobs=None,
        scoring=None,
        weight_decay=0.0,
        max_grad_norm=None,
        dask_sync_batches=8,
        batch_norm=False,
        huber_delta=1.0,
        quantile=0.5,
    ):
        self.huber_delta = huber_delta
        self.quantile = quantile
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            dropout=dropout,
            weight_init=weight_init,
            learning_rate_schedule=learning_rate_schedule,
            n_jobs=n_jobs,
            scoring=scoring,
            weight_decay=weight_decay,
            max_grad_norm=max_grad_norm,
            dask_sync_batches=dask_sync_batches,
            batch_norm=batch_norm,
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        y = _numeric_target(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson "
                "regression (loss='poisson'). Use loss='squared_error' or shift "
                "the targets."
            )
        y = self._per_level(y, "y")
        if not reset and hasattr(self, "n_outputs_"):
            n_out = 1 if y.ndim == 1 else y.shape[1]
            if n_out != self.n_outputs_:
                raise ValueError(
                    f"y has {n_out} output(s), but {type(self).__name__} was fitted "
                    f"with {self.n_outputs_}. Refit (warm_start=False) to change "
                    "the number of outputs."
                )
        return X, y

    def _encode_targets(self, y):
        """Validation targets, checked as training targets are."""
        y = _numeric_target(check_array(y, ensure_2d=False, dtype=None))
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError("y_val has negative values, which loss='poisson' refuses.")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        return self._per_level(y, "y_val").astype(np.float64)

    def _output_activation(self):
        return LOSSES[self.loss].output

    def _loss_name(self):
        return self.loss

    def _loss_parameters(self):
        return _loss_params.loss_parameters(self)

    def _per_level(self, y, name):
        return _loss_params.per_level(self, y, name)

    def _check_training_params(self, n_hidden, incremental, val):
        super()._check_training_params(n_hidden, incremental, val)
        _loss_params.quantile_levels(self)

    def _score_raw(self, raw, y_true, sample_weight):
        if not np.isfinite(raw).all():
            return np.nan
        if raw.shape[1] == 1:
            raw = raw.ravel()
            y_true = y_true.ravel()
        return r2_score(y_true, raw, sample_weight=sample_weight)

    def _response_from_output(self, method, y_pred):
        """``predict`` from output activations."""
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        if _dask.is_dask_collection(X):
            return _dask.predict(self, X, "predict")
        self._require_fitted()
        y_pred = self._forward_pass_fast(X)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def score(self, X, y, sample_weight=None):
        if _dask.is_dask_collection(X):
            return _dask.score(self, X, y, sample_weight)
        if _loss_params.scores_levels(self, y):
            y = self._per_level(column_or_1d(y), "y")
        return super().score(X, y, sample_weight=sample_weight)

    score.__doc__ = score_doc(
        "Coefficient of determination R^2 of the prediction.",
        "the predictions and per-block sums of squares", "values",
        "R^2 of ``self.predict(X)`` with respect to ``y`` (averaged\n"
        "            uniformly over outputs), as :func:`sklearn.metrics.r2_score`,\n"
        "            whatever the loss (RegressorMixin's contract, as\n"
        "            HistGradientBoostingRegressor and QuantileRegressor keep it).\n"
        "            For a model with several quantile levels, a 1-D ``y`` is\n"
        "            compared with every level's column and the R^2 averaged.\n"
        "            R^2 rewards the conditional mean: to select a quantile or\n"
        "            absolute-error model, score it with its own loss, e.g.\n"
        "            ``make_scorer(mean_pinball_loss, alpha=q,\n"
        "            greater_is_better=False)``.")

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            The updated estimator.
        """
        # scikit-learn's _fit_context skips validation for partial_fit on a
        # fitted estimator; a kernel must never see an unchecked value.
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)


_PARTIAL_BALANCED = (
    "class_weight='balanced' needs the class frequencies of the whole training "
    "set, which partial_fit never sees. Compute them once (for example with "
    "sklearn.utils.class_weight.compute_class_weight) and pass a dict."
)


def _check_multilabel_classes(classes, labels):
    """Refuse ``classes`` that are not the label columns of an indicator target."""
    if not np.array_equal(np.unique(np.asarray(classes)), labels):
        raise ValueError(
            f"classes={classes!r} are not the labels of y: for a multilabel "
            "indicator target the classes are its label columns, "
            f"classes=np.arange({len(labels)})."
        )


def _check_label_types(y):
    """Refuse labels that mix strings and numbers, naming the problem."""
    if y.dtype != object:
        return
    kinds = {isinstance(v, str) for v in np.ravel(y)}
    if len(kinds) > 1:
        raise ValueError(
            "Mix of label input types (string and number) in y: use labels of "
            "one type, for example all strings."
        )


def _numeric_target(y):
    """Regression targets as finite floats, with a clear error for anything else."""
    if y.dtype.kind in "mM":
        raise ValueError(
            f"MLPRegressorNB needs numeric targets, but y has dtype {y.dtype}. "
            "Convert dates or durations to numbers in a unit of your choice."
        )
    if y.dtype.kind in "fiub":
        return y
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError):
        example = next((v for v in np.ravel(y) if not _is_number(v)), None)
        raise ValueError(
            "MLPRegressorNB needs numeric targets, but y contains non-numeric "
            f"values such as {example!r}. Encode them as numbers, or use "
            "MLPClassifierNB for class labels."
        ) from None
    if not np.isfinite(y).all():
        raise ValueError(
            "Input y contains NaN, infinity or a missing value (such as None). "
            "Drop or impute those samples."
        )
    return y


def _is_number(v):
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True
