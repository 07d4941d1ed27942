"""The engine's matrix products (``skmlp._blas``) against NumPy's ``@``.

Both the library the module bound at import (NumPy's OpenBLAS where NumPy has one)
and the fallback over ``np.dot`` (SciPy's BLAS), called through its C address, so
the fallback stays tested on machines that never use it.
"""

import ctypes

import numpy as np
import pytest

from skmlp import _blas

from conftest import ROUND_OFF_TOL, ROUND_OFF_TOL_FLOAT32

DTYPES = [np.float64, np.float32]
# (rows, inner, columns): the MNIST layers' kinds of shape, one row, one column.
SHAPES = [(7, 5, 3), (1, 4, 6), (6, 4, 1), (9, 1, 2)]
KINDS = {"nn": (_blas.matmul, lambda x, y: x @ y, False, False),
         "tn": (_blas.matmul_tn, lambda x, y: x.T @ y, True, False),
         "nt": (_blas.matmul_nt, lambda x, y: x @ y.T, False, True)}


def tol(dtype):
    return ROUND_OFF_TOL_FLOAT32 if dtype == np.float32 else ROUND_OFF_TOL


def operands(kind, shape, dtype, seed=0):
    m, k, n = shape
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m) if KINDS[kind][2] else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if KINDS[kind][3] else (k, n)).astype(dtype)
    return a, b


def test_library_is_named():
    assert _blas.LIBRARY in ("numpy", "scipy")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_product_matches_numpy(kind, shape, dtype):
    a, b = operands(kind, shape, dtype)
    out = np.full((shape[0], shape[2]), np.nan, dtype)
    KINDS[kind][0](a, b, out)
    np.testing.assert_allclose(out, KINDS[kind][1](a, b), **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_read_only_operands(dtype):
    # Prediction multiplies read-only weights (joblib memmaps, frozen arrays).
    a, b = operands("nn", (5, 4, 3), dtype)
    a.flags.writeable = b.flags.writeable = False
    out = np.empty((5, 3), dtype)
    _blas.matmul(a, b, out)
    np.testing.assert_allclose(out, a @ b, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(KINDS))
def test_fallback_matches_numpy(kind, dtype):
    m, k, n = 6, 4, 3
    a, b = operands(kind, (m, k, n), dtype)
    out = np.full((m, n), np.nan, dtype)
    gemm = _blas.fallback_gemm("d" if dtype == np.float64 else "s")
    ta, tb = KINDS[kind][2], KINDS[kind][3]
    ptr = ctypes.POINTER(ctypes.c_double if dtype == np.float64 else ctypes.c_float)
    gemm.ctypes(_blas._ROW_MAJOR, _blas._TRANS if ta else _blas._NO_TRANS,
                _blas._TRANS if tb else _blas._NO_TRANS, m, n, k, 1.0,
                ctypes.cast(a.ctypes.data, ptr), a.shape[1], ctypes.cast(b.ctypes.data, ptr),
                b.shape[1], 0.0, ctypes.cast(out.ctypes.data, ptr), n)
    np.testing.assert_allclose(out, KINDS[kind][1](a, b), **tol(dtype))
