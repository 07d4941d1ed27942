"""Forward pass, backward pass, activations and losses as Numba kernels.

Conventions shared by every function here:

- The network is described by two int64 arrays. ``units`` has one entry per layer,
  input and output included (``[n_features, *hidden_layer_sizes, n_outputs]``);
  ``acts`` has one activation code per non-input layer, the last one being the
  output activation. Per-layer codes are what later lets every hidden layer
  choose its own activation without a new kernel.
- All weights and intercepts live in one flat vector ``theta`` laid out as
  scikit-learn's ``_pack`` does: every coefficient matrix (row-major) first, then
  every intercept vector. Views into it are made with :func:`layer_offsets`.
- Per-layer workspaces (activations ``A``, deltas ``D``) are flat buffers owned by
  the caller, with room for ``cap`` rows per layer; a batch of ``nb <= cap`` rows
  uses the first ``nb * units[l]`` entries of layer ``l``'s region, so every view
  is C-contiguous and no kernel allocates per batch.
- Input rows are addressed through an index array ``rows``; dense X is gathered
  into a workspace, sparse CSR X is multiplied row by row without densifying.
- Nothing here validates input: the Python layer has done that before any call.
"""

import math

import numpy as np

from ._jit import jit

# Activation codes. Names live in Python (see ``_base.ACTIVATION_CODES``).
IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
SOFTMAX = 4
EXP = 5


@jit
def layer_offsets(units, cap):
    """Start offsets of each layer's coefficients, intercepts and workspace rows.

    Parameters
    ----------
    units : ndarray of shape (n_layers,), int64
        Units per layer, input layer first.
    cap : int
        Rows reserved per layer in the activation and delta buffers.

    Returns
    -------
    offsets : ndarray of shape (3, n_layers - 1), int64
        Row 0: coefficient offsets in theta; row 1: intercept offsets in theta;
        row 2: offsets in the activation/delta buffers.
    """
    n_trans = units.shape[0] - 1
    off = np.empty((3, n_trans), dtype=np.int64)
    n_coef = 0
    for i in range(n_trans):
        n_coef += units[i] * units[i + 1]
    w = 0
    b = n_coef
    a = 0
    for i in range(n_trans):
        off[0, i] = w
        off[1, i] = b
        off[2, i] = a
        w += units[i] * units[i + 1]
        b += units[i + 1]
        a += cap * units[i + 1]
    return off


@jit
def gather_rows(X, rows, out):
    """Copy the rows ``X[rows]`` into the workspace ``out`` (shape (len(rows), n))."""
    n_features = X.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(n_features):
            out[i, j] = X[r, j]


@jit
def sparse_rows_dot(data, indices, indptr, rows, W, out):
    """``out = X[rows] @ W`` for CSR X given by (data, indices, indptr)."""
    out[:, :] = 0.0
    n_out = W.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for p in range(indptr[r], indptr[r + 1]):
            v = data[p]
            c = indices[p]
            for k in range(n_out):
                out[i, k] += v * W[c, k]


@jit
def sparse_rows_tdot(data, indices, indptr, rows, D, out):
    """``out = X[rows].T @ D`` for CSR X: the first layer's coefficient gradient."""
    out[:, :] = 0.0
    n_out = D.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for p in range(indptr[r], indptr[r + 1]):
            v = data[p]
            c = indices[p]
            for k in range(n_out):
                out[c, k] += v * D[i, k]


@jit
def bias_activation(Z, b, code, tiny):
    """Add the intercept ``b`` to every row of ``Z`` and apply activation ``code``.

    One pass over memory. Values whose magnitude falls below ``tiny`` (the
    smallest normal number of the dtype) are flushed to zero for the saturating
    outputs, because subnormal numbers make the following BLAS calls crawl.
    """
    nb, n = Z.shape
    if code == IDENTITY:
        for i in range(nb):
            for j in range(n):
                Z[i, j] += b[j]
    elif code == RELU:
        for i in range(nb):
            for j in range(n):
                v = Z[i, j] + b[j]
                # `v < 0` is False for NaN, so divergence stays visible.
                if v < 0:
                    v = 0.0
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
    else:  # SOFTMAX
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


@jit
def activation_derivative(D, A, code, tiny):
    """Multiply the back-propagated ``D`` by the activation's derivative, in place.

    The derivative is written in terms of the layer's output ``A`` (as in
    scikit-learn), so pre-activations are never stored. One loop per code keeps
    each loop branch-free for the vectoriser; results below ``tiny`` are flushed
    to zero so that subnormal deltas never reach the next matrix product.
    """
    nb, n = D.shape
    if code == RELU:
        for i in range(nb):
            for j in range(n):
                D[i, j] = D[i, j] if A[i, j] != 0 else 0.0
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


