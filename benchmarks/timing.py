"""Alternating, side-by-side timing.

On a shared machine absolute times drift, so the harness never compares runs made
minutes apart: every repeat runs each contestant once, back to back, in a rotating
order, and the reported figure is the median over repeats. A warm-up call of each
contestant (which compiles skmlp's kernels, loads BLAS and faults in memory) runs
before the first timed repeat and is not counted.
"""

import contextlib
import gc
import os
import statistics
import time
import warnings


@contextlib.contextmanager
def quiet():
    """Silence ConvergenceWarning and friends: fixed-epoch runs never converge."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def freeze_heap():
    """Move every object alive now out of the garbage collector's sight.

    The imports (PyTorch, Numba, SciPy) leave a million objects behind, which
    makes each full ``gc.collect()`` before a timed call cost a quarter of a
    second; frozen, they are never scanned again.
    """
    gc.collect()
    gc.freeze()


def _cpu_seconds():
    t = os.times()
    return t.user + t.system


def timed(fn):
    """Run ``fn()`` once: ``(result, wall_seconds, cpu_seconds)``.

    CPU seconds count every thread of this process (BLAS, OpenMP, Numba), so
    ``cpu / wall`` shows how many cores the call really kept busy.
    """
    gc.collect()
    c0 = _cpu_seconds()
    t0 = time.perf_counter()
    with quiet():
        result = fn()
    wall = time.perf_counter() - t0
    return result, wall, _cpu_seconds() - c0


def summarize(walls, cpus):
    """Median, min, max, all raw times and median CPU utilisation."""
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "times": list(walls),
        "cpu_util": statistics.median(c / w for c, w in zip(cpus, walls) if w > 0),
    }


def alternate(contestants, repeats, warmups=None, log=None):
    """Time several contestants in alternation.

    Parameters
    ----------
    contestants : dict of str to callable
        Zero-argument callables, one per library, doing the same work.
    repeats : int
        Timed calls per contestant. Round ``r`` starts with contestant
        ``r % len(contestants)`` so that no library always runs first.
    warmups : dict of str to callable, optional
        Untimed calls made once before the first round (default: the
        contestants themselves).
    log : callable, optional
        Called with a progress string after each round.

    Returns
    -------
    stats : dict
        Per contestant, :func:`summarize` of its timed calls plus ``result``,
        the return value of its last call; and ``paired_ratios``: for every
        other contestant, the median over rounds of ``skmlp / other`` measured
        in the same round (robust to drift between rounds).
    """
    names = list(contestants)
    warmups = contestants if warmups is None else warmups
    for name in names:
        timed(warmups[name])
    walls = {n: [] for n in names}
    cpus = {n: [] for n in names}
    results = {}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            results[name], wall, cpu = timed(contestants[name])
            walls[name].append(wall)
            cpus[name].append(cpu)
        if log is not None:
            log("  round %d/%d: %s" % (r + 1, repeats, ", ".join(
                "%s %.3fs" % (n, walls[n][-1]) for n in names)))
    stats = {n: summarize(walls[n], cpus[n]) for n in names}
    for n in names:
        stats[n]["result"] = results[n]
    if "skmlp" in names:
        stats["paired_ratios"] = {
            n: statistics.median(a / b for a, b in zip(walls["skmlp"], walls[n]))
            for n in names if n != "skmlp"
        }
    return stats


def ratio(stats, other):
    """``median(skmlp) / median(other)``, or None when either is missing."""
    if "skmlp" not in stats or other not in stats:
        return None
    return stats["skmlp"]["median"] / stats[other]["median"]
