"""What the benchmark ran on: CPU, memory, library versions, BLAS, load; GEMM peak."""

import datetime
import os
import platform
import statistics
import sys
import time

import numpy as np


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def usable_cpus():
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _busy_seconds():
    """CPU seconds all processes have used since boot (None off Linux)."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait.
    ticks = [int(x) for x in fields[1:9]]
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
    return busy / os.sysconf("SC_CLK_TCK")


class ForeignLoad:
    """How many cores *other* processes kept busy while a block ran.

    Total CPU time from ``/proc/stat`` minus this process's own CPU time, over
    wall time. The load average cannot tell this apart, since it counts the
    benchmark's own threads too. Use as ``with ForeignLoad() as fl: ...`` and
    read ``fl.cores`` (None where ``/proc/stat`` is unavailable).
    """

    def __enter__(self):
        t = os.times()
        self._own = t.user + t.system
        self._busy = _busy_seconds()
        self._wall = time.perf_counter()
        self.cores = None
        return self

    def __exit__(self, *exc):
        busy = _busy_seconds()
        if busy is None or self._busy is None:
            return False
        t = os.times()
        own = t.user + t.system - self._own
        wall = time.perf_counter() - self._wall
        self.cores = max(0.0, (busy - self._busy - own) / wall) if wall > 0 else None
        return False


def load_average():
    """1, 5 and 15-minute load averages (None where unsupported)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _version(module):
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return getattr(mod, "__version__", "unknown")


def machine_info(with_torch=True):
    """A JSON-ready description of the machine and software stack."""
    import numba  # noqa: F401  (so threadpoolctl sees every BLAS in use)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    import skmlp  # noqa: F401

    modules = ["numpy", "scipy", "sklearn", "numba", "llvmlite", "threadpoolctl",
               "matplotlib", "skmlp"] + (["torch"] if with_torch else [])
    versions = {m: _version(m) for m in modules}
    pools = [
        {k: p.get(k) for k in ("user_api", "internal_api", "prefix", "version",
                                "num_threads", "threading_layer", "architecture")}
        | {"library": os.path.basename(p.get("filepath") or "")}
        for p in threadpool_info()
    ]
    env = {k: os.environ[k] for k in sorted(os.environ)
           if k.startswith(("OMP_", "OPENBLAS_", "MKL_", "NUMBA_"))}
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "ram_gib": _ram_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": versions,
        "threadpools": pools,
        "env": env,
        "load_average_start": load_average(),
    }


_NUMBA_DOT = []


def _numba_dot():
    """``np.dot`` compiled by Numba: the BLAS path skmlp's kernels take."""
    if not _NUMBA_DOT:
        import numba

        _NUMBA_DOT.append(numba.njit(lambda a, b: np.dot(a, b)))
    return _NUMBA_DOT[0]


def gemm_throughput(n=2048, repeats=5):
    """GFLOP/s of ``np.dot`` on ``n x n`` matrices, from NumPy and from Numba.

    Inside a compiled kernel Numba's ``np.dot`` calls SciPy's BLAS (through
    ``scipy.linalg.cython_blas``), which may be a different OpenBLAS build from
    NumPy's; both paths are measured. Returns ``{"gflops": {dtype: {"numpy": ..,
    "numba": ..}}, ...}`` with the median over ``repeats`` calls after one
    warm-up call.
    """
    out = {}
    rng = np.random.default_rng(0)
    flops = 2.0 * n ** 3
    nb_dot = _numba_dot()
    for dtype in (np.float64, np.float32):
        a = rng.random((n, n)).astype(dtype)
        b = rng.random((n, n)).astype(dtype)
        res = {}
        for name, fn in (("numpy", lambda: np.dot(a, b)),
                         ("numba", lambda: nb_dot(a, b))):
            fn()
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            res[name] = flops / statistics.median(times) / 1e9
        out[np.dtype(dtype).name] = res
    return {"n": n, "repeats": repeats, "gflops": out}
