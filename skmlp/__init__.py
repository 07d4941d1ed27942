"""skmlp: scikit-learn-compatible multilayer perceptrons trained in Numba kernels."""

from ._estimators import MLPClassifierNB, MLPRegressorNB

__version__ = "0.1.0"

__all__ = ["MLPClassifierNB", "MLPRegressorNB", "__version__"]
