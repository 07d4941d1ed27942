"""The same random_state gives the same model wherever the fit runs.

The same seed, data and parameters must give the same bytes in ``coefs_`` and
``intercepts_`` in this process (repeated, other fits in between, a clone), in
a fresh process configured like a joblib worker, in joblib workers
(GridSearchCV and cross_validate with n_jobs=2 and memmapped data) and under
another BLAS thread limit. The configurations cover every solver, sample
weights, partial_fit, early stopping, sparse and float32 input, dropout
(tests/test_dropout.py) and batches split over threads
(tests/test_batch_threads.py).

Networks small enough for skmlp to train on one BLAS thread (its policy,
skmlp._threads.blas_threads_for) are bitwise identical under any BLAS thread
limit. A network big enough for several threads is bitwise identical on the
same thread count, and equal to rounding (ROUND_OFF_TOL, identical classes)
across thread counts: whether OpenBLAS's result depends on its thread count
depends on the CPU's kernels, so no test asserts either way.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from joblib import parallel_config
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from threadpoolctl import threadpool_info, threadpool_limits

from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp._threads import blas_threads_for

from conftest import ROUND_OFF_TOL

# Built identically here and in the subprocess (exec'd from this text). DATA
# holds, for each configuration, the rows its predictions are compared on.
SETUP = textwrap.dedent(
    """
    import numpy as np
    import scipy.sparse as sp
    from skmlp import MLPClassifierNB, MLPRegressorNB

    def partial(est, Xd, yd, n, **kw):
        for i in range(n):
            est.partial_fit(Xd, yd, **kw)
        return est

    # Every solver, sample weights, early stopping, partial_fit.
    rng = np.random.RandomState(7)
    X = rng.standard_normal((120, 6))
    y_clf = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    y_reg = X @ rng.standard_normal(6)
    sw = rng.uniform(0.2, 3.0, 120)
    Xbig = rng.standard_normal((200, 30))
    y_big = (Xbig[:, 0] > 0).astype(int)
    small = dict(hidden_layer_sizes=(9, 5), max_iter=6, random_state=3)
    CONFIGS = {
        "clf-sgd-sw": lambda: MLPClassifierNB(solver="sgd", **small).fit(
            X, y_clf, sample_weight=sw),
        "clf-adam-float32": lambda: MLPClassifierNB(**small).fit(
            X.astype(np.float32), y_clf),
        "clf-lbfgs-tanh": lambda: MLPClassifierNB(
            solver="lbfgs", activation="tanh", **small).fit(X, y_clf),
        "reg-sgd-nesterov-invscaling": lambda: MLPRegressorNB(
            solver="sgd", learning_rate="invscaling", **small).fit(X, y_reg),
        "reg-adam-early-stopping": lambda: MLPRegressorNB(
            early_stopping=True, validation_fraction=0.2,
            **dict(small, max_iter=25)).fit(X, y_reg, sample_weight=sw),
        "reg-poisson-lbfgs": lambda: MLPRegressorNB(
            loss="poisson", solver="lbfgs", **small).fit(X, np.abs(y_reg)),
        "reg-partial-fit": lambda: partial(MLPRegressorNB(**small), X, y_reg, 4),
        "clf-partial-fit-sparse": lambda: partial(
            MLPClassifierNB(solver="sgd", **small),
            sp.csr_matrix(np.where(np.abs(X) > 0.6, X, 0.0)), y_clf, 3,
            classes=[0, 1, 2]),
    }
    DATA = dict.fromkeys(CONFIGS, X)

    # A wider network on more rows, sparse input, early stopping on classes.
    rng = np.random.RandomState(0)
    Xm = rng.standard_normal((300, 12))
    ym_clf = (Xm[:, :3].sum(axis=1) > 0).astype(int) + (Xm[:, 3] > 1)
    ym_reg = Xm @ rng.standard_normal(12)
    Xm_sparse = sp.csr_matrix(np.where(np.abs(Xm) > 0.7, Xm, 0.0))
    mid = dict(hidden_layer_sizes=(32, 16), max_iter=8, random_state=42)
    more = {
        "clf-adam": lambda: MLPClassifierNB(**mid).fit(Xm, ym_clf),
        "clf-sgd-sparse": lambda: MLPClassifierNB(solver="sgd", **mid).fit(
            Xm_sparse, ym_clf),
        "reg-lbfgs": lambda: MLPRegressorNB(solver="lbfgs", **mid).fit(Xm, ym_reg),
        "reg-adam-float32": lambda: MLPRegressorNB(**mid).fit(
            Xm.astype(np.float32), ym_reg),
        "clf-early-stopping": lambda: MLPClassifierNB(
            early_stopping=True, **dict(mid, max_iter=30)).fit(Xm, ym_clf),
    }

    # Dropout: masks drawn from a generator seeded by random_state.
    rng = np.random.RandomState(0)
    Xd = rng.standard_normal((80, 6))
    yd_clf = (Xd[:, 0] + Xd[:, 1] > 0).astype(int) + (Xd[:, 2] > 0.8)
    yd_reg = Xd @ rng.standard_normal(6) + 0.1 * rng.standard_normal(80)
    drop = dict(hidden_layer_sizes=(12, 7), max_iter=6, batch_size=16,
                random_state=3, learning_rate_init=0.01, n_iter_no_change=100)
    dropout = {
        "dropout-clf-adam-f64": lambda: MLPClassifierNB(
            dropout=0.3, **drop).fit(Xd, yd_clf),
        "dropout-clf-sgd-f32-layers": lambda: MLPClassifierNB(
            solver="sgd", dropout=[0.5, 0.1], **drop).fit(
                Xd.astype(np.float32), yd_clf),
        "dropout-reg-adam-f32": lambda: MLPRegressorNB(dropout=0.2, **drop).fit(
            Xd.astype(np.float32), yd_reg),
        "dropout-reg-sgd-f64-one-layer": lambda: MLPRegressorNB(
            solver="sgd", dropout=[0.0, 0.4], **drop).fit(Xd, yd_reg),
    }

    # Every batch split over n_jobs=2 threads; whole zero-weight batches.
    rng = np.random.RandomState(0)
    Xt = rng.standard_normal((400, 12))
    yt_clf = (Xt[:, :3].sum(axis=1) > 0).astype(int) + (Xt[:, 3] > 1)
    yt_reg = Xt @ rng.standard_normal(12)
    swt = rng.uniform(0.0, 2.0, 400)
    swt[:64] = 0.0
    Xt_sparse = sp.csr_matrix(np.where(np.abs(Xt) > 0.7, Xt, 0.0))
    split = dict(hidden_layer_sizes=(32, 16), max_iter=4, batch_size=64,
                 random_state=42, n_jobs=2)
    split_batches = {
        "split-clf-adam": lambda: MLPClassifierNB(**split).fit(Xt, yt_clf),
        "split-clf-sgd-sparse": lambda: MLPClassifierNB(
            solver="sgd", **split).fit(Xt_sparse, yt_clf),
        "split-reg-adam-float32": lambda: MLPRegressorNB(**split).fit(
            Xt.astype(np.float32), yt_reg),
        "split-clf-dropout": lambda: MLPClassifierNB(
            dropout=0.3, **split).fit(Xt, yt_clf),
        "split-reg-weighted-early-stopping": lambda: MLPRegressorNB(
            early_stopping=True, **dict(split, max_iter=12)).fit(
            Xt, yt_reg, sample_weight=swt),
    }

    # The extended engine; batch normalisation (whose running statistics are
    # compared too), on one thread and split.
    beyond = {
        "ext-reg-gelu-huber-decay-clip": lambda: MLPRegressorNB(
            activation="gelu", loss="huber", weight_decay=0.01, max_grad_norm=1.0,
            **mid).fit(Xm, ym_reg),
        "bn-clf-adam-dropout": lambda: MLPClassifierNB(
            batch_norm=True, dropout=0.1, batch_size=64, **mid).fit(Xm, ym_clf),
        "bn-reg-float32": lambda: MLPRegressorNB(batch_norm=True, **mid).fit(
            Xm.astype(np.float32), ym_reg),
    }
    split_batches["split-bn-clf-adam"] = lambda: MLPClassifierNB(
        batch_norm=True, **split).fit(Xt, yt_clf)

    for configs, rows in [(more, Xm), (beyond, Xm), (dropout, Xd),
                          (split_batches, Xt)]:
        CONFIGS.update(configs)
        DATA.update(dict.fromkeys(configs, rows))
    # Large enough for skmlp to let BLAS use several threads (last, see BIG).
    CONFIGS["clf-big-network"] = lambda: MLPClassifierNB(
        hidden_layer_sizes=(256, 256), max_iter=2, batch_size=200,
        random_state=0).fit(Xbig, y_big)
    DATA["clf-big-network"] = Xbig

    def fingerprint(est):
        # With batch normalisation: its scales, shifts and running statistics too.
        bn = [a for name in ("batch_norm_scales_", "batch_norm_offsets_",
                             "running_means_", "running_vars_")
              for a in getattr(est, name, []) if a is not None]
        return [[w.dtype.str, list(w.shape), w.tobytes().hex()]
                for w in est.coefs_ + est.intercepts_ + bn]
    """
)
NS = {}
exec(SETUP, NS)
CONFIGS, DATA, fingerprint = NS["CONFIGS"], NS["DATA"], NS["fingerprint"]
X, y_clf, y_reg = NS["X"], NS["y_clf"], NS["y_reg"]


BIG = "clf-big-network"
# Trained on one BLAS thread by skmlp's policy, whatever the limit.
SMALL = [name for name in CONFIGS if name != BIG]


def _threads_of_the_blas_the_engine_calls():
    """Threads of the BLAS behind the engine's products, as threadpoolctl reports.

    NumPy and SciPy may each bring a BLAS; the engine calls the one
    ``skmlp._blas.LIBRARY`` names (NumPy's where NumPy has an OpenBLAS of its
    own), found here by its location. A BLAS shared by NumPy and SciPy (a
    system or conda install) is that one.
    """
    import numpy
    import scipy
    import scipy.linalg.cython_blas  # noqa: F401  (loads SciPy's, the fallback)

    from skmlp import _blas

    package = numpy if _blas.LIBRARY == "numpy" else scipy
    package_dir = os.path.realpath(os.path.dirname(package.__file__))
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    # numpy/ or scipy/, or a wheel's numpy.libs/ or scipy.libs/ next to it
    ours = [i for i in blas if os.path.realpath(i["filepath"]).startswith(package_dir)]
    return max((i["num_threads"] for i in ours or blas), default=1)


def _reference_trains_on_several_blas_threads(units, rows):
    """Whether the reference fixture's fit of this network runs BLAS multi-threaded.

    The reference runs under a limit of two BLAS threads; within it skmlp's own
    policy (skmlp._threads.blas_threads_for, keyed on MULTITHREAD_MIN_MACS)
    drops to one thread for small products. The BLAS is asked, not
    os.cpu_count(): the count it runs with also depends on how it was built and
    configured (a single-threaded BLAS, or OPENBLAS_NUM_THREADS=1 in the
    environment, may keep it at one thread).
    """
    with threadpool_limits(limits=2, user_api="blas"), blas_threads_for(units, rows):
        return _threads_of_the_blas_the_engine_calls() > 1


# The big configuration's layer sizes and batch size (see SETUP).
_BIG_NETWORK = ([NS["Xbig"].shape[1], 256, 256, 1], 200)


def _arrays(fp):
    """The weight arrays a fingerprint holds."""
    return [np.frombuffer(bytes.fromhex(hexed), dtype=dtype).reshape(shape)
            for dtype, shape, hexed in fp]


@pytest.fixture(scope="module")
def reference():
    """Fingerprints of every configuration, fitted once in this process.

    BLAS may use two threads here (the default on a multi-core machine; set
    explicitly in case an earlier test changed the process-wide setting).
    """
    with threadpool_limits(limits=2, user_api="blas"):
        return {name: fingerprint(make()) for name, make in CONFIGS.items()}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_same_seed_bitwise_identical_in_process(name, reference):
    Xp = DATA[name]
    with threadpool_limits(limits=2, user_api="blas"):
        est, again = CONFIGS[name](), CONFIGS[name]()
    assert fingerprint(est) == reference[name]
    assert fingerprint(again) == reference[name]
    np.testing.assert_array_equal(est.predict(Xp), again.predict(Xp))
    for attr in ("loss_curve_", "validation_scores_", "n_iter_", "t_", "loss_"):
        if hasattr(est, attr):
            assert getattr(est, attr) == getattr(again, attr), attr


def test_other_fits_in_between_change_nothing(reference):
    """No hidden global state: fits of other models do not perturb the next one."""
    for name in SMALL[::-1]:  # a different order than the reference
        MLPRegressorNB(hidden_layer_sizes=(4,), max_iter=2, random_state=None).fit(
            X, y_reg)
        assert fingerprint(CONFIGS[name]()) == reference[name], name


def test_clone_gives_the_same_model():
    est = MLPClassifierNB(solver="sgd", hidden_layer_sizes=(7,), max_iter=5,
                          random_state=11).fit(X, y_clf)
    assert fingerprint(clone(est).fit(X, y_clf)) == fingerprint(est)


def test_different_seeds_give_different_weights():
    Xm, y = NS["Xm"], NS["ym_clf"]
    a = MLPClassifierNB(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(Xm, y)
    b = MLPClassifierNB(hidden_layer_sizes=(8,), max_iter=3, random_state=1).fit(Xm, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


def test_random_state_instance_is_advanced_by_fit():
    # scikit-learn semantics: a RandomState instance is used, not copied, so two
    # fits with the same instance start from different weights.
    Xm, y = NS["Xm"], NS["ym_reg"]
    rs = np.random.RandomState(0)
    est = MLPRegressorNB(hidden_layer_sizes=(8,), max_iter=2, random_state=rs)
    first = est.fit(Xm, y).coefs_[0].copy()
    second = est.fit(Xm, y).coefs_[0]
    assert not np.array_equal(first, second)


def test_fit_does_not_depend_on_sparse_matrix_being_csr_or_csc():
    Xs, y = NS["Xm_sparse"], NS["ym_clf"]
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0, solver="sgd")
    a = MLPClassifierNB(**params).fit(sp.csr_matrix(Xs), y)
    b = MLPClassifierNB(**params).fit(sp.csc_matrix(Xs), y)
    assert fingerprint(a) == fingerprint(b)


# ------------------------------------------------------------- other process
RUNNER = SETUP + textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("ignore")
    json.dump({name: fingerprint(make()) for name, make in CONFIGS.items()},
              open(sys.argv[1], "w"))
    """
)


