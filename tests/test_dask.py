"""skmlp on a real Dask cluster: two worker processes on the loopback interface.

What users of dask do with a scikit-learn estimator, checked on real
components (no mocks):

- a hyperparameter search under ``joblib.parallel_backend("dask")`` runs its
  fits in the worker processes and finds what the same search finds locally;
- ``dask_ml.wrappers.Incremental`` trains over a chunked dask array with
  ``partial_fit`` and ends bitwise equal to the same calls made locally;
- workers whose ``NUMBA_CACHE_DIR`` points at a primed cache load skmlp's
  compiled kernels from it instead of compiling;
- ``predict``, ``predict_proba``, ``predict_log_proba``, ``transform`` and
  ``score`` on dask arrays and Dask DataFrames stay lazy, run on the workers
  and equal the local results;
- ``transform`` on the workers loads the kernels that predict compiled:
  nothing new is compiled for it.

The cluster is started once for the module (a few seconds); its workers get
``NUMBA_CACHE_DIR`` pointing at a temporary directory that a subprocess primed
by fitting once (the ``client`` and ``numba_cache`` fixtures in conftest.py).
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
import dask.dataframe as dd  # noqa: E402
import joblib  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import loguniform  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skmlp  # noqa: E402
from skmlp import MLPClassifierNB, MLPRegressorNB  # noqa: E402

from conftest import ROUND_OFF_TOL, ROUND_OFF_TOL_FLOAT32, make_data  # noqa: E402

# A local Dask cluster, its worker processes primed by a subprocess.
pytestmark = pytest.mark.slow

# The functions below run on the workers, which cannot import this test module
# by name: send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

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
    """On a worker: fit, predict and transform once, then report what numba compiled."""
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
        # the primed cache holds what fit and predict compiled; transform
        # must find everything it needs there
        est.transform(X)
        est.transform(X.astype(np.float32))
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


# ------------------------------------------------------ predicting on dask data
# Uneven row chunks, and the columns split in two (the blocks must be whole
# rows: the predict path rechunks them).
ROW_CHUNKS = (23, 7, 30)


def _dask_X(X):
    return da.from_array(X, chunks=(ROW_CHUNKS, (2, X.shape[1] - 2)))


def _fitted(kind, dtype=np.float64):
    X, y = make_data(kind)
    X = X.astype(dtype)
    cls = MLPRegressorNB if kind in ("squared_error", "multioutput") else MLPClassifierNB
    est = cls(hidden_layer_sizes=(7,), max_iter=30, random_state=0).fit(X, y)
    return est, X, y


def _predict_tasks(tasks, est, method="predict"):
    kind = "-transform" if method == "transform" else "-predict"
    prefix = type(est).__name__.lower() + kind
    # the row blocks' tasks ("('mlp...-predict-<token>', i)"), not the
    # rechunking tasks whose names embed it
    return [t for t in tasks.data if str(t["key"]).startswith(f"('{prefix}")]


def _assert_lazy_and_equal(client, est, method, X, Xd, tol):
    local = getattr(est, method)(X)
    with distributed.get_task_stream(client) as before:
        lazy = getattr(est, method)(Xd)
    assert isinstance(lazy, da.Array)
    assert before.data == [], "something was computed before .compute()"
    assert lazy.dtype == local.dtype and lazy.ndim == local.ndim
    with distributed.get_task_stream(client) as tasks:
        result = lazy.compute()
    # one task per row block, each on a worker
    ran = _predict_tasks(tasks, est, method)
    assert len(ran) == lazy.numblocks[0] > 1, [t["key"] for t in ran]
    assert {t["worker"] for t in ran} <= set(client.scheduler_info()["workers"])
    assert result.dtype == local.dtype and result.shape == local.shape
    if method == "predict" and local.dtype.kind != "f":
        np.testing.assert_array_equal(result, local)
    else:
        np.testing.assert_allclose(result, local, **tol)
    return result


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_classifier_predicts_lazily_on_the_workers(client, kind, method):
    est, X, _ = _fitted(kind)
    _assert_lazy_and_equal(client, est, method, X, _dask_X(X), ROUND_OFF_TOL)


@pytest.mark.parametrize("kind", ["squared_error", "multioutput"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_regressor_predicts_lazily_on_the_workers(client, kind, dtype):
    est, X, _ = _fitted(kind, dtype)
    assert est.coefs_[0].dtype == dtype
    tol = ROUND_OFF_TOL if dtype == np.float64 else ROUND_OFF_TOL_FLOAT32
    result = _assert_lazy_and_equal(client, est, "predict", X, _dask_X(X), tol)
    assert result.dtype == dtype
    assert result.ndim == (1 if kind == "squared_error" else 2)


def test_float32_classifier_on_the_workers(client):
    est, X, _ = _fitted("multiclass", np.float32)
    result = _assert_lazy_and_equal(client, est, "predict_proba", X, _dask_X(X),
                                    ROUND_OFF_TOL_FLOAT32)
    assert result.dtype == np.float32


def _frames(X, y, npartitions=3):
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    return df, dd.from_pandas(df, npartitions=npartitions), pd.Series(y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform"])
def test_dataframe_with_feature_names(client, method):
    X, y = make_data("multiclass")
    df, ddf, _ = _frames(X, y)
    est = MLPClassifierNB(hidden_layer_sizes=(7,), max_iter=30, random_state=0)
    est.fit(df, y)
    assert list(est.feature_names_in_) == list(df.columns)
    with warnings.catch_warnings():
        # no "X does not have valid feature names" from the NumPy blocks
        warnings.simplefilter("error", UserWarning)
        lazy_rows = _assert_lazy_and_equal(client, est, method, df, ddf, ROUND_OFF_TOL)
    assert lazy_rows.shape[0] == len(df)

    renamed = df.rename(columns={"f0": "other"})
    with pytest.raises(ValueError) as local_error:
        getattr(est, method)(renamed)
    with pytest.raises(ValueError) as dask_error:
        getattr(est, method)(dd.from_pandas(renamed, npartitions=2))
    assert str(dask_error.value) == str(local_error.value)


@pytest.mark.parametrize("kind", ["multiclass", "squared_error"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transform_is_lazy_on_the_workers(client, kind, dtype):
    est, X, _ = _fitted(kind, dtype)
    tol = ROUND_OFF_TOL if dtype == np.float64 else ROUND_OFF_TOL_FLOAT32
    result = _assert_lazy_and_equal(client, est, "transform", X, _dask_X(X), tol)
    assert result.dtype == dtype and result.shape == (X.shape[0], 7)


def test_transform_with_pandas_output_still_runs_on_the_workers(client):
    # set_output(transform="pandas") asks for an in-memory DataFrame: the
    # blocks are computed on the workers as NumPy arrays, then framed.
    X, y = make_data("multiclass")
    df, ddf, _ = _frames(X, y)
    est = MLPClassifierNB(hidden_layer_sizes=(7,), max_iter=30, random_state=0)
    est.fit(df, y).set_output(transform="pandas")
    with distributed.get_task_stream(client) as tasks:
        out = est.transform(ddf)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())
    np.testing.assert_allclose(out.to_numpy(), est.transform(df).to_numpy(),
                               **ROUND_OFF_TOL)
    assert len(_predict_tasks(tasks, est, "transform")) == 3


def _from_row_20(part):
    return part[part.index >= 20]


def test_dataframe_with_an_empty_partition(client):
    X, y = make_data("multiclass")
    df, ddf, _ = _frames(X, y)
    est = MLPClassifierNB(hidden_layer_sizes=(7,), max_iter=30, random_state=0)
    est.fit(df, y)
    # from_pandas splits 60 rows into 3 partitions of 20: the first is empty here
    kept = ddf.map_partitions(_from_row_20)
    assert kept.map_partitions(len).compute().tolist() == [0, 20, 20]
    result = est.predict_proba(kept).compute()
    np.testing.assert_allclose(result, est.predict_proba(df.iloc[20:]), **ROUND_OFF_TOL)


def test_invalid_input_fails_before_anything_runs(client):
    est, X, _ = _fitted("multiclass")
    with distributed.get_task_stream(client) as tasks:
        for wrong in (X[:, :3], X.astype(str)):
            with pytest.raises(ValueError) as local_error:
                est.predict(wrong)
            with pytest.raises(ValueError) as dask_error:
                est.predict(da.from_array(wrong, chunks=20))
            assert str(dask_error.value) == str(local_error.value)
        with pytest.raises(ValueError, match="2D"):
            est.predict(da.from_array(X[:, 0], chunks=20))
        with pytest.raises(NotFittedError):
            MLPClassifierNB().predict_proba(_dask_X(X))
        with pytest.raises(NotFittedError):
            MLPRegressorNB().predict(_dask_X(X))
        with pytest.raises(NotFittedError):
            MLPRegressorNB().transform(_dask_X(X))
        with pytest.raises(ValueError) as local_error:
            est.transform(X[:, :3])
        with pytest.raises(ValueError) as dask_error:
            est.transform(da.from_array(X[:, :3], chunks=20))
        assert str(dask_error.value) == str(local_error.value)
    assert tasks.data == []


@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "squared_error",
                                  "multioutput"])
@pytest.mark.parametrize("weighted", [False, True])
def test_score_equals_local_score(client, monkeypatch, kind, weighted):
    est, X, y = _fitted(kind)
    w = np.random.RandomState(1).uniform(0.1, 2.0, X.shape[0]) if weighted else None
    local = est.score(X, y, sample_weight=w)
    # y and the weights chunked unlike X: aligned to X's blocks
    yd = da.from_array(y, chunks=(25,) + y.shape[1:])
    wd = None if w is None else da.from_array(w, chunks=40)
    # Nothing may turn a dask array into a NumPy one in the client (what
    # validate_data did to X): only the per-block sums are fetched.
    monkeypatch.setattr(da.Array, "__array__", _no_gathering)
    with distributed.get_task_stream(client) as tasks:
        remote = est.score(_dask_X(X), yd, sample_weight=wd)
    assert isinstance(remote, float)
    np.testing.assert_allclose(remote, local, **ROUND_OFF_TOL)
    workers = set(client.scheduler_info()["workers"])
    assert len(tasks.data) >= len(ROW_CHUNKS)
    assert {t["worker"] for t in tasks.data} <= workers


def _no_gathering(self, *args, **kwargs):
    raise AssertionError("a dask array was gathered into the client")


@pytest.mark.parametrize("weighted", [False, True])
def test_score_on_dataframe_and_series(client, monkeypatch, weighted):
    X, y = make_data("squared_error")
    df, ddf, ys = _frames(X, y)
    est = MLPRegressorNB(hidden_layer_sizes=(7,), max_iter=30, random_state=0)
    est.fit(df, y)
    w = np.random.RandomState(1).uniform(0.1, 2.0, X.shape[0]) if weighted else None
    wd = None if w is None else dd.from_pandas(pd.Series(w), npartitions=3)
    monkeypatch.setattr(da.Array, "__array__", _no_gathering)
    remote = est.score(ddf, dd.from_pandas(ys, npartitions=3), sample_weight=wd)
    local = est.score(df, y, sample_weight=w)
    np.testing.assert_allclose(remote, local, **ROUND_OFF_TOL)
    # NumPy targets and weights: cut to the partitions' row counts
    remote = est.score(ddf, y, sample_weight=w)
    np.testing.assert_allclose(remote, local, **ROUND_OFF_TOL)


NO_DASK = textwrap.dedent(
    """
    import sys
    import warnings
    import numpy as np
    from skmlp import MLPClassifierNB, MLPRegressorNB
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3))
    clf = MLPClassifierNB(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0] > 0)
    clf.predict(X), clf.predict_proba(X), clf.predict_log_proba(X), clf.score(X, X[:, 0] > 0)
    clf.transform(X)
    reg = MLPRegressorNB(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0])
    reg.predict(X), reg.score(X, X[:, 0])
    loaded = sorted(m for m in sys.modules if m == "dask" or m.startswith("dask."))
    assert not loaded, loaded
    print("ok")
    """
)


def test_the_numpy_path_does_not_import_dask(numba_cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(numba_cache))
    root = os.path.dirname(os.path.dirname(os.path.abspath(skmlp.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, "-c", NO_DASK], env=env, check=True,
                         timeout=300, capture_output=True, text=True)
    assert out.stdout.strip() == "ok"
