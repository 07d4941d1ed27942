"""A spin barrier for the threads that split a batch (compiled, no GIL).

When several threads train one network, every batch needs two meeting points:
after the forward and backward passes (the gradient halves are complete) and
after the optimizer step (the new weights are complete); batch normalisation
adds three per normalised layer (its sums, :mod:`skmlp._batch_norm`). A meeting costs about
60 ns between two threads spinning on one cache line, against tens of
microseconds for a Python-level or futex-based barrier, and a batch of a small
network takes 20-200 us: only a spin barrier leaves the second core a gain.

Numba has no atomic operations, so three are written here as intrinsics that
emit LLVM's atomic instructions (LLVM then emits the right fences on every
architecture). The barrier is sense-reversing: a shared counter and a shared
phase; the last thread to arrive resets the counter and flips the phase, the
others wait for the flip. A waiter yields its core (``sched_yield``) after a
short spin, so a machine busy with other work, or more threads than cores,
slows the fit down instead of stalling it.

``sync`` is an int64 array: ``[count, phase, abort]``. The Python side sets
``abort`` when a thread failed before reaching a barrier, so the others stop
waiting; :func:`barrier` then returns a negative phase. The flag stays set
for the rest of the epoch, so a caller may also read it.
"""

import sys

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ._jit import jit

SYNC_COUNT = 0
SYNC_PHASE = 1
SYNC_ABORT = 2
SYNC_SIZE = 3

# The C function that gives up the core: POSIX, or the Win32 equivalent.
_YIELD_SYMBOL = "SwitchToThread" if sys.platform == "win32" else "sched_yield"

# Spins before a waiter starts yielding its core: about 10 us, longer than a
# normal wait (under a microsecond) and short against a scheduler time slice.
_SPINS = 4096


def _pointer(context, builder, sig, args):
    aryty = sig.args[0]
    ary = context.make_array(aryty)(context, builder, args[0])
    return cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])


@intrinsic
def atomic_add(typingctx, arr, idx, val):
    """``arr[idx] += val`` as one atomic operation; returns the old value."""
    sig = types.int64(arr, types.intp, types.int64)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig, args)
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")

    return sig, codegen


@intrinsic
def atomic_load(typingctx, arr, idx):
    """``arr[idx]``, read with acquire ordering."""
    sig = types.int64(arr, types.intp)

    def codegen(context, builder, sig, args):
        return builder.load_atomic(_pointer(context, builder, sig, args), "acquire", 8)

    return sig, codegen


@intrinsic
def atomic_store(typingctx, arr, idx, val):
    """``arr[idx] = val``, written with release ordering."""
    sig = types.void(arr, types.intp, types.int64)

    def codegen(context, builder, sig, args):
        builder.store_atomic(args[2], _pointer(context, builder, sig, args),
                             "release", 8)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def yield_core(typingctx):
    """``sched_yield()`` (``SwitchToThread()`` on Windows): let another thread run."""
    sig = types.int32()

    def codegen(context, builder, sig, args):
        fnty = ir.FunctionType(ir.IntType(32), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _YIELD_SYMBOL)
        return builder.call(fn, [])

    return sig, codegen


@jit
def barrier(sync, size, phase):
    """Wait until all ``size`` threads have arrived; returns the new phase.

    ``phase`` is the value this thread got from its previous call (0 at the
    start). Returns -1 when the call was aborted (see the module docstring).
    With ``size == 1`` it returns at once.
    """
    if size == 1:
        return phase
    nxt = 1 - phase
    if atomic_add(sync, SYNC_COUNT, 1) == size - 1:
        atomic_store(sync, SYNC_COUNT, 0)
        atomic_store(sync, SYNC_PHASE, nxt)
        return nxt
    spins = 0
    while atomic_load(sync, SYNC_PHASE) != nxt:
        if atomic_load(sync, SYNC_ABORT) != 0:
            return -1
        spins += 1
        if spins > _SPINS:
            yield_core()
    return nxt



@jit
def meet(sync, size):
    """:func:`barrier` without the caller's phase: it is the shared one.

    Between two meetings the shared phase cannot flip without this thread
    (every thread must arrive first), so on arrival it equals the phase this
    thread last returned with (0 for a fresh ``sync``). Code deep in the
    passes (batch normalisation's sums) meets the team this way, without
    threading the phase through every call.
    """
    return barrier(sync, size, atomic_load(sync, SYNC_PHASE))
