"""The command line: ``python -m skmlp --version``."""

import importlib.metadata
import os
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
    assert "usage: python -m skmlp" in proc.stderr
