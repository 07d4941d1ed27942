"""One line on stderr while the compiled engine is being compiled.

The first fit (or predict) of a dtype in a fresh environment compiles the engine
for several seconds; without a word this reads as a hang. Before the engine's
first call of a dtype in a process, the on-disk cache is consulted: when it
holds no machine code for the dtype, one line says what is happening, that it
happens once and about how long it takes. One line per process and variant,
written whole: eight joblib workers compiling at once print eight whole lines.
When it cannot be told (a cache format this code does not know), a timer says
it after :data:`DELAY` seconds instead, so a slow cache load on a busy machine
is announced too. ``SKMLP_QUIET=1`` silences it.
"""

import os
import sys
import threading
from contextlib import contextmanager, nullcontext

import numpy as np

DELAY = 1.5  # seconds before the timer's message, when the cache cannot be read
# What a first compile costs (cold cache, 2-core machines: the demo's float64 fit
# 5.7-7.9 s; by skmlp compile 4.9-7.2 s float32, 3.7-5.8 s split batches, 3.6-3.7 s
# sparse X, 5.2-9.0 s batch-norm or extended; the lower ends measured after the
# sparse and dropout code left the default engine): said up front, not after.
ESTIMATE = "typically 5-10 s"

_seen = set()
_lock = threading.Lock()


# Position of the data (its CSR arrays None for dense X, arrays for sparse X:
# another specialisation), of theta (whose dtype is the model's) in the
# engine's signature, and of the team (None, or a Team for split batches:
# another specialisation).
DATA_ARG = 0
NET_ARG = 3
THETA_ARG = 4
TEAM_ARG = 10


# The Net fields that are None for the default engine and make another
# specialisation when set (see _data.Net), then sparse input (_data.KernelData's
# CSR arrays), with the name the notice gives each.
OPTIONAL = {"bn": "batch-norm", "ext": "extended", "sparse": "sparse-input"}


def net_features(net, sparse=False):
    """The optional parts of ``net``'s engine besides dtype and team: the fields
    ``net`` sets, and ``"sparse"`` for sparse X."""
    return tuple(f for f in OPTIONAL
                 if (sparse if f == "sparse" else getattr(net, f) is not None))


def _set_fields(tuple_type):
    """The fields of a named-tuple type that are not typed None."""
    fields = getattr(getattr(tuple_type, "instance_class", None), "_fields", ())
    return {f for f, t in zip(fields, getattr(tuple_type, "types", ())) if str(t) != "none"}


def _features(signature):
    """:func:`net_features` of an engine signature."""
    set_fields = _set_fields(signature[NET_ARG])
    if "sp_indptr" in _set_fields(signature[DATA_ARG]):
        set_fields.add("sparse")
    return tuple(f for f in OPTIONAL if f in set_fields)


def _cached(dispatcher, dtype, split, features=()):
    """True / False: whether the disk cache holds the engine for ``dtype``; None: unknown.

    Only theta's slot says the model's dtype: every specialisation also takes
    float64 arrays (the scalars, the dropout keep rates).
    """
    try:
        index = dispatcher._cache._cache_file._load_index()
        wanted = f"array({np.dtype(dtype).name}, 1d, C)"
        return any(str(key[0][THETA_ARG]) == wanted
                   and (str(key[0][TEAM_ARG]) != "none") == split
                   and _features(key[0]) == tuple(features) for key in index)
    except Exception:  # a Numba whose cache internals differ: fall back to the timer
        return None


_NOTHING = nullcontext()  # what every block after a variant's first gets


def compile_notice(dispatcher, dtype, out=None, split=False, features=()):
    """Say on ``out`` (stderr) when the engine is compiled for ``dtype`` in this block.

    ``split``: the engine of batches split across threads (``n_jobs > 1``);
    ``features``: the engine's optional parts (:func:`net_features`), each
    another engine (batch normalisation; the extended activations and losses,
    weight decay, clipping and dropout; sparse X).

    A context manager. Every block after the first of its variant gets a
    shared null context: one set lookup, nothing set up (a one-row predict
    passes here on every call).
    """
    features = tuple(features)
    key = (np.dtype(dtype), split) + features
    if key in _seen:
        return _NOTHING
    return _first_block(dispatcher, dtype, out, split, features, key)


@contextmanager
def _first_block(dispatcher, dtype, out, split, features, key):
    with _lock:
        first = key not in _seen
        _seen.add(key)
    if not first or os.environ.get("SKMLP_QUIET"):
        yield
        return
    what = " ".join([np.dtype(dtype).name] + (["split-batch (n_jobs > 1)"] if split else [])
                    + [OPTIONAL[f] for f in features])
    message = (
        f"skmlp: compiling the {what} kernels for this machine (once, {ESTIMATE}; "
        "cached on disk for later runs and processes; 'skmlp compile' prebuilds "
        "every variant)..."
    )
    cached = _cached(dispatcher, dtype, split, features)
    timer = None
    if cached is False:
        say(message, out)
    elif cached is None:
        timer = threading.Timer(DELAY, say, (message, out))
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()


def say(line, out=None):
    """Write ``line`` and its newline in one call, so concurrent processes never mix lines.

    joblib and Dask workers share their parent's stderr; ``print`` writes the
    text and the newline separately, and their lines then interleave.
    """
    out = sys.stderr if out is None else out
    data = line + "\n"
    try:
        fd = out.fileno()
    except (AttributeError, OSError, ValueError):  # a StringIO, pytest's capture
        out.write(data)
        out.flush()
        return
    out.flush()
    os.write(fd, data.encode(getattr(out, "encoding", None) or "utf-8", "replace"))
