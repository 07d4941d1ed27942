"""Saving and loading fitted models: joblib, pickle and skops.

A loaded model predicts bitwise as the original, in this process and in a fresh
one, and continues partial_fit with the same steps; a model saved by another
skmlp version warns when loaded (as scikit-learn does with
``_sklearn_version``: the state records ``_skmlp_version``). What is specific
to skops (only skmlp's own types to trust) is in tests/test_skops.py.
"""

import copy
import io
import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmlp
from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp.exceptions import InconsistentVersionWarning

try:
    import skops.io as sio
except ImportError:  # an optional extra
    sio = None


rng = np.random.RandomState(0)
X = rng.standard_normal((40, 5))
X_TEST = rng.standard_normal((25, 5))


def _models():
    y3 = np.array(["a", "b", "c"])[np.arange(40) % 3]
    Y2 = np.column_stack([X @ rng.standard_normal(5), X[:, 0] ** 2])
    counts = rng.poisson(1.0, 40)
    params = dict(hidden_layer_sizes=(7,), max_iter=10, random_state=0)
    return {
        "clf-multiclass-adam": MLPClassifierNB(**params).fit(X, y3),
        "clf-binary-float32-sgd": MLPClassifierNB(solver="sgd", **params).fit(
            X.astype(np.float32), np.arange(40) % 2),
        "reg-multioutput-lbfgs": MLPRegressorNB(solver="lbfgs", **params).fit(X, Y2),
        "reg-poisson-sparse": MLPRegressorNB(loss="poisson", **params).fit(
            sp.csr_matrix(np.where(X > 0, X, 0)), counts),
    }


with warnings.catch_warnings():  # fitted at import: the module mark is not active
    warnings.simplefilter("ignore")
    MODELS = _models()

LOADER = textwrap.dedent(
    """
    import pickle, sys
    import joblib
    import numpy as np

    directory, names = sys.argv[1], sys.argv[2:]
    X = np.load(directory + "/X.npy")
    out = {}
    for name in names:
        loaded = {
            "joblib": joblib.load(f"{directory}/{name}.joblib"),
            "joblib-mmap": joblib.load(f"{directory}/{name}.joblib", mmap_mode="r"),
            "pickle": pickle.load(open(f"{directory}/{name}.pkl", "rb")),
        }
        for how, est in loaded.items():
            out[f"{name}|{how}|predict"] = est.predict(X)
            if hasattr(est, "predict_proba"):
                out[f"{name}|{how}|predict_proba"] = est.predict_proba(X)
    np.savez(directory + "/out.npz", **out)
    """
)


@pytest.fixture(scope="module")
def fresh_process_outputs(tmp_path_factory):
    """Predictions of every saved model, loaded in one fresh Python process."""
    directory = tmp_path_factory.mktemp("models")
    np.save(directory / "X.npy", X_TEST)
    for name, est in MODELS.items():
        joblib.dump(est, directory / f"{name}.joblib")
        with open(directory / f"{name}.pkl", "wb") as f:
            pickle.dump(est, f)
    subprocess.run([sys.executable, "-c", LOADER, str(directory), *MODELS],
                   check=True, timeout=600)
    with np.load(directory / "out.npz", allow_pickle=False) as out:
        return {key: out[key] for key in out.files}


def _expected(name):
    est = MODELS[name]
    expected = {"predict": est.predict(X_TEST)}
    if hasattr(est, "predict_proba"):
        expected["predict_proba"] = est.predict_proba(X_TEST)
    return expected


@pytest.mark.slow
@pytest.mark.parametrize("how", ["joblib", "joblib-mmap", "pickle"])
@pytest.mark.parametrize("name", MODELS)
def test_loaded_model_predicts_bitwise_identically_in_fresh_process(
    fresh_process_outputs, name, how
):
    for method, expected in _expected(name).items():
        got = fresh_process_outputs[f"{name}|{how}|{method}"]
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", MODELS)
def test_pickle_round_trip_keeps_fitted_attributes(name):
    est = MODELS[name]
    loaded = pickle.loads(pickle.dumps(est))
    assert loaded.get_params() == est.get_params()
    for a, b in zip(est.coefs_ + est.intercepts_, loaded.coefs_ + loaded.intercepts_):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    for attr in ("n_iter_", "n_layers_", "n_outputs_", "out_activation_",
                 "n_features_in_", "loss_"):
        assert getattr(loaded, attr) == getattr(est, attr)
    if hasattr(est, "classes_"):
        np.testing.assert_array_equal(loaded.classes_, est.classes_)


def _skops_dumps(obj):
    return sio.dumps(obj)


def _skops_loads(blob):
    untrusted = sio.get_untrusted_types(data=blob)
    # only skmlp's own estimator classes are for the user to confirm
    assert untrusted and all(t.startswith("skmlp.") for t in untrusted), untrusted
    return sio.loads(blob, trusted=untrusted)


def _joblib_dumps(obj):
    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


_NO_SKOPS = pytest.mark.skipif(sio is None, reason="skops is optional: "
                               "pip install 'skmlp[skops]'")
# name: (dumps, loads)
FORMATS = {
    "pickle": (pickle.dumps, pickle.loads),
    "joblib": (_joblib_dumps, lambda blob: joblib.load(io.BytesIO(blob))),
    "skops": (_skops_dumps, _skops_loads),
}
FORMAT_PARAMS = [pytest.param(f, marks=_NO_SKOPS if f == "skops" else (), id=f)
                 for f in FORMATS]


