"""The caller's X, y and sample_weight are never modified, nor kept.

Kernels work in place on buffers, and a C-contiguous float array of the model's
dtype reaches them without a copy, so one slip would write into the user's
data. X, y and sample_weight must be byte-identical (same dtype, shape, strides
and writeable flag) after fit, partial_fit and every predict method, and the
estimator must not hold on to them.
"""

import gc
import weakref

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
N, D = 24, 4
X64 = rng.randn(N, D)
Y = {
    "clf": np.arange(N) % 3,
    "binary": np.arange(N) % 2,
    "multilabel": (rng.rand(N, 3) > 0.5).astype(int),
    "reg": X64[:, 0] - X64[:, 1],
    "reg2": np.c_[X64[:, 0], X64[:, 1] * 2],
    "poisson": np.abs(X64[:, 0]),
}
EST = {"clf": MLPClassifierNB, "binary": MLPClassifierNB,
       "multilabel": MLPClassifierNB, "reg": MLPRegressorNB, "reg2": MLPRegressorNB,
       "poisson": MLPRegressorNB}


def make(target, solver, **params):
    base = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=4, random_state=0,
                batch_size=10)
    if target == "poisson":
        base["loss"] = "poisson"
    base.update(params)
    return EST[target](**base)


def x_input(kind):
    if kind == "float64":
        return X64.copy()
    if kind == "float32":
        return X64.astype(np.float32)
    if kind == "fortran":
        return np.asfortranarray(X64)
    if kind == "int":
        return (X64 * 3).astype(np.int64)
    if kind == "csr":
        return sp.csr_matrix(np.where(np.abs(X64) > 0.7, X64, 0.0))
    if kind == "csc":
        return sp.csc_matrix(np.where(np.abs(X64) > 0.7, X64, 0.0)).astype(np.float32)
    raise ValueError(kind)


def snapshot(a):
    """Everything observable about an input: bytes, dtype, shape, strides, flags."""
    if a is None:
        return None
    if sp.issparse(a):
        return (type(a).__name__, a.shape, a.format,
                snapshot(a.data), snapshot(a.indices), snapshot(a.indptr))
    if isinstance(a, list):
        return ("list", repr(a))
    return (a.dtype.str, a.shape, a.strides, a.flags.writeable,
            a.flags.c_contiguous, a.flags.f_contiguous, a.tobytes())


def check_unchanged(inputs, call):
    before = [snapshot(a) for a in inputs]
    call()
    after = [snapshot(a) for a in inputs]
    for i, (b, a) in enumerate(zip(before, after)):
        assert a == b, f"input #{i} was modified"


X_KINDS = ["float64", "float32", "fortran", "int", "csr", "csc"]
TARGETS = ["clf", "binary", "multilabel", "reg", "reg2", "poisson"]


@pytest.mark.parametrize("x_kind", X_KINDS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("target", TARGETS)
def test_fit_and_predict_leave_inputs_unchanged(target, solver, x_kind):
    Xin = x_input(x_kind)
    y = Y[target].copy()
    sw = rng.uniform(0.5, 2.0, N)
    est = make(target, solver)
    check_unchanged([Xin, y, sw], lambda: est.fit(Xin, y, sample_weight=sw))
    methods = ["predict", "score"]
    if EST[target] is MLPClassifierNB:
        methods += ["predict_proba", "predict_log_proba"]
    for m in methods:
        args = (Xin, y) if m == "score" else (Xin,)
        check_unchanged([Xin, y], lambda m=m, args=args: getattr(est, m)(*args))


@pytest.mark.parametrize("x_kind", ["float64", "float32", "csr"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("target", TARGETS)
def test_partial_fit_leaves_inputs_unchanged(target, solver, x_kind):
    Xin = x_input(x_kind)
    y = Y[target].copy()
    sw = rng.uniform(0.5, 2.0, N)
    est = make(target, solver)
    kw = {}
    if target in ("clf", "binary"):
        kw["classes"] = np.unique(y)
    elif target == "multilabel":
        kw["classes"] = np.arange(3)
    classes = kw.get("classes")
    for _ in range(2):
        check_unchanged([Xin, y, sw, classes],
                        lambda: est.partial_fit(Xin, y, sample_weight=sw, **kw))


@pytest.mark.parametrize("target", ["clf", "reg"])
def test_early_stopping_and_warm_start_leave_inputs_unchanged(target):
    Xin, y, sw = X64.copy(), Y[target].copy(), rng.uniform(0.5, 2.0, N)
    est = make(target, "adam", early_stopping=True, validation_fraction=0.25,
               warm_start=True)
    for _ in range(2):
        check_unchanged([Xin, y, sw], lambda: est.fit(Xin, y, sample_weight=sw))


def test_list_input_unchanged():
    Xl, yl, swl = X64.tolist(), list(Y["clf"]), [1.0] * N
    est = make("clf", "adam")
    check_unchanged([Xl, yl, swl], lambda: est.fit(Xl, yl, sample_weight=swl))
    check_unchanged([Xl], lambda: est.predict_proba(Xl))


@pytest.mark.parametrize("target", ["clf", "reg"])
def test_writeable_flag_of_inputs_is_left_alone(target):
    """Kernels get read-only *views*; the caller's arrays stay writeable."""
    Xin, y, sw = X64.copy(), Y[target].copy(), np.ones(N)
    est = make(target, "adam").fit(Xin, y, sample_weight=sw)
    est.predict(Xin)
    assert Xin.flags.writeable and y.flags.writeable and sw.flags.writeable
    Xin[0, 0] = 1.0  # still writeable in practice


@pytest.mark.parametrize("target", ["clf", "reg"])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_model_does_not_alias_inputs(target, solver):
    """Changing the data after fit changes neither the model nor its outputs."""
    Xin, y = X64.copy(), Y[target].copy()
    est = make(target, solver).fit(Xin, y)
    before = [w.copy() for w in est.coefs_ + est.intercepts_]
    pred = est.predict(X64)
    Xin[:] = 1e6
    y[:] = y[::-1]
    for w, b in zip(est.coefs_ + est.intercepts_, before):
        np.testing.assert_array_equal(w, b)
    np.testing.assert_array_equal(est.predict(X64), pred)
    if target == "clf":
        np.testing.assert_array_equal(est.classes_, [0, 1, 2])


def test_outputs_do_not_alias_inputs_or_model():
    Xin = X64.copy()
    est = make("reg", "adam").fit(Xin, Y["reg"])
    out = est.predict(Xin)
    coefs = [c.copy() for c in est.coefs_]
    out[:] = np.nan
    np.testing.assert_array_equal(Xin, X64)
    assert np.isfinite(est.predict(Xin)).all()
    for c, b in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(c, b)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("target", ["clf", "reg"])
def test_estimator_does_not_keep_inputs_alive(target, method):
    Xin, y, sw = X64.copy(), Y[target].copy(), np.ones(N)
    refs = [weakref.ref(a) for a in (Xin, y, sw)]
    est = make(target, "adam")
    kw = {"classes": [0, 1, 2]} if (target == "clf" and method == "partial_fit") else {}
    getattr(est, method)(Xin, y, sample_weight=sw, **kw)
    est.predict(Xin)
    del Xin, y, sw
    gc.collect()
    assert [r() is None for r in refs] == [True, True, True]
    assert est.predict(X64).shape[0] == N  # the model itself still works
