"""``n_jobs``: the rows of every batch split across threads.

What must hold: the split changes only the rounding of the gradient sum (so a
split fit follows the one-thread fit, and scikit-learn, to rounding); the same
seed and the same number of threads give bitwise the same weights, in this
process, in another process (the "split-" configurations of
tests/test_determinism.py) and when several split fits run at once; the
policy uses threads only where it pays; a thread that fails does not leave the
others waiting forever.
"""

import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import MLPClassifier

from skmlp import MLPClassifierNB, _epoch, _threads
from skmlp._threads import MIN_ROWS_PER_THREAD, batch_threads

from conftest import ROUND_OFF_TOL

SETUP = textwrap.dedent(
    """
    import numpy as np
    import scipy.sparse as sp
    from skmlp import MLPClassifierNB, MLPRegressorNB

    rng = np.random.RandomState(0)
    X = rng.standard_normal((400, 12))
    y_clf = (X[:, :3].sum(axis=1) > 0).astype(int) + (X[:, 3] > 1)
    y_reg = X @ rng.standard_normal(12)
    sw = rng.uniform(0.0, 2.0, 400)
    sw[:64] = 0.0  # zero weights (whole zero-weight batches: tests/test_kernels.py)
    Xs = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    base = dict(hidden_layer_sizes=(32, 16), max_iter=4, batch_size=64,
                random_state=42)
    CONFIGS = {
        "clf-adam": lambda n: MLPClassifierNB(n_jobs=n, **base).fit(X, y_clf),
        "clf-sgd-sparse": lambda n: MLPClassifierNB(
            solver="sgd", n_jobs=n, **base).fit(Xs, y_clf),
        "reg-adam-float32": lambda n: MLPRegressorNB(n_jobs=n, **base).fit(
            X.astype(np.float32), y_reg),
        "clf-dropout": lambda n: MLPClassifierNB(
            dropout=0.3, n_jobs=n, **base).fit(X, y_clf),
        "reg-weighted-early-stopping": lambda n: MLPRegressorNB(
            early_stopping=True, n_jobs=n, **dict(base, max_iter=12)).fit(
            X, y_reg, sample_weight=sw),
    }
    """
)
namespace = {}
exec(SETUP, namespace)
CONFIGS = namespace["CONFIGS"]
X, Y_CLF = namespace["X"], namespace["y_clf"]


def weights(est):
    return est.coefs_ + est.intercepts_


def assert_bitwise_equal(a, b):
    for u, v in zip(weights(a), weights(b), strict=True):
        assert u.dtype == v.dtype
        np.testing.assert_array_equal(u, v)



