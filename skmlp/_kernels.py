"""Forward pass, backward pass, activations and losses as Numba kernels.

Conventions shared by every function here:

- The network is a ``_data.Net``: ``units`` (int64) has one entry per layer,
  input and output included (``[n_features, *hidden_layer_sizes,
  n_outputs]``); ``acts`` (int64) one activation code per non-input layer, the
  last one being the output activation; ``keep`` (float64) the probability of
  keeping each non-input layer's units under dropout (1.0: no dropout; the
  output layer's is always 1.0); ``pre`` (int64) 1 for the layers whose
  activation keeps its pre-activation; ``loss`` the loss code and
  ``loss_par`` (float64) its parameters; ``bn`` (int64) 1 for the hidden
  layers that are batch-normalised (:mod:`skmlp._batch_norm`, between the
  affine product and the activation) and ``bn_par`` (float64) its eps and
  momentum.
  The codes and their facts are the rows of :mod:`skmlp._specs`; every
  dispatch on a code names each one and ends in a branch that writes NaN.
- All weights and intercepts live in one flat vector ``theta`` laid out as
  scikit-learn's ``_pack`` does: every coefficient matrix (row-major) first, then
  every intercept vector; batch-normalised networks append every scale and
  shift, then every running mean and variance (``_data.layout``). Views into
  it start at the offsets in ``work.off``.
- Per-layer workspaces (``work``, see ``_data.Work``) are flat buffers owned by
  the caller, with room for ``cap`` rows per layer; a batch of ``nb <= cap`` rows
  uses the first ``nb * units[l]`` entries of layer ``l``'s region, so every view
  is C-contiguous and no kernel allocates per batch. ``work.off`` holds the
  start of each layer's region in every buffer (computed once in Python by
  ``_data.layout``): row 0 coefficients and row 1 intercepts in theta, row 2
  activations and deltas, row 3 pre-activations (only layers whose derivative
  needs them), row 4 dropout masks and dropped activations (only layers with
  dropout), rows 5-8 batch normalisation's buffers and parameters.
- Input rows are addressed through an index array ``rows``; dense X is gathered
  into a workspace, sparse CSR X is multiplied row by row without densifying
  (:mod:`skmlp._sparse`, compiled only into the engine of sparse data).
- Dropout (:mod:`skmlp._dropout`) is compiled only into the extended engine
  (``net.ext``), which every network with dropout runs.
- Nothing here validates input: the Python layer has done that before any call.
"""

import math

import numpy as np

from ._batch_norm import maybe_normalise, maybe_normalise_backward
from ._blas import matmul, matmul_nt, matmul_tn
from ._dropout import drop_layer, dropped_input, mask_deltas
from ._jit import jit, jit_inline, jit_ordered
from ._sparse import is_sparse, sparse_gradient, sparse_product
from ._specs import (
    ABSOLUTE_ERROR,
    BINARY_LOG_LOSS,
    ELU,
    EXP,
    GELU,
    HUBER,
    IDENTITY,
    LEAKY_RELU,
    LOG_LOSS,
    LOGISTIC,
    POISSON,
    QUANTILE,
    RELU,
    SILU,
    SOFTMAX,
    SQUARED_ERROR,
    TANH,
)
from ._views import region

LEAKY_SLOPE = 0.01  # negative-side slope of leaky_relu (PyTorch's and Keras's)
ELU_ALPHA = 1.0  # saturation value of elu for large negative inputs
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@jit
def gather_rows(X, rows, out):
    """Copy the rows ``X[rows]`` into the workspace ``out`` (shape (len(rows), n))."""
    n_features = X.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(n_features):
            out[i, j] = X[r, j]


