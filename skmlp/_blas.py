"""The engine's matrix products: NumPy's own OpenBLAS, called from compiled code.

Numba's ``np.dot`` calls SciPy's bundled OpenBLAS (through
``scipy.linalg.cython_blas``), while NumPy's ``matmul`` calls the OpenBLAS that
NumPy bundles (``scipy-openblas64``): two builds, often of different OpenBLAS
releases (0.3.30 and 0.3.31 where this was measured, both on their SkylakeX
kernels), each with its own thread pool. Numba neither copies nor allocates
(the transposed views go to BLAS as ``trans`` flags); the difference is the
build. On the MNIST products (784-300-100-10, batch 200, best of 1,500 steps per
product) float32 through SciPy's build took 8-10% longer than NumPy's matmul on
two threads and 6% on one (11% for the 784 x 300 products); float64 differed by
less than the noise of a shared machine. The benchmark's floor is NumPy's
matmul, so the engine calls the library NumPy calls: its products are NumPy's
on any CPU, and one OpenBLAS thread pool serves the process.

How: on import, this module finds NumPy's OpenBLAS and registers its CBLAS
``?gemm`` entry points with LLVM under skmlp's own symbol names
(``llvmlite.binding.add_symbol``). Compiled code calls those names
(``numba.types.ExternalFunction``), so machine code holds a name, never an
address: Numba's on-disk cache stays valid, and every process binds the name
when it imports this module, before any kernel is loaded.

When NumPy has no such library (a NumPy built on MKL or Accelerate), the same
names are bound to compiled callbacks (``numba.cfunc``) with the same signature
that call ``np.dot``, that is SciPy's BLAS as Numba does. The compiled kernels
are the same either way; only the bound library differs.

Thread limits set with threadpoolctl (``skmlp._threads``) apply to every BLAS
loaded in the process, NumPy's included.
"""

import ctypes
import glob
import os

import numba
import numpy as np
from llvmlite import binding
from numba import types
from numba.extending import overload

from ._jit import jit, jit_inline

# CBLAS enumerations.
_ROW_MAJOR = 101
_NO_TRANS = 111
_TRANS = 112

# skmlp's own names, so that nothing else registered in LLVM can shadow them.
_SYMBOLS = {"d": "skmlp_cblas_dgemm", "s": "skmlp_cblas_sgemm"}
# Names of the 64-bit-integer CBLAS gemm in NumPy's OpenBLAS builds:
# scipy-openblas64 (NumPy >= 2.0), then openblas64_ (NumPy 1.x wheels).
_CANDIDATES = (("scipy_cblas_%sgemm64_", "scipy_openblas64_"), ("cblas_%sgemm64_", "openblas64_"))


def _signature(real):
    # cblas_?gemm(order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    # with 64-bit integers, as in NumPy's ILP64 OpenBLAS.
    i32, i64, p = types.int32, types.int64, types.CPointer(real)
    return types.void(i32, i32, i32, i64, i64, i64, real, p, i64, p, i64, real, p, i64)


_dgemm = types.ExternalFunction(_SYMBOLS["d"], _signature(types.float64))
_sgemm = types.ExternalFunction(_SYMBOLS["s"], _signature(types.float32))


def _numpy_openblas():
    """``{"d": address, "s": address}`` of NumPy's ILP64 CBLAS gemm, or None."""
    root = os.path.dirname(np.__file__)
    for folder in (os.path.join(root, os.pardir, "numpy.libs"), os.path.join(root, ".dylibs")):
        for symbol, stem in _CANDIDATES:
            for path in sorted(glob.glob(os.path.join(folder, "*%s*" % stem))):
                try:
                    lib = ctypes.CDLL(path)  # already loaded by NumPy: the same copy
                    return {k: ctypes.cast(getattr(lib, symbol % k), ctypes.c_void_p).value
                            for k in "ds"}
                except (OSError, AttributeError):
                    continue
    return None


def _fallback_impl(real):
    """A cfunc with the CBLAS signature over ``np.dot`` (SciPy's BLAS).

    Serves only this module's calls: row-major, ``alpha = 1``, ``beta = 0`` and
    leading dimensions equal to the row lengths.
    """
    def gemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
        out = numba.carray(c, (m, n))
        if ta == _TRANS:
            x = numba.carray(a, (k, m))
            if tb == _TRANS:
                np.dot(x.T, numba.carray(b, (n, k)).T, out)
            else:
                np.dot(x.T, numba.carray(b, (k, n)), out)
        else:
            x = numba.carray(a, (m, k))
            if tb == _TRANS:
                np.dot(x, numba.carray(b, (n, k)).T, out)
            else:
                np.dot(x, numba.carray(b, (k, n)), out)

    return numba.cfunc(_signature(real), cache=True, nogil=True)(gemm)


def fallback_gemm(kind):
    """The compiled fallback for ``kind`` ("d" or "s"), compiled on first use."""
    if kind not in _fallbacks:
        _fallbacks[kind] = _fallback_impl(types.float64 if kind == "d" else types.float32)
    return _fallbacks[kind]


_fallbacks = {}
_found = _numpy_openblas()
#: Which library the engine's products call: "numpy" (NumPy's OpenBLAS) or "scipy".
LIBRARY = "numpy" if _found else "scipy"
for _kind, _name in _SYMBOLS.items():
    binding.add_symbol(_name, _found[_kind] if _found else fallback_gemm(_kind).address)


def _gemm(ta, tb, m, n, k, a, lda, b, ldb, out):
    """``out = op(a) @ op(b)`` (row-major), ``op`` transposing when ``ta``/``tb``."""


@overload(_gemm, jit_options={"nogil": True})
def _gemm_typed(ta, tb, m, n, k, a, lda, b, ldb, out):
    if out.dtype == types.float64:
        call, one = _dgemm, np.float64(1.0)
    else:
        call, one = _sgemm, np.float32(1.0)
    zero = one - one

    def impl(ta, tb, m, n, k, a, lda, b, ldb, out):
        call(_ROW_MAJOR, _TRANS if ta else _NO_TRANS, _TRANS if tb else _NO_TRANS,
             m, n, k, one, a.ctypes, lda, b.ctypes, ldb, zero, out.ctypes, n if n > 0 else 1)

    return impl


# The operands are C-contiguous 2-D arrays of one dtype (views of the engine's
# flat buffers). A leading dimension is a row length, at least 1 for BLAS's
# argument check (an empty operand has rows of length 0).

@jit_inline
def _ld(x):
    return x.shape[1] if x.shape[1] > 0 else 1


@jit
def matmul(a, b, out):
    """``out = a @ b``."""
    _gemm(False, False, a.shape[0], b.shape[1], a.shape[1],
          a, _ld(a), b, _ld(b), out)


@jit
def matmul_tn(a, b, out):
    """``out = a.T @ b``."""
    _gemm(True, False, a.shape[1], b.shape[1], a.shape[0],
          a, _ld(a), b, _ld(b), out)


@jit
def matmul_nt(a, b, out):
    """``out = a @ b.T``."""
    _gemm(False, True, a.shape[0], b.shape[0], a.shape[1],
          a, _ld(a), b, _ld(b), out)
