"""skmlp on a real Dask cluster: two worker processes on the loopback interface.

What users of dask do with a scikit-learn estimator, checked on real
components (no mocks):

- a hyperparameter search under ``joblib.parallel_backend("dask")`` runs its
  fits in the worker processes and finds what the same search finds locally;
- ``dask_ml.wrappers.Incremental`` trains over a chunked dask array with
  ``partial_fit`` and ends bitwise equal to the same calls made locally;
- workers whose ``NUMBA_CACHE_DIR`` points at a primed cache load skmlp's
  compiled kernels from it instead of compiling.

The cluster is started once for the module (a few seconds); its workers get
``NUMBA_CACHE_DIR`` pointing at a temporary directory that a subprocess primed
by fitting once.
"""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed", reason="Dask is optional: pip install 'skmlp[dask]'"
)
dask_ml_wrappers = pytest.importorskip(
    "dask_ml.wrappers", reason="dask-ml is optional: pip install 'skmlp[dask]'"
)

import cloudpickle  # noqa: E402  (a dependency of distributed)
import dask.array as da  # noqa: E402
import joblib  # noqa: E402
from scipy.stats import loguniform  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skmlp  # noqa: E402
from skmlp import MLPClassifierNB  # noqa: E402

# A local Dask cluster, its worker processes primed by a subprocess.
pytestmark = pytest.mark.slow

# The functions below run on the workers, which cannot import this test module
# by name: send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

PRIME = textwrap.dedent(
    """
    import warnings
    import numpy as np
    from skmlp import MLPClassifierNB
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3))
    MLPClassifierNB(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0] > 0).predict(X)
    """
)


@pytest.fixture(scope="module")
def numba_cache(tmp_path_factory):
    """A NUMBA_CACHE_DIR primed by one fit in a fresh process."""
    cache = tmp_path_factory.mktemp("numba_cache")
    # Numba files cache entries under the directory of the source, so the
    # subprocess must import the very skmlp this test process imported.
    root = os.path.dirname(os.path.dirname(os.path.abspath(skmlp.__file__)))
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=path)
    subprocess.run([sys.executable, "-c", PRIME], env=env, check=True, timeout=300)
    return cache


@pytest.fixture(scope="module")
def client(numba_cache):
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        env={"NUMBA_CACHE_DIR": str(numba_cache)},
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _pid_scorer(estimator, X, y):
    """A 'score' that records which process evaluated the fitted model."""
    return float(os.getpid())


def _search():
    pipe = Pipeline([
        ("scale", StandardScaler()),
        ("mlp", MLPClassifierNB(hidden_layer_sizes=(16,), max_iter=25,
                                random_state=0)),
    ])
    return RandomizedSearchCV(
        pipe,
        {
            "mlp__alpha": loguniform(1e-5, 1e-1),
            "mlp__learning_rate_init": loguniform(1e-3, 3e-2),
            "mlp__hidden_layer_sizes": [(8,), (16,), (16, 8)],
        },
        n_iter=4,
        cv=3,
        scoring={"acc": "accuracy", "pid": _pid_scorer},
        refit="acc",
        random_state=0,
    )


def test_search_runs_on_the_workers_and_matches_local(client, digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = _search().fit(X, y)
        with joblib.parallel_backend("dask"):
            remote = _search().set_params(n_jobs=-1).fit(X, y)

    worker_pids = set(client.run(os.getpid).values())
    split_pids = {
        int(p)
        for k in range(3)
        for p in remote.cv_results_[f"split{k}_test_pid"]
    }
    assert split_pids <= worker_pids, (split_pids, worker_pids)
    assert os.getpid() not in split_pids
    assert {int(p) for p in local.cv_results_["split0_test_pid"]} == {os.getpid()}

    assert remote.best_params_ == local.best_params_
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for key in ["mean_test_acc", "rank_test_acc"] + [f"split{k}_test_acc"
                                                     for k in range(3)]:
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))


def test_incremental_equals_local_partial_fit(client, digits):
    X, y = digits[0][:300], digits[1][:300]
    X = StandardScaler().fit_transform(X)
    classes = np.unique(y)
    est = MLPClassifierNB(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                          random_state=0)
    chunk = 60
    Xd = da.from_array(X, chunks=(chunk, X.shape[1]))
    yd = da.from_array(y, chunks=chunk)
    inc = dask_ml_wrappers.Incremental(clone(est), shuffle_blocks=False)

    with distributed.get_task_stream(client) as tasks:
        inc.fit(Xd, yd, classes=classes)
    fit_tasks = [t for t in tasks.data if str(t["key"]).startswith("('fit-")]
    assert len(fit_tasks) >= X.shape[0] // chunk
    workers = set(client.scheduler_info()["workers"])
    assert {t["worker"] for t in fit_tasks} <= workers

    local = clone(est)
    for start in range(0, X.shape[0], chunk):
        local.partial_fit(X[start:start + chunk], y[start:start + chunk],
                          classes=classes)
    remote = inc.estimator_
    assert remote.t_ == local.t_ == X.shape[0]
    assert remote.loss_curve_ == local.loss_curve_
    for a, b in zip(remote.coefs_ + remote.intercepts_,
                    local.coefs_ + local.intercepts_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(inc.predict(Xd).compute(), local.predict(X))


def _fit_and_report_compilation():
    """On a worker: fit and predict once, then report what numba compiled."""
    import numba
    from numba.core.registry import CPUDispatcher

    import skmlp._epoch
    import skmlp._kernels
    import skmlp._optim

    rng = np.random.RandomState(1)
    X = rng.standard_normal((40, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifierNB(hidden_layer_sizes=(5,), max_iter=3)
        est.fit(X, X[:, 0] > 0).predict(X)
    misses = {}
    for module in (skmlp._epoch, skmlp._kernels, skmlp._optim):
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.stats.cache_misses:
                misses[f"{module.__name__}.{name}"] = sum(
                    obj.stats.cache_misses.values())
    stats = skmlp._epoch.run_epoch.stats
    return {
        "skmlp": os.path.abspath(skmlp.__file__),
        "cache_dir": numba.config.CACHE_DIR,
        "hits": sum(stats.cache_hits.values()),
        "misses": misses,
    }


def _snapshot(directory):
    return {
        p: os.stat(os.path.join(root, p)).st_mtime_ns
        for root, _, files in os.walk(directory)
        for p in files
    }


def test_workers_load_kernels_from_the_shared_cache(client, numba_cache):
    before = _snapshot(numba_cache)
    assert any(name.endswith(".nbi") for name in before), "the cache was not primed"
    reports = client.run(_fit_and_report_compilation)
    assert len(reports) == 2
    for worker, report in reports.items():
        assert report["skmlp"] == os.path.abspath(skmlp.__file__), worker
        assert report["cache_dir"] == str(numba_cache), worker
        assert report["hits"] >= 1, (worker, report)
        assert report["misses"] == {}, (worker, report)
    # Loading is read-only: no worker wrote a new compiled object.
    assert _snapshot(numba_cache) == before
