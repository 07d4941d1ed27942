"""The README's promises: its two set-up commands, and a quiet, tidy Usage snippet."""

import os
import re
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
    with open(os.path.join(REPO, *parts), encoding="utf-8") as f:
        return f.read()


def _code_blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```", _read("README.md"),
                      flags=re.MULTILINE | re.DOTALL)


def test_first_block_is_the_two_setup_commands_ci_runs():
    commands = _code_blocks("bash")[0].strip().splitlines()
    assert commands == [
        "pip install . && python -m skmlp demo",
        'pip install ".[test]" && python -m pytest',
    ]
    # .ci/run runs the second command verbatim
    assert commands[1] in _read(".ci", "run").splitlines()


def test_ci_builds_the_docs_with_the_readmes_command():
    docs_command = next(b for b in _code_blocks("bash") if "sphinx" in b).strip()
    assert docs_command in _read(".ci", "run").splitlines()


@pytest.mark.slow
def test_usage_snippet_runs_without_warnings_or_leftover_files(tmp_path):
    (snippet,) = _code_blocks("python")
    script = tmp_path / "usage.py"
    script.write_text(snippet, encoding="utf-8")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    # The same skmlp as this test run; SKMLP_QUIET: with a cold Numba cache the
    # compile notice (not a warning) would go to stderr.
    env = dict(os.environ, PYTHONPATH=REPO, SKMLP_QUIET="1")
    proc = subprocess.run([sys.executable, str(script)], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", "the Usage snippet printed warnings:\n" + proc.stderr
    assert "(5, 10)" in proc.stdout
    assert list(workdir.iterdir()) == [], "the Usage snippet left files behind"
