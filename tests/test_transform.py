"""``transform``: the last hidden layer's activations, checked against NumPy.

The reference is ``_reference.forward`` (whole arrays, float64) run on the
fitted weights: ``transform`` must return its last hidden layer for every
activation, per-layer activation lists, both dtypes, sparse input and deep
networks, with dropout off. Around it: predict's validation and dtype rule,
feature names, ``set_output``, a Pipeline with the MLP in the middle, and no
compiled specialisation beyond predict's.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB, MLPRegressorNB, _epoch, _predict
from skmlp._network import ACTIVATION_CODES, HIDDEN_ACTIVATIONS

import _reference as ref
from conftest import (
    ROUND_OFF_TOL,
    ROUND_OFF_TOL_FLOAT32,
    X_CLF,
    X_REG,
    Y_CLF,
    Y_REG,
    make_data,
)

TOL = {np.float64: ROUND_OFF_TOL, np.float32: ROUND_OFF_TOL_FLOAT32}


def _fit(cls, X, y, **params):
    base = dict(hidden_layer_sizes=(6, 5), max_iter=20, random_state=0)
    base.update(params)
    return cls(**base).fit(X, y)


def reference_features(est, X):
    """The last hidden layer of the NumPy forward pass on the fitted weights."""
    units = [est.coefs_[0].shape[0]] + [c.shape[1] for c in est.coefs_]
    n_hidden = len(units) - 2
    names = est.activation if isinstance(est.activation, (list, tuple)) else (
        [est.activation] * n_hidden)
    acts = [ACTIVATION_CODES[a] for a in names] + [ACTIVATION_CODES[est.out_activation_]]
    theta = ref.pack([c.astype(np.float64) for c in est.coefs_],
                     [b.astype(np.float64) for b in est.intercepts_])
    return ref.forward(X, theta, units, acts)[-2]


# ------------------------------------------------------------ the arithmetic
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("cls", [MLPClassifierNB, MLPRegressorNB])
def test_transform_equals_the_reference_forward_pass(cls, activation, dtype):
    X, y = (X_CLF, Y_CLF) if cls is MLPClassifierNB else (X_REG, Y_REG)
    X = X.astype(dtype)
    est = _fit(cls, X, y, activation=activation)
    H = est.transform(X)
    assert H.dtype == dtype
    assert H.shape == (X.shape[0], 5)
    np.testing.assert_allclose(H, reference_features(est, X), **TOL[dtype])
    # not the output layer: a different width, and the output layer follows
    assert H.shape[1] != est.n_outputs_


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_per_layer_activations_and_a_deep_network(dtype):
    X = X_REG.astype(dtype)
    acts = ["tanh", "gelu", "leaky_relu", "logistic"]
    est = _fit(MLPRegressorNB, X, Y_REG, hidden_layer_sizes=(9, 7, 5, 4),
               activation=acts)
    H = est.transform(X)
    np.testing.assert_allclose(H, reference_features(est, X), **TOL[dtype])
    # logistic last: every feature strictly inside (0, 1)
    assert H.shape == (X.shape[0], 4) and ((H > 0) & (H < 1)).all()


@pytest.mark.parametrize("kind", ["binary", "multilabel", "multioutput", "poisson"])
def test_every_output_kind(kind):
    X, y = make_data(kind)
    cls = MLPRegressorNB if kind in ("multioutput", "poisson") else MLPClassifierNB
    params = {"loss": "poisson"} if kind == "poisson" else {}
    est = _fit(cls, X, y, hidden_layer_sizes=(4,), **params)
    np.testing.assert_allclose(est.transform(X), reference_features(est, X),
                               **ROUND_OFF_TOL)


def test_the_output_layer_is_what_predict_adds():
    # transform, then the output layer in NumPy, is predict_proba
    est = _fit(MLPClassifierNB, X_CLF, Y_CLF)
    Z = est.transform(X_CLF) @ est.coefs_[-1] + est.intercepts_[-1]
    P = ref.activation(Z, ACTIVATION_CODES["softmax"])
    np.testing.assert_allclose(P, est.predict_proba(X_CLF), **ROUND_OFF_TOL)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_input_equals_dense(fmt, dtype):
    X = X_CLF.astype(dtype)
    X[np.abs(X) < 0.8] = 0.0
    est = _fit(MLPClassifierNB, X, Y_CLF)
    H = est.transform(sp.csr_matrix(X).asformat(fmt))
    assert H.dtype == dtype
    np.testing.assert_allclose(H, est.transform(X), **TOL[dtype])
    np.testing.assert_allclose(H, reference_features(est, X), **TOL[dtype])


def test_dropout_is_off():
    est = _fit(MLPClassifierNB, X_CLF, Y_CLF, dropout=[0.5, 0.3])
    H = est.transform(X_CLF)
    # no units dropped (a dropped unit would be exactly zero, or scaled by 1/keep)
    np.testing.assert_allclose(H, reference_features(est, X_CLF), **ROUND_OFF_TOL)
    np.testing.assert_array_equal(H, est.transform(X_CLF))


def test_in_place_edits_and_replaced_weights_are_seen():
    est = _fit(MLPRegressorNB, X_REG, Y_REG)
    before = est.transform(X_REG)
    est.intercepts_[-2] += 1.0  # in place, in the packed vector
    after = est.transform(X_REG)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, reference_features(est, X_REG), **ROUND_OFF_TOL)
    est.coefs_ = [c * 0.5 for c in est.coefs_]  # replaced by hand
    np.testing.assert_allclose(est.transform(X_REG), reference_features(est, X_REG),
                               **ROUND_OFF_TOL)


def test_transform_leaves_the_estimator_unchanged_and_survives_pickling():
    est = _fit(MLPClassifierNB, X_CLF, Y_CLF)
    state = dict(est.__dict__)
    H = est.transform(X_CLF)
    assert est.__dict__.keys() == state.keys()
    assert all(est.__dict__[k] is v for k, v in state.items())
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.transform(X_CLF), H)


# ------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("input_dtype", [np.float32, np.float64, np.int64])
def test_output_dtype_follows_predict(model_dtype, input_dtype):
    est = _fit(MLPRegressorNB, X_REG.astype(model_dtype), Y_REG)
    Xi = (X_REG * 3).astype(input_dtype)
    assert est.transform(Xi).dtype == est.predict(Xi).dtype


def test_float32_model_on_float64_input_computes_in_float64():
    est = _fit(MLPRegressorNB, X_REG.astype(np.float32), Y_REG)
    X64 = X_REG + 1e-9  # differences float32 would round away
    np.testing.assert_allclose(est.transform(X64), reference_features(est, X64),
                               rtol=1e-12, atol=1e-12)


# --------------------------------------------------------- compiled variants
def _signatures():
    return len(_epoch.run_epoch.signatures)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_transform_compiles_nothing_that_predict_did_not(dtype):
    X = X_CLF.astype(dtype)
    est = _fit(MLPClassifierNB, X, Y_CLF)
    est.predict(X)
    est.predict(sp.csr_matrix(X))
    est.predict(X[:1])
    n = _signatures()
    est.transform(X)
    est.transform(sp.csr_matrix(X))
    est.transform(X[:1])
    est.transform(np.asfortranarray(X))
    assert _signatures() == n


def test_the_cut_network_is_cached_per_fitted_state():
    est = _fit(MLPClassifierNB, X_CLF, Y_CLF)
    first = _predict.prepared(est)
    from skmlp._transform import prepared_hidden

    a = prepared_hidden(est)
    b = prepared_hidden(est)
    assert a[0] is first[0]  # the fit's own packed vector: no copy of the weights
    assert a[1] is b[1] and a[2] is b[2]
    est.fit(X_CLF, Y_CLF)  # new weights: a new entry
    assert prepared_hidden(est)[1] is not a[1]


# ------------------------------------------------------------ scikit-learn API
@pytest.mark.parametrize("cls", [MLPClassifierNB, MLPRegressorNB])
def test_feature_names_out(cls):
    X, y = (X_CLF, Y_CLF) if cls is MLPClassifierNB else (X_REG, Y_REG)
    est = _fit(cls, X, y, hidden_layer_sizes=(8, 3))
    prefix = cls.__name__.lower()
    assert list(est.get_feature_names_out()) == [f"{prefix}{i}" for i in range(3)]
    with pytest.raises(NotFittedError):
        cls().get_feature_names_out()


def test_set_output_pandas_keeps_the_index_and_names_the_columns():
    df = pd.DataFrame(X_CLF, columns=[f"x{i}" for i in range(X_CLF.shape[1])],
                      index=np.arange(100, 100 + X_CLF.shape[0]))
    est = _fit(MLPClassifierNB, df, Y_CLF).set_output(transform="pandas")
    out = est.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())
    assert (out.index == df.index).all()
    np.testing.assert_allclose(out.to_numpy(), reference_features(est, X_CLF),
                               **ROUND_OFF_TOL)
    # predict is not a transform: set_output leaves it alone
    assert isinstance(est.predict_proba(df), np.ndarray)


def test_fit_transform_is_fit_then_transform():
    est = MLPClassifierNB(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    H = clone(est).fit_transform(X_CLF, Y_CLF)
    np.testing.assert_array_equal(H, clone(est).fit(X_CLF, Y_CLF).transform(X_CLF))


def test_in_the_middle_of_a_pipeline():
    X, y = X_CLF * 10 + 3, Y_CLF  # unscaled: the scaler matters
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifierNB(hidden_layer_sizes=(16,), max_iter=200, random_state=0),
        LogisticRegression(),
    ).fit(X, y)
    scaler, mlp, lr = pipe.steps[0][1], pipe.steps[1][1], pipe.steps[2][1]
    features = mlp.transform(scaler.transform(X))
    assert lr.n_features_in_ == 16
    np.testing.assert_array_equal(pipe.predict(X), lr.predict(features))
    assert list(pipe[:-1].get_feature_names_out()) == [
        f"mlpclassifiernb{i}" for i in range(16)]
    # the learned features separate the classes far better than chance (1/3)
    assert pipe.score(X, y) > 0.8


def test_regressor_in_a_pipeline_with_pandas_output():
    df = pd.DataFrame(X_REG, columns=[f"x{i}" for i in range(X_REG.shape[1])])
    pipe = make_pipeline(
        MLPRegressorNB(hidden_layer_sizes=(8,), max_iter=50, random_state=0), Ridge()
    ).set_output(transform="pandas")
    pipe.fit(df, Y_REG)
    assert list(pipe[-1].feature_names_in_) == [f"mlpregressornb{i}" for i in range(8)]
    assert pipe.predict(df).shape == (X_REG.shape[0],)


# ---------------------------------------------------------------- bad input
def _no_kernel(*args, **kwargs):
    raise AssertionError("a kernel ran before the input was checked")


@pytest.mark.parametrize("cls", [MLPClassifierNB, MLPRegressorNB])
def test_unfitted_raises_not_fitted_before_any_kernel(cls, monkeypatch):
    monkeypatch.setattr(_predict, "predict_rows", _no_kernel)
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        cls().transform(X_CLF)


@pytest.mark.parametrize(
    "bad",
    [X_CLF[:, :3], X_CLF[0], np.where(X_CLF > 1, np.nan, X_CLF),
     np.where(X_CLF > 1, np.inf, X_CLF), X_CLF.astype(str), X_CLF[:0]],
    ids=["n_features", "1d", "nan", "inf", "strings", "no_rows"],
)
def test_bad_input_raises_as_predict_does_before_any_kernel(bad, monkeypatch):
    est = _fit(MLPClassifierNB, X_CLF, Y_CLF)
    with pytest.raises(ValueError) as from_predict:
        est.predict_proba(bad)
    monkeypatch.setattr(_predict, "predict_rows", _no_kernel)
    with pytest.raises(ValueError) as from_transform:
        est.transform(bad)
    assert str(from_transform.value) == str(from_predict.value)


def test_feature_names_are_checked_as_by_predict():
    df = pd.DataFrame(X_CLF, columns=[f"x{i}" for i in range(X_CLF.shape[1])])
    est = _fit(MLPClassifierNB, df, Y_CLF)
    renamed = df.rename(columns={"x0": "other"})
    with pytest.raises(ValueError, match="feature names"):
        est.transform(renamed)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        est.transform(X_CLF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.transform(df)


def test_a_network_without_hidden_layers_says_so():
    est = _fit(MLPRegressorNB, X_REG, Y_REG, hidden_layer_sizes=())
    with pytest.raises(ValueError, match="no hidden layer"):
        est.transform(X_REG)


# A fresh process whose Numba cache holds only what fit and predict compiled
# (predict on sparse X too: sparse X runs an engine of its own, skmlp._sparse).
_PRIME = """
import warnings
import numpy as np
import scipy.sparse as sp
from skmlp import MLPClassifierNB
warnings.simplefilter("ignore")
X = np.random.RandomState(0).standard_normal((40, 4))
est = MLPClassifierNB(hidden_layer_sizes=(5,), max_iter=2).fit(X, X[:, 0] > 0)
est.predict(X), est.predict(sp.csr_matrix(X))
"""
_TRANSFORM_COLD = """
import warnings
import numpy as np
import scipy.sparse as sp
from numba.core.registry import CPUDispatcher
from skmlp import (MLPClassifierNB, MLPRegressorNB, _batch_norm, _dropout, _epoch, _kernels,
                   _optim, _sparse)