@jit
def bias_activation(Z, b, code, tiny, Zpre, ext):
    """Add the intercept ``b`` to every row of ``Z`` and apply activation ``code``.

    One pass over memory. Values whose magnitude falls below ``tiny`` (the
    smallest normal number of the dtype) are flushed to zero for the saturating
    outputs, because subnormal numbers make the following BLAS calls crawl.
    For the codes whose derivative cannot be written from the output (GELU,
    SiLU: ``preactivation`` in ``_specs.ACTIVATIONS``), the pre-activation is
    also stored in ``Zpre`` (same shape); other codes never touch it.

    The codes outside the core rows of ``_specs.ACTIVATIONS`` come after the
    test ``ext is None``: for the core engine (``ext`` None, see
    ``_data.Net``) Numba prunes them at compile time, so it carries none of
    their code, and such a code gives NaN there, as a code without its kernel
    does everywhere: the divergence checks catch both.
    """
    nb, n = Z.shape
    if code == IDENTITY:
        for i in range(nb):
            for j in range(n):
                Z[i, j] += b[j]
    elif code == RELU:
        # A zero of Z's dtype: a float64 0.0 would make ``v`` float64, and a
        # float32 model's loop would convert every value there and back.
        zero = Z.dtype.type(0)
        for i in range(nb):
            for j in range(n):
                v = Z[i, j] + b[j]
                # `v < 0` is False for NaN, so divergence stays visible.
                if v < 0:
                    v = zero
                Z[i, j] = v
    elif code == TANH:
        for i in range(nb):
            for j in range(n):
                Z[i, j] = math.tanh(Z[i, j] + b[j])
    elif code == LOGISTIC:
        for i in range(nb):
            for j in range(n):
                v = 1.0 / (1.0 + math.exp(-(Z[i, j] + b[j])))
                if v < tiny:
                    v = 0.0
                Z[i, j] = v
    elif code == EXP:
        for i in range(nb):
            for j in range(n):
                Z[i, j] = math.exp(Z[i, j] + b[j])
    elif code == SOFTMAX:
        for i in range(nb):
            m = -np.inf
            for j in range(n):
                v = Z[i, j] + b[j]
                Z[i, j] = v
                if v > m:
                    m = v
            s = 0.0
            for j in range(n):
                e = math.exp(Z[i, j] - m)
                Z[i, j] = e
                s += e
            inv = 1.0 / s
            for j in range(n):
                v = Z[i, j] * inv
                if v < tiny:
                    v = 0.0
                Z[i, j] = v
    elif ext is None:  # the core engine: pruned at compile time from here on
        _fill_nan(Z)
    elif code == LEAKY_RELU:
        for i in range(nb):
            for j in range(n):
                v = Z[i, j] + b[j]
                if v < 0:
                    v = LEAKY_SLOPE * v
                Z[i, j] = v
    elif code == ELU:
        for i in range(nb):
            for j in range(n):
                v = Z[i, j] + b[j]
                if v < 0:
                    v = ELU_ALPHA * math.expm1(v)
                Z[i, j] = v
    elif code == GELU:
        for i in range(nb):
            for j in range(n):
                v = Z[i, j] + b[j]
                Zpre[i, j] = v
                Z[i, j] = 0.5 * v * (1.0 + math.erf(v * _INV_SQRT2))
    elif code == SILU:
        for i in range(nb):
            for j in range(n):
                v = Z[i, j] + b[j]
                Zpre[i, j] = v
                Z[i, j] = v / (1.0 + math.exp(-v))
    else:
        _fill_nan(Z)


@jit_inline
def _fill_nan(A):
    """Every entry of the 2-D ``A`` set to NaN (a code without its kernel)."""
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            A[i, j] = np.nan


