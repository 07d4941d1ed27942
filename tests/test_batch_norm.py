"""Batch normalisation (``batch_norm``): kernels against the NumPy reference,
gradients against finite differences, and the estimator's behaviour (running
statistics in predict, transform and validation; persistence; bad values).
"""

import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils._param_validation import InvalidParameterError

from skmlp import MLPClassifierNB, MLPRegressorNB, _data, _kernels
from skmlp._network import ACTIVATION_CODES, BN_EPS, BN_MOMENTUM, net_arrays

import _reference as ref
from conftest import ROUND_OFF_TOL, X_CLF, X_REG, Y_CLF, Y_REG

DTYPES = [np.float32, np.float64]
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _tol(dtype):
    return dict(rtol=3e-5, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-10,
                                                                       atol=1e-12)


def _tiny(dtype):
    return float(np.finfo(dtype).tiny)


def _kdata(Xk, dtype):
    e = np.empty((0, 1), dtype=dtype)
    return _data.KernelData(*Xk, _data.readonly(e), _data.readonly(np.empty(0, dtype)))


def _setup(dtype, sparse, hidden, bn, dropout=(0.0, 0.0), k=2, n=13, seed=0):
    rng = np.random.RandomState(seed)
    units = [6, 5, 4, k]
    net = net_arrays(units, hidden, "identity", list(dropout), bn=bn)
    X = rng.standard_normal((n, units[0]))
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    X = X.astype(dtype)
    Xk = _data.kernel_X(sp.csr_matrix(X) if sparse else X, dtype)
    theta = ref.random_bn_theta(net.units, bn, rng).astype(dtype)
    return rng, net, X, _kdata(Xk, dtype), theta


def test_reference_agrees_with_the_estimators_constants():
    assert ref.BN_EPS == BN_EPS and BN_MOMENTUM == 0.1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("bn", [[True, True], [True, False], [False, True]])
