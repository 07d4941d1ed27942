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


def _version(dist):
    """Installed version of a distribution, read without importing it."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# Distribution names of the modules whose versions the page lists.
DISTRIBUTIONS = {"numpy": "numpy", "scipy": "scipy", "sklearn": "scikit-learn",
                 "numba": "numba", "llvmlite": "llvmlite",
                 "threadpoolctl": "threadpoolctl", "matplotlib": "matplotlib",
                 "skmlp": "skmlp", "torch": "torch", "skorch": "skorch", "jax": "jax",
                 "jaxlib": "jaxlib", "optax": "optax"}
# Environment variables worth recording by value (thread counts, numbers);
# any other NUMBA_/OMP_/... variable is recorded as "set", since its value
# may be a path of this machine.
_ENV_BY_VALUE = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS", "NUMBA_OPT", "NUMBA_DISABLE_JIT", "XLA_FLAGS",
                 "JAX_PLATFORMS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                 "OPENBLAS_VERBOSE", "MKL_DEBUG_CPU_TYPE", "MKL_ENABLE_INSTRUCTIONS")


def _os_name():
    """OS family and C library, without kernel release or build strings."""
    libc = " ".join(platform.libc_ver()).strip()
    return "%s %s%s" % (platform.system(), platform.machine(),
                        ", " + libc if libc else "")


def git_state(repo_root):
    """``{"commit", "dirty", "changed"}`` of the repository the harness runs from.

    ``changed`` lists the paths ``git status --porcelain`` reports (benchmark
    outputs excluded), so that a reader sees what differed from the commit.
    """
    import subprocess

    def git(*args):
        return subprocess.run(["git", *args], cwd=repo_root, capture_output=True,
                              text=True, timeout=30)

    try:
        head = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "changed": []}
    if head.returncode != 0:
        return {"commit": None, "dirty": None, "changed": []}
    outputs = ("docs/benchmarks.md", "docs/benchmarks.json", "docs/figures/")
    changed = [line[3:] for line in status.stdout.splitlines()
               if line[3:] and not line[3:].startswith(outputs)]
    subject = git("log", "-1", "--format=%s").stdout.strip()
    return {"commit": head.stdout.strip(), "subject": subject, "dirty": bool(changed),
            "changed": changed}


def machine_info(libs=()):
    """A JSON-ready description of the machine and software stack.

    Generic facts only: CPU model, core count, memory, OS family, versions,
    the BLAS libraries threadpoolctl sees (file names, not paths). No host
    name, kernel build string or path of this machine.
    """
    import numba  # noqa: F401  (so threadpoolctl sees every BLAS in use)
    import scipy.linalg.cython_blas  # noqa: F401
    from threadpoolctl import threadpool_info

    import skmlp  # noqa: F401

    peers = {"torch": ["torch"], "skorch": ["skorch"], "jax": ["jax", "jaxlib", "optax"],
             "jax_scan": ["jax", "jaxlib", "optax"]}
    modules = ["numpy", "scipy", "sklearn", "numba", "llvmlite", "threadpoolctl",
               "matplotlib", "skmlp"]
    for lib in libs:
        modules += [m for m in peers.get(lib, []) if m not in modules]
    versions = {m: _version(DISTRIBUTIONS[m]) for m in modules}
    pools = [
        {k: p.get(k) for k in ("user_api", "internal_api", "version",
                                "num_threads", "threading_layer", "architecture")}
        | {"library": os.path.basename(p.get("filepath") or "")}
        for p in threadpool_info()
    ]
    env = {k: (os.environ[k] if k in _ENV_BY_VALUE else "set")
           for k in sorted(os.environ)
           if k.startswith(("OMP_", "OPENBLAS_", "MKL_", "NUMBA_", "XLA_", "JAX_"))}
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "ram_gib": _ram_gib(),
        "os": _os_name(),
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


def gemm_chain_throughput(units, batch, dtype, flops_per_row, repeats=5, min_time=0.2):
    """GFLOP/s of NumPy's matmul on exactly the products of one training step.

    For a network with layer sizes ``units`` and ``batch`` rows per step: the
    forward products ``A_l @ W_l``, the weight gradients ``A_l.T @ D_l``, and the
    deltas ``D_l @ W_l.T`` for every layer but the first, all written into
    preallocated outputs. This is the GEMM work of a training step done by the
    BLAS alone, with no other work in between: the ceiling a library doing that
    arithmetic with NumPy's BLAS can approach, for these shapes, on this
    machine (at NumPy's default thread count).

    Parameters
    ----------
    units : sequence of int
        Units per layer, input first.
    batch : int
        Rows per step.
    dtype : str
        ``"float64"`` or ``"float32"``.
    flops_per_row : float
        FLOPs of those products per row (see ``cases.flops_train``).
    repeats : int
        Measurements; the median is reported.
    min_time : float
        Seconds per measurement (steps are repeated to last that long).

    Returns
    -------
    gflops : float
    """
    rng = np.random.default_rng(0)
    pairs = list(zip(units[:-1], units[1:]))
    W = [rng.random((a, b)).astype(dtype) for a, b in pairs]
    A = [rng.random((batch, a)).astype(dtype) for a, _ in pairs]
    D = [rng.random((batch, b)).astype(dtype) for _, b in pairs]
    out_f = [np.empty((batch, b), dtype) for _, b in pairs]
    out_g = [np.empty((a, b), dtype) for a, b in pairs]
    out_d = [np.empty((batch, a), dtype) for a, _ in pairs]

    def step():
        for i in range(len(pairs)):
            np.matmul(A[i], W[i], out=out_f[i])
        for i in range(len(pairs)):
            np.matmul(A[i].T, D[i], out=out_g[i])
        for i in range(1, len(pairs)):
            np.matmul(D[i], W[i].T, out=out_d[i])

    step()
    t0 = time.perf_counter()
    step()
    one = max(time.perf_counter() - t0, 1e-6)
    loops = max(1, int(min_time / one))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(loops):
            step()
        times.append((time.perf_counter() - t0) / loops)
    return flops_per_row * batch / statistics.median(times) / 1e9