@jit
def activation_derivative(D, A, Zpre, code, tiny, ext):
    """Multiply the back-propagated ``D`` by the activation's derivative, in place.

    The derivative is written in terms of the layer's output ``A`` where the
    maths allows (as in scikit-learn; for leaky ReLU and ELU too), so most
    pre-activations are never stored; GELU and SiLU read theirs from ``Zpre``.
    One loop per code keeps each loop branch-free for the vectoriser; results
    below ``tiny`` are flushed to zero so that subnormal deltas never reach the
    next matrix product. The codes outside the core rows are pruned with
    ``ext`` None, as in :func:`bias_activation`; the output-only codes have no
    derivative here (NaN).
    """
    nb, n = D.shape
    if code == IDENTITY:
        pass  # the derivative is 1
    elif code == RELU:
        zero = D.dtype.type(0)  # (see bias_activation)
        for i in range(nb):
            for j in range(n):
                D[i, j] = D[i, j] if A[i, j] != 0 else zero
    elif code == TANH:
        for i in range(nb):
            for j in range(n):
                a = A[i, j]
                d = D[i, j] * (1.0 - a * a)
                D[i, j] = d if abs(d) >= tiny else 0.0
    elif code == LOGISTIC:
        for i in range(nb):
            for j in range(n):
                a = A[i, j]
                d = D[i, j] * a * (1.0 - a)
                D[i, j] = d if abs(d) >= tiny else 0.0
    elif ext is None:  # the core engine (see bias_activation)
        _fill_nan(D)
    elif code == LEAKY_RELU:
        for i in range(nb):
            for j in range(n):
                D[i, j] = D[i, j] if A[i, j] > 0 else D[i, j] * LEAKY_SLOPE
    elif code == ELU:
        # elu'(z) = 1 for z > 0, else elu(z) + alpha
        for i in range(nb):
            for j in range(n):
                a = A[i, j]
                d = D[i, j] if a > 0 else D[i, j] * (a + ELU_ALPHA)
                D[i, j] = d if abs(d) >= tiny else 0.0
    elif code == GELU:
        for i in range(nb):
            for j in range(n):
                z = Zpre[i, j]
                cdf = 0.5 * (1.0 + math.erf(z * _INV_SQRT2))
                pdf = _INV_SQRT_2PI * math.exp(-0.5 * z * z)
                d = D[i, j] * (cdf + z * pdf)
                D[i, j] = d if abs(d) >= tiny else 0.0
    elif code == SILU:
        for i in range(nb):
            for j in range(n):
                z = Zpre[i, j]
                sg = 1.0 / (1.0 + math.exp(-z))
                d = D[i, j] * (sg * (1.0 + z * (1.0 - sg)))
                D[i, j] = d if abs(d) >= tiny else 0.0
    else:
        _fill_nan(D)


@jit_inline
def forward(data, rows, net, theta, work, rng, train, tiny, team, n_batch):
    """Forward pass of the rows ``rows`` of X through the network.

    Returns the output layer's activations, a view into ``work.A``. Dense X is
    gathered into ``work.Xb``; sparse X (``sp_indptr`` not None) is multiplied
    row by row. With ``train``, hidden layers with ``keep < 1`` are dropped out
    (their dropped activations feed the next layer), drawing from ``rng``, and
    batch-normalised layers use the batch's statistics and update the running
    ones in theta (without ``train``: the running ones). ``team`` is None, or
    this thread's place in a team that splits a batch of ``n_batch`` rows
    (``rows`` being its share): batch normalisation then takes the whole
    batch's statistics (:mod:`skmlp._batch_norm`).
    """
    X, sp_data, sp_indices, sp_indptr = data[0], data[1], data[2], data[3]
    units, acts, keep, pre_layers = net.units, net.acts, net.keep, net.pre
    Xb, A, Zp, M, Ad, off = work.Xb, work.A, work.Z, work.M, work.Ad, work.off
    nb = rows.shape[0]
    n_trans = units.shape[0] - 1
    sparse = is_sparse(sp_indptr)
    # Sparse X never touches the gather workspace, which may then be empty.
    # (np.int64(0), not 0: a literal start would compile region a second time.)
    prev = region(Xb, np.int64(0), 0 if sparse else nb, units[0])
    if not sparse:
        gather_rows(X, rows, prev)
    for layer in range(n_trans):
        n_in = units[layer]
        n_out = units[layer + 1]
        W = region(theta, off[0, layer], n_in, n_out)
        b = theta[off[1, layer] : off[1, layer] + n_out]
        Z = region(A, off[2, layer], nb, n_out)
        if not (layer == 0 and sparse_product(sp_data, sp_indices, sp_indptr, rows, W, Z)):
            matmul(prev, W, Z)
        code = acts[layer]
        pre = region(Zp, off[3, layer], nb if pre_layers[layer] else 0, n_out)
        # Batch normalisation (normalised and scaled here; its shift takes
        # the intercept's place in bias_activation's pass).
        b = maybe_normalise(net.bn, layer, Z, b, theta, work, net.bn_par, train, team,
                            n_batch)
        bias_activation(Z, b, code, tiny, pre, net.ext)
        prev = drop_layer(net.ext, Z, train, keep[layer], rng, M, Ad, off[4, layer])
    return prev


