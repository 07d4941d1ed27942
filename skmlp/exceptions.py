"""Warnings and errors specific to skmlp.

skmlp raises scikit-learn's own exception types wherever one fits
(``ValueError``, ``NotFittedError``, ``InvalidParameterError``); this module holds
the few that have no scikit-learn counterpart.
"""

__all__ = ["InconsistentVersionWarning", "UntransformedValidationWarning"]


class InconsistentVersionWarning(UserWarning):
    """Warning raised when a model is unpickled under another skmlp version.

    skmlp's counterpart of :class:`sklearn.exceptions.InconsistentVersionWarning`:
    every pickled (or ``joblib``/``skops``-saved) skmlp estimator records the skmlp
    version that saved it, and loading it under a different version warns,
    because private fitted state may have changed meaning between versions.
    Turn it into an error with
    ``warnings.simplefilter("error", InconsistentVersionWarning)``.

    Parameters
    ----------
    estimator_name : str
        Class name of the loaded estimator.

    current_skmlp_version : str
        Version of skmlp doing the loading.

    original_skmlp_version : str
        Version of skmlp that saved the estimator (``"unknown"`` for models
        saved before skmlp recorded it).

    See Also
    --------
    sklearn.exceptions.InconsistentVersionWarning : The scikit-learn warning
        for the same situation.

    Examples
    --------
    >>> import pickle
    >>> import warnings
    >>> from skmlp import MLPRegressorNB
    >>> from skmlp.exceptions import InconsistentVersionWarning
    >>> blob = pickle.dumps(MLPRegressorNB())
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", InconsistentVersionWarning)
    ...     model = pickle.loads(blob)  # same version: loads without a warning
    """

    def __init__(
        self, *, estimator_name, current_skmlp_version, original_skmlp_version
    ):
        self.estimator_name = estimator_name
        self.current_skmlp_version = current_skmlp_version
        self.original_skmlp_version = original_skmlp_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} saved with skmlp "
            f"{self.original_skmlp_version} when using skmlp "
            f"{self.current_skmlp_version}. This might lead to breaking code or "
            "invalid results. Refit and save the model with this version, or load "
            f"it with skmlp=={self.original_skmlp_version} and export it first "
            "(for example with to_sklearn())."
        )


class UntransformedValidationWarning(UserWarning):
    """Warning raised when ``X_val`` does not look preprocessed like ``X``.

    The usual cause is a :class:`~sklearn.pipeline.Pipeline` given
    ``mlp__X_val=...``: the steps before the MLP transform ``X`` but pass
    ``X_val`` through unchanged, so the model validates (and early-stops) on
    data of another scale. Route ``X_val`` through the pipeline with
    ``transform_input`` instead (see the user guide). The test is a cheap
    comparison of per-feature means and spreads; silence it with
    ``warnings.simplefilter("ignore", UntransformedValidationWarning)`` when the
    difference is intended.

    Examples
    --------
    >>> import warnings
    >>> from skmlp.exceptions import UntransformedValidationWarning
    >>> warnings.simplefilter("error", UntransformedValidationWarning)
    """
