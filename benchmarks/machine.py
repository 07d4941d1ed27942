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
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
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
        "usable_cpus": affinity,
        "ram_gib": _ram_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": versions,
        "threadpools": pools,
        "env": env,
        "load_average_start": load_average(),
    }


def gemm_throughput(n=2048, repeats=5):
    """GFLOP/s of ``np.dot`` on ``n x n`` matrices, and of SciPy's BLAS ``?gemm``.

    Numba's ``np.dot`` inside a compiled kernel calls SciPy's BLAS (the
    ``scipy.linalg.cython_blas`` entry points), which may be a different build
    from NumPy's; both are measured. Returns ``{dtype: {"numpy": .., "scipy": ..}}``
    with the median over ``repeats`` calls after one warm-up call.
    """
    from scipy.linalg import blas

    out = {}
    rng = np.random.default_rng(0)
    flops = 2.0 * n ** 3
    for dtype, gemm in ((np.float64, blas.dgemm), (np.float32, blas.sgemm)):
        a = rng.random((n, n)).astype(dtype)
        b = rng.random((n, n)).astype(dtype)
        res = {}
        for name, fn in (("numpy", lambda: np.dot(a, b)),
                         ("scipy", lambda: gemm(1.0, a, b))):
            fn()
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            res[name] = flops / statistics.median(times) / 1e9
        out[np.dtype(dtype).name] = res
    return {"n": n, "repeats": repeats, "gflops": out}
