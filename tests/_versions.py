"""Versions of the installed dependencies, for tests that need a newer one.

CI also runs the suite with every dependency at the floor pyproject.toml
declares (.ci/floors.txt). A test that checks a behaviour of scikit-learn
itself which older supported releases lack skips there, saying which release
brought it; skmlp's own behaviour is tested on every supported release.
"""

import sklearn
from packaging.version import Version


def sklearn_older_than(version):
    """Whether the installed scikit-learn is older than ``version``."""
    return Version(sklearn.__version__) < Version(version)
