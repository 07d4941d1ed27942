"""Odd but valid input works and gives the same answer as the plain case.

The kernels want C-contiguous arrays of the model's dtype; everything else
(Fortran order, strides, read-only buffers such as the memmaps joblib hands to
its workers, integer or float16 data, lists) is converted in Python. The same
values must give bitwise the same weights and predictions as a plain
C-contiguous float array.
"""

import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
N, D = 20, 3
X = rng.randn(N, D)
Y = {MLPClassifierNB: np.arange(N) % 3, MLPRegressorNB: X[:, 0] - 2 * X[:, 1] + 0.5}
SW = rng.uniform(0.5, 2.0, N)
SOLVERS = ["sgd", "adam", "lbfgs"]
ESTIMATORS = [MLPClassifierNB, MLPRegressorNB]


def make(Est, solver="adam", **params):
    base = dict(hidden_layer_sizes=(4,), solver=solver, max_iter=5, random_state=0,
                batch_size=7)
    base.update(params)
    return Est(**base)


def weights(est):
    return est.coefs_ + est.intercepts_


def assert_same_model(a, b):
    wa, wb = weights(a), weights(b)
    assert len(wa) == len(wb)
    for u, v in zip(wa, wb):
        assert u.dtype == v.dtype
        np.testing.assert_array_equal(u, v)


def output(est, Xp):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(Xp)
    return est.predict(Xp)


# ------------------------------------------------------------------ variants
def fortran(a, tmp_path):
    return np.asfortranarray(a)


def strided(a, tmp_path):
    """A non-contiguous view with the same values (every other row/column)."""
    big = np.zeros((2 * a.shape[0],) + tuple(2 * s for s in a.shape[1:]), a.dtype)
    idx = (slice(None, None, 2),) * a.ndim
    big[idx] = a
    view = big[idx]
    assert not view.flags.c_contiguous
    return view


def reversed_view(a, tmp_path):
    """A view with negative strides and the same values."""
    view = a[::-1].copy()[::-1]
    assert view.strides[0] < 0
    return view


def readonly(a, tmp_path):
    a = a.copy()
    a.flags.writeable = False
    return a


def memmap_r(a, tmp_path):
    """What joblib hands to its workers: a read-only np.memmap."""
    fn = tmp_path / f"a{np.random.randint(1 << 30)}.dat"
    w = np.memmap(fn, dtype=a.dtype, mode="w+", shape=a.shape)
    w[:] = a
    w.flush()
    del w
    r = np.memmap(fn, dtype=a.dtype, mode="r", shape=a.shape)
    assert not r.flags.writeable
    return r


def joblib_mmap(a, tmp_path):
    fn = tmp_path / f"a{np.random.randint(1 << 30)}.joblib"
    joblib.dump(a, fn)
    r = joblib.load(fn, mmap_mode="r")
    assert isinstance(r, np.memmap) and not r.flags.writeable
    return r


def as_list(a, tmp_path):
    return a.tolist()


VARIANTS = {f.__name__: f for f in (fortran, strided, reversed_view, readonly,
                                    memmap_r, joblib_mmap, as_list)}
ARRAY_VARIANTS = {k: v for k, v in VARIANTS.items() if k not in ("fortran",)}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_odd_X_gives_the_same_model(Est, solver, variant, tmp_path):
    plain = make(Est, solver).fit(X, Y[Est], sample_weight=SW)
    odd = make(Est, solver).fit(VARIANTS[variant](X, tmp_path), Y[Est],
                                sample_weight=SW)
    assert_same_model(plain, odd)


@pytest.mark.parametrize("variant", list(ARRAY_VARIANTS))
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_odd_y_and_sample_weight_give_the_same_model(Est, variant, tmp_path):
    f = ARRAY_VARIANTS[variant]
    plain = make(Est, "sgd").fit(X, Y[Est], sample_weight=SW)
    odd = make(Est, "sgd").fit(f(X, tmp_path), f(Y[Est], tmp_path),
                               sample_weight=f(SW, tmp_path))
    assert_same_model(plain, odd)


