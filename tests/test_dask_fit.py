"""``fit`` on Dask collections, on a real 2-worker LocalCluster (loopback only).

- lbfgs: weights equal to a local fit up to summation order, bitwise equal
  between two distributed fits with the same chunking, every gradient
  computed in the worker processes;
- sgd / adam (local SGD with model averaging): reproducible, and held-out
  accuracy within a point of a local fit with the same epochs;
- Dask DataFrames, sample and class weights, validation data;
- bad input fails before training and leaves the model as it was; no client
  is a clear error; NumPy fits never import Dask;
- a worker killed during an lbfgs fit costs time, not the result.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed", reason="Dask is optional: pip install 'skmlp[dask]'"
)

import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skmlp  # noqa: E402
from skmlp import MLPClassifierNB, MLPRegressorNB, _dask_fit  # noqa: E402

from conftest import ROUND_OFF_TOL, local_cluster, make_data  # noqa: E402

pytestmark = pytest.mark.slow

ROW_CHUNKS = (23, 7, 30)  # uneven blocks, one smaller than a batch


def _weights(est):
    return est.coefs_ + est.intercepts_


def _assert_bitwise(a, b):
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(u, v)


def _assert_close(a, b):
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(u, v, **ROUND_OFF_TOL)


def _blocks_of(a, chunks=ROW_CHUNKS):
    return da.from_array(a, chunks=(chunks,) + a.shape[1:])


def _worker_tasks(tasks, prefix):
    # delayed keys are strings: "block_loss_gradient-<token>"
    return [t for t in tasks.data if str(t["key"]).startswith(prefix)]


# -------------------------------------------------------------------- lbfgs
@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "multioutput"])
def test_lbfgs_equals_local_fit(client, kind):
    X, y = make_data(kind)
    w = np.random.RandomState(1).uniform(0.2, 2.0, X.shape[0])
    cls = MLPRegressorNB if kind in ("squared_error", "multioutput") else MLPClassifierNB
    est = cls(hidden_layer_sizes=(7,), solver="lbfgs", alpha=0.01, max_iter=12,
              random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = clone(est).fit(X, y, sample_weight=w)
        with distributed.get_task_stream(client) as tasks:
            remote = clone(est).fit(_blocks_of(X), _blocks_of(y), sample_weight=_blocks_of(w))
        again = clone(est).fit(_blocks_of(X), _blocks_of(y), sample_weight=_blocks_of(w))
    assert remote.n_iter_ == local.n_iter_ > 5
    assert remote.n_outputs_ == local.n_outputs_
    np.testing.assert_allclose(remote.loss_, local.loss_, **ROUND_OFF_TOL)
    _assert_close(remote, local)
    _assert_bitwise(remote, again)
    if kind == "multioutput":
        np.testing.assert_allclose(remote.predict(X), local.predict(X), **ROUND_OFF_TOL)
    else:
        np.testing.assert_array_equal(remote.classes_, local.classes_)
        np.testing.assert_array_equal(remote.predict(X), local.predict(X))
    # every gradient was computed on a worker, one task per block
    ran = _worker_tasks(tasks, "block_loss_gradient")
    assert len(ran) >= len(ROW_CHUNKS) * (remote.n_iter_ + 1)
    assert {t["worker"] for t in ran} <= set(client.scheduler_info()["workers"])


def test_dataframe_with_feature_names_and_class_weight(client):
    X, y = make_data("multiclass", n_samples=90)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    labels = np.array(["a", "b", "c"])[y]
    ddf = dd.from_pandas(df, npartitions=3)
    dy = dd.from_pandas(pd.Series(labels), npartitions=3)
    est = MLPClassifierNB(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30,
                          class_weight="balanced", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = clone(est).fit(df, labels)
        remote = clone(est).fit(ddf, dy)
    assert list(remote.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(remote.classes_, ["a", "b", "c"])
    _assert_close(remote, local)
    np.testing.assert_array_equal(remote.predict(df), local.predict(df))


# ------------------------------------------------------------------ sgd, adam
@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X[:1200], y[:1200], X[1200:], y[1200:]


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_local_sgd_accuracy_and_reproducibility(client, digits_split, solver):
    X, y, X_test, y_test = digits_split
    est = MLPClassifierNB(hidden_layer_sizes=(32,), solver=solver, max_iter=25,
                          learning_rate_init=0.01 if solver == "adam" else 0.1,
                          random_state=0)
    Xd, yd = da.from_array(X, chunks=(300, 64)), da.from_array(y, chunks=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = clone(est).fit(X, y)
        remote = clone(est).fit(Xd, yd)
        again = clone(est).fit(Xd, yd)
    _assert_bitwise(remote, again)
    assert remote.loss_curve_ == again.loss_curve_
    assert remote.n_iter_ == len(remote.loss_curve_) == 25
    assert remote.t_ == 25 * X.shape[0]
    assert remote.loss_curve_[-1] < remote.loss_curve_[0] / 5
    gap = abs(remote.score(X_test, y_test) - local.score(X_test, y_test))
    assert gap <= 0.01, (remote.score(X_test, y_test), local.score(X_test, y_test))


def test_local_sgd_with_validation_data_and_early_stopping(client, digits_split):
    X, y, X_test, y_test = digits_split
    est = MLPClassifierNB(hidden_layer_sizes=(16,), learning_rate_init=0.02,
                          early_stopping=True, n_iter_no_change=3, max_iter=200,
                          random_state=0)
    fitted = est.fit(da.from_array(X, chunks=(400, 64)), da.from_array(y, chunks=400),
                     X_val=X_test, y_val=y_test)
    assert fitted.n_iter_ < 200  # stopped early
    assert len(fitted.validation_scores_) == fitted.n_iter_
    assert fitted.best_validation_score_ == max(fitted.validation_scores_)
    # the best epoch's weights were restored
    assert fitted.score(X_test, y_test) == fitted.best_validation_score_


def test_sync_interval_changes_the_fit(client, digits_split):
    X, y, _, _ = digits_split
    Xd, yd = da.from_array(X, chunks=(300, 64)), da.from_array(y, chunks=300)
    est = MLPClassifierNB(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = clone(est).set_params(dask_sync_batches=1).fit(Xd, yd)
        b = clone(est).set_params(dask_sync_batches=2).fit(Xd, yd)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


# ------------------------------------------------------------ bad input, errors
def test_bad_input_fails_before_training_and_keeps_the_model(client):
    X, y = make_data("multiclass")
    est = MLPClassifierNB(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=5,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    before = [a.copy() for a in _weights(est)]
    X_nan = X.copy()
    X_nan[40, 2] = np.nan
    w_neg = np.ones(X.shape[0])
    w_neg[50] = -1
    cases = [
        (dict(X=_blocks_of(X_nan), y=_blocks_of(y)), "NaN"),
        (dict(X=_blocks_of(X), y=_blocks_of(y), sample_weight=_blocks_of(w_neg)),
         "Negative"),
        (dict(X=_blocks_of(X[:, :3]), y=_blocks_of(y)), "features"),
        (dict(X=_blocks_of(X), y=_blocks_of(y + 0.5)), "Unknown label type"),
    ]
    for kwargs, match in cases:
        with distributed.get_task_stream(client) as tasks:
            with pytest.raises(ValueError, match=match):
                est.set_params(warm_start=match == "features").fit(
                    kwargs["X"], kwargs["y"], sample_weight=kwargs.get("sample_weight"))
        assert _worker_tasks(tasks, "block_loss_gradient") == []
        for a, b in zip(_weights(est), before):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="partial_fit takes NumPy"):
        MLPRegressorNB().partial_fit(_blocks_of(X), _blocks_of(X[:, 0]))


NO_CLIENT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from skmlp import MLPClassifierNB
    X = np.random.RandomState(0).standard_normal((30, 3))
    MLPClassifierNB(max_iter=2).fit(X, X[:, 0] > 0)
    assert "dask" not in sys.modules, "a NumPy fit imported dask"
    import dask.array as da
    try:
        MLPClassifierNB().fit(da.from_array(X, chunks=10), da.from_array(X[:, 0] > 0))
    except ValueError as exc:
        print(exc)
    """
)


