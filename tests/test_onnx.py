"""ONNX export through scikit-learn: skl2onnx on ``est.to_sklearn()``.

The converted graph runs in onnxruntime and must predict what skmlp predicts,
within float32 rounding for a float32 graph (the usual one) and float64
rounding for a float64 graph.
"""

import numpy as np
import pytest

skl2onnx = pytest.importorskip(
    "skl2onnx", reason="ONNX export is optional: pip install 'skmlp[onnx]'"
)
rt = pytest.importorskip(
    "onnxruntime", reason="ONNX export is optional: pip install 'skmlp[onnx]'"
)

from skmlp import MLPClassifierNB, MLPRegressorNB  # noqa: E402

from conftest import ROUND_OFF_TOL  # noqa: E402

PARAMS = dict(hidden_layer_sizes=(12, 7), max_iter=30, learning_rate_init=0.01,
              random_state=0)
# Poisson models (output activation 'exp') are left out: skl2onnx 1.20 has no
# converter for that activation (see docs/export_and_persistence.md).
KINDS = ("binary", "multiclass", "multilabel", "squared_error", "multioutput")


def _data(kind, dtype, n=80):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((n, 6))
    S = X @ rng.standard_normal((6, 3))
    y = {
        "binary": np.where(S[:, 0] > 0, "yes", "no"),
        "multiclass": S.argmax(axis=1),
        "multilabel": (S > 0).astype(int),
        "squared_error": S[:, 0],
        "multioutput": S[:, :2],
    }[kind]
    return X.astype(dtype), y


def _run(est, X, graph_dtype):
    options = {"zipmap": False} if hasattr(est, "predict_proba") else None
    onx = skl2onnx.to_onnx(est.to_sklearn(), X[:1].astype(graph_dtype),
                           options=options)
    sess = rt.InferenceSession(onx.SerializeToString(),
                               providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: X.astype(graph_dtype)})


@pytest.mark.parametrize("model_dtype", [np.float32, np.float64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
@pytest.mark.parametrize("kind", KINDS)
def test_float32_graph_matches_skmlp(kind, activation, model_dtype):
    X, y = _data(kind, model_dtype)
    regression = kind in ("squared_error", "multioutput")
    cls = MLPRegressorNB if regression else MLPClassifierNB
    est = cls(activation=activation, **PARAMS).fit(X, y)
    out = _run(est, X, np.float32)
    if cls is MLPClassifierNB:
        labels, proba = out
        expected = est.predict_proba(X)
        np.testing.assert_allclose(proba, expected, rtol=1e-4, atol=1e-5)
        # Labels must agree wherever float32 rounding cannot flip the decision.
        if kind == "multilabel":
            clear = (np.abs(expected - 0.5) > 1e-4).all(axis=1)
        else:
            top2 = np.sort(expected, axis=1)[:, -2:]
            clear = top2[:, 1] - top2[:, 0] > 1e-4
        assert clear.mean() > 0.9
        np.testing.assert_array_equal(np.asarray(labels)[clear], est.predict(X)[clear])
    else:
        (pred,) = out
        # skl2onnx declares regression outputs as (n, 1) and reshapes a
        # multi-output prediction to (n * n_outputs, 1), row by row.
        pred = pred.reshape(X.shape[0], -1)
        expected = est.predict(X).reshape(X.shape[0], -1)
        np.testing.assert_allclose(pred, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["multiclass", "squared_error"])
def test_float64_graph_matches_to_float64_rounding(kind):
    X, y = _data(kind, np.float64)
    cls = MLPClassifierNB if kind == "multiclass" else MLPRegressorNB
    est = cls(**PARAMS).fit(X, y)
    out = _run(est, X, np.float64)
    if cls is MLPClassifierNB:
        np.testing.assert_array_equal(out[0], est.predict(X))
        np.testing.assert_allclose(out[1], est.predict_proba(X), **ROUND_OFF_TOL)
    else:
        np.testing.assert_allclose(out[0].ravel(), est.predict(X), **ROUND_OFF_TOL)
