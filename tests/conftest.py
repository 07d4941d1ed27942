"""Shared tolerances and data sets of the test suite.

The ``slow`` marker and the ConvergenceWarning filter are in pyproject.toml.

Test modules import the constants with ``from conftest import ...`` (pytest puts
this folder on ``sys.path``, as it does for ``_reference.py``); ``digits`` is a
session fixture (loaded only by the tests that ask for it).
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import (
    load_digits,
    make_classification,
    make_multilabel_classification,
    make_regression,
)

# ------------------------------------------------------------------ tolerances
# What is guaranteed bitwise, and what only to rounding.
#
# Bitwise: the same library, parameters, data and seed, in the same kind of
# process with the same BLAS thread count. That is what the determinism tests
# assert with assert_array_equal / tobytes.
#
# To rounding only: skmlp against scikit-learn's MLP (and an exported model run
# by scikit-learn or onnxruntime), or one fit against another on a different
# number of BLAS threads. The maths and the random draws are the same, but the
# matrix products are summed in another order: skmlp calls its BLAS from
# compiled code (NumPy's OpenBLAS, or SciPy's when NumPy has none; see
# skmlp/_blas.py), not through NumPy as scikit-learn does, and OpenBLAS chooses
# its kernels at run time for the CPU (Haswell, SkylakeX, Zen, ...), and a
# product split over two threads is summed in blocks. Measured: 3e-17 on the
# weights after one epoch on iris, 2e-14 after 200 epochs on digits, ~1e-16
# after two epochs of a 30-256-256-1 network on one against two threads. Classes
# predicted are identical, and tests assert that exactly.
#
# ROUND_OFF_TOL leaves more than three orders of magnitude above those for the
# short fits compared here (at most a few dozen epochs or L-BFGS iterations,
# small networks), and stays far below what a real difference does (a wrong
# gradient term, a shifted random draw or a different schedule moves weights
# and losses by 1e-4 or more). It applies to weights, losses, loss curves,
# validation scores, probabilities and regression outputs.
ROUND_OFF_TOL = dict(rtol=1e-9, atol=1e-11)
# The same for float32 weights (machine epsilon 1.2e-7 instead of 2.2e-16).
ROUND_OFF_TOL_FLOAT32 = dict(rtol=2e-5, atol=1e-6)



# ------------------------------------------------------------------- data sets
def make_data(kind, n_samples=60, n_features=5, seed=0):
    """A small problem of each target kind, from one linear score ``S = X @ W``.

    kind: "binary", "multiclass" (3 classes), "multilabel" (3 labels),
    "squared_error", "multioutput" (2 outputs) or "poisson" (counts).
    """
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_samples, n_features))
    W = rng.standard_normal((n_features, 3))
    S = X @ W
    if kind == "binary":
        y = (S[:, 0] > 0).astype(int)
    elif kind == "multiclass":
        y = S.argmax(axis=1)
    elif kind == "multilabel":
        y = (S > 0).astype(int)
    elif kind == "squared_error":
        y = S[:, 0] + 0.1 * rng.standard_normal(n_samples)
    elif kind == "multioutput":
        y = S[:, :2] + 0.1 * rng.standard_normal((n_samples, 2))
    elif kind == "poisson":
        y = rng.poisson(np.exp(0.3 * S[:, 0])).astype(float)
    else:
        raise ValueError(kind)
    return X, y


# Three classes, 100 x 6, and a regression target scaled to unit variance.
X_CLF, Y_CLF = make_classification(n_samples=100, n_features=6, n_informative=4,
                                   n_classes=3, random_state=0)
X_REG, Y_REG = make_regression(n_samples=100, n_features=6, noise=1.0,
                               random_state=0)
Y_REG = Y_REG / Y_REG.std()
# Four labels, 80 x 6.
X_MULTILABEL, Y_MULTILABEL = make_multilabel_classification(
    n_samples=80, n_features=6, n_classes=4, random_state=0)


@pytest.fixture(scope="session")
def digits():
    """(X, y): the first 360 images of the digits data set, 64 pixels, ten classes."""
    X, y = load_digits(return_X_y=True)
    return X[:360], y[:360]


# ------------------------------------------------------------- a Dask cluster
# Used by tests/test_dask.py and tests/test_dask_fit.py (both marked slow).
PRIME = textwrap.dedent(
    """
    import warnings
    import numpy as np
    from skmlp import MLPClassifierNB
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3))
    MLPClassifierNB(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0] > 0).predict(X)
    # the float32 engine too, for the float32 models predicted on the workers
    X = X.astype(np.float32)
    MLPClassifierNB(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0] > 0).predict(X)
    """
)


@pytest.fixture(scope="session")
def numba_cache(tmp_path_factory):
    """A NUMBA_CACHE_DIR primed by one fit in a fresh process (once per session)."""
    import skmlp

    cache = tmp_path_factory.mktemp("numba_cache")
    # Numba files cache entries under the directory of the source, so the
    # subprocess must import the very skmlp this test process imported.
    root = os.path.dirname(os.path.dirname(os.path.abspath(skmlp.__file__)))
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=path)
    subprocess.run([sys.executable, "-c", PRIME], env=env, check=True, timeout=300)
    return cache


def local_cluster(numba_cache, **kwargs):
    """A LocalCluster of 2 one-thread worker processes on the loopback interface."""
    import distributed

    options = dict(n_workers=2, threads_per_worker=1, processes=True,
                   host="127.0.0.1", dashboard_address=None,
                   env={"NUMBA_CACHE_DIR": str(numba_cache)})
    return distributed.LocalCluster(**{**options, **kwargs})


@pytest.fixture(scope="module")
def client(numba_cache):
    """A client of a module's own 2-worker LocalCluster."""
    import distributed

    cluster = local_cluster(numba_cache)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture
def split_epochs(monkeypatch):
    """Record the number of threads of every training epoch (1: not split)."""
    from skmlp import _data, _stochastic

    seen = []
    real = _stochastic.train_epoch

    def spy(*args):
        work, mode = args[-1], args[6]
        if mode >= 0:  # training, not the final-output check
            seen.append(len(work.works) if isinstance(work, _data.Squad) else 1)
        return real(*args)

    monkeypatch.setattr(_stochastic, "train_epoch", spy)
    return seen
