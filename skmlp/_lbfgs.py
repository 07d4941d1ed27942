"""The L-BFGS driver: SciPy's L-BFGS-B over the compiled full-data loss and gradient."""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from . import _data
from ._callbacks import fit_events
from ._epoch import H_OUT_SCALE, loss_gradient
from ._threads import blas_threads_for


class LbfgsDiverged(ValueError):
    """The L-BFGS objective or the weights stopped being finite."""


_DIVERGED_LBFGS = (
    # scikit-learn's sentence first, so that code matching on its message works.
    "Solver produced non-finite parameter weights. The input data may contain "
    "large values and need to be preprocessed. Training diverged: {what} at L-BFGS "
    "iteration {iteration}. Scale the inputs "
    "(for example with sklearn.preprocessing.StandardScaler) and the targets, or "
    "increase alpha. The estimator was left as it was before this call "
    "(unfitted if it was)."
)


class LocalObjective:
    """The regularised full-data loss and gradient over in-memory data.

    ``objective(theta)`` returns ``(loss, gradient)`` in the consistent
    convention a line search needs (the data term not averaged over outputs);
    ``objective(theta, reported=True)`` the loss in scikit-learn's convention
    (its gradient is then unused). ``threads()`` is the BLAS thread context the
    evaluations run in. :mod:`skmlp._dask_fit` gives :func:`fit_lbfgs` another
    objective with the same three members.
    """

    def __init__(self, est, data, net, dtype):
        self.data = data
        self.net = net
        self.chunk = _data.chunk_rows(data.n_rows, net.units)
        self.work = _data.workspace(net, self.chunk, dtype, data.dense,
                                    with_accumulator=True)
        self.hyper = est._hyper(dtype, 0.0)
        self.out_scale = self.hyper[H_OUT_SCALE]

    def threads(self):
        return blas_threads_for(self.net.units, self.chunk)

    def __call__(self, theta, reported=False):
        self.hyper[H_OUT_SCALE] = self.out_scale if reported else 1.0
        loss = loss_gradient(self.data, self.net, theta, self.hyper, self.work,
                             self.chunk)
        return loss, self.work.G


def fit_lbfgs(est, data, theta, net, inputs=None, objective=None):
    """Minimise the regularised loss over ``theta`` in place; set ``loss_``, ``n_iter_``.

    The objective handed to L-BFGS must be consistent with its gradient, so the
    data term is not averaged over outputs there (see docs/user_guide.md); the
    reported ``loss_`` is then evaluated in scikit-learn's convention.
    ``inputs`` (:class:`~skmlp._callbacks.FitInputs`): the user's ``fit``
    arguments, handed to callbacks. ``objective``: a :class:`LocalObjective`
    over ``data`` by default (``data`` is then unused otherwise).
    """
    if objective is None:
        objective = LocalObjective(est, data, net, theta.dtype)
    n_iter = 0
    accepted = theta.astype(np.float64)

    def fun(x):
        theta[:] = x
        loss, grad = objective(theta)
        return loss, grad.astype(np.float64)

    def callback(intermediate_result):
        nonlocal n_iter, accepted
        n_iter += 1
        accepted = intermediate_result.x.copy()
        events.iteration(n_iter, intermediate_result.fun)
        events.end_iteration(n_iter, accepted)
        if events.stop_requested():
            raise StopIteration  # SciPy ends the minimisation at this iterate
        events.begin_iteration()

    # An iteration task is open from the start of each iteration, as scikit-learn's
    # LogisticRegression does: max_iter of them, plus the one opened after the last.
    with (objective.threads(),
          fit_events(est, inputs, max_subtasks=est.max_iter + 1,
                     subtask_name="iteration") as events):
        try:
            events.begin_iteration()
            res = scipy.optimize.minimize(
                fun, theta.astype(np.float64), method="L-BFGS-B", jac=True,
                callback=callback,
                options={"maxfun": est.max_fun, "maxiter": est.max_iter,
                         "gtol": est.tol},
            )
            x = res.x
            interrupted = events.stop_requested()  # Ctrl-C or a callback
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
            x = accepted  # the last iterate L-BFGS accepted
            interrupted = True
        theta[:] = x
        est.loss_ = float(objective(theta, reported=True)[0])
        # Inside the block: callbacks see the fit end only when it succeeded.
        if not np.isfinite(est.loss_) or not np.isfinite(theta).all():
            raise LbfgsDiverged(_DIVERGED_LBFGS.format(
                what=f"the loss became {est.loss_}", iteration=n_iter))
        est.n_iter_ = n_iter if interrupted else _check_result(res, est.max_iter)


def _check_result(res, max_iter):
    if res.status != 0:
        msg = res.message.decode("latin1") if isinstance(res.message, bytes) else res.message
        warnings.warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) (status="
            f"{res.status}): {msg}. Increase the number of iterations (max_iter) "
            "or scale the data as shown in "
            "https://scikit-learn.org/stable/modules/preprocessing.html",
            ConvergenceWarning,
            stacklevel=3,
        )
    return min(int(res.nit), max_iter)
