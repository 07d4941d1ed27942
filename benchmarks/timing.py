"""Side-by-side timing: rounds of every contestant once, in a seeded random order."""

import contextlib
import gc
import os
import random
import statistics
import time
import warnings
import zlib

# Seconds of rest before every timed call, outside the timed interval. Thread pools
# busy-wait after their work (OpenBLAS's workers about 0.1 s here), so a library timed
# right after another shares a core with its spinning threads: skmlp with n_jobs=2 took
# 0.076 s right after scikit-learn's fit and 0.043 s after a 0.25 s rest.
SETTLE = 0.25


@contextlib.contextmanager
def quiet():
    """Silence ConvergenceWarning and friends: fixed-epoch runs never converge."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def timed(fn, loops=1):
    """``(last result, wall s, CPU s of all threads)`` of ``loops`` calls of ``fn()``."""
    gc.collect()
    time.sleep(SETTLE)
    with quiet():
        c0, t0 = sum(os.times()[:2]), time.perf_counter()
        for _ in range(loops):
            result = fn()
        return result, time.perf_counter() - t0, sum(os.times()[:2]) - c0


def order_seed(base, name):
    """A per-case seed for the order of the libraries: ``base`` mixed with ``name``."""
    return (int(base) * 1_000_003 + zlib.crc32(name.encode())) % 2**32


def shuffled(names, repeats, seed):
    """One seeded random order of ``names`` per round."""
    rng, orders = random.Random(seed), [list(names) for _ in range(repeats)]
    for order in orders:
        rng.shuffle(order)
    return orders


def alternate(contestants, repeats, warmups=None, log=None, seed=0, min_time=None):
    """Time ``{name: fn}`` in alternation after one untimed warm-up call each; a call
    shorter than ``min_time`` is looped. Per name: median, min, max, times, CPU use."""
    names, loops = list(contestants), {}
    for name in names:
        timed((warmups or contestants)[name])
        # Calibrated on calls after the warm-up: the first call may compile.
        wall = min(timed(contestants[name])[1] for _ in range(3)) if min_time else 0
        loops[name] = max(1, int(min_time / max(wall, 1e-7))) if min_time else 1
    walls, cpus, results = {n: [] for n in names}, {n: [] for n in names}, {}
    orders = shuffled(names, repeats, seed)
    for r, order in enumerate(orders):
        for name in order:
            results[name], wall, cpu = timed(contestants[name], loops[name])
            walls[name].append(wall / loops[name])
            cpus[name].append(cpu / loops[name])
        if log is not None:
            log("  round %d/%d: %s" % (r + 1, repeats, ", ".join(
                "%s %.3fs" % (n, walls[n][-1]) for n in order)))
    stats = {n: {"median": statistics.median(walls[n]), "min": min(walls[n]),
                 "max": max(walls[n]), "times": walls[n],
                 "cpu_util": statistics.median(c / w for c, w in zip(cpus[n], walls[n]) if w),
                 "result": results[n], "loops": loops[n]} for n in names}
    stats.update(orders=orders, order_seed=seed)
    if "skmlp" in names:  # skmlp / other: ratio of medians, median of per-round ratios
        stats["ratios"] = {n: stats["skmlp"]["median"] / stats[n]["median"]
                           for n in names if n != "skmlp"}
        stats["paired_ratios"] = {n: statistics.median(
            a / b for a, b in zip(walls["skmlp"], walls[n])) for n in names if n != "skmlp"}
    return stats
