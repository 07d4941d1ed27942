"""Alternating, side-by-side timing.

On a shared machine absolute times drift, so the harness never compares runs made
minutes apart: every repeat runs each contestant once, back to back, in an order
drawn at random for that round (seeded and recorded), and the reported figure is
the median over repeats. A warm-up call of each
contestant (which compiles skmlp's kernels, loads BLAS and faults in memory) runs
before the first timed repeat and is not counted.
"""

import contextlib
import gc
import os
import random
import statistics
import time
import warnings
import zlib

# Seconds of rest before every timed call. Thread pools busy-wait after their
# work before they sleep (OpenBLAS's workers for about 2**28 cycles, 0.1 s
# here; OpenMP runtimes similarly), and a library timed right after another
# then shares a core with the previous one's spinning threads: skmlp with
# n_jobs=2 took 0.076 s right after scikit-learn's fit and 0.043 s after a
# 0.25 s rest. Every library gets the same rest, outside the timed interval.
SETTLE = 0.25


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


def timed(fn, loops=1):
    """Run ``fn()`` ``loops`` times: ``(last result, wall_seconds, cpu_seconds)``.

    CPU seconds count every thread of this process (BLAS, OpenMP, Numba), so
    ``cpu / wall`` shows how many cores the call really kept busy.
    """
    gc.collect()
    time.sleep(SETTLE)
    with quiet():
        c0 = _cpu_seconds()
        t0 = time.perf_counter()
        for _ in range(loops):
            result = fn()
        wall = time.perf_counter() - t0
        cpu = _cpu_seconds() - c0
    return result, wall, cpu


def summarize(walls, cpus):
    """Median, min, max, all raw times and median CPU utilisation."""
    return {
        "median": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "times": list(walls),
        "cpu_util": statistics.median(c / w for c, w in zip(cpus, walls) if w > 0),
    }


def order_seed(base, name):
    """A per-case seed for the order of the libraries: ``base`` mixed with ``name``."""
    return (int(base) * 1_000_003 + zlib.crc32(name.encode())) % 2**32


def alternate(contestants, repeats, warmups=None, log=None, seed=0, min_time=None):
    """Time several contestants in alternation.

    Parameters
    ----------
    contestants : dict of str to callable
        Zero-argument callables, one per library, doing the same work.
    repeats : int
        Timed calls per contestant. Every round runs each contestant once, in
        an order drawn at random (seeded) for that round, so that no library
        always runs first or always right after the same other one.
    warmups : dict of str to callable, optional
        Untimed calls made once before the first round (default: the
        contestants themselves).
    log : callable, optional
        Called with a progress string after each round.
    seed : int
        Seed of the round orders (see :func:`order_seed`); the orders drawn
        are returned.
    min_time : float, optional
        For calls much shorter than the timer's resolution and the noise of
        one call: each timed measurement calls the contestant ``loops`` times
        in a row, ``loops`` chosen from its warm-up call so that one
        measurement lasts about ``min_time`` seconds; times are per call.

    Returns
    -------
    stats : dict
        Per contestant, :func:`summarize` of its timed calls plus ``result``,
        the return value of its last call, and ``loops``; ``orders``, the
        order of every round, and ``order_seed``; and ``paired_ratios``: for
        every other contestant, the median over rounds of ``skmlp / other``
        measured in the same round (robust to drift between rounds).
    """
    names = list(contestants)
    warmups = contestants if warmups is None else warmups
    loops = {}
    for name in names:
        timed(warmups[name])
        loops[name] = 1
        if min_time:
            # Calibrate on calls after the warm-up: the first call may compile.
            wall = min(timed(contestants[name])[1] for _ in range(3))
            loops[name] = max(1, int(min_time / max(wall, 1e-7)))
    rng = random.Random(seed)
    walls = {n: [] for n in names}
    cpus = {n: [] for n in names}
    results, orders = {}, []
    for r in range(repeats):
        order = list(names)
        rng.shuffle(order)
        orders.append(order)
        for name in order:
            results[name], wall, cpu = timed(contestants[name], loops[name])
            walls[name].append(wall / loops[name])
            cpus[name].append(cpu / loops[name])
        if log is not None:
            log("  round %d/%d: %s" % (r + 1, repeats, ", ".join(
                "%s %.3fs" % (n, walls[n][-1]) for n in order)))
    stats = {n: summarize(walls[n], cpus[n]) for n in names}
    for n in names:
        stats[n]["result"] = results[n]
        stats[n]["loops"] = loops[n]
    stats["orders"] = orders
    stats["order_seed"] = seed
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
