"""Plots of fitted estimators, following scikit-learn's Display objects.

matplotlib is an optional dependency (``pip install "skmlp[plot]"``): it is
imported only when something is drawn, never by ``import skmlp``.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

__all__ = ["LossCurveDisplay"]


def _import_pyplot(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f'{caller} needs matplotlib. Install it with pip install "skmlp[plot]" '
            "(or pip install matplotlib)."
        ) from exc
    return plt


# Candidate places of the legend, in the order preferred on a tie.
_LEGEND_LOCATIONS = ("upper right", "center right", "lower right", "upper left",
                     "center left", "lower left", "upper center", "lower center",
                     "center")


def _place_legend(ax, lines):
    """One legend for all ``lines``, where it covers the fewest of their points.

    ``loc="best"`` only avoids the lines of the axes the legend belongs to; on
    twin axes it would cover the other axes' curve. Here every line counts,
    whichever y-axis it is drawn on: the figure is laid out once (no pixels
    drawn), and each candidate place is scored as ``loc="best"`` scores them
    (vertices inside the legend, plus one per line crossing it).
    """
    figure = ax.figure
    figure.draw_without_rendering()  # settles the layout and autoscaled limits
    paths = [line.get_transform().transform_path(line.get_path()) for line in lines]
    best = None
    for loc in _LEGEND_LOCATIONS:
        box = ax.legend(handles=lines, loc=loc).get_window_extent()
        badness = sum(box.count_contains(path.vertices)
                      + path.intersects_bbox(box, filled=False) for path in paths)
        if best is None or badness < best[0]:
            best = (badness, loc)
        if badness == 0:
            break
    return ax.legend(handles=lines, loc=best[1])


def _curve(values):
    return None if values is None else np.asarray(values, dtype=float)


class LossCurveDisplay:
    """Training loss, validation loss and validation score per epoch.

    Use :meth:`from_estimator` to plot a fitted estimator; the constructor
    takes the curves themselves (for example from a saved run). All
    parameters are stored as attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss per epoch (an estimator's ``loss_curve_``).

    validation_loss_curve : array-like of shape (n_val_epochs,), default=None
        Validation loss per epoch (``validation_loss_curve_``), or None.

    validation_scores : array-like of shape (n_score_epochs,), default=None
        Validation score per epoch (``validation_scores_``), or None. Drawn on
        a second y-axis, since its scale is not the loss's.

    score_name : str, default="score"
        What the validation score measures, for the axis label (for example
        ``"accuracy"``).

    estimator_name : str, default=None
        Prefix of the legend labels; None for none.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The training-loss line.

    lines_ : dict of str to matplotlib Line2D
        Every line drawn, under ``"training_loss"``, ``"validation_loss"`` and
        ``"validation_score"`` (the last two only when their curve is given).

    ax_ : matplotlib Axes
        Axes of the loss curves.

    score_ax_ : matplotlib Axes or None
        Second y-axis (sharing ``ax_``'s x-axis) of the validation score;
        None without validation scores.

    figure_ : matplotlib Figure
        Figure holding the axes.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the training
        set size.

    Notes
    -----
    Epochs are numbered from 1. The validation curves may be shorter than
    the training loss (a ``warm_start`` fit that switched validation on, and
    ``validation_loss_curve_`` restarts at every ``fit``); they are aligned
    with the last epochs, the ones they were measured at.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skmlp import LossCurveDisplay, MLPClassifierNB
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifierNB(hidden_layer_sizes=(16,), max_iter=50, random_state=0,
    ...                       early_stopping=True).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['training_loss', 'validation_loss', 'validation_score']
    """

    def __init__(self, *, loss_curve, validation_loss_curve=None, validation_scores=None,
                 score_name="score", estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.score_name = score_name
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, validation_loss_kw=None,
             validation_score_kw=None, **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw the loss curves on; a new figure and axes when None.

        name : str, default=None
            Prefix of the legend labels; overrides ``estimator_name``.

        validation_loss_kw : dict, default=None
            Keyword arguments for ``Axes.plot`` of the validation-loss line.

        validation_score_kw : dict, default=None
            Keyword arguments for ``Axes.plot`` of the validation-score line.

        **kwargs : dict
            Keyword arguments for ``Axes.plot`` of the training-loss line.

        Returns
        -------
        display : LossCurveDisplay
            This object, with ``ax_``, ``figure_``, ``line_`` and ``lines_``
            set.
        """
        plt = _import_pyplot("LossCurveDisplay.plot")
        from matplotlib.ticker import MaxNLocator

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        prefix = "" if name is None else f"{name}: "
        loss = _curve(self.loss_curve)
        n_epochs = loss.shape[0]

        def epochs(curve):
            # validation curves cover the last epochs (see Notes)
            return np.arange(n_epochs - curve.shape[0], n_epochs) + 1

        lines = {}
        (lines["training_loss"],) = ax.plot(
            epochs(loss), loss, **{"label": f"{prefix}Training loss", "color": "C0",
                                   **kwargs})
        val_loss = _curve(self.validation_loss_curve)
        if val_loss is not None:
            (lines["validation_loss"],) = ax.plot(
                epochs(val_loss), val_loss,
                **{"label": f"{prefix}Validation loss", "color": "C1",
                   "linestyle": "--", **(validation_loss_kw or {})})
        ax.set_xlabel("Epoch")
        ax.set_ylabel("Loss")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))

        scores = _curve(self.validation_scores)
        score_ax = None
        if scores is not None:
            score_ax = ax.twinx()
            (lines["validation_score"],) = score_ax.plot(
                epochs(scores), scores,
                **{"label": f"{prefix}Validation score ({self.score_name})",
                   "color": "C2", "linestyle": ":", **(validation_score_kw or {})})
            score_ax.set_ylabel(f"Validation score ({self.score_name})")
            # ax (and its legend) above the twin, so no curve is drawn over
            # the legend; ax's background would hide the twin's line
            ax.set_zorder(score_ax.get_zorder() + 1)
            ax.patch.set_visible(False)
        _place_legend(ax, list(lines.values()))

        self.ax_ = ax
        self.score_ax_ = score_ax
        self.figure_ = ax.figure
        self.lines_ = lines
        self.line_ = lines["training_loss"]
        return self

    @classmethod
    def from_estimator(cls, estimator, ax=None, *, name=None, validation_loss_kw=None,
                       validation_score_kw=None, **kwargs):
        """Plot the loss curves of a fitted estimator.

        Works with :class:`~skmlp.MLPClassifierNB`,
        :class:`~skmlp.MLPRegressorNB` and scikit-learn's MLPs fitted with a
        stochastic solver (``"sgd"`` or ``"adam"``).

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with ``loss_curve_`` and, when it validated
            (``early_stopping=True`` or ``X_val`` given),
            ``validation_scores_`` and ``validation_loss_curve_``.

        ax : matplotlib Axes, default=None
            Axes to draw the loss curves on; a new figure and axes when None.

        name : str, default=None
            Prefix of the legend labels.

        validation_loss_kw : dict, default=None
            Keyword arguments for ``Axes.plot`` of the validation-loss line.

        validation_score_kw : dict, default=None
            Keyword arguments for ``Axes.plot`` of the validation-score line.

        **kwargs : dict
            Keyword arguments for ``Axes.plot`` of the training-loss line.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If it has no per-epoch loss (fitted with ``solver="lbfgs"``).
        """
        check_is_fitted(estimator)
        loss_curve = getattr(estimator, "loss_curve_", None)
        if loss_curve is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_: only the stochastic "
                "solvers record a loss per epoch, and this estimator was fitted "
                f"with solver={getattr(estimator, 'solver', None)!r}. Fit it with "
                "solver='adam' or solver='sgd' to plot its loss curve."
            )
        display = cls(
            loss_curve=loss_curve,
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            validation_scores=getattr(estimator, "validation_scores_", None),
            score_name="accuracy" if is_classifier(estimator) else "R²",
            estimator_name=name,
        )
        return display.plot(ax=ax, validation_loss_kw=validation_loss_kw,
                            validation_score_kw=validation_score_kw, **kwargs)
