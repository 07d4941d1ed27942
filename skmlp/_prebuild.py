"""``skmlp compile``: build every compiled variant now, for images and CI.

skmlp has one compiled engine with ten prebuilt specialisations: float64 and
float32 models, each on one thread, with batches split across threads
(``n_jobs > 1``), with batch normalisation (``batch_norm``, one thread),
extended (``_data.Net.ext``: an activation or loss beyond scikit-learn's,
weight decay, clipping or dropout; one thread), and for sparse X (one thread).
A fit compiles the one it needs on first use; this builds these up front (a few
tiny fits), so that a container image or a CI cache holds them and no later
process compiles. ``transform`` runs
predict's specialisation (see ``skmlp._transform``), so it is covered by the
same fits. Rarer combinations (batch normalisation, the extended engine or sparse X
with split batches, or with each other) compile on first use.
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp

from . import _compile_notice
from ._epoch import run_epoch
from ._estimators import MLPClassifierNB

# (dtype, n_jobs, the network's optional parts: see _compile_notice.OPTIONAL)
VARIANTS = [(np.float64, None, ()), (np.float32, None, ()), (np.float64, 2, ()),
            (np.float32, 2, ()), (np.float64, None, ("bn",)), (np.float32, None, ("bn",)),
            (np.float64, None, ("ext",)), (np.float32, None, ("ext",)),
            (np.float64, None, ("sparse",)), (np.float32, None, ("sparse",))]
# Estimator parameters that make a network with each optional part (sparse:
# none, the data is sparse).
_PARAMS = {"bn": {"batch_norm": True}, "ext": {"activation": "gelu"}, "sparse": {}}


def _name(dtype, n_jobs, features=()):
    return " ".join([np.dtype(dtype).name]
                    + (["split-batch (n_jobs > 1)"] if n_jobs else [])
                    + [_compile_notice.OPTIONAL[f] for f in features])


def _exercise(dtype, n_jobs, features=()):
    """A tiny fit and predict that run the engine's ``(dtype, n_jobs, features)``
    variant."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((64, 3)).astype(dtype)
    y = np.arange(64) % 3
    if "sparse" in features:
        X = sp.csr_matrix(X)
    params = {k: v for f in features for k, v in _PARAMS[f].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifierNB(hidden_layer_sizes=(4,), max_iter=1, batch_size=64,
                              n_jobs=n_jobs, random_state=0, **params).fit(X, y)
    est.predict_proba(X)


def cache_location():
    """Where the engine's machine code is cached (Numba decides: see skmlp._jit)."""
    try:
        return run_epoch._cache._cache_path
    except AttributeError:  # a Numba whose cache internals differ
        return "(Numba's cache location)"


def prebuild(say=print):
    """Compile (or load from the cache) every variant; return the seconds each took."""
    say(f"skmlp: building {len(VARIANTS)} compiled variants into {cache_location()}")
    took = {}
    for dtype, n_jobs, features in VARIANTS:
        name = _name(dtype, n_jobs, features)
        cached = _compile_notice._cached(run_epoch, dtype, bool(n_jobs), features)
        # This command says what it does itself: no fit-time notice on top.
        _compile_notice._seen.add((np.dtype(dtype), bool(n_jobs)) + features)
        start = time.perf_counter()
        _exercise(dtype, n_jobs, features)
        took[name] = time.perf_counter() - start
        state = "already cached, loaded" if cached else "compiled"
        say(f"  {name:<34s} {state} in {took[name]:.1f} s")
    return took
