"""One event point for a fit: ``verbose`` lines, stop requests and Ctrl-C.

The drivers (:mod:`skmlp._stochastic`, :mod:`skmlp._lbfgs`) report what happens
through an :class:`Events` object and ask it whether to stop; they never print or
look at signals themselves. Stop requests are only honoured between epochs (or
L-BFGS iterations), so the model is always consistent when training ends early.
"""

from contextlib import contextmanager

from ._interrupt import graceful_interrupt


class Events:
    """What a driver tells the user, and whether it was asked to stop.

    Parameters
    ----------
    verbose : bool or int
        Print progress lines (scikit-learn's format).
    interrupted : callable
        Returns True once Ctrl-C was pressed (see :mod:`skmlp._interrupt`).
    """

    def __init__(self, verbose, interrupted):
        self.verbose = verbose
        self._interrupted = interrupted

    def say(self, message):
        """Print ``message`` when verbose."""
        if self.verbose:
            print(message)

    def iteration(self, n_iter, loss):
        """One finished epoch (or L-BFGS iteration) with its training loss."""
        self.say("Iteration %d, loss = %.8f" % (n_iter, loss))

    def validation(self, score):
        """The validation score of the epoch just reported."""
        self.say("Validation score: %f" % score)

    def stop_requested(self):
        """Whether training should end after the current epoch."""
        return self._interrupted()


@contextmanager
def fit_events(estimator):
    """Yield the :class:`Events` of one fit, with Ctrl-C handling installed."""
    with graceful_interrupt() as interrupted:
        yield Events(estimator.verbose, interrupted)