@pytest.mark.parametrize("hidden", [["relu", "tanh"], ["gelu", "logistic"]])
def test_training_forward_uses_batch_statistics_and_updates_running_ones(
        dtype, sparse, bn, hidden):
    _, net, X, data, theta = _setup(dtype, sparse, hidden, bn)
    rows = np.array([5, 3, 12, 0, 7, 1], dtype=np.int64)
    work = _data.workspace(net, rows.shape[0] + 2, dtype, not sparse)
    before = theta.copy()

    out = _kernels.forward(data, rows, net, theta, work, np.zeros(1, np.int64), True,
                           _tiny(dtype), None, len(rows))

    acts, cache = ref.bn_forward(X[rows], before, net.units, net.acts, bn, train=True)
    np.testing.assert_allclose(out, acts[-1], **_tol(dtype))
    # Running statistics moved towards the batch's (unbiased variance), nothing else.
    n_fixed = theta.shape[0] - 2 * sum(u for u, f in zip(net.units[1:-1], bn) if f)
    np.testing.assert_array_equal(theta[:n_fixed], before[:n_fixed])
    _, run_before = ref.split_bn(before.astype(np.float64), net.units, bn)
    _, run_after = ref.split_bn(theta.astype(np.float64), net.units, bn)
    nb = rows.shape[0]
    for entry, old, new in zip(cache, run_before, run_after):
        if entry is None:
            continue
        _, mean, var = entry
        np.testing.assert_allclose(new[0], 0.9 * old[0] + 0.1 * mean, **_tol(dtype))
        np.testing.assert_allclose(new[1], 0.9 * old[1] + 0.1 * var * nb / (nb - 1),
                                   **_tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_inference_forward_uses_running_statistics_and_changes_nothing(dtype, sparse):
    bn = [True, True]
    _, net, X, data, theta = _setup(dtype, sparse, ["relu", "silu"], bn)
    rows = np.array([2, 9, 4], dtype=np.int64)
    before = theta.copy()
    for forward_only in (False, True):
        work = _data.workspace(net, 5, dtype, not sparse, forward_only=forward_only)
        out = _kernels.forward(data, rows, net, theta, work, np.zeros(1, np.int64),
                               False, _tiny(dtype), None, len(rows))
        acts, _ = ref.bn_forward(X[rows], before, net.units, net.acts, bn, train=False)
        np.testing.assert_allclose(out, acts[-1], **_tol(dtype))
        np.testing.assert_array_equal(theta, before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("bn", [[True, True], [False, True]])
@pytest.mark.parametrize("dropout", [(0.0, 0.0), (0.5, 0.25)], ids=["full", "dropout"])
def test_training_backward_matches_reference(dtype, sparse, bn, dropout):
    rng, net, X, data, theta = _setup(dtype, sparse, ["tanh", "gelu"], bn, dropout)
    rows = np.array([4, 11, 3, 8, 0, 6], dtype=np.int64)
    nb = rows.shape[0]
    work = _data.workspace(net, nb + 2, dtype, not sparse)
    before = theta.copy()
    _kernels.forward(data, rows, net, theta, work, np.array([99], np.int64), True,
                     _tiny(dtype), None, len(rows))
    D_out = rng.standard_normal((nb, 2)).astype(dtype)
    start = int(work.off[2, 2])
    work.D[start : start + 2 * nb] = D_out.ravel()
    work.G[:] = np.nan

    _kernels.backward(data, rows, net, theta, work, False, True, _tiny(dtype), None, len(rows))

    masks = [None] * 3
    for layer, rate in enumerate(dropout):
        if rate > 0:
            s, u = int(work.off[4, layer]), int(net.units[layer + 1])
            masks[layer] = work.M[s : s + nb * u].reshape(nb, u).astype(float)
    acts, cache = ref.bn_forward(X[rows], before, net.units, net.acts, bn, True, masks)
    expected, _ = ref.bn_backward(acts, cache, D_out, before, net.units, net.acts, bn,
                                  masks)
    n_stepped = expected.shape[0] - 2 * sum(u for u, f in zip(net.units[1:-1], bn) if f)
    np.testing.assert_allclose(work.G[:n_stepped], expected[:n_stepped], **_tol(dtype))
    # The normalised layers' intercepts get exactly no gradient.
    for layer, f in enumerate(bn):
        if f:
            b = int(work.off[1, layer])
            assert not work.G[b : b + int(net.units[layer + 1])].any()


def _train_loss(theta, net, data, rows, Y, work):
    P = _kernels.forward(data, rows, net, theta, work, np.zeros(1, np.int64), True,
                         _tiny(np.float64), None, len(rows))
    return 0.5 * float(((P - Y) ** 2).sum())


@pytest.mark.parametrize("bn", [[True, True], [True, False]])
@pytest.mark.parametrize("hidden", [["tanh", "gelu"], ["logistic", "silu"]])
def test_gradient_matches_finite_differences(bn, hidden):
    """Every trained parameter, the scales and shifts included (float64)."""
    rng, net, X, data, theta = _setup(np.float64, False, hidden, bn, n=11)
    rows = np.arange(11, dtype=np.int64)
    Y = rng.standard_normal((11, 2))
    work = _data.workspace(net, 11, np.float64, True)
    P = _kernels.forward(data, rows, net, theta.copy(), work, np.zeros(1, np.int64),
                         True, 0.0, None, len(rows))
    start = int(work.off[2, 2])
    work.D[start : start + 22] = (P - Y).ravel()
    _kernels.backward(data, rows, net, theta, work, False, True, 0.0, None, len(rows))
    grad = work.G.copy()
    n_stepped = int(work.off[8, 0])  # the first layer is normalised here
    step = 1e-6
    numeric = np.empty(n_stepped)
    for p in range(n_stepped):
        t = theta.copy()
        t[p] += step
        up = _train_loss(t, net, data, rows, Y, work)
        t[p] -= 2 * step
        numeric[p] = (up - _train_loss(t, net, data, rows, Y, work)) / (2 * step)
    np.testing.assert_allclose(grad[:n_stepped], numeric, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------ estimators
def _fit(Est=MLPClassifierNB, X=X_CLF, y=Y_CLF, fit_params=None, **params):
    kw = dict(hidden_layer_sizes=(7, 5), batch_norm=True, max_iter=5, batch_size=16,
              random_state=0)
    kw.update(params)
    return Est(**kw).fit(X, y, **(fit_params or {}))


def _model_theta(est):
    """The packed vector the fitted arrays are views of."""
    return est.coefs_[0].base


def _reference_outputs(est, X, layers=None):
    bn = [s is not None for s in est.batch_norm_scales_]
    units = [est.coefs_[0].shape[0]] + [c.shape[1] for c in est.coefs_]
    acts = [ACTIVATION_CODES[est.activation]] * (len(units) - 2) + [
        ACTIVATION_CODES[est.out_activation_]]
    out, _ = ref.bn_forward(X, _model_theta(est), units, acts, bn, train=False)
    return out


def test_fitted_attributes_are_views_of_one_vector_with_one_entry_per_hidden_layer():
    est = _fit(batch_norm=[True, False])
    theta = _model_theta(est)
    for name in ("batch_norm_scales_", "batch_norm_offsets_", "running_means_",
                 "running_vars_"):
        arrays = getattr(est, name)
        assert len(arrays) == 2 and arrays[1] is None
        assert arrays[0].shape == (7,) and arrays[0].base is theta
    # Trained away from their initial values; the variances stay positive.
    assert not np.allclose(est.batch_norm_scales_[0], 1.0)
    assert not np.allclose(est.running_means_[0], 0.0)
    assert (est.running_vars_[0] > 0).all()


@pytest.mark.parametrize("Est,X,y", [(MLPClassifierNB, X_CLF, Y_CLF),
                                     (MLPRegressorNB, X_REG, Y_REG)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_and_transform_use_running_statistics(Est, X, y, dtype):
    X = X.astype(dtype)
    est = _fit(Est, X, y, activation="tanh")
    expected = _reference_outputs(est, X)
    raw = est.predict_proba(X) if Est is MLPClassifierNB else est.predict(X)
    tol = ROUND_OFF_TOL if dtype == np.float64 else dict(rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(raw, expected[-1].reshape(raw.shape), **tol)
    np.testing.assert_allclose(est.transform(X), expected[-2], **tol)
    # Prediction is per row: one row alone gives the same output as in a batch.
    one = est.predict_proba(X[3:4]) if Est is MLPClassifierNB else est.predict(X[3:4])
    np.testing.assert_allclose(one, raw[3:4], **tol)


def test_sparse_input_fits_and_predicts_as_dense():
    dense = _fit()
    sparse = _fit(X=sp.csr_matrix(X_CLF))
    np.testing.assert_allclose(_model_theta(sparse), _model_theta(dense), **ROUND_OFF_TOL)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X_CLF)),
                               dense.predict_proba(X_CLF), **ROUND_OFF_TOL)


def test_validation_loss_uses_running_statistics():
    X_val, y_val = X_CLF[:30], Y_CLF[:30]
    est = _fit(X=X_CLF[30:], y=Y_CLF[30:], fit_params=dict(X_val=X_val, y_val=y_val))
    P = est.predict_proba(X_val)
    log_loss = -np.log(P[np.arange(30), y_val]).mean()
    np.testing.assert_allclose(est.validation_loss_curve_[-1], log_loss, rtol=1e-9)


def test_early_stopping_restores_the_best_weights_with_their_running_statistics():
    X_val, y_val = X_CLF[:40], Y_CLF[:40]
    est = _fit(X=X_CLF[40:], y=Y_CLF[40:], early_stopping=True, max_iter=60,
               n_iter_no_change=3, learning_rate_init=0.05, scoring="loss",
               fit_params=dict(X_val=X_val, y_val=y_val))
    # Training stopped after worse epochs; the restored model scores the best
    # recorded validation score, which needs that epoch's running statistics.
    assert est.validation_scores_[-1] < est.best_validation_score_
    P = est.predict_proba(X_val)
    neg_loss = np.log(P[np.arange(40), y_val]).mean()
    np.testing.assert_allclose(neg_loss, est.best_validation_score_, rtol=1e-9)


def test_dropout_with_batch_norm_trains_and_predicts_deterministically():
    a = _fit(dropout=0.3)
    b = _fit(dropout=0.3)
    plain = _fit()
    np.testing.assert_array_equal(_model_theta(a), _model_theta(b))
    assert not np.allclose(_model_theta(a), _model_theta(plain))
    np.testing.assert_allclose(a.predict_proba(X_CLF), _reference_outputs(a, X_CLF)[-1],
                               **ROUND_OFF_TOL)


@pytest.mark.parametrize("schedule", ["cosine", None])
def test_schedules_and_sgd_train_a_batch_norm_model(schedule):
    est = _fit(solver="sgd", learning_rate_schedule=schedule, max_iter=20,
               learning_rate_init=0.05)
    assert np.isfinite(_model_theta(est)).all() and est.score(X_CLF, Y_CLF) > 0.6


# ------------------------------------------------- batches split across threads
# With n_jobs the threads sum their rows' parts of the statistics and meet:
# the statistics are the whole batch's, so a split fit follows the one-thread
# fit up to the order of the sums: rounding (measured after these 5-epoch
# fits: weights within 4e-15 relative), far inside ROUND_OFF_TOL. Statistics
# of each thread's share instead move the weights by 1e-3 or more.


def _assert_follows(split, one):
    np.testing.assert_allclose(_model_theta(split), _model_theta(one), **ROUND_OFF_TOL)
    np.testing.assert_allclose(split.loss_curve_, one.loss_curve_, **ROUND_OFF_TOL)
    assert split.n_iter_ == one.n_iter_


@pytest.mark.parametrize("n_jobs", [2, 3])
@pytest.mark.parametrize("bn", [True, [False, True]])
def test_split_batches_normalise_with_the_whole_batch_statistics(split_epochs, n_jobs,
                                                                  bn):
    # 100 rows in batches of 24: every batch split in n_jobs shares, and the
    # last one (4 rows) in shares of one or two rows.
    one = _fit(batch_size=24, batch_norm=bn)
    split_epochs.clear()
    split = _fit(batch_size=24, batch_norm=bn, n_jobs=n_jobs)
    assert set(split_epochs) == {n_jobs}  # the batches really were split
    _assert_follows(split, one)
    # The running statistics (in theta too) were updated once per batch.
    layer = 0 if bn is True else 1
    np.testing.assert_allclose(split.running_means_[layer], one.running_means_[layer],
                               **ROUND_OFF_TOL)
    np.testing.assert_allclose(split.running_vars_[layer], one.running_vars_[layer],
                               **ROUND_OFF_TOL)
    assert not np.allclose(split.running_vars_[layer], 1.0)


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_split_batch_norm_is_bitwise_reproducible(n_jobs):
    a = _fit(batch_size=24, n_jobs=n_jobs, activation="tanh")
    b = _fit(batch_size=24, n_jobs=n_jobs, activation="tanh")
    np.testing.assert_array_equal(_model_theta(a), _model_theta(b))
    np.testing.assert_array_equal(a.loss_curve_, b.loss_curve_)


@pytest.mark.parametrize("n_rows, batch_size, n_jobs", [(97, 16, 2), (98, 24, 3)])
def test_threads_with_an_empty_share_of_a_batch_still_meet(split_epochs, n_rows,
                                                           batch_size, n_jobs):
    # The last batch (1 row; 2 rows for 3 threads) leaves thread 0 no rows: it
    # must still meet the others at every normalised layer (or the fit hangs)
    # and add nothing to the sums.
    import threading

    one = _fit(X=X_CLF[:n_rows], y=Y_CLF[:n_rows], batch_size=batch_size)
    split_epochs.clear()
    fitted = []
    # In a daemon thread, so that a team that never meets fails the test
    # instead of hanging the suite.
    th = threading.Thread(daemon=True, target=lambda: fitted.append(_fit(
        X=X_CLF[:n_rows], y=Y_CLF[:n_rows], batch_size=batch_size, n_jobs=n_jobs)))
    th.start()
    th.join(120)
    assert not th.is_alive(), "the split fit hung"
    split = fitted[0]
    assert set(split_epochs) == {n_jobs}
    _assert_follows(split, one)
    assert np.isfinite(_model_theta(split)).all()


def test_split_batch_norm_with_dropout():
    # One batch of the whole data: the first layer's statistics come before
    # its dropout, so they are the initial network's whole batch's, as on one
    # thread, whatever masks each thread draws afterwards.
    params = dict(hidden_layer_sizes=(7,), dropout=0.3, batch_size=100, max_iter=1,
                  shuffle=False)
    one = _fit(**params)
    a = _fit(n_jobs=2, **params)
    b = _fit(n_jobs=2, **params)
    np.testing.assert_array_equal(_model_theta(a), _model_theta(b))
    np.testing.assert_allclose(a.running_means_[0], one.running_means_[0], **ROUND_OFF_TOL)
    np.testing.assert_allclose(a.running_vars_[0], one.running_vars_[0], **ROUND_OFF_TOL)
    # Longer fits train (each thread draws its own masks: another fit than
    # one thread's) and predict with the running statistics.
    longer = dict(n_jobs=2, batch_size=24, max_iter=20, learning_rate_init=0.02)
    est = _fit(dropout=0.3, **longer)
    plain = _fit(**longer)
    assert not np.allclose(_model_theta(est), _model_theta(plain))
    assert np.isfinite(_model_theta(est)).all()
    assert est.loss_curve_[-1] < 0.9 * est.loss_curve_[0]
    assert est.score(X_CLF, Y_CLF) > 0.5  # three classes
    np.testing.assert_allclose(est.predict_proba(X_CLF),
                               _reference_outputs(est, X_CLF)[-1], **ROUND_OFF_TOL)


def test_partial_fit_and_warm_start_continue_the_batch_norm_model():
    est = MLPClassifierNB((6,), batch_norm=True, random_state=0)
    est.partial_fit(X_CLF, Y_CLF, classes=[0, 1, 2])
    first = est.running_means_[0].copy()
    est.partial_fit(X_CLF, Y_CLF)
    assert not np.array_equal(est.running_means_[0], first)
    warm = _fit(warm_start=True)
    before = _model_theta(warm).copy()
    warm.fit(X_CLF, Y_CLF)
    assert _model_theta(warm).shape == before.shape
    assert not np.array_equal(_model_theta(warm), before)


def test_default_has_no_batch_norm_attributes_and_refit_without_removes_them():
    est = _fit(batch_norm=False)
    assert not hasattr(est, "running_means_")
    est = _fit()
    est.set_params(batch_norm=False).fit(X_CLF, Y_CLF)
    assert not hasattr(est, "batch_norm_scales_")
    n = sum(c.size for c in est.coefs_) + sum(b.size for b in est.intercepts_)
    assert _model_theta(est).shape == (n,)


@pytest.mark.parametrize("how", ["pickle", "joblib", "skops"])
def test_persistence_round_trip_predicts_and_keeps_training(how, tmp_path):
    est = _fit(batch_norm=[False, True])
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    elif how == "joblib":
        joblib.dump(est, tmp_path / "m.joblib")
        loaded = joblib.load(tmp_path / "m.joblib")
    else:
        sio = pytest.importorskip("skops.io")
        dumped = sio.dumps(est)
        loaded = sio.loads(dumped, trusted=sio.get_untrusted_types(data=dumped))
    np.testing.assert_array_equal(loaded.predict_proba(X_CLF), est.predict_proba(X_CLF))
    np.testing.assert_array_equal(loaded.running_vars_[1], est.running_vars_[1])
    assert loaded.running_vars_[1].base is _model_theta(loaded)  # one vector again
    est.partial_fit(X_CLF, Y_CLF)
    loaded.partial_fit(X_CLF, Y_CLF)
    np.testing.assert_array_equal(_model_theta(loaded), _model_theta(est))


@pytest.mark.parametrize("value", ["yes", 1, None, 0.5])
def test_bad_batch_norm_values_raise_invalid_parameter_error(value):
    with pytest.raises(InvalidParameterError, match="batch_norm"):
        MLPClassifierNB(batch_norm=value).fit(X_CLF, Y_CLF)


def test_bad_entries_and_lengths_raise_before_training():
    with pytest.raises(InvalidParameterError, match="batch_norm"):
        MLPClassifierNB((4, 3), batch_norm=[True, "no"]).fit(X_CLF, Y_CLF)
    with pytest.raises(ValueError, match="batch_norm has 1 entries"):
        MLPClassifierNB((4, 3), batch_norm=[True]).fit(X_CLF, Y_CLF)
    with pytest.raises(ValueError, match="stochastic solver"):
        MLPClassifierNB((4,), batch_norm=True, solver="lbfgs").fit(X_CLF, Y_CLF)


def test_switching_batch_norm_on_a_warm_start_raises_and_leaves_the_model():
    est = _fit(batch_norm=False, warm_start=True)
    before = [c.copy() for c in est.coefs_]
    with pytest.raises(ValueError, match="batch normalisation"):
        est.set_params(batch_norm=True).fit(X_CLF, Y_CLF)
    for c, b in zip(est.coefs_, before):
        np.testing.assert_array_equal(c, b)
    assert not hasattr(est, "running_means_")


# ---------------------------------------------------------------------- export
@pytest.mark.parametrize("Est,X,y", [(MLPClassifierNB, X_CLF, Y_CLF),
                                     (MLPRegressorNB, X_REG, Y_REG)])
@pytest.mark.parametrize("bn", [True, [False, True]])
def test_to_sklearn_folds_batch_norm_into_the_weights(Est, X, y, bn):
    est = _fit(Est, X, y, batch_norm=bn, max_iter=15)
    sk = est.to_sklearn()
    assert "batch_norm" not in sk.get_params()
    if Est is MLPClassifierNB:
        np.testing.assert_allclose(sk.predict_proba(X), est.predict_proba(X),
                                   **ROUND_OFF_TOL)
        np.testing.assert_array_equal(sk.predict(X), est.predict(X))
    else:
        np.testing.assert_allclose(sk.predict(X), est.predict(X), **ROUND_OFF_TOL)
    # A normalised layer's weights were folded; a plain one's copied as they are.
    if bn != True:  # noqa: E712 - the list form
        np.testing.assert_array_equal(sk.coefs_[0], est.coefs_[0])
    assert not np.allclose(sk.coefs_[1], est.coefs_[1])
    # The folded model keeps training in scikit-learn, from fresh optimizer state.
    sk.partial_fit(X, y)
    assert np.isfinite(sk.coefs_[0]).all()


def test_onnx_export_of_a_batch_norm_model_predicts_the_same():
    skl2onnx = pytest.importorskip("skl2onnx")
    rt = pytest.importorskip("onnxruntime")
    est = _fit(max_iter=15)
    onx = skl2onnx.to_onnx(est.to_sklearn(), X_CLF[:1].astype(np.float64),
                           options={"zipmap": False})
    sess = rt.InferenceSession(onx.SerializeToString(),
                               providers=["CPUExecutionProvider"])
    labels, proba = sess.run(None, {sess.get_inputs()[0].name: X_CLF})
    np.testing.assert_allclose(proba, est.predict_proba(X_CLF), **ROUND_OFF_TOL)
    np.testing.assert_array_equal(labels, est.predict(X_CLF))


def test_callback_snapshot_rebuilds_the_batch_norm_model():
    from skmlp._callbacks import Events

    est = _fit()
    theta = _model_theta(est).copy()
    events = Events(est, interrupted=lambda: False)
    attrs = events._snapshot(est.n_iter_, theta)()
    twin = MLPClassifierNB().set_params(**est.get_params())
    twin.__dict__.update({k: v for k, v in est.__dict__.items() if k not in attrs})
    twin.__dict__.update(attrs)
    assert twin.running_means_[0] is not est.running_means_[0]
    np.testing.assert_array_equal(twin.predict_proba(X_CLF), est.predict_proba(X_CLF))


def test_the_batch_norm_engine_is_its_own_specialisation_and_announced(monkeypatch):
    import io

    import numba

    from skmlp import _compile_notice

    plain = numba.typeof(net_arrays([3, 4, 2], ["relu"], "softmax"))
    normalised = numba.typeof(net_arrays([3, 4, 2], ["relu"], "softmax", bn=[True]))
    assert _compile_notice._features((None, None, None, plain)) == ()
    assert _compile_notice._features((None, None, None, normalised)) == ("bn",)
    # A process that compiled the plain engine still announces the batch-norm one.
    monkeypatch.setattr(_compile_notice, "_seen", {(np.dtype(np.float64), False)})
    monkeypatch.delenv("SKMLP_QUIET", raising=False)
    index = {((None, None, None, plain, "array(float64, 1d, C)", None, None, None,
               None, None, "none"), "magic"): "file"}
    cache = type("C", (), {"_load_index": staticmethod(lambda: index)})
    dispatcher = type("D", (), {"_cache": type("K", (), {"_cache_file": cache})})
    out = io.StringIO()
    with _compile_notice.compile_notice(dispatcher, np.float64, out, features=("bn",)):
        pass
    assert "compiling the float64 batch-norm kernels" in out.getvalue()
    out = io.StringIO()
    with _compile_notice.compile_notice(dispatcher, np.float64, out):
        pass
    assert out.getvalue() == ""


def test_a_one_row_batch_keeps_everything_finite():
    # 100 rows in batches of 33: every epoch ends with a batch of one row,
    # whose variance is zero (normalised to beta) and unbiased variance undefined.
    est = _fit(batch_size=33, max_iter=3)
    assert np.isfinite(_model_theta(est)).all()
    assert (est.running_vars_[0] > 0).all()


@pytest.mark.slow
@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
def test_batch_norm_estimators_pass_sklearn_checks(Est):
    from sklearn.utils.estimator_checks import check_estimator

    # Batch statistics are over the batch's rows, unweighted (as in PyTorch and
    # Keras): a weight of 2 is not a duplicated row, by design.
    reason = "batch statistics are unweighted: weights are not duplicated rows"
    expected = {"check_sample_weight_equivalence_on_dense_data": reason,
                "check_sample_weight_equivalence_on_sparse_data": reason}
    results = check_estimator(Est(max_iter=100, random_state=0, batch_norm=True),
                              expected_failed_checks=expected, on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
    assert any(r["check_name"] == "check_fit_idempotent" and r["status"] == "passed"
               for r in results)


def test_weight_decay_and_clipping_leave_the_running_statistics_to_the_kernel():
    # Clipping's norm and the decay cover the stepped parameters only: the
    # running statistics follow the batches as without them.
    plain = _fit(max_iter=1, batch_size=100, shuffle=False)
    tuned = _fit(max_iter=1, batch_size=100, shuffle=False, weight_decay=0.5,
                 max_grad_norm=0.01)
    # One batch: the running statistics saw the same initial network's batch.
    np.testing.assert_array_equal(tuned.running_means_[0], plain.running_means_[0])
    np.testing.assert_array_equal(tuned.running_vars_[0], plain.running_vars_[0])
    assert not np.array_equal(tuned.coefs_[0], plain.coefs_[0])
    assert np.isfinite(_model_theta(tuned)).all()


def test_fit_on_dask_collections_refuses_batch_norm():
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match="batch_norm is not available for fit on Dask"):
        MLPClassifierNB((4,), batch_norm=True).fit(da.from_array(X_CLF, chunks=50),
                                                  da.from_array(Y_CLF, chunks=50))


def test_predict_on_dask_collections_uses_running_statistics():
    da = pytest.importorskip("dask.array")
    est = _fit()
    lazy = est.predict_proba(da.from_array(X_CLF, chunks=30)).compute()
    np.testing.assert_allclose(lazy, est.predict_proba(X_CLF), **ROUND_OFF_TOL)
