"""Each Numba kernel against the NumPy reference in ``tests/_reference.py``.

The references compute in float64; the kernels run in the tested dtype, so the
tolerance is that dtype's rounding error, not a loose "close enough".
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neural_network import _base as sk_base
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skmlp import _data, _dropout, _epoch, _kernels, _optim, _sparse, _specs, _views
from skmlp._network import ACTIVATION_CODES, CANONICAL_LOSS, net_arrays

import _reference as ref

DTYPES = [np.float32, np.float64]
HIDDEN = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"]
OUTPUTS = ["softmax", "logistic", "identity", "exp"]

EXT = True  # the extended engine's kernels (every code; see _data.Net.ext)


def tol(dtype):
    if dtype == np.float32:
        return dict(rtol=3e-5, atol=3e-6)
    return dict(rtol=1e-11, atol=1e-13)


def eps(dtype):
    return float(np.finfo(dtype).eps)


def tiny(dtype):
    return float(np.finfo(dtype).tiny)


def test_activation_codes_agree_with_the_reference():
    assert ACTIVATION_CODES == {
        "identity": ref.IDENTITY,
        "logistic": ref.LOGISTIC,
        "tanh": ref.TANH,
        "relu": ref.RELU,
        "softmax": ref.SOFTMAX,
        "exp": ref.EXP,
        "leaky_relu": ref.LEAKY_RELU,
        "elu": ref.ELU,
        "gelu": ref.GELU,
        "silu": ref.SILU,
    }
    assert (_kernels.LEAKY_SLOPE, _kernels.ELU_ALPHA) == (ref.LEAKY_SLOPE, ref.ELU_ALPHA)


# ----------------------------------------------------------------- activations
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", HIDDEN + ["softmax", "exp"])
def test_bias_activation_matches_reference(dtype, name):
    rng = np.random.RandomState(0)
    code = ACTIVATION_CODES[name]
    Z = (3 * rng.standard_normal((7, 5))).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    expected = ref.activation(Z.astype(np.float64) + b, code)
    out = Z.copy()
    pre = np.full_like(Z, np.nan)
    _kernels.bias_activation(out, b, code, tiny(dtype), pre, EXT)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, **tol(dtype))
    if _specs.ACTIVATIONS[name].preactivation:
        np.testing.assert_allclose(pre, Z.astype(np.float64) + b, **tol(dtype))
    else:
        assert np.isnan(pre).all()  # only the layers that need it keep it


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["logistic", "softmax"])
def test_bias_activation_flushes_subnormal_outputs_to_zero(dtype, name):
    # Pre-activations whose logistic / softmax output is below the smallest
    # normal number of the dtype (but above zero in exact arithmetic).
    code = ACTIVATION_CODES[name]
    fi = np.finfo(dtype)
    z = np.log(float(fi.tiny)) - 0.5  # exp(z) is about 0.6 * tiny: subnormal
    Z = np.array([[z, 0.0], [0.0, z]], dtype=dtype)
    b = np.zeros(2, dtype=dtype)
    _kernels.bias_activation(Z, b, code, float(fi.tiny), np.empty((0, 0), dtype), EXT)
    small = np.array([[True, False], [False, True]])
    assert np.all(Z[small] == 0.0)
    assert np.all(Z[~small] > 0.4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", HIDDEN)
def test_activation_derivative_matches_reference(dtype, name):
    rng = np.random.RandomState(1)
    code = ACTIVATION_CODES[name]
    Z = (2 * rng.standard_normal((6, 4))).astype(dtype)
    A = ref.activation(Z, code).astype(dtype)
    if name == "relu":
        assert (A == 0).any() and (A > 0).any()
    D = rng.standard_normal((6, 4)).astype(dtype)
    # The reference differentiates at the pre-activation; the kernel reads the
    # output where the maths allows and the stored pre-activation otherwise.
    expected = D.astype(np.float64) * ref.activation_derivative(Z, code)
    out = D.copy()
    _kernels.activation_derivative(out, A, Z, code, tiny(dtype), EXT)
    np.testing.assert_allclose(out, expected, **tol(dtype))


# ------------------------------------------------------------------ the losses
def _predictions_and_targets(out_name, n, k, rng, dtype, extreme=False):
    code = ACTIVATION_CODES[out_name]
    P = ref.activation(2 * rng.standard_normal((n, k)), code)
    if out_name == "softmax":
        Y = np.eye(k)[rng.randint(0, k, n)]
    elif out_name == "logistic":
        Y = (rng.uniform(size=(n, k)) < 0.5).astype(float)
    elif out_name == "exp":
        Y = rng.poisson(1.0, size=(n, k)).astype(float)
        Y[0, :] = 0.0  # the y = 0 branch of the deviance
    else:
        Y = rng.standard_normal((n, k))
    if extreme and out_name in ("softmax", "logistic"):
        # Saturated, wrong predictions: the loss is only finite through clipping.
        P[0] = 1.0 - Y[0]
        if out_name == "softmax":
            P[0] /= P[0].sum()
    return P.astype(dtype), Y.astype(dtype)


NO_PAR = np.empty(0)  # the canonical losses take no parameter


def _loss_code(out_name):
    """The code of the loss an output activation pairs with by default."""
    return _specs.LOSSES[CANONICAL_LOSS[out_name]].code


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out_name", OUTPUTS)
@pytest.mark.parametrize("weighted", [False, True])
def test_output_delta_matches_reference(dtype, out_name, weighted):
    rng = np.random.RandomState(2)
    n_all, k = 11, 3
    P_all, Y = _predictions_and_targets(out_name, n_all, k, rng, dtype)
    sw = rng.uniform(0.2, 3.0, n_all) if weighted else np.ones(n_all)
    sw = sw.astype(dtype)
    rows = np.array([7, 2, 9, 0, 4], dtype=np.int64)  # a permuted subset
    P = np.ascontiguousarray(P_all[rows])
    norm = 1.0 / float(sw[rows].sum())
    D = np.full((rows.shape[0], k), np.nan, dtype=dtype)
    code = ACTIVATION_CODES[out_name]

    loss = _kernels.output_delta(P, Y, sw, rows, norm, _loss_code(out_name), NO_PAR,
                                 eps(dtype), D, EXT)

    expected_loss = ref.weighted_loss_sum(P, Y[rows], sw[rows], code, eps(dtype))
    expected_D = ref.output_delta(P, Y[rows], sw[rows], norm)
    np.testing.assert_allclose(loss, expected_loss, **tol(dtype))
    np.testing.assert_allclose(D, expected_D, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("out_name", ["softmax", "logistic"])
def test_output_delta_clips_saturated_probabilities(dtype, out_name):
    rng = np.random.RandomState(3)
    P, Y = _predictions_and_targets(out_name, 4, 3, rng, dtype, extreme=True)
    sw = np.ones(4, dtype=dtype)
    rows = np.arange(4, dtype=np.int64)
    D = np.empty_like(P)
    code = ACTIVATION_CODES[out_name]
    loss = _kernels.output_delta(P, Y, sw, rows, 0.25, _loss_code(out_name), NO_PAR,
                                 eps(dtype), D, EXT)
    expected = ref.weighted_loss_sum(P, Y, sw, code, eps(dtype))
    assert np.isfinite(loss)
    # The saturated row contributes about -log(eps) per wrong output.
    assert loss > -np.log(eps(dtype)) - 1
    np.testing.assert_allclose(loss, expected, **tol(dtype))


@pytest.mark.parametrize(
    "out_name, sk_loss",
    [
        ("softmax", "log_loss"),
        ("logistic", "binary_log_loss"),
        ("identity", "squared_error"),
        ("exp", "poisson"),
    ],
)
@pytest.mark.parametrize("k", [1, 3])
def test_reference_loss_matches_sklearn_loss_functions(out_name, sk_loss, k):
    # The reference is itself checked against scikit-learn's loss functions
    # (which average over samples, and for the squared error over outputs too).
    if out_name == "softmax" and k == 1:
        k = 2
    rng = np.random.RandomState(4)
    P, Y = _predictions_and_targets(out_name, 9, k, rng, np.float64)
    sw = rng.uniform(0.5, 2.0, 9)
    code = ACTIVATION_CODES[out_name]
    ours = ref.weighted_loss_sum(P, Y, sw, code, eps(np.float64)) / sw.sum()
    theirs = sk_base.LOSS_FUNCTIONS[sk_loss](Y, P, sample_weight=sw)
    if out_name == "identity":
        theirs *= k
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# -------------------------------------------------------- forward and backward
def _network(hidden, out_name, k, dropout=(0.0, 0.0)):
    """A 6-5-4-k Net; ``hidden`` is one name or one per hidden layer."""
    hidden = [hidden, hidden] if isinstance(hidden, str) else list(hidden)
    return net_arrays([6, 5, 4, k], hidden, out_name, list(dropout))


def _kdata(Xk, dtype, Y=None, sw=None):
    """KernelData from kernel_X's 4 arrays (empty targets for forward-only use)."""
    Y = np.empty((0, 1), dtype=dtype) if Y is None else Y
    sw = np.empty(0, dtype=dtype) if sw is None else sw
    return _data.KernelData(*Xk, _data.readonly(Y), _data.readonly(sw))


