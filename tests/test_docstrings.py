"""numpydoc validation of every public docstring, and the API page's coverage.

Like scikit-learn's own docstring test: numpydoc's validator runs on each
public class of ``skmlp`` and on each public method that skmlp defines
(methods inherited from scikit-learn, such as ``get_params`` or
``set_fit_request``, are scikit-learn's to document).
"""

import inspect
import os
import re

import numpydoc.validate  # in the test extra
import pytest

import skmlp

# Checks we do not enforce, and why:
# - ES01 "No extended summary found": one-line summaries of methods such as
#   predict say all there is to say; classes have extended summaries anyway.
# - SA01 "See Also section not found": required on every method it would only
#   repeat the class's list; the classes have one.
# - EX01 "No examples section found": the classes carry doctest examples and
#   the gallery shows every method in use; one per method would be noise.
# - RT02 "The first line of the Returns section should contain only the type":
#   we name returned values ("y : ndarray of shape (n_samples,)") as
#   scikit-learn does, which numpydoc reads as a name, not a type.
IGNORED = {"ES01", "SA01", "EX01", "RT02"}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _public_objects():
    """Dotted names of public classes and functions, and skmlp's own methods."""
    names = []
    for public in skmlp.__all__:
        obj = getattr(skmlp, public)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # __version__
        names.append(f"skmlp.{public}")
        if not inspect.isclass(obj):
            continue
        for attr, member in inspect.getmembers(obj):
            if attr.startswith("_"):
                continue
            if isinstance(member, property):
                member = member.fget
            if not callable(member):
                continue
            if getattr(member, "__module__", "").startswith("skmlp"):
                names.append(f"skmlp.{public}.{attr}")
    return names


PUBLIC = _public_objects()


def test_the_public_methods_are_found():
    # Guards the discovery above: if it silently found nothing, the
    # validation below would pass on nothing.
    for name in ("MLPClassifierNB", "MLPRegressorNB"):
        for method in ("fit", "partial_fit", "predict"):
            assert f"skmlp.{name}.{method}" in PUBLIC
    assert "skmlp.MLPClassifierNB.predict_proba" in PUBLIC
    assert "skmlp.MLPClassifierNB.get_params" not in PUBLIC  # scikit-learn's


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_is_valid_numpydoc(name):
    result = numpydoc.validate.validate(name)
    errors = [(code, msg) for code, msg in result["errors"] if code not in IGNORED]
    assert not errors, f"{name}:\n" + "\n".join(f"  {c}: {m}" for c, m in errors)


def test_api_reference_lists_every_public_name():
    # docs/api.rst holds one autosummary line per public name; a new public
    # class or function must get its line there.
    with open(os.path.join(REPO, "docs", "api.rst"), encoding="utf-8") as f:
        text = f.read()
    listed = set(re.findall(r"^\s{3}(\w+)\s*$", text, flags=re.MULTILINE))
    public = {n for n in skmlp.__all__ if n != "__version__"}
    missing = public - listed
    assert not missing, f"add {sorted(missing)} to docs/api.rst"
