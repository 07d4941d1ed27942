"""Resource hygiene: many small fits in one process do not accumulate memory.

A hyperparameter search fits thousands of small models in one worker. Each fit
allocates its workspaces once and must give them back; compiled kernels must
be reused rather than specialised again; estimators must be collectable. The
resident set size is read from /proc/self/statm (Linux) after a warm-up of 100
fits and again after 1,000; the bound is generous, a leak of a few kilobytes
per fit would still cross it.
"""

import gc
import os
import warnings
import weakref

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp import MLPClassifierNB, MLPRegressorNB, _epoch

rng = np.random.RandomState(0)
X = rng.randn(12, 3)
X32 = X.astype(np.float32)
XS = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
Y_CLF = np.arange(12) % 3
Y_REG = X[:, 0] - X[:, 1]

WARMUP, TOTAL = 100, 1000
BOUND_MB = 50


def rss_bytes():
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def one_fit(i):
    """One of several small fits (all solvers, both estimators, dense/sparse/f32)."""
    k = i % 6
    if k == 0:
        est = MLPClassifierNB(hidden_layer_sizes=(3,), max_iter=2, random_state=i)
        est.fit(X, Y_CLF).predict_proba(X)
    elif k == 1:
        est = MLPRegressorNB(solver="sgd", hidden_layer_sizes=(3, 2), max_iter=2,
                             random_state=i)
        est.fit(X32, Y_REG).predict(X32)
    elif k == 2:
        est = MLPClassifierNB(solver="lbfgs", hidden_layer_sizes=(3,), max_iter=3,
                              random_state=i)
        est.fit(XS, Y_CLF).predict(XS)
    elif k == 3:
        est = MLPRegressorNB(hidden_layer_sizes=(4,), random_state=i)
        est.partial_fit(X, Y_REG).partial_fit(X, Y_REG).predict(X)
    elif k == 4:
        est = MLPRegressorNB(loss="poisson", hidden_layer_sizes=(3,), max_iter=2,
                             early_stopping=True, validation_fraction=0.25,
                             random_state=i)
        est.fit(X, np.abs(Y_REG)).predict(X)
    else:
        # A fit that fails late (divergence) must release what it allocated too.
        est = MLPRegressorNB(solver="sgd", learning_rate_init=1e200,
                             hidden_layer_sizes=(3,), max_iter=3, random_state=i)
        try:
            est.fit(X, Y_REG)
        except ValueError:
            pass
    return est


def kernel_signatures():
    # every job runs through the one compiled engine
    return {"run_epoch": len(_epoch.run_epoch.signatures)}


@pytest.mark.slow  # a thousand fits
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                    reason="reads the resident set size from /proc (Linux only)")
def test_thousand_small_fits_do_not_grow_memory():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(WARMUP):
            one_fit(i)
        gc.collect()
        rss_warm = rss_bytes()
        n_objects_warm = len(gc.get_objects())
        signatures_warm = kernel_signatures()
        for i in range(WARMUP, TOTAL):
            one_fit(i)
        gc.collect()
        growth_mb = (rss_bytes() - rss_warm) / 2**20
        n_objects = len(gc.get_objects())
    assert growth_mb < BOUND_MB, f"RSS grew by {growth_mb:.1f} MB over {TOTAL - WARMUP} fits"
    # Python-level leaks (caches, lists that keep growing): a few objects per fit
    # would already show as thousands here.
    assert n_objects - n_objects_warm < 2000, (n_objects_warm, n_objects)
    # No new compiled specialisations after the warm-up: kernels are reused.
    assert kernel_signatures() == signatures_warm


@pytest.mark.parametrize("i", range(6), ids=["adam", "sgd-float32", "lbfgs-sparse",
                                            "partial_fit", "early-stopping",
                                            "diverged"])
def test_estimators_are_garbage_collected(i):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = one_fit(i)
    ref = weakref.ref(est)
    arrays = [weakref.ref(a) for a in getattr(est, "coefs_", [])]
    del est
    gc.collect()
    assert ref() is None
    assert all(r() is None for r in arrays)