@pytest.fixture(scope="module")
def worker_like_process(tmp_path_factory):
    """Fingerprints from a fresh process configured like a joblib/loky worker."""
    tmp = tmp_path_factory.mktemp("worker")
    out = tmp / "fingerprints.json"
    env = dict(os.environ, PYTHONHASHSEED="12345", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(out)], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", SMALL)
def test_same_seed_bitwise_identical_in_a_worker_like_process(
    name, reference, worker_like_process
):
    assert worker_like_process[name] == reference[name]


@pytest.mark.parametrize("name", SMALL)
def test_same_seed_bitwise_identical_with_one_blas_thread(name, reference):
    with threadpool_limits(limits=1, user_api="blas"):
        assert fingerprint(CONFIGS[name]()) == reference[name]


@pytest.fixture(scope="module")
def big_on_one_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        est = CONFIGS[BIG]()
        return fingerprint(est), est.predict(NS["Xbig"])


def test_big_network_bitwise_identical_on_one_blas_thread(big_on_one_thread):
    with threadpool_limits(limits=1, user_api="blas"):
        assert fingerprint(CONFIGS[BIG]()) == big_on_one_thread[0]


@pytest.mark.slow
def test_big_network_bitwise_identical_in_a_worker_like_process(
    big_on_one_thread, worker_like_process
):
    # The worker runs BLAS on one thread, as the in-process fit it is compared to.
    assert worker_like_process[BIG] == big_on_one_thread[0]


