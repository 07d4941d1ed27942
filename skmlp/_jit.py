"""The one place that sets Numba compilation options.

Every kernel in skmlp is compiled through :func:`jit` so that caching, GIL release
and floating-point flags are decided once:

- ``cache=True``: a second process (a joblib or Dask worker, the next test run)
  loads machine code from disk instead of compiling again. Where: the folder
  ``NUMBA_CACHE_DIR`` names, when it is set; otherwise ``__pycache__`` next to
  the installed modules, or Numba's user-wide cache folder when that is
  read-only. So the installed ``skmlp`` command and every script that imports
  the installed package share one cache; a source checkout imported from its
  own folder has another.
- ``nogil=True``: kernels touch only the arrays they are handed, so several
  threads may predict (or fit separate estimators) at once.
- ``error_model="numpy"``: division by zero gives inf or NaN as in NumPy
  instead of raising; Python's check is a branch per division that stops LLVM
  from vectorising loops (the Adam update ran 4x slower with it).
- ``fastmath``: contraction and reassociation let LLVM fuse and vectorise the
  elementwise loops. ``nnan`` and ``ninf`` are deliberately *not* enabled: the
  estimator layer must still see NaN and infinity to report divergence.

:func:`jit_inline` is for the middle layer of the call tree (the forward and
backward passes, the optimizer steps), which the engine calls from one place.
Numba compiles every ``@njit`` function into its own LLVM module, optimises
it, and optimises it again inside every caller that links it in: a leaf called
through two levels was optimised three times. Inlining the middle layer at
Numba-IR level (``inline="always"``) removes one level: a cold first fit
compiled in about 25% less CPU time (measured: 9.5-9.9 s -> 6.9-7.6 s, import
+ fit + predict_proba on iris, empty cache). Inlining the leaves too made one
huge function and was slower again (11.0 s).
"""

import numba

FASTMATH = frozenset({"contract", "reassoc", "nsz", "arcp"})


def jit(func):
    """Compile ``func`` with skmlp's Numba options (cached, nogil, safe fastmath)."""
    return numba.njit(
        cache=True, nogil=True, error_model="numpy", fastmath=set(FASTMATH)
    )(func)


def jit_inline(func):
    """:func:`jit`, inlined at Numba-IR level into its compiled callers.

    Called from Python (the kernel tests do), it compiles as any function.
    """
    return numba.njit(
        cache=True, nogil=True, error_model="numpy", fastmath=set(FASTMATH),
        inline="always",
    )(func)


def jit_ordered(func):
    """:func:`jit` without reassociation: sums stay in source order.

    For reductions LLVM must not vectorise (see ``_kernels.output_delta``).
    """
    return numba.njit(
        cache=True, nogil=True, error_model="numpy", fastmath={"contract", "nsz", "arcp"},
    )(func)
