"""skmlp: scikit-learn-compatible multilayer perceptrons trained in Numba kernels."""

from ._estimators import MLPClassifierNB, MLPRegressorNB
from ._schedules import CosineAnnealing, ExponentialDecay, ReduceLROnPlateau, StepDecay
from .plotting import LossCurveDisplay

__version__ = "0.1.0"

__all__ = [
    "CosineAnnealing",
    "ExponentialDecay",
    "LossCurveDisplay",
    "MLPClassifierNB",
    "MLPRegressorNB",
    "ReduceLROnPlateau",
    "StepDecay",
    "__version__",
]
