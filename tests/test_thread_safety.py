"""Thread safety: concurrent predict on one model, concurrent fits of separate models.

The kernels are compiled with ``nogil=True`` and only read the model during
predict, so several threads may predict with one fitted estimator at once and
must get exactly the serial results. Separate estimators may be fitted in
separate threads and must get exactly the weights of serial fits. (Fitting
one estimator object from two threads at once is not supported, as in
scikit-learn, and not tested.)
"""

import subprocess
import sys
import textwrap
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp import MLPClassifierNB, MLPRegressorNB, _epoch

N_THREADS = 8
rng = np.random.RandomState(0)
X = rng.randn(2000, 20)
Y_CLF = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
Y_REG = X[:, :3] @ np.array([1.0, -2.0, 0.5])


def weights_bytes(est):
    return [w.tobytes() for w in est.coefs_ + est.intercepts_]


def run_concurrently(fn, n=N_THREADS):
    """Call fn(i) in n threads released together; return the results in order."""
    barrier = threading.Barrier(n)

    def task(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(task, range(n)))


def test_kernels_release_the_gil():
    # train_epoch, loss_gradient and predict_rows all run the one compiled engine
    for kernel in (_epoch.run_epoch,):
        assert kernel.targetoptions.get("nogil") is True, kernel


@pytest.fixture(scope="module")
def models():
    small = dict(hidden_layer_sizes=(64, 32), max_iter=3, random_state=0)
    Xs = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
    return {
        "clf-float64": (MLPClassifierNB(**small).fit(X[:300], Y_CLF[:300]), X),
        "clf-float32": (MLPClassifierNB(**small).fit(
            X[:300].astype(np.float32), Y_CLF[:300]), X.astype(np.float32)),
        "reg-float64": (MLPRegressorNB(**small).fit(X[:300], Y_REG[:300]), X),
        "reg-sparse": (MLPRegressorNB(**small).fit(Xs[:300], Y_REG[:300]), Xs),
    }


@pytest.mark.parametrize("name", ["clf-float64", "clf-float32", "reg-float64",
                                  "reg-sparse"])
def test_concurrent_predict_on_one_model_equals_serial(models, name):
    est, Xp = models[name]
    methods = ["predict", "predict_proba"] if name.startswith("clf") else ["predict"]
    # Each thread predicts the whole X and a thread-specific slice, repeatedly.
    slices = [slice(i * 100, i * 100 + 700) for i in range(N_THREADS)]
    serial = {(m, i): getattr(est, m)(Xp[slices[i]]) for m in methods
              for i in range(N_THREADS)}
    serial_full = {m: getattr(est, m)(Xp) for m in methods}
    before = weights_bytes(est)

    def work(i):
        out = []
        for _ in range(3):
            for m in methods:
                out.append(((m, "full"), getattr(est, m)(Xp)))
                out.append(((m, i), getattr(est, m)(Xp[slices[i]])))
        return out

    for results in run_concurrently(work):
        for (m, key), got in results:
            expected = serial_full[m] if key == "full" else serial[(m, key)]
            assert got.dtype == expected.dtype
            np.testing.assert_array_equal(got, expected)
    assert weights_bytes(est) == before  # predict only reads the model


FIT_CONFIGS = {
    "clf-adam": lambda: MLPClassifierNB(hidden_layer_sizes=(16,), max_iter=5,
                                        random_state=1).fit(X[:400], Y_CLF[:400]),
    "reg-sgd-float32": lambda: MLPRegressorNB(
        solver="sgd", hidden_layer_sizes=(16, 8), max_iter=5, random_state=2).fit(
        X[:400].astype(np.float32), Y_REG[:400]),
    "clf-lbfgs": lambda: MLPClassifierNB(solver="lbfgs", hidden_layer_sizes=(12,),
                                         max_iter=20, random_state=3).fit(
        X[:400], Y_CLF[:400]),
    "reg-early-stopping": lambda: MLPRegressorNB(
        early_stopping=True, hidden_layer_sizes=(10,), max_iter=15,
        random_state=4).fit(X[:400], Y_REG[:400]),
    # every batch split across two threads of its own (n_jobs=2)
    "clf-split-batches": lambda: MLPClassifierNB(
        hidden_layer_sizes=(16,), batch_size=64, max_iter=5, n_jobs=2,
        random_state=5).fit(X[:400], Y_CLF[:400]),
}


@pytest.mark.parametrize("pair", [("clf-adam", "reg-sgd-float32"),
                                  ("clf-lbfgs", "reg-early-stopping"),
                                  ("clf-adam", "clf-adam"),
                                  ("clf-split-batches", "clf-split-batches")],
                         ids=["adam+sgd", "lbfgs+early-stopping", "same-config",
                              "split-batches"])