def _round_trip(obj, how):
    dumps, loads = FORMATS[how]
    return loads(dumps(obj))


@pytest.mark.parametrize("how", FORMAT_PARAMS)
@pytest.mark.parametrize("Est, solver", [(MLPRegressorNB, "sgd"),
                                         (MLPRegressorNB, "adam"),
                                         (MLPClassifierNB, "adam")])
def test_loaded_model_continues_partial_fit_identically(Est, solver, how):
    # The file must hold everything partial_fit continues from (optimizer
    # moments, the shuffling stream and order): the loaded copy and the
    # original then take bitwise-identical steps.
    y = (X[:, 0] > 0).astype(int) if Est is MLPClassifierNB else X @ np.arange(5.0)
    extra = {"classes": [0, 1]} if Est is MLPClassifierNB else {}
    est = Est(hidden_layer_sizes=(7,), solver=solver, random_state=0)
    for _ in range(3):
        est.partial_fit(X, y, **extra)
    loaded = _round_trip(est, how)
    np.testing.assert_array_equal(loaded.predict(X_TEST), est.predict(X_TEST))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X_TEST),
                                      est.predict_proba(X_TEST))
    for model in (est, loaded):
        model.partial_fit(X, y)
        model.partial_fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, loaded.coefs_ + loaded.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert loaded.loss_curve_ == est.loss_curve_


def test_memory_mapped_model_continues_warm_start_training(tmp_path):
    y = X @ rng.standard_normal(5)
    params = dict(hidden_layer_sizes=(7,), max_iter=5, random_state=0,
                  warm_start=True)
    est = MLPRegressorNB(**params).fit(X, y)
    joblib.dump(est, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib", mmap_mode="r")
    est.fit(X, y)
    loaded.fit(X, y)
    np.testing.assert_array_equal(loaded.predict(X_TEST), est.predict(X_TEST))


# ------------------------------------------------------ the version that saved
Y_BINARY = (X[:, 0] > 0).astype(int)


def _fitted(cls):
    target = Y_BINARY if cls is MLPClassifierNB else X[:, 1]
    return cls(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, target)


def _saved_by(version, obj, monkeypatch, how="pickle"):
    """Save ``obj`` as if skmlp ``version`` were installed."""
    with monkeypatch.context() as m:
        m.setattr(skmlp, "__version__", version)
        return FORMATS[how][0](obj)


@pytest.mark.parametrize("how", FORMAT_PARAMS)
@pytest.mark.parametrize("cls", [MLPClassifierNB, MLPRegressorNB])
def test_other_version_warns(cls, how, monkeypatch):
    est = _fitted(cls)
    blob = _saved_by("0.0.1", est, monkeypatch, how)
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = FORMATS[how][1](blob)
    w = record[0].message
    assert w.estimator_name == cls.__name__
    assert w.original_skmlp_version == "0.0.1"
    assert w.current_skmlp_version == skmlp.__version__
    assert f"{cls.__name__} saved with skmlp 0.0.1" in str(w)
    assert issubclass(InconsistentVersionWarning, UserWarning)
    # The model still loads and predicts; the version key is not kept as state.
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
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


def test_solver_state_is_saved_as_one_dict_of_plain_values():
    """The private training state pickles as one dict: NumPy arrays and Python values."""
    est = MLPClassifierNB(hidden_layer_sizes=(4,), max_iter=3, random_state=0,
                          learning_rate_schedule="plateau").fit(X, X[:, 0] > 0)
    state = est.__getstate__()
    plain = state["_solver_state"]
    assert type(plain) is dict
    assert set(plain) == {"moments", "counters", "learning_rate", "schedule_state",
                          "best_theta", "sample_order", "no_improvement_count"}
    for value in plain.values():
        assert value is None or isinstance(value, (np.ndarray, int, float, dict))
    # the live estimator keeps its object
    assert type(est._solver_state).__name__ == "SolverState"


def test_state_saved_as_separate_attributes_loads_into_the_solver_state():
    """skmlp 0.1.0 kept the solver state in private attributes: loading converts it."""
    est = MLPRegressorNB(hidden_layer_sizes=(4,), max_iter=3, random_state=0,
                         solver="sgd").fit(X, X[:, 0])
    state = copy.deepcopy(est.__getstate__())  # shares no RandomState with est
    plain = state.pop("_solver_state")
    legacy = {"_moments": "moments", "_counters": "counters",
              "_learning_rate": "learning_rate", "_schedule_state": "schedule_state",
              "_best_theta": "best_theta", "_sample_order": "sample_order",
              "_no_improvement_count": "no_improvement_count"}
    state.update({old: plain[new] for old, new in legacy.items()})
    loaded = MLPRegressorNB.__new__(MLPRegressorNB)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.__setstate__(state)
    assert not set(legacy) & set(loaded.__dict__)
    for new in legacy.values():
        a, b = getattr(loaded._solver_state, new), getattr(est._solver_state, new)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b
    # and it keeps training exactly as the original
    for model in (loaded, est):
        model.partial_fit(X, X[:, 0])
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_model_saved_before_a_parameter_existed_gets_its_default():
    """A parameter added since the model was saved (``scoring``) takes its default."""
    est = _fitted(MLPClassifierNB)
    state = copy.deepcopy(est.__getstate__())
    del state["scoring"]
    loaded = MLPClassifierNB.__new__(MLPClassifierNB)
    loaded.__setstate__(state)
    assert loaded.scoring is None
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