@jit
def forward(X, sp_data, sp_indices, sp_indptr, rows, units, acts, theta, off, Xb, A,
            tiny):
    """Forward pass of the rows ``rows`` of X through the network.

    Returns the output layer's activations, a view into ``A``. ``Xb`` is the
    gather workspace for dense X (unused for sparse X, whose ``sp_indptr`` is
    non-empty).
    """
    nb = rows.shape[0]
    n_trans = units.shape[0] - 1
    sparse = sp_indptr.shape[0] > 0
    # Sparse X never touches the gather workspace, which may then be empty.
    n_in0 = 0 if sparse else nb * units[0]
    prev = Xb[:n_in0].reshape((n_in0 // units[0], units[0]))
    if not sparse:
        gather_rows(X, rows, prev)
    for layer in range(n_trans):
        n_in = units[layer]
        n_out = units[layer + 1]
        W = theta[off[0, layer] : off[0, layer] + n_in * n_out].reshape((n_in, n_out))
        b = theta[off[1, layer] : off[1, layer] + n_out]
        Z = A[off[2, layer] : off[2, layer] + nb * n_out].reshape((nb, n_out))
        if layer == 0 and sparse:
            sparse_rows_dot(sp_data, sp_indices, sp_indptr, rows, W, Z)
        else:
            np.dot(prev, W, Z)
        bias_activation(Z, b, acts[layer], tiny)
        prev = Z
    return prev


@jit
def output_delta(P, Y, sw, rows, norm, out_code, eps, D):
    """Loss of a batch and the output layer's delta.

    For every supported output/loss pair (softmax + cross-entropy, logistic +
    binary cross-entropy, identity + squared error, exp + Poisson deviance) the
    derivative of the loss with respect to the output pre-activation is
    ``P - Y``: the canonical link. ``D`` receives ``(P - Y) * w_i * norm``.

    Returns
    -------
    loss : float
        ``sum_i w_i * loss_i`` in float64, where ``loss_i`` sums over outputs
        (half the squared error for the identity output).
    """
    nb, k = P.shape
    total = 0.0
    for i in range(nb):
        r = rows[i]
        w = sw[r]
        li = 0.0
        for j in range(k):
            p = P[i, j]
            y = Y[r, j]
            if out_code == IDENTITY:
                li += 0.5 * (y - p) * (y - p)
            elif out_code == EXP:
                if y > 0:
                    li += y * math.log(y / p)
                li += p - y
            elif out_code == SOFTMAX:
                if y != 0:
                    pc = min(max(p, eps), 1.0 - eps)
                    li -= y * math.log(pc)
            else:  # LOGISTIC
                pc = min(max(p, eps), 1.0 - eps)
                if y != 0:
                    li -= y * math.log(pc)
                if y != 1:
                    li -= (1.0 - y) * math.log(1.0 - pc)
            D[i, j] = (p - y) * (w * norm)
        total += w * li
    return total


@jit
def backward(sp_data, sp_indices, sp_indptr, rows, units, acts, theta, off, Xb, A, D,
             G, accumulate, Gtmp, tiny):
    """Back-propagate the output delta (already in ``D``) and fill the gradient.

    ``G`` receives ``A_prev.T @ D`` for coefficients and column sums of ``D``
    for intercepts, layer by layer (no L2 term: the optimizer or the loss
    kernel adds it in the same pass that reads theta). With ``accumulate``, the
    products go through ``Gtmp`` and are added to ``G`` instead of overwriting it.
    """
    nb = rows.shape[0]
    n_trans = units.shape[0] - 1
    sparse = sp_indptr.shape[0] > 0
    for layer in range(n_trans - 1, -1, -1):
        n_in = units[layer]
        n_out = units[layer + 1]
        wo = off[0, layer]
        bo = off[1, layer]
        ao = off[2, layer]
        Dl = D[ao : ao + nb * n_out].reshape((nb, n_out))
        if layer == 0:
            n_x = 0 if sparse else nb * n_in
            Aprev = Xb[:n_x].reshape((n_x // n_in, n_in))
        else:
            po = off[2, layer - 1]
            Aprev = A[po : po + nb * n_in].reshape((nb, n_in))
        gW = G[wo : wo + n_in * n_out].reshape((n_in, n_out))
        target = gW
        if accumulate:
            target = Gtmp[wo : wo + n_in * n_out].reshape((n_in, n_out))
        if layer == 0 and sparse:
            sparse_rows_tdot(sp_data, sp_indices, sp_indptr, rows, Dl, target)
        else:
            np.dot(Aprev.T, Dl, target)
        if accumulate:
            for p in range(wo, wo + n_in * n_out):
                G[p] += Gtmp[p]
        else:
            for j in range(n_out):
                G[bo + j] = 0.0
        for i in range(nb):
            for j in range(n_out):
                G[bo + j] += Dl[i, j]
        if layer > 0:
            W = theta[wo : wo + n_in * n_out].reshape((n_in, n_out))
            po = off[2, layer - 1]
            Dprev = D[po : po + nb * n_in].reshape((nb, n_in))
            np.dot(Dl, W.T, Dprev)
            activation_derivative(Dprev, Aprev, acts[layer - 1], tiny)