@jit_inline
def _clip(p, eps):
    """``min(max(p, eps), 1 - eps)``, NaN kept, without compiling the builtins."""
    lo = eps if p < eps else p
    return 1.0 - eps if lo > 1.0 - eps else lo


@jit_ordered
def output_delta(P, Y, sw, rows, norm, loss_code, loss_par, eps, D, ext):
    """Loss of a batch and the output layer's delta.

    ``loss_code`` picks the loss (``_specs.LOSSES``); ``loss_par`` holds its
    parameters. For the losses paired with their canonical link (squared
    error with the identity output, Poisson deviance with exp, log loss with
    softmax, binary log loss with logistic), the derivative of the loss with
    respect to the output pre-activation is ``P - Y``, and ``D`` receives
    ``(P - Y) * w_i * norm``. The other losses are compiled only when ``ext``
    is not None (see ``_data.Net``). A NaN output keeps a NaN delta.

    Compiled without reassociation (``_jit.jit_ordered``) on purpose: with it,
    LLVM vectorised the sum over outputs and, to do so, took the logarithm of
    every output (a scalar libm call per lane) instead of only where the target
    is non-zero; with 10 classes that was the hottest spot of a small
    network's batch. The delta loop, not a reduction, is vectorised anyway.

    Returns
    -------
    loss : float
        ``sum_i w_i * loss_i`` in float64, where ``loss_i`` sums over outputs
        (half the squared error for the squared-error loss). NaN, with NaN
        deltas, for a code without a branch here.
    """
    canonical = (loss_code == SQUARED_ERROR or loss_code == POISSON
                 or loss_code == LOG_LOSS or loss_code == BINARY_LOG_LOSS)
    nb, k = P.shape
    if not canonical:
        # The robust and quantile losses (identity output) use subgradients
        # at their kinks, with ``r = P - Y``: absolute error ``sign(r)`` with
        # ``sign(0) = 0``; huber (``delta = loss_par[0]``) ``r`` clipped to
        # ``[-delta, delta]``; quantile (``tau = loss_par[j]``, the level of
        # output ``j``) ``1{y < p} - tau``, so ``-tau`` where ``y == p``, as
        # scikit-learn's HistGradientBoosting takes it. Pruned with ``ext``
        # None (see bias_activation).
        if ext is None:
            _fill_nan(D)
            return np.nan
        total = 0.0
        for i in range(nb):
            r = rows[i]
            li = 0.0
            for j in range(k):
                p = P[i, j]
                y = Y[r, j]
                if loss_code == ABSOLUTE_ERROR:
                    li += y - p if y > p else p - y
                elif loss_code == HUBER:
                    a = y - p if y > p else p - y
                    delta = loss_par[0]
                    li += 0.5 * a * a if a <= delta else delta * (a - 0.5 * delta)
                elif loss_code == QUANTILE:
                    tau = loss_par[j]
                    li += tau * (y - p) if y >= p else (1.0 - tau) * (p - y)
                else:
                    li = np.nan
            total += sw[r] * li
        if loss_code == ABSOLUTE_ERROR:
            for i in range(nb):
                r = rows[i]
                wn = sw[r] * norm
                for j in range(k):
                    d = P[i, j] - Y[r, j]
                    # d * 0.0: zero at the kink, NaN for a NaN output
                    D[i, j] = wn if d > 0 else (-wn if d < 0 else d * 0.0)
        elif loss_code == HUBER:
            delta = loss_par[0]
            for i in range(nb):
                r = rows[i]
                wn = sw[r] * norm
                for j in range(k):
                    d = P[i, j] - Y[r, j]
                    D[i, j] = (delta if d > delta else (-delta if d < -delta else d)) * wn
        elif loss_code == QUANTILE:
            for i in range(nb):
                r = rows[i]
                wn = sw[r] * norm
                for j in range(k):
                    d = P[i, j] - Y[r, j]
                    tau = loss_par[j]
                    D[i, j] = (1.0 - tau if d > 0 else (-tau if d <= 0 else d)) * wn
        else:
            _fill_nan(D)
        return total
    # The loss first: ``D`` may be ``P``'s own memory (evaluation passes use
    # the forward workspace), so the deltas overwrite it last.
    total = 0.0
    for i in range(nb):
        r = rows[i]
        li = 0.0
        for j in range(k):
            p = P[i, j]
            y = Y[r, j]
            if loss_code == SQUARED_ERROR:
                li += 0.5 * (y - p) * (y - p)
            elif loss_code == POISSON:
                if y > 0:
                    li += y * math.log(y / p)
                li += p - y
            elif loss_code == LOG_LOSS:
                if y != 0:
                    li -= y * math.log(_clip(p, eps))
            else:  # BINARY_LOG_LOSS
                pc = _clip(p, eps)
                if y != 0:
                    li -= y * math.log(pc)
                if y != 1:
                    li -= (1.0 - y) * math.log(1.0 - pc)
        total += sw[r] * li
    for i in range(nb):
        r = rows[i]
        wn = sw[r] * norm
        for j in range(k):
            D[i, j] = (P[i, j] - Y[r, j]) * wn
    return total


