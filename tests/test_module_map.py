"""The user guide's module map lists every module of the package, and only those.

docs/user_guide.md holds the one module map of the project: a table with one
row per file in skmlp/ (``| `skmlp/_name.py` | what it holds |``).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\|\s*`skmlp/([\w/]+\.py)`\s*\|\s*(.*?)\s*\|\s*$", re.MULTILINE)


def _map_rows():
    return ROW.findall((ROOT / "docs" / "user_guide.md").read_text(encoding="utf-8"))


def _modules():
    package = ROOT / "skmlp"
    return sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py"))


def test_every_module_is_in_the_map_and_every_listed_module_exists():
    listed = [name for name, _ in _map_rows()]
    modules = _modules()
    assert len(modules) > 1, "no modules found next to the tests"
    missing = sorted(set(modules) - set(listed))
    gone = sorted(set(listed) - set(modules))
    assert not missing, f"modules missing from docs/user_guide.md's module map: {missing}"
    assert not gone, f"the module map lists modules that do not exist: {gone}"


def test_each_module_is_listed_once_with_a_description():
    rows = _map_rows()
    names = [name for name, _ in rows]
    assert len(names) == len(set(names)), "a module is listed twice"
    assert all(len(text.split()) >= 3 for _, text in rows), rows


def test_the_map_is_the_only_one():
    # a second, partial list (the old code block of "skmlp/_x.py  text" lines)
    # is how the previous map went stale
    old_style = re.compile(r"^skmlp/\w+\.py {2,}\S", re.MULTILINE)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    others = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if page.name != "user_guide.md" and (ROW.search(text) or old_style.search(text)):
            others.append(page.name)
    assert not others, f"another module map in {others}: link to the user guide's"
