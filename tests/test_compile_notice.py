"""The first use of a dtype says, on stderr, that the engine is being compiled.

A stand-in dispatcher replaces Numba's, so no test here compiles anything:
what is checked is when the line appears and when it does not.
"""

import io
import os
import time
from types import SimpleNamespace

import numpy as np
import pytest

from skmlp import _compile_notice


def _dispatcher(cached_dtypes=(), broken=False, split=False):
    def load_index():
        if broken:
            raise RuntimeError("a cache format this code does not know")
        # Index keys: (signature, codegen magic); theta is argument 4 and every
        # signature has float64 arrays elsewhere (the scalars); the last
        # argument is the team: none, or a Team for split batches.
        team = "Team(int64, int64, ...)" if split else "none"
        return {(("data", "array(float64, 1d, C)", "int64", "net", f"array({d}, 1d, C)",
                  "hyper", "int64", "moments", "counters", "work", team),
                 "magic"): "file" for d in cached_dtypes}

    cache_file = SimpleNamespace(_load_index=load_index)
    return SimpleNamespace(_cache=SimpleNamespace(_cache_file=cache_file))


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    # Each test starts as a new process would: no dtype announced yet.
    monkeypatch.setattr(_compile_notice, "_seen", set())
    monkeypatch.delenv("SKMLP_QUIET", raising=False)


def test_a_missing_cache_entry_is_announced_once_with_its_cost():
    out = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(["float32"]), np.float64, out):
        during = out.getvalue()
    assert "compiling the float64 kernels" in during and "once" in during
    assert _compile_notice.ESTIMATE in during and "skmlp compile" in during
    assert out.getvalue() == during  # one line: nothing more when it ends
    assert during.count("\n") == 1


def test_a_notice_is_one_write_of_a_whole_line(tmp_path):
    """Concurrent processes share stderr: a line written in pieces can mix with theirs."""
    writes = []
    path = tmp_path / "stderr"
    with open(path, "w") as f:
        real = os.write
        try:
            os.write = lambda fd, data: writes.append(data) or real(fd, data)
            _compile_notice.say("skmlp: a line", f)
        finally:
            os.write = real
    assert writes == [b"skmlp: a line\n"]
    assert path.read_text() == "skmlp: a line\n"


_CONCURRENT = """
import sys, time
from skmlp._compile_notice import say
for i in range(200):
    say("skmlp: compiling the float64 kernels for this machine (once, typically 5-10 s; "
        "cached on disk for later runs and processes)... " + sys.argv[1])
"""


@pytest.mark.slow  # eight processes
def test_concurrent_processes_never_mix_their_lines(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "shared_stderr"
    with open(path, "wb") as shared:
        procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT, str(i)],
                                  stderr=shared, stdout=subprocess.DEVNULL)
                 for i in range(8)]
        for p in procs:
            assert p.wait(timeout=120) == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 8 * 200
    assert all(line.startswith("skmlp: compiling") and line[-1].isdigit()
               for line in lines)


def test_announced_once_per_dtype_and_process():
    out = io.StringIO()
    d = _dispatcher()
    for _ in range(3):
        with _compile_notice.compile_notice(d, np.float64, out):
            pass
    assert out.getvalue().count("compiling the float64") == 1
    with _compile_notice.compile_notice(d, np.float32, out):
        pass
    assert out.getvalue().count("compiling the float32") == 1


def test_a_float32_engine_does_not_count_as_float64():
    out = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(["float32"]), np.float64, out):
        pass
    assert "compiling the float64 kernels" in out.getvalue()


def test_cached_engine_is_silent():
    out = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(["float64"]), np.float64, out):
        pass
    assert out.getvalue() == ""


def test_quiet_environment_variable_silences_it(monkeypatch):
    monkeypatch.setenv("SKMLP_QUIET", "1")
    out = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(), np.float64, out):
        pass
    assert out.getvalue() == ""


def test_unreadable_cache_falls_back_to_a_timer(monkeypatch):
    monkeypatch.setattr(_compile_notice, "DELAY", 0.05)
    fast, slow = io.StringIO(), io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(broken=True), np.float64, fast):
        pass
    _compile_notice._seen.clear()
    with _compile_notice.compile_notice(_dispatcher(broken=True), np.float64, slow):
        time.sleep(0.5)
    assert fast.getvalue() == ""
    assert "compiling the float64 kernels" in slow.getvalue()


def test_split_batch_engine_is_announced_on_its_own():
    # n_jobs > 1 runs another specialisation: cached one-thread machine code
    # does not make its compile silent, and it says which engine it is.
    out = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(["float64"]), np.float64, out,
                                        split=True):
        pass
    assert "compiling the float64 split-batch (n_jobs > 1) kernels" in out.getvalue()
    quiet = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(["float64"], split=True), np.float64,
                                        quiet, split=True):
        pass
    assert quiet.getvalue() == ""


