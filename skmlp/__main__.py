"""Command line: ``skmlp demo``, ``skmlp compile`` and ``skmlp --version``.

Installed as the ``skmlp`` command. ``python -m skmlp`` runs the same, but run
from a source checkout it imports the source tree rather than the installed
package, whose compiled kernels then serve no other folder; it says so.
"""

import argparse
import sys

DESCRIPTION = (
    "skmlp: scikit-learn-compatible multilayer perceptrons trained in Numba kernels. "
    "'skmlp demo' trains on scikit-learn's digits next to sklearn's MLPClassifier; "
    "'skmlp compile' builds every compiled variant now (for container images and CI)."
)


def _source_tree_note():
    """A line when this process runs a source tree while another copy is installed."""
    import importlib.metadata
    import os

    import skmlp

    try:
        installed = importlib.metadata.distribution("skmlp").locate_file(
            "skmlp/__init__.py")
    except importlib.metadata.PackageNotFoundError:
        return None
    here = os.path.realpath(skmlp.__file__)
    if not os.path.exists(installed) or os.path.realpath(installed) == here:
        return None  # an editable install, or the installed copy itself
    return (f"skmlp: running the source tree in {os.path.dirname(here)}, not the "
            "installed package: the kernels compiled now are cached there and serve "
            "no other folder. Run 'skmlp demo' (the installed command) instead.")


def main(argv=None):
    from . import __version__

    parser = argparse.ArgumentParser(prog="skmlp", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"skmlp {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="train on scikit-learn's digits next to sklearn's MLPClassifier, "
        "tune with RandomizedSearchCV, save and reload with joblib",
    )
    demo.add_argument("--n-iter", type=int, default=6,
                      help="candidates for RandomizedSearchCV (default 6)")
    demo.add_argument("--n-jobs", type=int, default=2,
                      help="parallel jobs for RandomizedSearchCV (default 2)")
    sub.add_parser(
        "compile",
        help="compile every variant (float64/float32; one thread, split batches, batch norm) "
        "into the on-disk cache now, so that no later process compiles",
    )
    args = parser.parse_args(argv)
    note = _source_tree_note()
    if note:
        from ._compile_notice import say

        say(note)
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(n_iter=args.n_iter, n_jobs=args.n_jobs)
    if args.command == "compile":
        from ._prebuild import prebuild

        prebuild()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