warnings.simplefilter("ignore")
X = np.random.RandomState(1).standard_normal((40, 4))
clf = MLPClassifierNB(hidden_layer_sizes=(6, 3), max_iter=2).fit(X, X[:, 0] > 0)
clf.predict(X)
clf.transform(X), clf.transform(sp.csr_matrix(X)), clf.transform(X[:1])
reg = MLPRegressorNB(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0])
reg.transform(X.astype(np.float32))  # a float64 model: the float64 engine
misses = {f"{m.__name__}.{name}": sum(obj.stats.cache_misses.values())
          for m in (_epoch, _kernels, _optim, _sparse, _dropout, _batch_norm)
          for name, obj in vars(m).items()
          if isinstance(obj, CPUDispatcher) and obj.stats.cache_misses}
print(misses)
"""


@pytest.mark.slow
def test_a_cold_process_that_predicted_transforms_without_compiling(tmp_path):
    import os
    import subprocess
    import sys

    import skmlp

    root = os.path.dirname(os.path.dirname(os.path.abspath(skmlp.__file__)))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path),
               PYTHONPATH=os.pathsep.join(filter(None, [root,
                                                        os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, "-c", _PRIME], env=env, check=True, timeout=600)
    out = subprocess.run([sys.executable, "-c", _TRANSFORM_COLD], env=env, check=True,
                         timeout=600, capture_output=True, text=True)
    assert out.stdout.strip() == "{}", out.stdout