# ------------------------------------------------------------------ the policy
def test_policy_uses_threads_only_where_it_pays():
    small = np.array([50, 64, 64, 1])
    large = np.array([784, 300, 100, 10])
    assert batch_threads(None, small, 200) == 1  # scikit-learn's default: 1
    assert batch_threads(1, small, 200) == 1
    assert batch_threads(2, small, 200) == 2
    assert batch_threads(3, small, 200) == 3
    assert batch_threads(-1, small, 200) == min(_threads.resolve_n_jobs(-1),
                                                200 // MIN_ROWS_PER_THREAD)
    # a large network splits too (its threads then call BLAS on one thread each)
    assert batch_threads(None, large, 200) == 1
    assert batch_threads(2, large, 200) == 2
    # never fewer than MIN_ROWS_PER_THREAD rows per thread
    assert batch_threads(4, small, 2 * MIN_ROWS_PER_THREAD) == 2
    assert batch_threads(4, small, MIN_ROWS_PER_THREAD - 1) == 1


def test_blas_runs_on_one_thread_per_caller_whenever_a_batch_is_split():
    from contextlib import nullcontext

    small, large = np.array([50, 64, 64, 1]), np.array([784, 300, 100, 10])
    assert isinstance(_threads.blas_threads_for(large, 200), nullcontext)  # BLAS's threads
    assert not isinstance(_threads.blas_threads_for(large, 200, 2), nullcontext)
    assert not isinstance(_threads.blas_threads_for(small, 200), nullcontext)
    assert not isinstance(_threads.blas_threads_for(small, 200, 2), nullcontext)


def test_a_large_network_splits_with_n_jobs_and_limits_blas_meanwhile(split_epochs,
                                                                      monkeypatch):
    # 256 x 128 products at batch 128: 4.2M multiply-adds, the policy's "large"
    assert 256 * 128 * 128 >= _threads.MULTITHREAD_MIN_MACS
    from threadpoolctl import threadpool_info

    from skmlp import _stochastic

    def blas_threads():
        return [p.get("num_threads") for p in threadpool_info() if p["user_api"] == "blas"]

    _threads._get_controller()  # loads every BLAS the engine may call, as a fit does
    before = blas_threads()  # the process's setting, before any fit
    rng = np.random.RandomState(0)
    X = rng.standard_normal((512, 256))
    y = (X[:, :5].sum(axis=1) > 0).astype(int)
    during = []  # BLAS threads while each epoch runs
    counting = _stochastic.train_epoch  # split_epochs' spy

    def spy(*args):
        during.append(blas_threads())
        return counting(*args)

    monkeypatch.setattr(_stochastic, "train_epoch", spy)

    def fit(n_jobs):
        return MLPClassifierNB(hidden_layer_sizes=(128,), batch_size=128, max_iter=3,
                               random_state=0, n_jobs=n_jobs).fit(X, y)

    one = fit(None)
    assert set(split_epochs) == {1}
    assert during and all(b == before for b in during)  # BLAS keeps the process's threads
    split_epochs.clear()
    during.clear()
    two, again = fit(2), fit(2)
    assert set(split_epochs) == {2}
    assert during and all(set(b) == {1} for b in during)  # one BLAS thread per caller
    assert_bitwise_equal(two, again)
    for a, b in zip(weights(one), weights(two)):  # the same training, to rounding
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    assert blas_threads() == before  # the limit is lifted after the fits


def test_fit_splits_batches_only_with_n_jobs(split_epochs):
    CONFIGS["clf-adam"](None)
    assert set(split_epochs) == {1}
    split_epochs.clear()
    CONFIGS["clf-adam"](2)
    assert set(split_epochs) == {2}


def test_n_jobs_counts_local_cores_whatever_the_joblib_context():
    # The threads are this process's own: a joblib context (which, inside a
    # Dask worker, reports the whole cluster) does not turn None into more.
    from joblib import cpu_count, parallel_config

    units = np.array([12, 32, 16, 3])
    with parallel_config(n_jobs=2):
        assert batch_threads(None, units, 64) == 1
    assert _threads.resolve_n_jobs(-1) == cpu_count()
    assert _threads.resolve_n_jobs(-2) == max(1, cpu_count() - 1)
    assert _threads.resolve_n_jobs(3) == 3


def test_n_jobs_zero_is_refused_before_any_work():
    est = MLPClassifierNB(n_jobs=0)
    with pytest.raises(ValueError, match="n_jobs=0 has no meaning"):
        est.fit(X, Y_CLF)
    assert not hasattr(est, "coefs_")


# ------------------------------------------------- the split changes rounding only
@pytest.mark.parametrize("name", [n for n in CONFIGS if n != "clf-dropout"])
@pytest.mark.parametrize("n_jobs", [2, 3])
def test_split_fit_follows_the_one_thread_fit(name, n_jobs):
    # (With dropout each thread draws its own masks: other masks, another fit.)
    one, split = CONFIGS[name](None), CONFIGS[name](n_jobs)
    rtol = 1e-4 if "float32" in name else 1e-9
    for u, v in zip(weights(one), weights(split), strict=True):
        np.testing.assert_allclose(v, u, rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(split.loss_curve_, one.loss_curve_, rtol=rtol)
    assert split.n_iter_ == one.n_iter_
    assert split.t_ == one.t_


def test_split_fit_follows_scikit_learn(split_epochs):
    # scikit-learn's own MLP as the oracle, as in test_parity.py
    params = dict(hidden_layer_sizes=(16,), max_iter=5, batch_size=50,
                  random_state=0, shuffle=True)
    ours = MLPClassifierNB(n_jobs=2, **params).fit(X, Y_CLF)
    assert set(split_epochs) == {2}  # the batches really were split
    theirs = MLPClassifier(**params).fit(X, Y_CLF)
    for u, v in zip(ours.coefs_ + ours.intercepts_,
                    theirs.coefs_ + theirs.intercepts_, strict=True):
        np.testing.assert_allclose(u, v, **ROUND_OFF_TOL)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, **ROUND_OFF_TOL)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_adam_counts_every_batch_once():
    est = CONFIGS["clf-adam"](3)
    # 400 rows in batches of 64: 7 batches per epoch, 4 epochs
    assert est._solver_state.counters[0] == 7 * 4


# ------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("n_jobs", [2, 3])
def test_same_seed_and_threads_give_bitwise_identical_weights(name, n_jobs):
    assert_bitwise_equal(CONFIGS[name](n_jobs), CONFIGS[name](n_jobs))


# In another process and across BLAS thread limits: the "split-" configurations
# of tests/test_determinism.py.


def test_dropout_streams_differ_per_thread():
    # Each thread draws its own masks: seeded, and not all from one stream.
    est = CONFIGS["clf-dropout"](3)
    streams = est._solver_state.counters[1:]
    assert streams.shape == (3,)
    assert len(set(streams.tolist())) == 3
    no_dropout = CONFIGS["clf-adam"](3)
    assert np.all(no_dropout._solver_state.counters[1:] == 0)  # nothing drawn without dropout


def test_thread_seeds_draw_nothing_from_random_state():
    # The other threads' dropout seeds derive from thread 0's: the shuffles
    # (everything but the masks) are those of a one-thread fit.
    a = CONFIGS["clf-dropout"](None)
    b = CONFIGS["clf-dropout"](3)
    np.testing.assert_array_equal(a._random_state.get_state()[1],
                                  b._random_state.get_state()[1])


def test_dropout_switched_on_later_seeds_every_thread():
    est = MLPClassifierNB(hidden_layer_sizes=(32,), batch_size=40, random_state=0,
                          n_jobs=3)
    est.partial_fit(X, Y_CLF, classes=[0, 1, 2])
    assert np.all(est._solver_state.counters[1:] == 0)  # no dropout: nothing seeded
    est.set_params(dropout=0.3).partial_fit(X, Y_CLF)
    streams = est._solver_state.counters[2:].tolist()
    assert 0 not in streams and len(set(streams)) == len(streams)


def test_plain_sgd_leaves_no_velocity_behind():
    est = MLPClassifierNB(solver="sgd", hidden_layer_sizes=(16,), batch_size=40,
                          random_state=0, momentum=0.9)
    est.partial_fit(X, Y_CLF, classes=[0, 1, 2])
    assert est._solver_state.moments[0].any()
    est.set_params(momentum=0.0).partial_fit(X, Y_CLF)
    assert not est._solver_state.moments[0].any()  # a later momentum starts from rest


def test_one_thread_fit_draws_what_it_always_drew():
    # The extra dropout seeds are drawn after everything a one-thread fit draws.
    a = CONFIGS["clf-dropout"](None)
    b = CONFIGS["clf-dropout"](1)
    assert a._solver_state.counters.shape == (2,)
    assert_bitwise_equal(a, b)


# ---------------------------------------------------- partial_fit and warm start
def test_partial_fit_with_split_batches_continues_like_fit():
    params = dict(hidden_layer_sizes=(32,), batch_size=40, random_state=0,
                  shuffle=False, n_jobs=2)
    full = MLPClassifierNB(max_iter=3, **params).fit(X, Y_CLF)
    inc = MLPClassifierNB(**params)
    for _ in range(3):
        inc.partial_fit(X, Y_CLF, classes=[0, 1, 2])
    assert_bitwise_equal(full, inc)


def test_n_jobs_may_change_between_partial_fit_calls():
    est = MLPClassifierNB(hidden_layer_sizes=(32,), batch_size=40, random_state=0,
                          dropout=0.2)
    est.partial_fit(X, Y_CLF, classes=[0, 1, 2])
    est.set_params(n_jobs=3).partial_fit(X, Y_CLF)
    assert est._solver_state.counters.shape == (4,)  # two more dropout streams, seeded
    assert np.all(est._solver_state.counters[2:] != 0)
    est.set_params(n_jobs=None).partial_fit(X, Y_CLF)
    assert np.isfinite(est.loss_)
    assert est._solver_state.counters[0] == 3 * 10  # Adam's steps: 10 batches per call


# -------------------------------------------------- threads of several fits
def test_split_fits_in_two_threads_equal_serial_fits():
    from concurrent.futures import ThreadPoolExecutor

    names = ["clf-adam", "clf-dropout", "clf-sgd-sparse", "reg-adam-float32"]
    serial = [[w.tobytes() for w in weights(CONFIGS[n](2))] for n in names]
    with ThreadPoolExecutor(len(names)) as pool:
        threaded = list(pool.map(
            lambda n: [w.tobytes() for w in weights(CONFIGS[n](2))], names))
    assert threaded == serial


def _fit_with_watchdog(est, seconds=120):
    """Fit in a daemon thread; fail (instead of hanging the suite) on a hang."""
    import threading

    outcome = {}

    def target():
        try:
            est.fit(X, Y_CLF)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(seconds)
    assert not th.is_alive(), "the fit hung"
    return outcome.get("error")


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch-norm"])
@pytest.mark.parametrize("failing, n_jobs", [(1, 2), (0, 3)],
                         ids=["worker-fails", "caller-fails"])
def test_a_failing_thread_does_not_hang_the_others(monkeypatch, failing, n_jobs,
                                                   batch_norm):
    # One thread dies before its first meeting point (a worker, or the calling
    # thread whose part the workers wait for): the others must stop waiting
    # there (with batch_norm, at the meetings inside the passes first), fit
    # must raise the error and leave the estimator untouched, and the pool's
    # workers must survive to serve the next split fit.
    real = _epoch.run_epoch

    class Boom(RuntimeError):
        pass

    def run_epoch(*args):
        if args[10].tid == failing:  # the team
            raise Boom(f"thread {failing} failed")
        return real(*args)

    monkeypatch.setattr(_epoch, "run_epoch", run_epoch)
    est = MLPClassifierNB(hidden_layer_sizes=(16,), batch_size=64, max_iter=2,
                          n_jobs=n_jobs, batch_norm=batch_norm, random_state=0)
    assert isinstance(_fit_with_watchdog(est), Boom)
    assert not hasattr(est, "coefs_")
    monkeypatch.setattr(_epoch, "run_epoch", real)
    assert _fit_with_watchdog(est) is None
    assert np.isfinite(est.loss_)


def test_crew_aborts_when_the_callers_job_cannot_run():
    # An exception in the calling thread before or instead of its part (a
    # KeyboardInterrupt, say) must release a worker waiting for it.
    import threading

    from skmlp._crew import Crew

    released = threading.Event()

    def caller():
        raise KeyboardInterrupt

    crew = Crew(1)
    try:
        with pytest.raises(KeyboardInterrupt):
            crew.run([caller, lambda: released.wait(30)], released.set)
        assert released.is_set()
    finally:
        crew.close()


def test_sparse_and_dense_split_fits_agree():
    Xs = namespace["Xs"]
    params = dict(hidden_layer_sizes=(16,), batch_size=64, max_iter=3,
                  random_state=0, n_jobs=2)
    a = MLPClassifierNB(**params).fit(Xs, Y_CLF)
    b = MLPClassifierNB(**params).fit(Xs.toarray(), Y_CLF)
    for u, v in zip(weights(a), weights(b), strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-13)
    assert sp.issparse(Xs)
