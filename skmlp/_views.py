"""Views of the engine's flat buffers as the matrices the kernels work on.

Every workspace (``_data.Work``) and theta are flat vectors; a layer's part of
one is the C-contiguous ``(rows, units)`` block at an offset of ``work.off``.
:func:`region` is the one function that cuts such a view, for the passes of
:mod:`skmlp._kernels` and the dropout of :mod:`skmlp._dropout`.
"""

from ._jit import jit


@jit
def region(buf, start, nb, n):
    """The C-contiguous ``(nb, n)`` view of ``buf`` starting at ``start``.

    Compiled as a function of its own, not inlined at Numba-IR level: its
    reshape lowers to a long error-checking sequence, and the forward and
    backward passes call it at 18 sites. As a function it is lowered once per
    signature and LLVM still inlines it (measured: a cold first fit 1.0-1.5 s
    less CPU time). Callers pass an int64 start, never a literal: a literal
    would compile it a second time.
    """
    return buf[start : start + nb * n].reshape((nb, n))
