"""scikit-learn's estimator checks, run on both estimators.

scikit-learn tests its own MLPs with ``max_iter=100`` and, for the sample-weight
equivalence check, with the solver settings of ``PER_ESTIMATOR_CHECK_PARAMS`` in
``sklearn/utils/_test_common/instance_generator.py``; the same settings are used
here so that both libraries face exactly the same checks.
"""

import functools
import warnings

import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import MLPClassifierNB, MLPRegressorNB

# scikit-learn's PER_ESTIMATOR_CHECK_PARAMS for MLPClassifier / MLPRegressor.
PER_CHECK_PARAMS = {
    MLPClassifierNB: {
        "check_sample_weight_equivalence_on_dense_data": dict(solver="lbfgs"),
    },
    MLPRegressorNB: {
        "check_sample_weight_equivalence_on_dense_data": dict(
            solver="sgd", tol=1e-2, random_state=42
        ),
    },
}


def _check_name(check):
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


@parametrize_with_checks(
    [
        MLPClassifierNB(max_iter=100, random_state=0),
        MLPRegressorNB(max_iter=100, random_state=0),
        # the losses scikit-learn's MLP lacks (one quantile level: the API of
        # several, a 2-D predict for a 1-D y, is outside the checks' contract)
        MLPRegressorNB(loss="absolute_error", max_iter=100, random_state=0),
        MLPRegressorNB(loss="huber", max_iter=100, random_state=0),
        MLPRegressorNB(loss="quantile", max_iter=100, random_state=0),
    ]
)
def test_estimator_passes_sklearn_check(estimator, check):
    # The same instance is shared by every check of one estimator: set
    # check-specific parameters on a clone so they do not leak into other checks.
    params = PER_CHECK_PARAMS[type(estimator)].get(_check_name(check))
    if params is not None:
        estimator = clone(estimator).set_params(**params)
    check(estimator)


# Transformer checks that scikit-learn runs on its own transformers in its
# test_common.py rather than through parametrize_with_checks: feature names
# out and the set_output API (polars' checks skip themselves without polars).
TRANSFORMER_API_CHECKS = [
    estimator_checks.check_transformer_get_feature_names_out,
    estimator_checks.check_transformer_get_feature_names_out_pandas,
    estimator_checks.check_get_feature_names_out_error,
    estimator_checks.check_set_output_transform,
    estimator_checks.check_set_output_transform_pandas,
    estimator_checks.check_global_output_transform_pandas,
    estimator_checks.check_set_output_transform_polars,
    estimator_checks.check_global_set_output_transform_polars,
]


@pytest.mark.parametrize("check", TRANSFORMER_API_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("Estimator", [MLPClassifierNB, MLPRegressorNB])
def test_transformer_api_checks(Estimator, check):
    estimator = Estimator(max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the checks themselves fit on arrays and transform DataFrames (and
        # the reverse): the warning is the one predict gives for that
        warnings.filterwarnings("ignore", "X (has|does not have valid) feature names",
                                UserWarning)
        check(Estimator.__name__, estimator)
