"""Learning-rate schedules for the stochastic solvers (plain Python, once per epoch).

The engine takes one learning rate per epoch call, so a schedule is a rule
mapping what happened so far to the next epoch's rate. :class:`SklearnRule` is
scikit-learn's ``learning_rate`` parameter ('constant', 'invscaling',
'adaptive' for sgd; adam ignores it), kept exactly so that a scikit-learn
script behaves as before.
"""


class SklearnRule:
    """scikit-learn's ``learning_rate`` behaviour for one fit.

    Parameters
    ----------
    estimator : BaseMultilayerPerceptronNB
        Supplies ``solver``, ``learning_rate``, ``learning_rate_init`` and
        ``power_t``.
    """

    def __init__(self, estimator):
        self.sgd = estimator.solver == "sgd"
        self.kind = estimator.learning_rate
        self.learning_rate_init = float(estimator.learning_rate_init)
        self.power_t = estimator.power_t

    def after_epoch(self, lr, t):
        """Rate for the next epoch after ``t`` samples were seen in total."""
        if self.sgd and self.kind == "invscaling":
            return self.learning_rate_init / (t + 1) ** self.power_t
        return lr

    def on_plateau(self, lr):
        """``(lr, stop, note)`` when ``n_iter_no_change`` epochs did not improve.

        Only sgd with 'adaptive' keeps going, with the rate divided by 5, until
        the rate falls to 1e-6.
        """
        if not self.sgd or self.kind != "adaptive":
            return lr, True, " Stopping."
        if lr <= 1e-6:
            return lr, True, " Learning rate too small. Stopping."
        lr /= 5.0
        return lr, False, " Setting learning rate to %f" % lr
