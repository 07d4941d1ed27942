"""skmlp: scikit-learn-compatible multilayer perceptrons trained in Numba kernels."""

# The project's one version number. pyproject.toml reads it statically
# ([tool.setuptools.dynamic]), so keep it a plain string literal assigned here.
__version__ = "0.1.0"

from ._estimators import MLPClassifierNB, MLPRegressorNB  # noqa: E402
from ._schedules import (  # noqa: E402
    CosineAnnealing,
    ExponentialDecay,
    ReduceLROnPlateau,
    StepDecay,
)
from .plotting import LossCurveDisplay  # noqa: E402

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
