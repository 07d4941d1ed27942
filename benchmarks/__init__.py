"""Side-by-side benchmarks of skmlp, scikit-learn and (optionally) PyTorch.

Run ``python -m benchmarks --help``; see ``benchmarks/README.md``.
"""