def _inputs(dtype, sparse, rng, n=13, n_features=6):
    X = rng.standard_normal((n, n_features))
    X[rng.uniform(size=X.shape) < 0.4] = 0.0
    X[3] = 0.0  # an empty row in CSR
    X = X.astype(dtype)
    Xk = sp.csr_matrix(X) if sparse else X
    return X, _data.kernel_X(Xk, dtype)


def _layer_view(buf, off, units, layer, nb):
    n_out = int(units[layer + 1])
    start = int(off[2, layer])
    return buf[start : start + nb * n_out].reshape(nb, n_out)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("out_name", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_matches_reference(dtype, sparse, out_name, hidden):
    rng = np.random.RandomState(5)
    net = _network(hidden, out_name, 3)
    units, acts = net.units, net.acts
    X, Xk = _inputs(dtype, sparse, rng)
    theta = ref.random_theta(units, rng).astype(dtype)
    rows = np.array([5, 3, 12, 0, 7, 1], dtype=np.int64)
    cap = rows.shape[0] + 3  # the workspace may be larger than the batch
    work = _data.workspace(net, cap, dtype, not sparse)

    out = _kernels.forward(_kdata(Xk, dtype), rows, net, theta, work,
                           np.zeros(1, np.int64), True, tiny(dtype), None, len(rows))

    expected = ref.forward(X[rows], theta, units, acts)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected[-1], **tol(dtype))
    for layer in range(len(units) - 1):
        np.testing.assert_allclose(
            _layer_view(work.A, work.off, units, layer, rows.shape[0]),
            expected[layer + 1], **tol(dtype),
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("accumulate", [False, True], ids=["overwrite", "accumulate"])
@pytest.mark.parametrize("hidden", HIDDEN + [("gelu", "tanh"), ("relu", "silu")])
@pytest.mark.parametrize("dropout", [(0.0, 0.0), (0.5, 0.25)], ids=["full", "dropout"])
def test_backward_matches_reference(dtype, sparse, accumulate, hidden, dropout):
    rng = np.random.RandomState(6)
    net = _network(hidden, "identity", 2, dropout)
    units, acts = net.units, net.acts
    X, Xk = _inputs(dtype, sparse, rng)
    theta = ref.random_theta(units, rng).astype(dtype)
    rows = np.array([4, 11, 3, 8, 0], dtype=np.int64)
    nb = rows.shape[0]
    cap = nb + 2
    work = _data.workspace(net, cap, dtype, not sparse, with_accumulator=True)
    data = _kdata(Xk, dtype)
    rng_state = np.array([12345], dtype=np.int64)
    _kernels.forward(data, rows, net, theta, work, rng_state, True, tiny(dtype), None, len(rows))
    D_out = rng.standard_normal((nb, 2)).astype(dtype)
    _layer_view(work.D, work.off, units, len(units) - 2, nb)[:] = D_out
    G0 = rng.standard_normal(work.G.shape[0]).astype(dtype)
    work.G[:] = G0 if accumulate else np.nan

    _kernels.backward(data, rows, net, theta, work, accumulate, True, tiny(dtype), None, len(rows))

    # The masks the kernel drew, read back from its workspace.
    masks = [None] * (len(units) - 1)
    for layer, rate in enumerate(dropout):
        if rate > 0:
            start = int(work.off[4, layer])
            n = int(units[layer + 1])
            masks[layer] = work.M[start : start + nb * n].reshape(nb, n).astype(float)
            scale = float(dtype(1.0) / dtype(1.0 - rate))
            assert set(np.unique(masks[layer])) <= {0.0, scale}
    activations = ref.forward(X[rows], theta, units, acts, masks)
    expected_grad, expected_deltas = ref.backward(activations, D_out, theta, units,
                                                  acts, masks)
    if accumulate:
        expected_grad = expected_grad + G0
    np.testing.assert_allclose(work.G, expected_grad, **tol(dtype))
    for layer in range(len(units) - 1):
        np.testing.assert_allclose(
            _layer_view(work.D, work.off, units, layer, nb), expected_deltas[layer],
            **tol(dtype)
        )


def test_layout_follows_sklearn_pack_layout_and_sizes_only_needed_buffers():
    net = net_arrays([4, 3, 5, 6, 2], ["gelu", "relu", "silu"], "softmax",
                     [0.0, 0.5, 0.2])
    units = net.units
    cap = 7
    off, (n_a, n_z, n_d, n_h, n_s) = _data.layout(net, cap)
    theta = np.arange(ref.n_coef(units) + units[1:].sum(), dtype=np.float64)
    coefs, intercepts = ref.unpack(theta, units)
    for layer in range(4):
        assert off[0, layer] == coefs[layer].ravel()[0]
        assert off[1, layer] == intercepts[layer][0]
        assert off[2, layer] == cap * units[1 : layer + 1].sum()
    assert n_a == cap * units[1:].sum()
    # Pre-activations for the GELU and SiLU layers only; dropout buffers for
    # the two layers with a rate.
    assert n_z == cap * (3 + 6) and list(off[3, [0, 2]]) == [0, cap * 3]
    assert n_d == cap * (5 + 6) and list(off[4, [1, 2]]) == [0, cap * 5]
    assert n_h == n_s == 0  # no batch normalisation, no buffers for it


@pytest.mark.parametrize("keep", [0.3, 0.8])
def test_dropout_keeps_the_expected_fraction_and_is_seeded(keep):
    A = np.ones((400, 250))
    M = np.empty_like(A)
    Ad = np.empty_like(A)
    state = np.array([7], dtype=np.int64)
    _dropout.dropout(A, keep, state, M, Ad)
    kept = M != 0
    n = A.size
    # Binomial(n, keep): 5 standard deviations.
    assert abs(kept.sum() - keep * n) < 5 * np.sqrt(n * keep * (1 - keep))
    np.testing.assert_array_equal(M[kept], 1.0 / keep)
    np.testing.assert_array_equal(Ad, A * M)
    assert state[0] != 7  # the generator advanced
    # Same seed, same masks; the next draw differs.
    M2, state2 = np.empty_like(A), np.array([7], dtype=np.int64)
    _dropout.dropout(A, keep, state2, M2, np.empty_like(A))
    np.testing.assert_array_equal(M, M2)
    _dropout.dropout(A, keep, state2, M2, np.empty_like(A))
    assert not np.array_equal(M, M2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_row_products_match_dense(dtype):
    rng = np.random.RandomState(7)
    X, (_, spd, spi, spp) = _inputs(dtype, True, rng)
    rows = np.array([3, 9, 1, 1, 6], dtype=np.int64)  # a repeated row too
    W = rng.standard_normal((6, 4)).astype(dtype)
    Dl = rng.standard_normal((5, 4)).astype(dtype)
    out = np.full((5, 4), np.nan, dtype=dtype)
    _sparse.sparse_rows_dot(spd, spi, spp, rows, W, out)
    np.testing.assert_allclose(out, X[rows].astype(float) @ W, **tol(dtype))
    outT = np.full((6, 4), np.nan, dtype=dtype)
    _sparse.sparse_rows_tdot(spd, spi, spp, rows, Dl, outT)
    np.testing.assert_allclose(outT, X[rows].T.astype(float) @ Dl, **tol(dtype))


# ------------------------------------------------------------------ optimizers
def _step(name, dtype, theta, grad, state, lo, hi, n_coef, reg, t, **settings):
    """One step of optimizer ``name`` through the engine's dispatch."""
    hyper = _epoch.hyper_array(dtype, **settings)
    hp = np.zeros(_optim.N_HP, dtype=dtype)
    hp[_optim.HP_REG] = reg
    code = _specs.OPTIMIZERS[name].code
    # As run_epoch does: clipping and decay (the extended engine's), then the step.
    _, decayed_sq = _epoch._before_step(EXT, None, 0, theta, grad, hyper, hp, lo, hi,
                                        n_coef)
    sq = _optim.optimizer_step(code, theta, grad, state, lo, hi, n_coef, hyper, hp, t)
    return decayed_sq if decayed_sq >= 0.0 else sq


def _optimizer_problem(dtype, rng):
    units = [3, 4, 2]
    n_params = ref.n_coef(units) + sum(units[1:])
    theta = rng.standard_normal(n_params).astype(dtype)
    grads = [rng.standard_normal(n_params).astype(dtype) for _ in range(4)]
    return ref.n_coef(units), theta, grads


def _in_parts(g, n_parts):
    """``g`` as ``n_parts`` gradient rows that add up to exactly ``g``."""
    if n_parts == 1:
        return g[None, :].copy()
    return np.stack([g * 0.5, g * 0.5])  # halving is exact


def _ranges(n, k, how):
    """Parameter ranges for the threads of one step: the whole vector, or two
    shares split inside the coefficients or inside the intercepts."""
    if how == "whole":
        return [(0, n)]
    cut = k // 2 if how == "cut-in-coefs" else (k + n) // 2
    return [(0, cut), (cut, n)]


STEP_SPLITS = [(1, "whole"), (2, "cut-in-coefs"), (2, "cut-in-intercepts")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("parts,how", STEP_SPLITS)
def test_sgd_step_matches_reference(dtype, momentum, nesterov, parts, how):
    # Several threads hand in the gradient as parts and step a range each.
    rng = np.random.RandomState(8)
    k, theta, grads = _optimizer_problem(dtype, rng)
    reg, lr = 0.03, 0.1
    state = np.zeros((1, theta.shape[0]), dtype=dtype)
    velocity = state[0]
    ref_theta = theta.astype(np.float64)
    ref_velocity = np.zeros_like(ref_theta)
    for t, g in enumerate(grads, start=1):
        expected_sq = float(np.sum(ref_theta[:k] ** 2))
        g_parts = _in_parts(g, parts)
        sq = 0.0
        for lo, hi in _ranges(theta.shape[0], k, how):
            _optim.reduce_gradients(g_parts, lo, hi)
            sq += _step("sgd", dtype, theta, g_parts[0], state, lo, hi, k, reg, t,
                        learning_rate=lr, momentum=momentum, nesterov=nesterov)
        full = ref.l2_gradient(g, ref_theta, k, reg)
        ref_theta, ref_velocity = ref.sgd_step(ref_theta, full, ref_velocity, lr,
                                               momentum, nesterov)
        np.testing.assert_allclose(sq, expected_sq, **tol(dtype))
        np.testing.assert_allclose(theta, ref_theta, **tol(dtype))
        if momentum:
            np.testing.assert_allclose(velocity, ref_velocity, **tol(dtype))
        else:  # plain SGD keeps no velocity: it would only be multiplied by 0
            assert not velocity.any()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("parts,how", STEP_SPLITS)
def test_adam_step_matches_reference(dtype, parts, how):
    rng = np.random.RandomState(9)
    k, theta, grads = _optimizer_problem(dtype, rng)
    reg, lr, b1, b2, epsilon = 0.03, 0.01, 0.9, 0.999, 1e-8
    state = np.zeros((2, theta.shape[0]), dtype=dtype)
    m, v = state
    ref_theta = theta.astype(np.float64)
    ref_m = np.zeros_like(ref_theta)
    ref_v = np.zeros_like(ref_theta)
    for t, g in enumerate(grads, start=1):
        expected_sq = float(np.sum(ref_theta[:k] ** 2))
        g_parts = _in_parts(g, parts)
        sq = 0.0
        for lo, hi in _ranges(theta.shape[0], k, how):
            _optim.reduce_gradients(g_parts, lo, hi)
            sq += _step("adam", dtype, theta, g_parts[0], state, lo, hi, k, reg, t,
                        learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=epsilon)
        full = ref.l2_gradient(g, ref_theta, k, reg)
        ref_theta, ref_m, ref_v = ref.adam_step(ref_theta, full, ref_m, ref_v, t, lr,
                                                b1, b2, epsilon)
        np.testing.assert_allclose(sq, expected_sq, **tol(dtype))
        np.testing.assert_allclose(theta, ref_theta, **tol(dtype))
        np.testing.assert_allclose(m, ref_m, **tol(dtype))
        np.testing.assert_allclose(v, ref_v, **tol(dtype))


@pytest.mark.parametrize("nesterov", [False, True])
def test_reference_optimizers_match_sklearn(nesterov):
    # The references are themselves checked against scikit-learn's optimizers.
    rng = np.random.RandomState(10)
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    sgd_params = [p.copy() for p in params]
    adam_params = [p.copy() for p in params]
    sgd = SGDOptimizer(sgd_params, 0.1, "constant", 0.9, nesterov, 0.5)
    adam = AdamOptimizer(adam_params, 0.01, 0.9, 0.999, 1e-8)
    theta_s = ref.pack(params[:1], params[1:])
    theta_a = theta_s.copy()
    vel = np.zeros_like(theta_s)
    m = np.zeros_like(theta_s)
    v = np.zeros_like(theta_s)
    for t in range(1, 4):
        grads = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
        flat = ref.pack(grads[:1], grads[1:])
        sgd.update_params(sgd_params, grads)
        adam.update_params(adam_params, grads)
        theta_s, vel = ref.sgd_step(theta_s, flat, vel, 0.1, 0.9, nesterov)
        theta_a, m, v = ref.adam_step(theta_a, flat, m, v, t, 0.01, 0.9, 0.999, 1e-8)
        np.testing.assert_allclose(theta_s, ref.pack(sgd_params[:1], sgd_params[1:]),
                                   rtol=1e-14)
        np.testing.assert_allclose(theta_a, ref.pack(adam_params[:1], adam_params[1:]),
                                   rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_step_flushes_subnormal_moments_to_zero(dtype):
    t = tiny(dtype)
    theta = np.array([0.5, -0.25, 1.0], dtype=dtype)
    grad = np.zeros(3, dtype=dtype)
    # Decayed by beta_1 / beta_2 these moments fall just below the smallest
    # normal number; the third stays normal.
    state = np.array([[1.05 * t, -1.05 * t, 1.0], [1.0005 * t, 1.0005 * t, 1.0]],
                     dtype=dtype)
    m, v = state
    # Step 10**6: the bias correction is 1, the learning rate is 0.01.
    _step("adam", dtype, theta, grad, state, 0, 3, 2, 0.0, 10**6, learning_rate=0.01)
    assert m[0] == 0 and m[1] == 0 and m[2] > 0
    assert v[0] == 0 and v[1] == 0 and v[2] > 0
    np.testing.assert_array_equal(theta[:2], np.array([0.5, -0.25], dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,momentum,nesterov", [
    ("sgd", 0.0, False), ("sgd", 0.9, False), ("sgd", 0.9, True), ("adam", 0.9, True)])
@pytest.mark.parametrize("parts,how", STEP_SPLITS)
def test_weight_decay_step_matches_reference(dtype, name, momentum, nesterov, parts, how):
    # Decoupled decay (PyTorch's AdamW order): the coefficients shrink by
    # 1 - lr * wd, then the step uses the gradient at the weights before it.
    rng = np.random.RandomState(13)
    k, theta, grads = _optimizer_problem(dtype, rng)
    reg, lr, wd = 0.03, 0.05, 0.7
    state = np.zeros((2, theta.shape[0]), dtype=dtype)
    ref_theta = theta.astype(np.float64)
    ref_state = np.zeros((2, theta.shape[0]))
    for t, g in enumerate(grads, start=1):
        expected_sq = float(np.sum(ref_theta[:k] ** 2))  # before the decay
        g_parts = _in_parts(g, parts)
        sq = 0.0
        for lo, hi in _ranges(theta.shape[0], k, how):
            _optim.reduce_gradients(g_parts, lo, hi)
            sq += _step(name, dtype, theta, g_parts[0], state, lo, hi, k, reg, t,
                        learning_rate=lr, momentum=momentum, nesterov=nesterov,
                        weight_decay=wd)
        full = ref.l2_gradient(g, ref_theta, k, reg)
        ref_theta = ref.decay_coefficients(ref_theta, k, lr, wd)
        if name == "adam":
            ref_theta, ref_state[0], ref_state[1] = ref.adam_step(
                ref_theta, full, ref_state[0], ref_state[1], t, lr, 0.9, 0.999, 1e-8)
        else:
            ref_theta, ref_state[0] = ref.sgd_step(ref_theta, full, ref_state[0], lr,
                                                   momentum, nesterov)
        np.testing.assert_allclose(sq, expected_sq, **tol(dtype))
        np.testing.assert_allclose(theta, ref_theta, **tol(dtype))
        if momentum:
            np.testing.assert_allclose(state, ref_state, **tol(dtype))
        else:  # plain SGD keeps no velocity
            assert not state.any()


@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_decay_shrinks_coefficients_and_leaves_intercepts(dtype):
    # No gradient, no L2 term: the coefficients are scaled by exactly
    # 1 - lr * wd (as rounded to the dtype), the intercepts keep their bits.
    rng = np.random.RandomState(14)
    k, theta, _ = _optimizer_problem(dtype, rng)
    before = theta.copy()
    state = np.zeros((1, theta.shape[0]), dtype=dtype)
    _step("sgd", dtype, theta, np.zeros_like(theta), state, 0, theta.shape[0], k, 0.0,
          1, learning_rate=0.1, momentum=0.0, weight_decay=0.5)
    np.testing.assert_array_equal(theta[:k], before[:k] * dtype(1.0 - 0.1 * 0.5))
    np.testing.assert_array_equal(theta[k:], before[k:])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("how", ["whole", "cut-in-coefs", "cut-in-intercepts"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clipped", "within"])
def test_clip_gradient_matches_reference(dtype, how, max_norm):
    # The shares' squared norms add up to the whole gradient's (L2 term
    # included); each share is then scaled by the one factor.
    rng = np.random.RandomState(15)
    k, theta, grads = _optimizer_problem(dtype, rng)
    reg = 0.3
    grad = grads[0].copy()
    hp = np.zeros(_optim.N_HP, dtype=dtype)
    ranges = _ranges(theta.shape[0], k, how)
    sq = sum(_optim.gradient_sq_norm(theta, grad, dtype(reg), lo, hi, k)
             for lo, hi in ranges)
    full = ref.l2_gradient(grads[0], theta.astype(np.float64), k, float(dtype(reg)))
    np.testing.assert_allclose(sq, np.sum(full**2), **tol(dtype))
    expected, clipped = ref.clip_by_norm(full, max_norm)
    assert clipped == (max_norm < 1)
    regs = []
    for lo, hi in ranges:
        hp[_optim.HP_REG] = reg
        _optim.clip_gradient(grad, hp, lo, hi, sq, max_norm)
        regs.append(hp[_optim.HP_REG])
    # What the step then uses: the scaled gradient plus the scaled L2 term.
    used = ref.l2_gradient(grad.astype(np.float64), theta.astype(np.float64), k,
                           float(regs[0]))
    np.testing.assert_allclose(used, expected, **tol(dtype))
    assert len(set(regs)) == 1
    if not clipped:  # within the limit: untouched, bitwise
        np.testing.assert_array_equal(grad, grads[0])
        assert regs[0] == dtype(reg)


# ------------------------------------------------------- compiled entry points
def _hyper(dtype, *, lr, alpha, **kw):
    return _epoch.hyper_array(dtype, learning_rate=lr, alpha=alpha, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("n_threads", [1, 2, 5], ids=lambda n: f"{n}-threads")
def test_train_epoch_matches_reference_minibatch_loop(dtype, sparse, solver, n_threads):
    # With several threads every batch is split by rows (5 threads leave some
    # with no rows of a batch of 4, and four with none of the last batch).
    rng = np.random.RandomState(11)
    net = _network("tanh", "softmax", 3)
    units, acts = net.units, net.acts
    X, Xk = _inputs(dtype, sparse, rng, n=13)
    Y = np.eye(3)[rng.randint(0, 3, 13)].astype(dtype)
    sw = rng.uniform(0.2, 3.0, 13).astype(dtype)
    order = rng.permutation(13).astype(np.int64)
    sw[order[:4]] = 0.0  # the first batch weighs nothing: it is skipped
    batch_size = 4  # batches of 4, 4, 4 and a remainder of 1
    theta = ref.random_theta(units, rng).astype(dtype)
    data = _kdata(Xk, dtype, Y, sw)
    if n_threads == 1:
        work = _data.workspace(net, batch_size, dtype, not sparse)
    else:
        work = _data.squad_workspace(net, batch_size, dtype, not sparse, n_threads)
    moments = np.zeros((2, theta.shape[0]), dtype=dtype)
    step = _epoch.new_counters(n_threads)
    opt = _optim.ADAM if solver == "adam" else _optim.SGD
    lr, alpha = 0.05, 0.3
    hyper = _hyper(dtype, lr=lr, alpha=alpha)

    state = None
    ref_theta = theta.astype(np.float64)
    for _ in range(2):  # the second epoch starts from carried-over moments
        total = _epoch.train_epoch(data, _data.readonly(order), batch_size,
                                   net, theta, hyper, opt, moments, step, work)
        ref_theta, ref_total, state = ref.train_epoch(
            X, Y, sw, order, batch_size, ref_theta, units, acts, solver=solver,
            alpha=alpha, lr=lr, state=state, eps=eps(dtype))
        np.testing.assert_allclose(total, ref_total, **tol(dtype))
        np.testing.assert_allclose(theta, ref_theta, rtol=tol(dtype)["rtol"] * 10,
                                   atol=tol(dtype)["atol"] * 10)
    if solver == "adam":
        assert step[0] == state["t"] == 6  # 3 non-empty batches per epoch


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("n_threads", [1, 2, 5], ids=lambda n: f"{n}-threads")
def test_train_epoch_with_decay_and_clipping_matches_reference(dtype, solver, n_threads):
    # Split batches clip by the whole batch's norm: the reference has no threads.
    rng = np.random.RandomState(16)
    # Decay and clipping live in the extended engine (the estimator asks for it).
    net = _network("tanh", "softmax", 3)._replace(ext=EXT)
    units, acts = net.units, net.acts
    X, Xk = _inputs(dtype, False, rng, n=13)
    Y = np.eye(3)[rng.randint(0, 3, 13)].astype(dtype)
    sw = rng.uniform(0.2, 3.0, 13).astype(dtype)
    order = rng.permutation(13).astype(np.int64)
    batch_size = 4
    theta = ref.random_theta(units, rng).astype(dtype)
    data = _kdata(Xk, dtype, Y, sw)
    if n_threads == 1:
        work = _data.workspace(net, batch_size, dtype, True)
    else:
        work = _data.squad_workspace(net, batch_size, dtype, True, n_threads)
    moments = np.zeros((2, theta.shape[0]), dtype=dtype)
    step = _epoch.new_counters(n_threads)
    opt = _optim.ADAM if solver == "adam" else _optim.SGD
    lr, alpha, wd, max_norm = 0.05, 0.3, 0.4, 0.8
    hyper = _hyper(dtype, lr=lr, alpha=alpha, weight_decay=wd, max_grad_norm=max_norm)
    state = None
    ref_theta = theta.astype(np.float64)
    for _ in range(3):
        total = _epoch.train_epoch(data, _data.readonly(order), batch_size,
                                   net, theta, hyper, opt, moments, step, work)
        ref_theta, ref_total, state = ref.train_epoch(
            X, Y, sw, order, batch_size, ref_theta, units, acts, solver=solver,
            alpha=alpha, lr=lr, state=state, eps=eps(dtype), weight_decay=wd,
            max_grad_norm=max_norm)
        np.testing.assert_allclose(total, ref_total, **tol(dtype))
        np.testing.assert_allclose(theta, ref_theta, rtol=tol(dtype)["rtol"] * 10,
                                   atol=tol(dtype)["atol"] * 10)
    # Both kinds of batch occurred: some clipped, some within the limit.
    assert 0 < state["clipped"] < 12


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_predict_rows_in_chunks_matches_reference(dtype, sparse):
    rng = np.random.RandomState(12)
    net = _network("relu", "logistic", 2, dropout=(0.5, 0.5))  # ignored here
    units, acts = net.units, net.acts
    X, Xk = _inputs(dtype, sparse, rng, n=13)
    theta = ref.random_theta(units, rng).astype(dtype)
    rows = np.array([12, 0, 5, 5, 3, 9, 1, 7], dtype=np.int64)
    out = np.full((rows.shape[0], 2), np.nan, dtype=dtype)
    # chunks of 3, 3 and 2 rows
    _epoch.predict_rows(Xk, _data.readonly(rows), net, _data.readonly(theta), out, cap=3)
    np.testing.assert_allclose(out, ref.forward(X[rows], theta, units, acts)[-1],
                               **tol(dtype))


def test_region_is_compiled_once_not_inlined_at_every_call_site():
    # region's reshape lowers to a long error-checking sequence; inlined at
    # Numba-IR level into its 18 call sites it cost about 1 s of every cold first
    # fit. A merge once brought the inlined decorator back unnoticed: the
    # docstring said one thing, the decorator another.
    assert _views.region.targetoptions.get("inline", "never") == "never"
    assert _kernels.forward.targetoptions.get("inline") == "always"  # the check can fail
