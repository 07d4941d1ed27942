"""The command line: ``skmlp`` (installed command) and ``python -m skmlp``."""

import importlib.metadata
import os
import shutil
import subprocess
import sys

import pytest

import skmlp

# Every test starts a Python process.
pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args):
    # cwd=REPO so the child imports the same skmlp as this test process.
    return subprocess.run(
        [sys.executable, "-m", "skmlp", *args],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )


def test_version_flag_prints_package_version():
    proc = _run("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"skmlp {skmlp.__version__}\n"


def test_installed_metadata_has_the_same_version():
    # pyproject.toml takes its version from skmlp.__version__; a mismatch means
    # the version is written twice again, or the install is stale (reinstall).
    assert importlib.metadata.version("skmlp") == skmlp.__version__


def test_no_command_is_a_usage_error():
    proc = _run()
    assert proc.returncode == 2
    assert "usage: skmlp" in proc.stderr


def test_help_is_plain_text():
    proc = _run("--help")
    assert proc.returncode == 0
    assert "skmlp demo" in proc.stdout and "compile" in proc.stdout
    assert "``" not in proc.stdout and ":mod:" not in proc.stdout


def _installed_command():
    """The ``skmlp`` console script of the environment running the tests."""
    path = shutil.which("skmlp", path=os.path.dirname(sys.executable))
    assert path, "skmlp is not installed in this environment: pip install '.[test]'"
    return path


def test_compile_builds_every_variant_then_finds_them_cached(tmp_path):
    from skmlp._prebuild import VARIANTS

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SKMLP_QUIET", None)
    runs = [subprocess.run([_installed_command(), "compile"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=900)
            for _ in range(2)]
    for proc in runs:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.count(" s\n") == len(VARIANTS)
        assert "split-batch" in proc.stdout and "float32" in proc.stdout
        assert "compiling" not in proc.stderr  # the command's own lines, not notices
    assert runs[0].stdout.count("compiled in") == len(VARIANTS)
    assert runs[1].stdout.count("already cached") == len(VARIANTS)


_USER_SCRIPT = """
import skmlp, sys
from sklearn.datasets import load_digits
from skmlp import MLPClassifierNB
X, y = load_digits(return_X_y=True)
MLPClassifierNB(max_iter=3, random_state=0).fit(X / 16, y).predict_proba(X)
print(skmlp.__file__)
"""


def test_first_command_leaves_kernels_that_a_script_in_another_folder_reuses(tmp_path):
    """The README's first command, then a user's script elsewhere: nothing compiles.

    Numba's default cache location is used (NUMBA_CACHE_DIR unset), as a user
    has it; the installed command and the script import the same installed
    package, so the script's first fit loads what the demo compiled.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "SKMLP_QUIET")}
    first, second = tmp_path / "first", tmp_path / "elsewhere"
    first.mkdir()
    second.mkdir()
    demo = subprocess.run([_installed_command(), "demo", "--n-iter", "1"], cwd=first,
                          env=env, capture_output=True, text=True, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "running the source tree" not in demo.stderr
    script = subprocess.run([sys.executable, "-c", _USER_SCRIPT], cwd=second, env=env,
                            capture_output=True, text=True, timeout=900)
    assert script.returncode == 0, script.stderr[-3000:]
    assert "skmlp: compiling" not in script.stderr, script.stderr


def test_python_m_from_a_checkout_says_it_runs_the_source_tree(tmp_path, monkeypatch):
    """Run from the repository root, ``python -m skmlp`` imports ./skmlp, not the install."""
    from skmlp import __main__ as cli

    fake_install = tmp_path / "site-packages" / "skmlp"
    fake_install.mkdir(parents=True)
    (fake_install / "__init__.py").write_text("")

    class Dist:
        def locate_file(self, name):
            return tmp_path / "site-packages" / name

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: Dist())
    note = cli._source_tree_note()
    assert note and "running the source tree" in note and "skmlp demo" in note
    monkeypatch.setattr(importlib.metadata, "distribution",
                        lambda name: type("D", (), {"locate_file": lambda self, n:
                                                    skmlp.__file__})())
    assert cli._source_tree_note() is None