def test_big_network_on_one_or_two_blas_threads_agrees_to_rounding(
    reference, big_on_one_thread
):
    """Across BLAS thread counts: the same classes, weights equal to rounding.

    Bitwise as well when the reference could not run on two threads (then both
    fits ran on one).
    """
    one, predicted = big_on_one_thread
    for a, b in zip(_arrays(one), _arrays(reference[BIG]), strict=True):
        np.testing.assert_allclose(a, b, **ROUND_OFF_TOL)
    with threadpool_limits(limits=2, user_api="blas"):
        two = CONFIGS[BIG]()
    assert fingerprint(two) == reference[BIG]  # same thread count: bitwise
    np.testing.assert_array_equal(two.predict(NS["Xbig"]), predicted)
    if not _reference_trains_on_several_blas_threads(*_BIG_NETWORK):
        assert one == reference[BIG]


# --------------------------------------------------------- joblib workers
GRID = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (8, 3)]}


def _search(n_jobs):
    est = MLPClassifierNB(solver="adam", max_iter=8, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    # max_nbytes=0: every array goes to the workers as a read-only memmap,
    # as joblib does for large data.
    with parallel_config(max_nbytes=0):
        return GridSearchCV(est, GRID, cv=cv, n_jobs=n_jobs).fit(X, y_clf)


@pytest.fixture(scope="module")
def searches():
    return _search(1), _search(2)


@pytest.mark.slow
def test_grid_search_n_jobs_2_equals_serial(searches):
    serial, parallel = searches
    assert parallel.best_params_ == serial.best_params_
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_array_equal(parallel.cv_results_[key],
                                      serial.cv_results_[key])
    assert fingerprint(parallel.best_estimator_) == fingerprint(serial.best_estimator_)


@pytest.mark.slow
def test_grid_search_refit_equals_a_direct_fit(searches):
    serial, _ = searches
    direct = MLPClassifierNB(solver="adam", max_iter=8, random_state=0,
                             **serial.best_params_).fit(X, y_clf)
    assert fingerprint(serial.best_estimator_) == fingerprint(direct)


@pytest.mark.slow
@pytest.mark.parametrize("Est, y", [(MLPClassifierNB, y_clf), (MLPRegressorNB, y_reg)],
                         ids=["clf", "reg"])
def test_cross_validate_worker_models_equal_serial_models(Est, y):
    """The models fitted inside joblib workers, compared byte for byte."""
    est = Est(solver="sgd", hidden_layer_sizes=(6,), max_iter=6, random_state=5)
    cv = KFold(3, shuffle=True, random_state=1)
    with parallel_config(max_nbytes=0):
        par = cross_validate(est, X, y, cv=cv, n_jobs=2, return_estimator=True)
    ser = cross_validate(est, X, y, cv=cv, n_jobs=1, return_estimator=True)
    assert [fingerprint(e) for e in par["estimator"]] == \
        [fingerprint(e) for e in ser["estimator"]]
    np.testing.assert_array_equal(par["test_score"], ser["test_score"])
