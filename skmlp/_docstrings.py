"""The parameter and attribute sections the two estimators' docstrings share."""

import textwrap

from ._specs import ACTIVATIONS, LOSSES, OPTIMIZERS, described, names


def _paragraph(text):
    """``text`` wrapped as a parameter description (8 spaces in)."""
    return textwrap.fill(text, width=88, initial_indent=" " * 8,
                         subsequent_indent=" " * 8, break_on_hyphens=False).lstrip()


COMMON_PARAMS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : str or list of str, default='relu'
        @ACTIVATIONS@

    solver : {@SOLVERS@}, default='adam'
        Weight optimizer. 'sgd' and 'adam' train one compiled epoch per call;
        'lbfgs' runs scipy's L-BFGS-B over a compiled full-batch loss and gradient.

    alpha : float, default=0.0001
        Strength of the L2 penalty, divided by the sum of sample weights of the
        batch as scikit-learn does.

    batch_size : int or 'auto', default='auto'
        Minibatch size for the stochastic solvers; 'auto' is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule for ``solver='sgd'``.

    learning_rate_init : float, default=0.001
        Initial learning rate (sgd and adam).

    power_t : float, default=0.5
        Exponent of the inverse scaling schedule.

    max_iter : int, default=200
        Maximum number of epochs (stochastic solvers) or iterations (lbfgs).

    shuffle : bool, default=True
        Shuffle the samples in every epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the early-stopping split.
        The same seed (and BLAS thread count) gives bitwise-identical
        weights, and draws the same numbers as scikit-learn's MLP with that
        seed: the same predictions, weights equal up to rounding.

    tol : float, default=1e-4
        Tolerance for the optimisation (see ``n_iter_no_change``).

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Reuse the previous solution as initialisation.

    momentum : float, default=0.9
        Momentum for ``solver='sgd'``.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (sgd with momentum > 0).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classification; multiclass targets that cannot be stratified get
        scikit-learn's plain split) and stop when its score stops improving;
        the best weights are restored.

    validation_fraction : float, default=0.1
        Proportion of training data held out for early stopping.

    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.

    epsilon : float, default=1e-8
        Adam's numerical stability term.

    n_iter_no_change : int, default=10
        Epochs without ``tol`` improvement before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations (lbfgs only).

    dropout : float or list of float, default=0.0
        Inverted dropout rate of the hidden layers during stochastic training,
        in [0, 1): one rate for every hidden layer, or one per hidden layer.
        Never applied in predict, in validation or to the reported
        validation loss. The masks are drawn inside the compiled epoch from a
        generator seeded from ``random_state``, so a seed gives the same
        weights in every process. Not available with ``solver='lbfgs'``.

    weight_init : {'glorot_uniform', 'glorot_normal', 'he_uniform', \
            'he_normal', 'truncated_normal'}, default='glorot_uniform'
        Initial weights. 'glorot_uniform' is scikit-learn's (the same draws
        for the same seed); the He initialisers suit ReLU-like activations in
        deep networks; 'truncated_normal' (std ``2 / sqrt(fan_in)``, cut at
        two standard deviations) is the tutorial recipe for ReLU networks on
        MNIST. The non-default initialisers start intercepts at zero.

    learning_rate_schedule : {'exponential', 'step', 'cosine', 'plateau'} or \
            Schedule, default=None
        Learning-rate schedule for 'sgd' and 'adam', applied between epochs
        from ``learning_rate_init``: :class:`ExponentialDecay`,
        :class:`StepDecay`, :class:`CosineAnnealing` or
        :class:`ReduceLROnPlateau` (a name gives its defaults). None keeps
        scikit-learn's behaviour (``learning_rate`` for sgd, constant for
        adam); with sgd, a schedule needs ``learning_rate='constant'``.

    n_jobs : int, default=None
        Threads that share each minibatch of a stochastic fit ('sgd', 'adam'):
        every thread runs the forward and backward passes of its share of the
        batch's rows, the gradient parts are added in a fixed order, and the
        threads update a share of the weights each. None means 1, -1 all
        usable cores of this machine (a :func:`joblib.parallel_config`
        context does not change it: these threads are local).
        It pays most for networks whose per-batch matrix products are small
        (below about 4 million multiply-adds, e.g. (64, 64) on tabular data at
        batch 200), which otherwise run on one core. Larger networks run their
        products on every core through BLAS by default; with ``n_jobs`` they
        split too (each thread then calls BLAS on one thread), so that the
        elementwise passes and the optimizer step also use every core (MNIST's
        784-300-100-10 at batch 200 on 2 cores: 7-16% faster per epoch in
        float64, 15-19% in float32, see docs/benchmarks.md). Each thread keeps its
        own gradient buffer (the size of the parameters) and activations for
        its rows, so memory grows with the threads; the split was measured on 2
        cores only. The same
        seed and the same number of threads give bitwise the same weights; a
        different number of threads changes the rounding of the gradient sum
        (about 1e-16 relative per batch) and, with dropout, the masks (each
        thread draws its own). L-BFGS, prediction and validation
        run on one thread. The first fit with split batches compiles an engine
        of its own (once, cached). On a machine whose cores are busy with
        other work, a split fit can be slower than one thread.

    scoring : str, callable or None, default=None
        The validation score of the stochastic solvers, recorded in
        ``validation_scores_`` after each epoch (with ``early_stopping`` or
        ``X_val``); under early stopping it decides when to stop
        (``n_iter_no_change`` epochs without an improvement of ``tol``) and
        which weights are restored at the end (those of
        ``best_validation_score_``). As HistGradientBoosting's: None (default)
        keeps scikit-learn's score, ``score`` (accuracy or R^2); 'loss' is the
        negative validation loss (``-validation_loss_curve_``, the training
        loss without the L2 penalty), so a regressor can stop on its own loss
        rather than on R^2; any name of :func:`sklearn.metrics.get_scorer_names`
        (e.g. 'neg_log_loss', 'roc_auc', 'neg_mean_absolute_error') or a
        callable ``scorer(estimator, X, y)`` returning a float, greater is
        better, gives that score. Sample weights of the validation rows
        (``class_weight`` included) are passed as ``sample_weight=`` when
        there are any. Scorers are answered from the epoch's validation pass
        (no second forward pass); they see the estimator with the weights of
        the current epoch. Ignored by 'lbfgs' (no validation).

    weight_decay : float, default=0.0
        Decoupled weight decay (AdamW's, Loshchilov & Hutter) for 'adam' and
        'sgd': before each minibatch step the coefficients are multiplied by
        ``1 - lr * weight_decay``, where ``lr`` is the epoch's learning rate
        (``learning_rate_init`` or the schedule's current rate; for adam the
        rate before its bias correction), as PyTorch's ``AdamW`` does; the
        step then uses the gradient of the weights before the decay.
        Intercepts are not decayed (``alpha`` does not penalise them either).
        Unlike ``alpha``, the decay bypasses Adam's moment normalisation and
        sgd's momentum, and it is not part of ``loss_``. For plain sgd
        (``momentum=0``) it equals the L2 penalty ``alpha = weight_decay * s``,
        where ``s`` is the batch's sum of sample weights (``batch_size`` for
        unit weights). 0 (default) runs no decay and changes no result.
        'lbfgs' refuses a non-zero value: its L2 penalty is ``alpha``.

    max_grad_norm : float or None, default=None
        Gradient clipping for 'adam' and 'sgd': when the global L2 norm of a
        minibatch's gradient (every layer's coefficients and intercepts,
        ``alpha``'s penalty term included, since it is part of the loss, as
        with PyTorch's ``clip_grad_norm_`` after ``backward``) exceeds
        ``max_grad_norm``, the gradient is scaled to that norm before the
        optimizer step. ``weight_decay`` is not a gradient and is not
        clipped. With ``n_jobs`` the norm is the whole batch's gradient's.
        None (default) never clips; a gradient within the limit is used
        unchanged. 'lbfgs' refuses it: its line search sets the step.

    dask_sync_batches : int, default=8
        Only for ``fit`` on Dask collections with 'sgd' or 'adam' (local SGD
        with model averaging, see the user guide's "Scaling out"): every row
        block of the data trains this many minibatches of its own rows from
        the same weights, then the client averages the weights and the
        optimizer state, each block weighted by the rows it trained on.
        Smaller values follow a local fit more closely and cost one round of
        the cluster (the model sent to and from every block) more often.

    batch_norm : bool or list of bool, default=False
        Batch normalisation of the hidden layers (Ioffe and Szegedy, 2015):
        True for every hidden layer, or one flag per hidden layer. A
        normalised layer computes ``act(gamma * (z - mean) / sqrt(var +
        1e-5) + beta)`` from its affine product ``z = x @ W + b``, with a
        learnable scale ``gamma`` and shift ``beta`` per unit
        (``batch_norm_scales_``, ``batch_norm_offsets_``; trained by the
        solver, not penalised by ``alpha``). Training normalises with each
        minibatch's mean and (biased) variance; predict, ``transform``,
        validation and the final check use the running statistics
        (``running_means_``, ``running_vars_``), updated after every batch
        with PyTorch's momentum 0.1 (``new = 0.9 * old + 0.1 * batch``, the
        batch variance unbiased; Keras's momentum 0.99 is the same rule).
        The layer's intercept is then redundant (the batch mean removes it):
        it is kept, receives no gradient and stays at its initial value.
        Works with dropout and schedules; needs 'sgd' or 'adam' ('lbfgs' has
        no minibatches and refuses it). With ``n_jobs``, a batch-normalised
        fit runs on one thread (the statistics are the whole batch's); fit on
        Dask collections refuses it.
        ``to_sklearn`` folds it into the weights it follows.
"""
COMMON_PARAMS_DOC = COMMON_PARAMS_DOC.replace("@ACTIVATIONS@", _paragraph(
    "Activation of the hidden layers: one of "
    + described(ACTIVATIONS, hidden=True)
    + "; or a list with one name per hidden layer. scikit-learn's MLP has "
    + ", ".join(f"'{n}'" for n in names(ACTIVATIONS, hidden=True, sklearn=True))
    + ".")).replace(
    "@SOLVERS@", ", ".join(f"'{name}'" for name in ("lbfgs", *OPTIMIZERS)))

# The regressor's ``loss`` and its parameters (its own rows of _specs.LOSSES).
REGRESSOR_LOSS_DOC = """
    loss : {@REG_LOSS_NAMES@}, default='squared_error'
        @REG_LOSSES@
""".replace("@REG_LOSS_NAMES@", ", ".join(
    f"'{n}'" for n in names(LOSSES, regression=True))).replace(
    "@REG_LOSSES@", _paragraph(
        "The loss function: " + described(LOSSES, regression=True)
        + ". Every loss but 'poisson' has the identity output. 'absolute_error' "
        "and 'quantile' are not differentiable where a prediction equals its "
        "target; their subgradient there is 0 (absolute error) and ``-quantile`` "
        "(as HistGradientBoostingRegressor's). The reported losses "
        "(``loss_curve_``, ``validation_loss_curve_``) of the identity-output "
        "losses are averaged over outputs, as scikit-learn's metrics "
        "(mean_absolute_error, mean_pinball_loss) do; the squared error is "
        "halved, as in scikit-learn's MLP. ``to_sklearn`` (and so ONNX export) "
        "refuses the losses scikit-learn's MLPRegressor lacks."))

REGRESSOR_LOSS_PARAMS_DOC = """
    huber_delta : float, default=1.0
        Where the 'huber' loss turns from squared to absolute: residuals
        within ``huber_delta`` of the target count ``0.5 * r**2``, larger ones
        ``huber_delta * (|r| - huber_delta / 2)``. In the units of y (scale
        y, or choose it, accordingly). Ignored by the other losses.

    quantile : float or array-like of float, default=0.5
        The level(s) of the 'quantile' (pinball) loss, each in (0, 1): a
        level ``q`` weighs residuals ``q * (y - p)`` above the prediction and
        ``(1 - q) * (p - y)`` below, so the model predicts the conditional
        ``q``-quantile. A sequence of levels with a 1-D target gives the
        network one output per level, and ``predict`` one column per level in
        the given order (a prediction interval from one model); a 2-D target
        takes a single level. Ignored by the other losses.
"""

COMMON_ATTRS_DOC = """
    loss_ : float
        The current loss.

    best_loss_ : float or None
        Minimum training loss reached (None with early stopping).

    loss_curve_ : list of float
        Training loss after each epoch (stochastic solvers).

    validation_scores_ : list of float or None
        Validation score after each epoch (with early stopping or ``X_val``).

    validation_loss_curve_ : list of float or None
        Validation loss after each epoch (with early stopping or ``X_val``):
        the data term of the loss, without the L2 penalty, on the validation
        data.

    best_validation_score_ : float or None
        Best validation score (early stopping only).

    t_ : int
        Number of training samples seen by the solver.

    coefs_ : list of ndarray of shape (n_units[i], n_units[i + 1])
        Weight matrices, in the dtype of the training data.

    intercepts_ : list of ndarray of shape (n_units[i + 1],)
        Bias vectors.

    batch_norm_scales_, batch_norm_offsets_ : list of ndarray or None
        With ``batch_norm``: per hidden layer, the learned scale (gamma) and
        shift (beta) of its units, shape (n_units[i + 1],); None for layers
        without batch normalisation. Absent without ``batch_norm``.

    running_means_, running_vars_ : list of ndarray or None
        With ``batch_norm``: per hidden layer, the running mean and variance
        of its affine outputs that prediction normalises with; None for
        layers without batch normalisation. Absent without ``batch_norm``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit (only when X has string column names).

    n_iter_ : int
        Number of epochs (or lbfgs iterations) run by the last fit call.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        Name of the output activation.
"""


def score_doc(summary, computed_on_dask, y_is, result):
    """The docstring of an estimator's ``score``: one Parameters section for both."""
    return f"""{summary}

        On Dask collections, {computed_on_dask} are computed
        where the blocks are; X is never gathered into the client.

        Parameters
        ----------
        X : {{array-like, sparse matrix, dask array, dask DataFrame}} of shape \
                (n_samples, n_features)
            Test samples.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True {y_is} for X.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            {result}
        """
