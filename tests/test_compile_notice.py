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


def _dispatcher(cached_dtypes=(), broken=False):
    def load_index():
        if broken:
            raise RuntimeError("a cache format this code does not know")
        # Index keys: (signature, codegen magic); theta is argument 4 and every
        # signature has float64 arrays elsewhere (the scalars).
        return {(("data", "array(float64, 1d, C)", "int64", "net", f"array({d}, 1d, C)"),
                 "magic"): "file" for d in cached_dtypes}

    cache_file = SimpleNamespace(_load_index=load_index)
    return SimpleNamespace(_cache=SimpleNamespace(_cache_file=cache_file))


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    # Each test starts as a new process would: no dtype announced yet.
    monkeypatch.setattr(_compile_notice, "_seen", set())
    monkeypatch.delenv("SKMLP_QUIET", raising=False)


def test_a_missing_cache_entry_is_announced_before_and_after():
    out = io.StringIO()
    with _compile_notice.compile_notice(_dispatcher(["float32"]), np.float64, out):
        during = out.getvalue()
    assert "compiling the float64 kernels" in during and "once" in during
    assert "this first call took" in out.getvalue()


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


_ONE_ENGINE_SCRIPT = """
import warnings
from collections import Counter
import numpy as np
from sklearn.datasets import load_iris
from skmlp import MLPClassifierNB, _epoch
X, y = load_iris(return_X_y=True)
warnings.simplefilter("ignore")
for dtype in (np.float64, np.float32):
    for n_jobs in (None, 2):  # batches split across two threads too
        est = MLPClassifierNB(hidden_layer_sizes=(4,), max_iter=2, random_state=0,
                              early_stopping=True, n_jobs=n_jobs).fit(
            X.astype(dtype), y)
        est.predict_proba(X.astype(dtype))
        est.predict(X[:1].astype(dtype))
print(sorted(Counter(str(sig[4]) for sig in _epoch.run_epoch.signatures).items()))
"""


def test_fit_and_predict_share_one_compiled_engine_per_dtype():
    # Every argument type of the engine must be the same for training,
    # validation and prediction (a read-only array is another type): a second
    # specialisation would compile for several seconds on the first predict.
    # A fresh process, so that no other test's direct kernel calls count.
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _ONE_ENGINE_SCRIPT], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "SKMLP_QUIET": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "[('array(float32, 1d, C)', 1), ('array(float64, 1d, C)', 1)]")
