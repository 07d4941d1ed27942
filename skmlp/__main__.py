"""Command line: ``python -m skmlp demo`` and ``python -m skmlp --version``."""

import argparse
import sys


def main(argv=None):
    from . import __version__

    parser = argparse.ArgumentParser(prog="python -m skmlp", description=__doc__)
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
    args = parser.parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(n_iter=args.n_iter, n_jobs=args.n_jobs)
    return 2


if __name__ == "__main__":
    sys.exit(main())