def test_no_client_is_a_clear_error_and_numpy_never_imports_dask():
    root = os.path.dirname(os.path.dirname(os.path.abspath(skmlp.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", NO_CLIENT], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == _dask_fit.NO_CLIENT


# ---------------------------------------------------------------------- faults
def test_killed_worker_costs_time_not_the_fit(numba_cache):
    """SIGKILL a worker process during an lbfgs fit: the result is bitwise the same."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((6000, 20))
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    est = MLPClassifierNB(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=15,
                          random_state=0)
    cluster = local_cluster(numba_cache)
    client = distributed.Client(cluster)
    try:
        # persisted: the killed worker's blocks are lost with it and recomputed
        Xd = da.from_array(X, chunks=(500, 20)).persist()
        yd = da.from_array(y, chunks=500).persist()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            undisturbed = clone(est).fit(Xd, yd)
        pids = client.run(os.getpid)
        victim = max(pids.values())
        sums = _dask_fit.ClusterObjective.sums
        killed = []

        def kill_soon():
            time.sleep(0.01)  # inside the second evaluation, most likely
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        def sums_with_fault(self, theta):
            if self.n_evaluations == 1 and not killed:
                threading.Thread(target=kill_soon).start()
            return sums(self, theta)

        _dask_fit.ClusterObjective.sums = sums_with_fault
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                disturbed = clone(est).fit(Xd, yd)
        finally:
            _dask_fit.ClusterObjective.sums = sums
        assert killed == [victim]
        client.wait_for_workers(2, timeout=60)
        assert victim not in client.run(os.getpid).values()
        assert disturbed.n_iter_ == undisturbed.n_iter_
        _assert_bitwise(disturbed, undisturbed)
    finally:
        client.close()
        cluster.close()


# ------------------------------------------------------- larger than memory
def _rss():
    import psutil

    return psutil.Process().memory_info().rss


def test_data_larger_than_the_workers_memory_trains(numba_cache):
    """1.28 GB generated lazily, two workers limited to 600 MiB each: lbfgs trains.

    Nothing is persisted: every evaluation generates each block again where it
    runs (``da.random`` with a fixed seed gives the same blocks every time),
    so a worker holds a block or two at a time. (An idle worker process holds
    about 370 MB here: its imports.)
    """
    limit = 600 * 2**20
    cluster = local_cluster(numba_cache, memory_limit=limit)
    client = distributed.Client(cluster)
    try:
        X = da.random.default_rng(0).random((8_000_000, 20), chunks=(160_000, 20))
        y = (X[:, 0] + X[:, 1] > 1).astype(int)
        assert X.nbytes > 2 * limit
        pids = client.run(os.getpid)
        peak = {}
        done = threading.Event()

        def watch():
            while not done.is_set():
                for worker, rss in client.run(_rss).items():
                    peak[worker] = max(peak.get(worker, 0), rss)
                time.sleep(0.2)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est = MLPClassifierNB(hidden_layer_sizes=(4,), solver="lbfgs",
                                      max_iter=1, random_state=0).fit(X, y)
        finally:
            done.set()
            watcher.join()
        assert est.n_iter_ >= 1 and np.isfinite(est.loss_)
        assert client.run(os.getpid) == pids  # no worker was restarted
        assert len(peak) == 2 and max(peak.values()) < limit, peak
    finally:
        client.close()
        cluster.close()
