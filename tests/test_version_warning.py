"""A model saved by one skmlp version and loaded by another warns.

As scikit-learn does with ``_sklearn_version``: the pickled state records
``_skmlp_version`` and loading compares it with the running version.
"""

import copy
import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmlp
from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp.exceptions import InconsistentVersionWarning


rng = np.random.RandomState(0)
X = rng.standard_normal((30, 4))
y = (X[:, 0] > 0).astype(int)


def _fitted(cls):
    target = y if cls is MLPClassifierNB else X[:, 1]
    return cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, target)


def _saved_by(version, obj, monkeypatch):
    """Pickle ``obj`` as if skmlp ``version`` were installed."""
    with monkeypatch.context() as m:
        m.setattr(skmlp, "__version__", version)
        return pickle.dumps(obj)


@pytest.mark.parametrize("cls", [MLPClassifierNB, MLPRegressorNB])
def test_other_version_warns(cls, monkeypatch):
    est = _fitted(cls)
    blob = _saved_by("0.0.1", est, monkeypatch)
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = pickle.loads(blob)
    w = record[0].message
    assert w.estimator_name == cls.__name__
    assert w.original_skmlp_version == "0.0.1"
    assert w.current_skmlp_version == skmlp.__version__
    assert f"{cls.__name__} saved with skmlp 0.0.1" in str(w)
    assert issubclass(InconsistentVersionWarning, UserWarning)
    # The model still loads and predicts; the version key is not kept as state.
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    assert "_skmlp_version" not in loaded.__dict__


@pytest.mark.parametrize("cls", [MLPClassifierNB, MLPRegressorNB])
def test_same_version_is_silent(cls):
    est = _fitted(cls)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(est))
        buf = io.BytesIO()
        joblib.dump(est, buf)
        buf.seek(0)
        joblib.load(buf)
        copy.deepcopy(est)
        clone(est)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_getstate_records_the_version_without_touching_the_estimator():
    est = _fitted(MLPClassifierNB)
    state = est.__getstate__()
    assert state["_skmlp_version"] == skmlp.__version__
    assert "_skmlp_version" not in est.__dict__


def test_model_saved_before_versions_were_recorded_warns():
    est = _fitted(MLPClassifierNB)
    state = est.__getstate__()
    del state["_skmlp_version"]
    fresh = MLPClassifierNB.__new__(MLPClassifierNB)
    with pytest.warns(InconsistentVersionWarning, match="saved with skmlp unknown"):
        fresh.__setstate__(state)
    np.testing.assert_array_equal(fresh.predict(X), est.predict(X))


def test_pipeline_warns_for_the_skmlp_step(monkeypatch):
    pipe = make_pipeline(StandardScaler(), _fitted(MLPClassifierNB))
    blob = _saved_by("9.9.9", pipe, monkeypatch)
    with pytest.warns(InconsistentVersionWarning) as record:
        pickle.loads(blob)
    # Only skmlp's estimator warns: scikit-learn's version did not change.
    assert [r.message.estimator_name for r in record] == ["MLPClassifierNB"]


def test_warning_can_be_made_an_error(monkeypatch):
    blob = _saved_by("0.0.1", _fitted(MLPRegressorNB), monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        with pytest.raises(InconsistentVersionWarning):
            pickle.loads(blob)
