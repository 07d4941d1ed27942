"""Sparse (CSR) input as Numba kernels, compiled only into the engine of sparse data.

Conventions are :mod:`skmlp._kernels`'s. A sparse X reaches the engine as its
CSR arrays (``sp_data``, ``sp_indices``, ``sp_indptr`` of
``_data.KernelData``) and only the first layer's products read it, row by row
without densifying. For dense X the three are None, and the stubs below are
typed as their plain results (not sparse; no product done), so the engine of
dense data compiles none of this code. Measured: a cold first fit (iris, fit +
predict_proba, empty cache) about 0.45 s shorter than with the sparse products
in every engine. Sparse data compiles an engine of its own on first use.

The stubs are Numba overloads, compiled as functions of their own and inlined
by LLVM (not at Numba-IR level: see the note in :mod:`skmlp._batch_norm`).
"""

from numba import types
from numba.extending import overload

from ._jit import jit


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


def is_sparse(sp_indptr):
    """Whether X is sparse: ``sp_indptr`` is not None (compiled code only)."""


def sparse_product(sp_data, sp_indices, sp_indptr, rows, W, out):
    """``out = X[rows] @ W`` when X is sparse, returning True; False (and
    nothing done) for dense X (compiled code only)."""


def sparse_gradient(sp_data, sp_indices, sp_indptr, rows, D, out):
    """``out = X[rows].T @ D`` when X is sparse, returning True; False (and
    nothing done) for dense X (compiled code only)."""


@overload(is_sparse)
def _is_sparse_typed(sp_indptr):
    if isinstance(sp_indptr, types.NoneType):
        return lambda sp_indptr: False
    return lambda sp_indptr: True


@overload(sparse_product)
def _sparse_product_typed(sp_data, sp_indices, sp_indptr, rows, W, out):
    if isinstance(sp_indptr, types.NoneType):
        return lambda sp_data, sp_indices, sp_indptr, rows, W, out: False

    def impl(sp_data, sp_indices, sp_indptr, rows, W, out):
        sparse_rows_dot(sp_data, sp_indices, sp_indptr, rows, W, out)
        return True
    return impl


@overload(sparse_gradient)
def _sparse_gradient_typed(sp_data, sp_indices, sp_indptr, rows, D, out):
    if isinstance(sp_indptr, types.NoneType):
        return lambda sp_data, sp_indices, sp_indptr, rows, D, out: False

    def impl(sp_data, sp_indices, sp_indptr, rows, D, out):
        sparse_rows_tdot(sp_data, sp_indices, sp_indptr, rows, D, out)
        return True
    return impl
