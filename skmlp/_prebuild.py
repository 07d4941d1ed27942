"""``skmlp compile``: build every compiled variant now, for images and CI.

skmlp has one compiled engine with eight specialisations: float64 and float32
models, each on one thread or with batches split across threads
(``n_jobs > 1``), with or without batch normalisation (``batch_norm``). A
fit compiles the one it needs on first use; this builds all eight up front (a
few tiny fits), so that a container image or a CI cache holds them and no
later process compiles. ``transform`` runs predict's specialisation
(see ``skmlp._transform``), so it is covered by the same fits.
"""

import time
import warnings

import numpy as np

from . import _compile_notice
from ._epoch import run_epoch
from ._estimators import MLPClassifierNB

VARIANTS = [(np.float64, None, False), (np.float32, None, False), (np.float64, 2, False),
            (np.float32, 2, False), (np.float64, None, True), (np.float32, None, True),
            (np.float64, 2, True), (np.float32, 2, True)]


def _name(dtype, n_jobs, batch_norm=False):
    return (np.dtype(dtype).name + (" split-batch (n_jobs > 1)" if n_jobs else "")
            + (" batch-norm" if batch_norm else ""))


def _exercise(dtype, n_jobs, batch_norm=False):
    """A tiny fit and predict that run the engine's ``(dtype, n_jobs, batch_norm)``
    variant."""
    rng = np.random.RandomState(0)
    X = rng.standard_normal((64, 3)).astype(dtype)
    y = np.arange(64) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = MLPClassifierNB(hidden_layer_sizes=(4,), max_iter=1, batch_size=64,
                              n_jobs=n_jobs, batch_norm=batch_norm,
                              random_state=0).fit(X, y)
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
    for dtype, n_jobs, batch_norm in VARIANTS:
        name = _name(dtype, n_jobs, batch_norm)
        cached = _compile_notice._cached(run_epoch, dtype, bool(n_jobs), batch_norm)
        # This command says what it does itself: no fit-time notice on top.
        _compile_notice._seen.add((np.dtype(dtype), bool(n_jobs))
                                  + (("batch_norm",) if batch_norm else ()))
        start = time.perf_counter()
        _exercise(dtype, n_jobs, batch_norm)
        took[name] = time.perf_counter() - start
        state = "already cached, loaded" if cached else "compiled"
        say(f"  {name:<34s} {state} in {took[name]:.1f} s")
    return took