@jit_inline
def backward(data, rows, net, theta, work, accumulate, train, tiny, team, n_batch):
    """Back-propagate the output delta (already in ``work.D``) and fill the gradient.

    ``work.G`` receives ``A_prev.T @ D`` for coefficients and column sums of
    ``D`` for intercepts, layer by layer (no L2 term: the optimizer or the loss
    kernel adds it in the same pass that reads theta). With ``accumulate``, the
    products go through ``work.Gtmp`` and are added to ``G`` instead of
    overwriting it. With ``train``, dropped-out layers use the activations and
    masks that :func:`forward` left in the workspace. ``team`` and
    ``n_batch``: see :func:`forward`.
    """
    sp_data, sp_indices, sp_indptr = data[1], data[2], data[3]
    units, acts, keep, pre_layers = net.units, net.acts, net.keep, net.pre
    Xb, A, D, G, Gtmp, Zp, M, Ad, off = (work.Xb, work.A, work.D, work.G, work.Gtmp,
                                         work.Z, work.M, work.Ad, work.off)
    nb = rows.shape[0]
    n_trans = units.shape[0] - 1
    sparse = is_sparse(sp_indptr)
    for layer in range(n_trans - 1, -1, -1):
        n_in = units[layer]
        n_out = units[layer + 1]
        wo = off[0, layer]
        bo = off[1, layer]
        Dl = region(D, off[2, layer], nb, n_out)
        normalised = maybe_normalise_backward(net.bn, layer, Dl, theta, work, train, G,
                                              bo, accumulate, team, n_batch)
        if layer == 0:
            Aprev = region(Xb, np.int64(0), 0 if sparse else nb, n_in)
        else:
            Aprev = dropped_input(net.ext, region(A, off[2, layer - 1], nb, n_in), train,
                                  keep[layer - 1], Ad, off[4, layer - 1])
        gW = region(G, wo, n_in, n_out)
        target = region(Gtmp, wo, n_in, n_out) if accumulate else gW
        if not (layer == 0 and sparse_gradient(sp_data, sp_indices, sp_indptr, rows, Dl,
                                               target)):
            matmul_tn(Aprev, Dl, target)
        if accumulate:
            for p in range(wo, wo + n_in * n_out):
                G[p] += Gtmp[p]
        elif not normalised:
            for j in range(n_out):
                G[bo + j] = 0.0
        if not normalised:
            for i in range(nb):
                for j in range(n_out):
                    G[bo + j] += Dl[i, j]
        if layer > 0:
            W = region(theta, wo, n_in, n_out)
            Dprev = region(D, off[2, layer - 1], nb, n_in)
            matmul_nt(Dl, W, Dprev)
            mask_deltas(net.ext, Dprev, train, keep[layer - 1], M, off[4, layer - 1])
            code = acts[layer - 1]
            pre = region(Zp, off[3, layer - 1], nb if pre_layers[layer - 1] else 0, n_in)
            activation_derivative(Dprev, region(A, off[2, layer - 1], nb, n_in), pre,
                                  code, tiny, net.ext)
