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

# Rows per chunk when predicting or evaluating the full-batch loss: about 2**21
# numbers of workspace (16 MiB in float64), and never fewer than 64 rows.
_CHUNK_ELEMENTS = 1 << 21
_MIN_CHUNK = 64


class KernelData(NamedTuple):
    """Training input as the engine takes it (see :mod:`skmlp._epoch`)."""

    X: np.ndarray  # dense X, or an empty (0, n_features) placeholder when sparse
    sp_data: np.ndarray  # CSR arrays, empty when X is dense
    sp_indices: np.ndarray
    sp_indptr: np.ndarray
    Y: np.ndarray  # targets as a 2-D array of the model's dtype
    sw: np.ndarray  # sample weights

    @property
    def dense(self):
        return self.sp_indptr.shape[0] == 0

    @property
    def n_rows(self):
        return self.Y.shape[0]


class Work(NamedTuple):
    """Workspaces allocated once per fit (see :func:`workspace`)."""

    Xb: np.ndarray  # gathered input rows of a batch (dense X only)
    A: np.ndarray  # activations of every non-input layer
    D: np.ndarray  # deltas, same layout as A
    G: np.ndarray  # gradient, same layout as theta
    Gtmp: np.ndarray  # accumulator for chunked full-batch gradients (L-BFGS)


def readonly(a):
    """A read-only view of ``a`` (never a copy)."""
    v = a.view()
    v.flags.writeable = False
    return v


def kernel_X(X, dtype):
    """``(X_dense, sp_data, sp_indices, sp_indptr)`` for a dense or sparse X.

    Dense X becomes C-contiguous in ``dtype`` (a copy only if it was not);
    sparse X becomes CSR with int64 indices. The unused half is empty.
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
    empty_i = readonly(np.empty(0, dtype=np.int64))
    return (
        readonly(np.ascontiguousarray(X, dtype=dtype)),
        readonly(np.empty(0, dtype=dtype)),
        empty_i,
        empty_i,
    )


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
    width = int(sum(units))
    return int(max(1, min(n_rows, max(_MIN_CHUNK, _CHUNK_ELEMENTS // width))))


def forward_workspace(units, cap, dtype, dense):
    """Allocate ``(Xb, A)``, all a forward pass of ``cap`` rows needs."""
    units = np.asarray(units)
    Xb = np.empty(cap * int(units[0]) if dense else 0, dtype=dtype)
    A = np.empty(cap * int(units[1:].sum()), dtype=dtype)
    return Xb, A


def workspace(units, cap, dtype, dense, with_accumulator):
    """Allocate ``(Xb, A, D, G, Gtmp)`` for batches of at most ``cap`` rows."""
    Xb, A = forward_workspace(units, cap, dtype, dense)
    units = np.asarray(units)
    n_params = int((units[:-1] * units[1:]).sum() + units[1:].sum())
    D = np.empty_like(A)
    G = np.empty(n_params, dtype=dtype)
    Gtmp = np.empty(n_params if with_accumulator else 0, dtype=dtype)
    return Work(Xb, A, D, G, Gtmp)
