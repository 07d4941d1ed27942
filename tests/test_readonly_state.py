"""A fitted model whose arrays are read-only keeps training on the first call.

``joblib.load(path, mmap_mode="r")`` and joblib's workers (which memory-map
arguments over 1 MB) hand skmlp read-only optimizer state. The kernels update it
in place, so skmlp copies it before training; scikit-learn's MLP fails there
("output array is read-only").
"""

import joblib
import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.datasets import load_digits

from skmlp import MLPClassifierNB, MLPRegressorNB

X, y = load_digits(return_X_y=True)
X = X / 16.0
PARAMS = dict(hidden_layer_sizes=(16,), max_iter=3, random_state=0)


def _weights(est):
    return [w.copy() for w in est.coefs_ + est.intercepts_]


def _assert_same(a, b):
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(u, v)


@pytest.fixture(params=["sgd", "adam"])
def saved(request, tmp_path):
    est = MLPClassifierNB(solver=request.param, **PARAMS).fit(X, y)
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return est, path


def _mapped(path):
    est = joblib.load(path, mmap_mode="r")
    readonly = [k for k, v in vars(est).items()
                if isinstance(v, np.ndarray) and not v.flags.writeable]
    assert readonly, "the fixture must give read-only arrays to be a test"
    return est


def test_memory_mapped_model_partial_fits_on_the_first_call(saved):
    est, path = saved
    mapped = _mapped(path)
    mapped.partial_fit(X, y)
    _assert_same(mapped, joblib.load(path).partial_fit(X, y))
    assert mapped.n_iter_ == 1


def test_memory_mapped_model_warm_starts(saved):
    _, path = saved
    mapped = _mapped(path).set_params(warm_start=True, max_iter=2)
    mapped.fit(X, y)
    _assert_same(mapped, joblib.load(path).set_params(warm_start=True, max_iter=2)
                 .fit(X, y))


def test_memory_mapped_regressor_partial_fits(tmp_path):
    est = MLPRegressorNB(**PARAMS).fit(X, X[:, 10])
    joblib.dump(est, tmp_path / "reg.joblib")
    mapped = joblib.load(tmp_path / "reg.joblib", mmap_mode="r")
    mapped.partial_fit(X, X[:, 10])
    _assert_same(mapped, est.partial_fit(X, X[:, 10]))


def _partial_fit_in_worker(est, X, y):
    was_mapped = not est._solver_state.moments.flags.writeable
    return was_mapped, est.partial_fit(X, y)


@pytest.mark.slow  # a loky worker process
def test_model_memory_mapped_into_a_joblib_worker_keeps_training():
    big = MLPClassifierNB(hidden_layer_sizes=(64,), max_iter=1, random_state=0,
                          solver="sgd").fit(X, y)
    # max_nbytes below the state's size: the worker gets read-only memory maps,
    # as it does by default (1 MB) for larger networks.
    assert big._solver_state.moments.nbytes > 10_000
    ((was_mapped, out),) = Parallel(n_jobs=2, max_nbytes="10K")(
        delayed(_partial_fit_in_worker)(big, X, y) for _ in range(1))
    assert was_mapped
    _assert_same(out, big.partial_fit(X, y))