def test_two_fits_in_two_threads_equal_serial_fits(pair):
    serial = [weights_bytes(FIT_CONFIGS[name]()) for name in pair]
    threaded = run_concurrently(lambda i: weights_bytes(FIT_CONFIGS[pair[i]]()),
                                n=2)
    assert threaded == serial


def test_many_concurrent_fits_equal_serial_fits():
    names = list(FIT_CONFIGS) * 2
    serial = [weights_bytes(FIT_CONFIGS[n]()) for n in names]
    assert run_concurrently(lambda i: weights_bytes(FIT_CONFIGS[names[i]]()),
                            n=len(names)) == serial


def test_concurrent_partial_fit_on_separate_estimators():
    def train(i):
        est = MLPClassifierNB(hidden_layer_sizes=(8,), random_state=i % 2)
        for k in range(4):
            rows = slice(k * 100, (k + 1) * 100)
            est.partial_fit(X[rows], Y_CLF[rows], classes=[0, 1, 2])
        return weights_bytes(est)

    serial = [train(i) for i in range(4)]
    assert run_concurrently(train, n=4) == serial


@pytest.mark.parametrize("trainer", ["clf-adam", "clf-split-batches"])
def test_predict_while_other_models_train(models, trainer):
    est, Xp = models["clf-float64"]
    expected = est.predict_proba(Xp)

    def work(i):
        if i % 2:
            return FIT_CONFIGS[trainer]() and None
        return [est.predict_proba(Xp) for _ in range(3)]

    for out in run_concurrently(work, n=4):
        for got in out or []:
            np.testing.assert_array_equal(got, expected)


# --------------------------------------------------- process-wide BLAS setting
# Two fits in two threads, interleaved deterministically: the verbose epoch
# line (printed inside the fit) pauses each thread through a gated stdout. A
# starts, B starts while A is inside its fit, A finishes and its thread ends,
# then B finishes. A fresh process, so that no other thread ever set a limit.
BLAS_SCRIPT = textwrap.dedent(
    """
    import sys, threading, warnings
    from contextlib import redirect_stdout
    import numpy as np
    import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS Numba calls)
    from threadpoolctl import threadpool_info
    from skmlp import MLPClassifierNB

    warnings.simplefilter("ignore")
    rng = np.random.RandomState(7)
    X = rng.standard_normal((120, 6))
    y = (X[:, 0] > 0).astype(int)

    def blas():
        return sorted((i["filepath"], i["num_threads"]) for i in threadpool_info()
                      if i["user_api"] == "blas")

    a_inside, b_inside, a_gone = threading.Event(), threading.Event(), threading.Event()

    class Gate:
        # stdout that pauses each fit at its first epoch line (inside the fit)
        def write(self, s):
            name = threading.current_thread().name
            if name == "A" and not a_inside.is_set():
                a_inside.set()
                b_inside.wait(10)
            elif name == "B" and not b_inside.is_set():
                b_inside.set()
                a_gone.wait(10)
            return len(s)
        def flush(self):
            pass

    def fit():
        MLPClassifierNB(hidden_layer_sizes=(9,), max_iter=3, verbose=True,
                        random_state=0).fit(X, y)

    before = blas()
    with redirect_stdout(Gate()):
        A = threading.Thread(target=fit, name="A")
        B = threading.Thread(target=fit, name="B")
        A.start()
        a_inside.wait(10)   # A is inside its fit: BLAS limited by A
        B.start()           # B's fit starts while A's limit is active
        A.join()            # A finished its fit and its thread is gone
        a_gone.set()
        B.join()            # B finishes last
    after = blas()
    print(before == after, [n for _, n in before], [n for _, n in after])
    """
)


# skmlp limits BLAS to one thread during small fits (process-wide); the
# setting must come back however fits in threads overlap.
@pytest.mark.slow
def test_concurrent_fits_leave_the_process_blas_threads_unchanged():
    # A fresh process: which thread first sets a BLAS limit decides the outcome.
    proc = subprocess.run([sys.executable, "-c", BLAS_SCRIPT], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("True"), proc.stdout


def test_predict_works_for_an_unhashable_subclass():
    # The prepared predict state lives in a WeakKeyDictionary keyed by the
    # estimator; a subclass that defines __eq__ without __hash__ cannot be a
    # key and must still predict (prepared on every call instead).
    class Unhashable(MLPClassifierNB):
        def __eq__(self, other):
            return self is other

    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 3))
    y = np.arange(40) % 2
    params = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        odd = Unhashable(**params).fit(X, y)
        plain = MLPClassifierNB(**params).fit(X, y)
    np.testing.assert_array_equal(odd.predict_proba(X), plain.predict_proba(X))