@pytest.mark.parametrize("variant", ["readonly", "memmap_r", "strided", "fortran"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_odd_input_in_partial_fit(Est, variant, tmp_path):
    f = VARIANTS[variant]
    kw = {"classes": [0, 1, 2]} if Est is MLPClassifierNB else {}
    plain, odd = make(Est, "adam"), make(Est, "adam")
    for _ in range(3):
        plain.partial_fit(X, Y[Est], sample_weight=SW, **kw)
        odd.partial_fit(f(X, tmp_path), Y[Est] if variant == "fortran"
                        else f(Y[Est], tmp_path), sample_weight=SW, **kw)
    assert_same_model(plain, odd)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_odd_X_at_predict_gives_the_same_output(Est, variant, dtype, tmp_path):
    est = make(Est).fit(X.astype(dtype), Y[Est])
    Xp = X.astype(dtype)
    # scikit-learn's output dtype is that of X @ coefs_[0]: a list holds Python
    # floats, so it is float64 input whatever the model's dtype.
    ref = Xp.astype(np.float64) if variant == "as_list" else Xp
    expected = output(est, ref)
    got = output(est, VARIANTS[variant](Xp, tmp_path))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(est.predict(VARIANTS[variant](Xp, tmp_path)),
                                  est.predict(ref))


@pytest.mark.parametrize("variant", ["readonly", "fortran", "strided", "memmap_r"])
def test_float32_odd_X_gives_the_same_float32_model(variant, tmp_path):
    X32 = X.astype(np.float32)
    plain = make(MLPRegressorNB).fit(X32, Y[MLPRegressorNB])
    odd = make(MLPRegressorNB).fit(VARIANTS[variant](X32, tmp_path),
                                   Y[MLPRegressorNB])
    assert plain.coefs_[0].dtype == np.float32
    assert_same_model(plain, odd)


def test_readonly_sparse_X():
    """CSR matrices whose buffers are read-only (memmapped) work as writable ones."""
    Xs = sp.random(N, D, density=0.6, format="csr", random_state=0)
    ro = Xs.copy()
    for name in ("data", "indices", "indptr"):
        getattr(ro, name).flags.writeable = False
    for Est in ESTIMATORS:
        plain = make(Est).fit(Xs, Y[Est])
        odd = make(Est).fit(ro, Y[Est])
        assert_same_model(plain, odd)
        np.testing.assert_array_equal(output(odd, ro), output(plain, Xs))


# ---------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_integer_and_bool_X_is_used_as_float64(Est, dtype):
    Xi = rng.randint(0, 4, size=(N, D)).astype(dtype)
    odd = make(Est).fit(Xi, Y[Est])
    plain = make(Est).fit(Xi.astype(np.float64), Y[Est])
    assert odd.coefs_[0].dtype == np.float64
    assert_same_model(plain, odd)
    np.testing.assert_array_equal(output(odd, Xi), output(plain, Xi.astype(float)))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_float16_X_is_used_as_float64(Est):
    # scikit-learn's rule: float16 is upcast to float64, not float32.
    X16 = X.astype(np.float16)
    odd = make(Est).fit(X16, Y[Est])
    plain = make(Est).fit(X16.astype(np.float64), Y[Est])
    assert odd.coefs_[0].dtype == np.float64
    assert_same_model(plain, odd)
    np.testing.assert_array_equal(output(odd, X16), output(plain, X16.astype(float)))


def test_integer_regression_targets_are_used_as_floats():
    yi = np.arange(N) % 5
    assert_same_model(make(MLPRegressorNB).fit(X, yi),
                      make(MLPRegressorNB).fit(X, yi.astype(float)))


def test_numeric_string_regression_targets_are_used_as_floats():
    y = Y[MLPRegressorNB]
    assert_same_model(make(MLPRegressorNB).fit(X, y.astype(str)),
                      make(MLPRegressorNB).fit(X, y))


def test_column_vector_regression_target_is_raveled():
    y = Y[MLPRegressorNB]
    with pytest.warns(Warning, match="column-vector y"):
        odd = make(MLPRegressorNB).fit(X, y.reshape(-1, 1))
    plain = make(MLPRegressorNB).fit(X, y)
    assert_same_model(plain, odd)
    assert odd.predict(X).shape == (N,)


def test_float_class_labels_behave_like_integer_labels():
    y = Y[MLPClassifierNB]
    odd = make(MLPClassifierNB).fit(X, y.astype(float))
    plain = make(MLPClassifierNB).fit(X, y)
    assert_same_model(plain, odd)
    np.testing.assert_array_equal(odd.predict(X), plain.predict(X))


def test_string_class_labels_behave_like_integer_labels():
    y = Y[MLPClassifierNB]
    names = np.array(["a", "b", "c"])
    odd = make(MLPClassifierNB).fit(X, names[y])
    plain = make(MLPClassifierNB).fit(X, y)
    assert_same_model(plain, odd)
    np.testing.assert_array_equal(odd.predict(X), names[plain.predict(X)])


# ------------------------------------------------- single sample, batch size
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_single_sample_predict_matches_batch_predict(Est, dtype):
    Xd = X.astype(dtype)
    est = make(Est, hidden_layer_sizes=(16,)).fit(Xd, Y[Est])
    batch = output(est, Xd)
    one = np.concatenate([output(est, Xd[i : i + 1]) for i in range(N)])
    assert one.shape == batch.shape and one.dtype == batch.dtype
    # A one-row product may take another BLAS path (gemv): equal up to rounding.
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(one, batch, rtol=rtol, atol=rtol)
    labels = np.concatenate([est.predict(Xd[i : i + 1]) for i in range(N)])
    if Est is MLPClassifierNB:
        np.testing.assert_array_equal(labels, est.predict(Xd))
    assert est.predict(Xd[:1]).shape == (1,)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_batch_size_larger_than_data(Est, solver):
    with pytest.warns(UserWarning, match="batch_size"):
        big = make(Est, solver, batch_size=10 * N).fit(X, Y[Est])
    full = make(Est, solver, batch_size=N).fit(X, Y[Est])
    assert_same_model(big, full)


def test_batch_size_larger_than_data_in_partial_fit():
    with pytest.warns(UserWarning, match="batch_size"):
        big = make(MLPRegressorNB, batch_size=1000).partial_fit(X, Y[MLPRegressorNB])
    full = make(MLPRegressorNB, batch_size=N).partial_fit(X, Y[MLPRegressorNB])
    assert_same_model(big, full)


@pytest.mark.parametrize("solver", SOLVERS)
def test_single_sample_fit(solver):
    est = make(MLPRegressorNB, solver, batch_size="auto").fit(X[:1], Y[MLPRegressorNB][:1])
    assert np.isfinite(est.predict(X)).all()


# --------------------------------------------------------------- single class
@pytest.mark.parametrize("label", [0, "only"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_single_class_predicts_that_class(solver, label):
    y = np.full(N, label)
    est = make(MLPClassifierNB, solver).fit(X, y)
    assert list(est.classes_) == [label]
    assert (est.predict(X) == label).all()
    assert est.predict(X).shape == (N,)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_single_class_predict_proba_is_certain(solver):
    est = make(MLPClassifierNB, solver).fit(X, np.zeros(N, dtype=int))
    proba = est.predict_proba(X)
    assert proba.shape == (N, 1)
    np.testing.assert_array_equal(proba, 1.0)


def test_single_class_partial_fit():
    est = make(MLPClassifierNB)
    for _ in range(2):
        est.partial_fit(X, np.full(N, 7), classes=[7])
    assert (est.predict(X) == 7).all()


def test_no_warning_for_plain_input():
    """The conversions above are silent for ordinary input (no copies warned)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=Warning,
                                message=".*Maximum iterations.*")
        est = make(MLPRegressorNB).fit(X, Y[MLPRegressorNB])
        est.predict(np.asfortranarray(X))
