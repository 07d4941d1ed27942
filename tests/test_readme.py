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
        "pip install . && skmlp demo",
        'pip install ".[test]" && python -m pytest',
    ]
    # .ci/run runs the second command verbatim
    assert commands[1] in _read(".ci", "run").splitlines()


def test_first_screen_has_a_short_example_and_one_linked_figure():
    """Within 40 lines: what it is, the install line, an example of at most 10 lines."""
    text = _read("README.md")
    first_screen = "\n".join(text.splitlines()[:40])
    example = _code_blocks("python")[0]
    assert f"```python\n{example}```" in first_screen
    assert len(example.strip().splitlines()) <= 10
    assert "pip install . && skmlp demo" in first_screen
    assert "(docs/benchmarks.md)" in first_screen


def test_ci_builds_the_docs_with_the_readmes_command():
    docs_command = next(b for b in _code_blocks("bash") if "sphinx" in b).strip()
    assert docs_command in _read(".ci", "run").splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("index", [0, 1], ids=["example", "pipeline-recipe"])
def test_python_blocks_run_without_warnings_or_leftover_files(tmp_path, index):
    blocks = _code_blocks("python")
    assert len(blocks) == 2
    snippet = blocks[index]
    if "transform_input" in snippet and _sklearn_older_than(1, 7):
        pytest.skip("Pipeline(transform_input=...) is new in scikit-learn 1.7")
    script = tmp_path / "snippet.py"
    script.write_text(snippet, encoding="utf-8")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    # The same skmlp as this test run; SKMLP_QUIET: with a cold Numba cache the
    # compile notice (not a warning) would go to stderr.
    env = dict(os.environ, PYTHONPATH=REPO, SKMLP_QUIET="1")
    proc = subprocess.run([sys.executable, str(script)], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", "the snippet printed warnings:\n" + proc.stderr
    accuracy = float(re.search(r"accuracy: (0\.\d+)", proc.stdout).group(1))
    assert accuracy > 0.9
    assert list(workdir.iterdir()) == [], "the snippet left files behind"


def _sklearn_older_than(major, minor):
    import sklearn

    return tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (major, minor)