def test_sparse_input_is_its_own_engine_and_announced():
    # Dense X reaches the engine with its CSR arrays None (skmlp._sparse):
    # the engine of dense data has no sparse code, and sparse X compiles
    # another one, which cached dense machine code does not make silent.
    import numba
    import scipy.sparse as sp

    from skmlp import _data

    X = np.ones((4, 3))
    sigs = {}
    for name, Xk in (("dense", X), ("sparse", sp.csr_matrix(X))):
        data = _data.KernelData(*_data.kernel_X(Xk, np.float64), np.ones((4, 1)),
                                np.ones(4))
        sigs[name] = (numba.typeof(data), None, None, None)
    assert _compile_notice._features(sigs["dense"]) == ()
    assert _compile_notice._features(sigs["sparse"]) == ("sparse",)
    out = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(["float64"]), np.float64, out,
                                        features=("sparse",)):
        pass
    assert "compiling the float64 sparse-input kernels" in out.getvalue()
    # Once the sparse engine is in the cache, it is loaded without a word.
    _compile_notice._seen.clear()
    key = (sigs["sparse"][0], "array(float64, 1d, C)", "int64", None,
           "array(float64, 1d, C)", "hyper", "int64", "moments", "counters", "work", "none")
    cache = SimpleNamespace(_load_index=lambda: {(key, "magic"): "file"})
    quiet = io.StringIO()
    with _compile_notice.compile_notice(SimpleNamespace(_cache=SimpleNamespace(
            _cache_file=cache)), np.float64, quiet, features=("sparse",)):
        pass
    assert quiet.getvalue() == ""


def test_a_fit_announces_every_engine_it_runs(monkeypatch, capfd):
    # Training's engine; with n_jobs > 1 also the one-thread engine (it checks
    # the final outputs); and the engine of validation data that is sparse
    # where X is dense. Here the cache is taken to hold none of them.
    import warnings

    import scipy.sparse as sp

    from skmlp import MLPClassifierNB

    monkeypatch.setattr(_compile_notice, "_cached", lambda *args, **kwargs: False)
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 4))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifierNB(hidden_layer_sizes=(3,), max_iter=2).fit(
            X, y, X_val=sp.csr_matrix(X[:10]), y_val=y[:10])
        lines = capfd.readouterr().err.splitlines()
        assert sum("compiling the float64 kernels" in line for line in lines) == 1
        assert sum("float64 sparse-input kernels" in line for line in lines) == 1
        # float32: an engine this process has not announced yet.
        MLPClassifierNB(hidden_layer_sizes=(3,), max_iter=2, n_jobs=2).fit(
            X.astype(np.float32), y)
    lines = capfd.readouterr().err.splitlines()
    assert sum("float32 split-batch (n_jobs > 1) kernels" in line for line in lines) == 1
    assert sum("compiling the float32 kernels" in line for line in lines) == 1


_ONE_ENGINE_SCRIPT = """
import warnings
from collections import Counter
import numpy as np
from sklearn.datasets import load_iris
from skmlp import MLPClassifierNB, _epoch
X, y = load_iris(return_X_y=True)
warnings.simplefilter("ignore")


def engines():
    return sorted(Counter((str(sig[4]), str(sig[10]) == "none")
                          for sig in _epoch.run_epoch.signatures).items())


for n_jobs in (None, 2):  # then batches split across two threads
    for dtype in (np.float64, np.float32):
        est = MLPClassifierNB(hidden_layer_sizes=(4,), max_iter=2, random_state=0,
                              early_stopping=True, n_jobs=n_jobs).fit(
            X.astype(dtype), y)
        est.predict_proba(X.astype(dtype))
        est.predict(X[:1].astype(dtype))
    print(engines())
"""


@pytest.mark.slow
def test_fit_and_predict_share_one_compiled_engine_per_dtype():
    # Every argument type of the engine must be the same for training,
    # validation and prediction (a read-only array is another type): a second
    # specialisation would compile for several seconds on the first predict.
    # Split batches (n_jobs=2) add exactly one engine per dtype, and their
    # validation and prediction still run the first one.
    # A fresh process, so that no other test's direct kernel calls count.
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _ONE_ENGINE_SCRIPT], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "SKMLP_QUIET": "1"})
    assert proc.returncode == 0, proc.stderr
    one, split = proc.stdout.strip().splitlines()
    f32, f64 = "array(float32, 1d, C)", "array(float64, 1d, C)"
    assert one == str([((f32, True), 1), ((f64, True), 1)])
    assert split == str([((f32, False), 1), ((f32, True), 1), ((f64, False), 1),
                         ((f64, True), 1)])
