"""Models saved by skmlp 0.1.0, before the engine's restructure, still work.

The files in tests/fixtures/saved_models/ were written once by
tests/fixtures/make_saved_models.py with the pre-restructure code (issue 15):
about twenty tiny models that together cover every feature, each saved with
joblib and with skops, and the outputs they gave then. Never regenerate them:
if this test fails after a change, the change broke models users saved.

For every file: it loads (skops with only skmlp's own classes to trust, as
docs/export_and_persistence.md recommends) without any warning but the
version-mismatch ones; it predicts what it predicted when saved; and it keeps
training, as the code that saved it did: two ``partial_fit`` calls (stochastic
solvers) or ``set_params(warm_start=True, max_iter=2).fit`` (L-BFGS, and models
partial_fit refuses) keeps the dtype, changes the weights, and gives the
outputs stored after the same step, so the optimizer state (Adam's moments,
SGD's velocity and rate, the schedule's state, the RandomState) survives.

Outputs are compared to rounding (ROUND_OFF_TOL), not bitwise: they were
computed with the BLAS kernels of the machine that saved them, which another
CPU may sum in another order. Predicted labels are compared exactly.
"""

import json
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning

import skmlp
from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp.exceptions import InconsistentVersionWarning

from conftest import ROUND_OFF_TOL, ROUND_OFF_TOL_FLOAT32

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "saved_models"
EXPECTED = dict(np.load(FIXTURES / "expected.npz"))
META = json.loads(str(EXPECTED["meta"]))
SAVED = META["versions"]
MODELS = META["models"]
# What a user confirms when loading these files with skops: skmlp's own
# estimator and schedule classes, nothing else.
SKMLP_TYPES = {
    f"{c.__module__}.{c.__qualname__}"
    for c in (MLPClassifierNB, MLPRegressorNB, skmlp.ExponentialDecay,
              skmlp.StepDecay, skmlp.CosineAnnealing, skmlp.ReduceLROnPlateau)
}
CASES = [(name, fmt) for name in MODELS for fmt in ("joblib", "skops")]


def _major(version):
    return int(version.split(".")[0])


def test_fixture_set_is_complete():
    """Every model has both files and its expected outputs; no stray file."""
    files = {p.name for p in FIXTURES.iterdir()}
    wanted = {f"{name}.{fmt}" for name, fmt in CASES} | {"expected.npz"}
    assert files == wanted
    assert len(MODELS) >= 15
    for name, info in MODELS.items():
        assert f"{name}.predict" in EXPECTED
        assert f"{name}.continued.predict" in EXPECTED
        is_clf = info["estimator"] == "MLPClassifierNB"
        assert (f"{name}.predict_proba" in EXPECTED) == is_clf


def _load(name, fmt):
    """The saved model, and the warnings loading it raised."""
    path = FIXTURES / f"{name}.{fmt}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if fmt == "joblib":
            if _major(np.__version__) < _major(SAVED["numpy"]):
                pytest.skip(f"a pickle written under NumPy {SAVED['numpy']} does not "
                            f"load under NumPy {np.__version__} (NumPy's own forward "
                            "incompatibility: RandomState and scalars); the skops "
                            "files of the same models are checked here")
            est = joblib.load(path)
        else:
            sio = pytest.importorskip(
                "skops.io", reason="skops is optional: pip install 'skmlp[skops]'")
            untrusted = sio.get_untrusted_types(file=path)
            assert untrusted, "skmlp's class must be confirmed by the user"
            assert set(untrusted) <= SKMLP_TYPES, f"untrusted types: {untrusted}"
            est = sio.load(path, trusted=untrusted)
    return est, [w.message for w in caught]


def _check_warnings(messages, name):
    """Only version-mismatch warnings, and only when the version differs."""
    for m in messages:
        if isinstance(m, InconsistentVersionWarning):
            assert SAVED["skmlp"] != skmlp.__version__, m
            assert m.original_skmlp_version == SAVED["skmlp"]
            assert m.estimator_name == MODELS[name]["estimator"]
        elif isinstance(m, SklearnVersionWarning):
            # scikit-learn's own objects inside (the LabelBinarizer) record
            # scikit-learn's version, and warn when it differs
            assert SAVED["scikit-learn"] != sklearn.__version__, m
            assert m.original_sklearn_version == SAVED["scikit-learn"]
        else:
            raise AssertionError(f"unexpected warning on loading {name}: {m!r}")
    if SAVED["skmlp"] != skmlp.__version__:
        assert any(isinstance(m, InconsistentVersionWarning) for m in messages)


def _tol(info):
    return ROUND_OFF_TOL_FLOAT32 if info["dtype"] == "float32" else ROUND_OFF_TOL


def _check_outputs(est, info, prefix):
    X_test = EXPECTED["X_test"].astype(info["dtype"])
    pred = est.predict(X_test)
    expected = EXPECTED[f"{prefix}.predict"]
    if info["estimator"] == "MLPClassifierNB":
        # labels (strings, ints, indicator rows) exactly, probabilities to rounding
        np.testing.assert_array_equal(pred, expected)
        assert pred.dtype == expected.dtype
        proba = est.predict_proba(X_test)
        assert proba.dtype == np.dtype(info["dtype"])
        np.testing.assert_allclose(proba, EXPECTED[f"{prefix}.predict_proba"],
                                   **_tol(info))
    else:
        assert pred.dtype == np.dtype(info["dtype"])
        np.testing.assert_allclose(pred, expected, **_tol(info))


def _training_data(info):
    X = EXPECTED["X"]
    if "float32" in info["options"]:
        X = X.astype(np.float32)
    if "sparse" in info["options"]:
        X = sp.csr_matrix(X)
    return X, EXPECTED[f"y.{info['target']}"]


@pytest.mark.parametrize("name, fmt", CASES)
def test_saved_model_loads_predicts_and_keeps_training(name, fmt):
    info = MODELS[name]
    est, messages = _load(name, fmt)
    _check_warnings(messages, name)
    assert type(est).__name__ == info["estimator"]
    _check_outputs(est, info, name)

    before = [w.copy() for w in (*est.coefs_, *est.intercepts_)]
    X, y = _training_data(info)
    if info["continued"] == "partial_fit":
        assert est.solver in ("adam", "sgd")
        est.partial_fit(X, y)
        est.partial_fit(X, y)  # at the rate the saved schedule state gave
    else:
        est.set_params(warm_start=True, max_iter=2).fit(X, y)
    after = [*est.coefs_, *est.intercepts_]
    assert all(w.dtype == np.dtype(info["dtype"]) for w in after)
    assert [w.shape for w in after] == [w.shape for w in before]
    assert any(not np.array_equal(a, b) for a, b in zip(after, before)), \
        "training did not change the weights"
    _check_outputs(est, info, f"{name}.continued")
