"""Saving and loading fitted models: joblib and pickle, in a fresh process."""

import pickle
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp

from skmlp import MLPClassifierNB, MLPRegressorNB


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


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_unpickled_model_continues_partial_fit_identically(solver):
    est = MLPRegressorNB(hidden_layer_sizes=(7,), solver=solver, random_state=0)
    y = X @ rng.standard_normal(5)
    est.partial_fit(X, y)
    loaded = pickle.loads(pickle.dumps(est))
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
