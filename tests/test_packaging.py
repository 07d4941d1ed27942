"""The declared dependency floors are the ones CI tests.

CI runs the suite a second time (all but the slow tests of test_cli, test_demo
and test_readme, see .ci/run) on requires-python's Python with every core
dependency pinned by .ci/floors.txt; that is only a test of the floors
while the pins are exactly the floors pyproject.toml declares.
"""

import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def declared_floors():
    """{name: floor} of pyproject.toml's dependencies; each must have one ``>=``."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    floors = {}
    for dep in deps:
        req = Requirement(dep)
        lower = [s.version for s in req.specifier if s.operator == ">="]
        assert len(lower) == 1, f"{dep!r} declares no single >= floor"
        floors[req.name] = Version(lower[0])
    return floors


def pinned_floors():
    """{name: version} of the ``==`` pins in .ci/floors.txt."""
    pins = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"{line!r} is not an exact pin"
        pins[req.name] = Version(spec.version)
    return pins


def test_ci_pins_every_declared_floor_exactly():
    # Version("1.24") == Version("1.24.0"): a floor ">=X.Y" is pinned at X.Y.0.
    assert pinned_floors() == declared_floors()


def test_floors_file_is_read():
    # The parsers above see what they should: guards against a comparison of
    # two empty dicts, and against a pin without its package.
    assert {"numpy", "scipy", "scikit-learn", "numba"} <= set(pinned_floors())
