"""Side-by-side benchmarks of skmlp and its peers: ``python -m benchmarks --help``."""
