"""Ctrl-C during fit: training stops, a warning is issued, the model is usable.

The interrupt is delivered with ``_thread.interrupt_main()`` (what Ctrl-C does
to the main thread), either synchronously from the verbose progress output at a
known epoch, or asynchronously from a timer thread while the compiled epoch
kernel is running. Neither depends on how fast the machine is: the timer is
only started once training is under way, and the run is long enough that it
cannot finish first.
"""

import _thread
import io
import signal
import sys
import threading
import warnings

import numpy as np
import pytest

from skmlp import MLPClassifierNB, MLPRegressorNB


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Ctrl-C as an interactive session sees it: Python's own SIGINT handler.

    A process started in the background by a non-interactive shell (as a CI
    runner may do) inherits SIGINT as *ignored*; then neither Ctrl-C nor
    ``interrupt_main`` does anything and there would be nothing to test.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


rng = np.random.RandomState(0)
X = rng.standard_normal((80, 5))
y = (X[:, 0] + X[:, 1] > 0).astype(int)
y_reg = X @ rng.standard_normal(5)
MAX_ITER = 50


class _Progress(io.StringIO):
    """A stdout that calls ``action`` when a progress line for ``at`` appears."""

    def __init__(self, at, action):
        super().__init__()
        self.at = at
        self.action = action
        self.fired = False

    def write(self, s):
        if not self.fired and s.startswith(f"Iteration {self.at},"):
            self.fired = True
            self.action()
        return super().write(s)


def _fit_interrupted(est, X_, y_, monkeypatch, at, action=_thread.interrupt_main):
    progress = _Progress(at, action)
    monkeypatch.setattr(sys, "stdout", progress)
    try:
        with pytest.warns(UserWarning, match="Training interrupted by user.") as record:
            returned = est.fit(X_, y_)
    except KeyboardInterrupt:  # pragma: no cover - the bug this file looks for
        pytest.fail("KeyboardInterrupt escaped from fit")
    finally:
        monkeypatch.undo()
    assert progress.fired
    assert returned is est
    return record


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est, target", [(MLPClassifierNB, y), (MLPRegressorNB, y_reg)],
                         ids=["classifier", "regressor"])
def test_interrupted_stochastic_fit_warns_and_keeps_completed_epochs(
    Est, target, solver, monkeypatch
):
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=MAX_ITER,
                  random_state=0, n_iter_no_change=MAX_ITER)
    est = Est(verbose=True, **params)
    _fit_interrupted(est, X, target, monkeypatch, at=3)
    assert est.n_iter_ == 3 < MAX_ITER
    assert len(est.loss_curve_) == est.n_iter_
    # The weights are those after the completed epochs, not a half-updated state.
    reference = Est(**dict(params, max_iter=3)).fit(X, target)
    for a, b in zip(est.coefs_ + est.intercepts_,
                    reference.coefs_ + reference.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert np.all(np.isfinite(est.predict(X).astype(float)))


def test_interrupted_lbfgs_fit_warns_and_keeps_the_last_iterate(monkeypatch):
    params = dict(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=MAX_ITER,
                  random_state=0)
    est = MLPRegressorNB(verbose=True, **params)
    _fit_interrupted(est, X, y_reg, monkeypatch, at=3)
    reference = MLPRegressorNB(**dict(params, max_iter=3)).fit(X, y_reg)
    for a, b in zip(est.coefs_ + est.intercepts_,
                    reference.coefs_ + reference.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert est.loss_ == reference.loss_
    np.testing.assert_array_equal(est.predict(X), reference.predict(X))


def test_interrupted_lbfgs_fit_reports_completed_iterations(monkeypatch):
    est = MLPRegressorNB(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=MAX_ITER,
                         random_state=0, verbose=True)
    _fit_interrupted(est, X, y_reg, monkeypatch, at=3)
    assert est.n_iter_ == 3


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_interrupt_during_epoch_kernel_leaves_consistent_state(solver, monkeypatch):
    # Ctrl-C pressed while the compiled epoch runs: the interrupt is pending when
    # the kernel returns, and is raised at the next bytecode boundary.
    import skmlp._stochastic

    real = skmlp._stochastic.train_epoch
    calls = []

    def train_epoch_then_ctrl_c(*args):
        out = real(*args)
        calls.append(1)
        if len(calls) == 4:
            _thread.interrupt_main()
        return out

    monkeypatch.setattr(skmlp._stochastic, "train_epoch", train_epoch_then_ctrl_c)
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=MAX_ITER,
                  random_state=0, n_iter_no_change=MAX_ITER)
    est = MLPRegressorNB(**params)
    try:
        with pytest.warns(UserWarning, match="Training interrupted by user."):
            est.fit(X, y_reg)
    except KeyboardInterrupt:  # pragma: no cover
        pytest.fail("KeyboardInterrupt escaped from fit")
    monkeypatch.undo()
    assert est.n_iter_ < MAX_ITER
    assert len(est.loss_curve_) == est.n_iter_
    assert est.t_ == est.n_iter_ * X.shape[0]
    reference = MLPRegressorNB(**dict(params, max_iter=est.n_iter_)).fit(X, y_reg)
    for a, b in zip(est.coefs_ + est.intercepts_,
                    reference.coefs_ + reference.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_interrupt_from_another_thread_during_a_long_fit(monkeypatch):
    # Bigger data and many epochs: the main thread spends nearly all its time in
    # the compiled epoch kernel, where the interrupt has to wait for it to return.
    big = np.random.RandomState(1)
    Xb = big.standard_normal((3000, 40))
    yb = (Xb[:, :5].sum(axis=1) > 0).astype(int)
    max_iter = 20000
    est = MLPClassifierNB(hidden_layer_sizes=(64,), max_iter=max_iter, random_state=0,
                          tol=0.0, n_iter_no_change=max_iter, verbose=True)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    try:
        _fit_interrupted(est, Xb, yb, monkeypatch, at=1, action=timer.start)
    finally:
        timer.cancel()
        timer.join()
    assert 1 <= est.n_iter_ < max_iter
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = est.predict_proba(Xb[:10])
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
