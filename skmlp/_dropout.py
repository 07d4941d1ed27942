"""Dropout as Numba kernels, compiled only into the engine of networks that use it.

Conventions are :mod:`skmlp._kernels`'s. A layer with dropout keeps each unit
with probability ``keep < 1`` while training (:func:`dropout`); the backward
pass then reads the dropped activations and multiplies the mask into the
deltas. The passes call the three stubs below, which Numba types by
``net.ext`` (see ``_data.Net``): in the core engine (``ext`` None: no
dropout, no extended activation, loss, decay or clipping) each is its plain
result (the layer's activations, or nothing), so the default engine compiles
none of this code. Measured: a cold first fit (iris, fit + predict_proba,
empty cache) 0.3 s shorter than with dropout in every engine. A network with
dropout runs the extended engine, for prediction too (one engine per model).

The stubs are Numba overloads, compiled as functions of their own and inlined
by LLVM (not at Numba-IR level: see the note in :mod:`skmlp._batch_norm`).
"""

import numpy as np
from numba import types
from numba.extending import overload

from ._jit import jit
from ._views import region

# Dropout draws 53-bit integers; a unit is kept when its draw is below keep * 2**53.
_TWO_53 = 9007199254740992.0


@jit
def dropout(A, keep, state, M, Ad):
    """Inverted dropout of the activations ``A`` into ``Ad``; the mask into ``M``.

    Each unit is kept with probability ``keep`` and then scaled by ``1 / keep``
    (so no rescaling is needed at prediction time). ``M`` receives ``1 / keep``
    or 0, which the backward pass multiplies into the deltas. The random numbers
    come from a SplitMix64 sequence whose 64-bit state is ``state[0]`` (stored
    as int64, advanced in place): seeded once per fit from ``random_state``, it
    gives the same masks in every process and thread.
    """
    nb, n = A.shape
    threshold = np.uint64(keep * _TWO_53)
    scale = 1.0 / keep
    s = np.uint64(state[0])
    for i in range(nb):
        for j in range(n):
            s += np.uint64(0x9E3779B97F4A7C15)
            z = s
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            m = scale if (z >> np.uint64(11)) < threshold else 0.0
            M[i, j] = m
            Ad[i, j] = A[i, j] * m
    state[0] = np.int64(s)


@jit
def _drop_layer(Z, train, keep, rng, M, Ad, start):
    """The activations ``Z`` dropped out into ``Ad`` (mask into ``M``), both from
    ``start``; ``Z`` itself when not training or ``keep`` is 1."""
    if train and keep < 1.0:
        nb, n = Z.shape
        dropped = region(Ad, start, nb, n)
        dropout(Z, keep, rng, region(M, start, nb, n), dropped)
        return dropped
    return Z


@jit
def _dropped_input(A, train, keep, Ad, start):
    """What :func:`_drop_layer` returned for the activations ``A``: the backward
    pass's input to the next layer's weight gradient."""
    if train and keep < 1.0:
        nb, n = A.shape
        return region(Ad, start, nb, n)
    return A


@jit
def _mask_deltas(D, train, keep, M, start):
    """``D *= mask``: no gradient through the dropped units."""
    if train and keep < 1.0:
        nb, n = D.shape
        mask = region(M, start, nb, n)
        for i in range(nb):
            for j in range(n):
                D[i, j] *= mask[i, j]


def drop_layer(ext, Z, train, keep, rng, M, Ad, start):
    """:func:`_drop_layer`, or ``Z`` in the core engine (compiled code only)."""


def dropped_input(ext, A, train, keep, Ad, start):
    """:func:`_dropped_input`, or ``A`` in the core engine (compiled code only)."""


def mask_deltas(ext, D, train, keep, M, start):
    """:func:`_mask_deltas`, or nothing in the core engine (compiled code only)."""


@overload(drop_layer)
def _drop_layer_typed(ext, Z, train, keep, rng, M, Ad, start):
    if isinstance(ext, types.NoneType):
        return lambda ext, Z, train, keep, rng, M, Ad, start: Z
    return (lambda ext, Z, train, keep, rng, M, Ad, start:
            _drop_layer(Z, train, keep, rng, M, Ad, start))


@overload(dropped_input)
def _dropped_input_typed(ext, A, train, keep, Ad, start):
    if isinstance(ext, types.NoneType):
        return lambda ext, A, train, keep, Ad, start: A
    return (lambda ext, A, train, keep, Ad, start:
            _dropped_input(A, train, keep, Ad, start))


@overload(mask_deltas)
def _mask_deltas_typed(ext, D, train, keep, M, start):
    if isinstance(ext, types.NoneType):
        return lambda ext, D, train, keep, M, start: None
    return (lambda ext, D, train, keep, M, start:
            _mask_deltas(D, train, keep, M, start))
