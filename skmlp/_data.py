"""Turning validated input into the arrays the kernels expect.

Numba compiles one specialisation per combination of argument types, and a
read-only array is a different type from a writable one. Every input array is
therefore handed to the kernels as a C-contiguous, **read-only** view of the
model's dtype: read-only memmaps from joblib, user arrays and internal copies
all share one compiled kernel per dtype, and the kernels cannot write to the
user's data even by mistake.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ._optim import N_HP

# Rows per chunk when predicting or evaluating the full-batch loss: about 2**21
# numbers of workspace (16 MiB in float64), and never fewer than 64 rows.
_CHUNK_ELEMENTS = 1 << 21
_MIN_CHUNK = 64


class KernelData(NamedTuple):
    """Training input as the engine takes it (see :mod:`skmlp._epoch`)."""

    X: np.ndarray  # dense X, or an empty (0, n_features) placeholder when sparse
    sp_data: object  # CSR arrays; None when X is dense, a type of its own, so
    sp_indices: object  # the engine of dense data compiles none of the sparse
    sp_indptr: object  # code (skmlp._sparse)
    Y: np.ndarray  # targets as a 2-D array of the model's dtype
    sw: np.ndarray  # sample weights

    @property
    def dense(self):
        return self.sp_indptr is None

    @property
    def n_rows(self):
        return self.Y.shape[0]


class Net(NamedTuple):
    """The network as the kernels see it (see :mod:`skmlp._kernels`)."""

    units: np.ndarray  # int64, units per layer, input first
    acts: np.ndarray  # int64, activation code per non-input layer
    keep: np.ndarray  # float64, dropout keep probability per non-input layer
    pre: np.ndarray  # int64, 1 where the layer's activation keeps its pre-activation
    loss: int  # the loss code (_specs.LOSSES)
    loss_par: np.ndarray  # float64, the loss's parameters (may be empty)
    bn: object  # int64 array, 1 where a layer is batch-normalised (hidden layers
    # only); None when none is, which compiles an engine without batch normalisation
    bn_par: np.ndarray  # float64 (2,): batch normalisation's eps and momentum
    ext: object  # True when the network uses anything beyond the core engine (an
    # activation or loss outside the core rows of _specs, weight decay, gradient
    # clipping, dropout); None otherwise, which compiles an engine without that code


class Work(NamedTuple):
    """Workspaces allocated once per fit (see :func:`workspace`)."""

    Xb: np.ndarray  # gathered input rows of a batch (dense X only)
    A: np.ndarray  # activations of every non-input layer
    D: np.ndarray  # deltas, same layout as A
    G: np.ndarray  # gradient, same layout as theta
    Gtmp: np.ndarray  # accumulator for chunked full-batch gradients (L-BFGS)
    Z: np.ndarray  # pre-activations, only for layers whose derivative needs them
    M: np.ndarray  # dropout masks, only for layers with dropout
    Ad: np.ndarray  # dropped-out activations, same layout as M
    Nh: np.ndarray  # batch-normalised values x_hat, only for batch-normalised layers
    Ns: np.ndarray  # per batch-normalised unit: the mean and 1/std used (2 per unit)
    off: np.ndarray  # int64 (N_OFF, n_layers - 1): where each layer starts in each buffer
    hp: np.ndarray  # (_optim.N_HP,) the optimizer's per-step scalars, theta's dtype


class Team(NamedTuple):
    """One thread's place in a batch split across threads (see :mod:`skmlp._epoch`).

    A call on one thread passes ``None`` instead, and Numba compiles that
    engine without any of the team's code (a branch on ``team is None`` is
    resolved at compile time): the first fit of every user stays as fast to
    compile as before, and only ``n_jobs > 1`` compiles the team's engine.
    """

    tid: int  # this thread's index, 0 .. size - 1
    size: int  # threads that split each batch
    sync: np.ndarray  # int64 (_sync.SYNC_SIZE,): the shared barrier state
    grads: np.ndarray  # (size, n_params): row t is thread t's part of the gradient
    partial: np.ndarray  # float64 (2, size, 3): per-thread loss, squared norm and
    # clipping's squared gradient norm, double-buffered by batch parity
    bn_sums: np.ndarray  # theta's dtype (3, size, n_stats): batch normalisation's
    # per-unit sums (_batch_norm._team_total), laid out as Work.Ns; empty without it


class Squad(NamedTuple):
    """Workspaces of a fit whose batches are split across ``len(works)`` threads."""

    works: tuple  # one Work per thread; works[t].G is grads[t]
    grads: np.ndarray  # (n_threads, n_params)


def readonly(a):
    """A read-only view of ``a`` (never a copy)."""
    v = a.view()
    v.flags.writeable = False
    return v


def kernel_X(X, dtype):
    """``(X_dense, sp_data, sp_indices, sp_indptr)`` for a dense or sparse X.

    Dense X becomes C-contiguous in ``dtype`` (a copy only if it was not);
    sparse X becomes CSR with int64 indices. The unused half is an empty X
    placeholder (sparse X) or three Nones (dense X: see :class:`KernelData`).
    """
    if sp.issparse(X):
        X = X.tocsr()
        n_features = X.shape[1]
        return (
            readonly(np.empty((0, n_features), dtype=dtype)),
            readonly(np.ascontiguousarray(X.data, dtype=dtype)),
            readonly(np.ascontiguousarray(X.indices, dtype=np.int64)),
            readonly(np.ascontiguousarray(X.indptr, dtype=np.int64)),
        )
    return readonly(np.ascontiguousarray(X, dtype=dtype)), None, None, None


def kernel_data(X, Y, sample_weight, dtype):
    """The ``data`` tuple of :mod:`skmlp._epoch` for training."""
    with np.errstate(over="ignore"):
        Yc = np.ascontiguousarray(Y, dtype=dtype).reshape(Y.shape[0], -1)
    if not np.isfinite(Yc).all():
        raise ValueError(
            f"y has values too large for {np.dtype(dtype).name}, the dtype of X "
            "(and of the model). Pass X as float64, or rescale y."
        )
    Y = readonly(Yc)
    if sample_weight is None:
        sw = np.ones(Y.shape[0], dtype=dtype)
    else:
        sw = np.ascontiguousarray(sample_weight, dtype=dtype)
    return KernelData(*kernel_X(X, dtype), Y, readonly(sw))


def chunk_rows(n_rows, units):
    """Rows per chunk for prediction and full-batch evaluation."""
    if n_rows <= _MIN_CHUNK:  # one chunk (no sum over the layers: small predicts)
        return max(1, n_rows)
    width = int(sum(units))
    return int(max(1, min(n_rows, max(_MIN_CHUNK, _CHUNK_ELEMENTS // width))))


# Rows of the layout ``off``. Rows OFF_A .. OFF_NH index per-row buffers and
# scale with the rows of the workspace; the others do not.
OFF_W, OFF_B, OFF_A, OFF_Z, OFF_M, OFF_NH, OFF_NS, OFF_G, OFF_R = range(9)
N_OFF = 9


def n_params(units, bn):
    """Length of theta: weights, intercepts, then 4 numbers per batch-normalised unit.

    Per batch-normalised unit: its scale and shift (trained), then its running
    mean and variance (updated by the forward pass, never by the optimizer).
    """
    units = [int(u) for u in units]
    n = sum(a * b for a, b in zip(units[:-1], units[1:])) + sum(units[1:])
    if bn is None:
        return n
    return n + 4 * sum(u for u, f in zip(units[1:], bn) if f)


def layout(net, cap):
    """Region offsets of every layer, and the sizes of the buffers they index.

    Returns
    -------
    off : ndarray of shape (N_OFF, n_layers - 1), int64
        Row 0: coefficient offsets in theta; row 1: intercept offsets in theta;
        row 2: offsets in the activation/delta buffers (``cap`` rows per layer);
        row 3: offsets in the pre-activation buffer; row 4: offsets in the
        dropout buffers; row 5: offsets in the batch-normalised values
        (``cap`` rows per batch-normalised layer); row 6: offsets in the
        per-unit statistics buffer; row 7: the offset in theta of a
        batch-normalised layer's scales (its shifts follow); row 8: the
        offset in theta of its running means (its running variances follow).
        Theta holds every scale and shift after the intercepts, then every
        running mean and variance: the optimizer steps the parameters before
        the first running mean only: ``off[8, 0]``, which is where the
        running statistics start (the end of theta without batch
        normalisation), whichever layers are normalised.
    sizes : tuple of int
        Entries of the activation, pre-activation, dropout, batch-normalised
        values and statistics buffers.
    """
    units = [int(u) for u in net.units]
    n_trans = len(units) - 1
    off = np.zeros((N_OFF, n_trans), dtype=np.int64)
    w = 0
    b = sum(units[i] * units[i + 1] for i in range(n_trans))
    g = b + sum(units[1:])
    bn = [0] * n_trans if net.bn is None else net.bn
    r = g + 2 * sum(units[i + 1] for i in range(n_trans) if bn[i])
    a = z = d = h = s = 0
    for i in range(n_trans):
        n_out = units[i + 1]
        off[:, i] = (w, b, a, z, d, h, s, g, r)
        w += units[i] * n_out
        b += n_out
        a += cap * n_out
        if net.pre[i]:
            z += cap * n_out
        if net.keep[i] < 1.0:
            d += cap * n_out
        if bn[i]:
            h += cap * n_out
            s += 2 * n_out
            g += 2 * n_out
            r += 2 * n_out
    return off, (a, z, d, h, s)


def workspace(net, cap, dtype, dense, with_accumulator=False, forward_only=False,
              unit_layout=None):
    """Allocate the :class:`Work` buffers for batches of at most ``cap`` rows.

    ``forward_only`` (prediction) leaves out everything but the input gather,
    the activations and the pre-activations; ``with_accumulator`` (chunked
    full-batch gradients) adds ``Gtmp``. ``unit_layout`` is ``layout(net, 1)``
    when the caller keeps it (predict does): every buffer offset scales with
    ``cap``, so it need not be recomputed.
    """
    units = net.units
    if unit_layout is None:
        off, (n_a, n_z, n_d, n_h, n_s) = layout(net, cap)
    else:
        off1, sizes1 = unit_layout
        if cap == 1:
            off = off1  # the kernels only read it
        else:
            off = off1.copy()
            off[OFF_A : OFF_NH + 1] *= cap
        n_a, n_z, n_d, n_h = (cap * s for s in sizes1[:4])
        n_s = sizes1[4]
    empty = np.empty(0, dtype=dtype)
    Xb = np.empty(cap * int(units[0]) if dense else 0, dtype=dtype)
    A = np.empty(n_a, dtype=dtype)
    Z = np.empty(n_z, dtype=dtype)
    hp = np.zeros(N_HP, dtype=dtype)
    Ns = np.empty(n_s, dtype=dtype)
    if forward_only:  # inference normalises with the running statistics only
        return Work(Xb, A, A, empty, empty, Z, empty, empty, empty, Ns, off, hp)
    n_theta = n_params(units, net.bn)
    return Work(
        Xb, A, np.empty_like(A), np.empty(n_theta, dtype=dtype),
        np.empty(n_theta if with_accumulator else 0, dtype=dtype), Z,
        np.empty(n_d, dtype=dtype), np.empty(n_d, dtype=dtype),
        np.empty(n_h, dtype=dtype), Ns, off, hp,
    )


def squad_workspace(net, batch_size, dtype, dense, n_threads):
    """A :class:`Squad`: workspaces for batches of ``batch_size`` split in ``n_threads``.

    Thread ``t`` works on ``ceil(batch_size / n_threads)`` rows or fewer; thread
    0's workspace has room for a whole batch, because single-thread passes over
    a batch (the final-output check) use it.
    """
    part = -(-batch_size // n_threads)
    works = [workspace(net, batch_size if t == 0 else part, dtype, dense)
             for t in range(n_threads)]
    grads = np.empty((n_threads, works[0].G.shape[0]), dtype=dtype)
    works = tuple(w._replace(G=grads[t]) for t, w in enumerate(works))
    return Squad(works, grads)
