"""What the benchmark ran on (no host name, kernel string or path), other processes' load,
the GEMM peak. ``/proc`` only for what no library gives: CPU model, others' CPU time."""

import contextlib
import datetime
import functools
import os
import platform
import statistics
import subprocess
import time
import timeit
import types
from importlib import metadata

import numpy as np

# Distribution of each module whose version the page lists; the peers' only when run.
DISTRIBUTIONS = {m: m for m in ["numpy", "scipy", "sklearn", "numba", "llvmlite", "threadpoolctl",
                                "matplotlib", "skmlp"]} | {"sklearn": "scikit-learn"}
PEER_DISTRIBUTIONS = {"torch": ["torch"], "skorch": ["skorch"], "jax": ["jax", "jaxlib", "optax"]}
# Environment variables recorded by value; any other of these prefixes only as "set",
# since its value may be a path of this machine.
ENV_PREFIXES = ("OMP_", "OPENBLAS_", "MKL_", "NUMBA_", "XLA_", "JAX_")
ENV_BY_VALUE = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS", "NUMBA_OPT", "NUMBA_DISABLE_JIT", "XLA_FLAGS",
                "JAX_PLATFORMS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE",
                "MKL_DEBUG_CPU_TYPE", "MKL_ENABLE_INSTRUCTIONS")


def usable_cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def load_average():
    """1, 5 and 15-minute load averages (None where unsupported)."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def machine_info(libs=()):
    """A JSON-ready description of the machine and software stack (generic facts only)."""
    import numba  # noqa: F401  (loaded, so that threadpoolctl sees every BLAS in use)
    import scipy.linalg.cython_blas  # noqa: F401
    from threadpoolctl import threadpool_info

    import skmlp  # noqa: F401

    dists = dict(DISTRIBUTIONS)
    for lib in libs:
        dists.update({m: m for m in PEER_DISTRIBUTIONS.get(lib.replace("_scan", ""), [])})
    keys = ("user_api", "internal_api", "version", "num_threads", "threading_layer",
            "architecture")
    pools = [{k: p.get(k) for k in keys} | {"library": os.path.basename(p.get("filepath", ""))}
             for p in threadpool_info()]
    try:  # the model name, which neither platform nor os gives on Linux
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown"
    libc = " ".join(platform.libc_ver()).strip()
    installed = {d.metadata["Name"].lower(): d.version for d in metadata.distributions()}
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": cpu, "logical_cpus": os.cpu_count(), "usable_cpus": usable_cpus(),
        "ram_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": "%s %s%s" % (platform.system(), platform.machine(), ", " + libc if libc else ""),
        "python": platform.python_version(),
        "versions": {m: installed.get(d) for m, d in dists.items()},
        "threadpools": pools,
        "env": {k: os.environ[k] if k in ENV_BY_VALUE else "set" for k in sorted(os.environ)
                if k.startswith(ENV_PREFIXES)},
        "load_average_start": load_average()}


def git_state(repo_root):
    """The commit measured and the files changed (benchmark outputs excluded)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=repo_root, capture_output=True, text=True,
                              timeout=30)

    try:
        head, status = git("log", "-1", "--format=%H%n%s"), git("status", "--porcelain", "-uno")
    except (OSError, subprocess.SubprocessError):
        head = None
    if head is None or head.returncode != 0:
        return {"commit": None, "dirty": None, "changed": []}
    changed = [line[3:] for line in status.stdout.splitlines() if line[3:] and not line[
        3:].startswith(("docs/benchmarks.md", "docs/benchmarks.json", "docs/figures/"))]
    commit, subject = (head.stdout + "\n").split("\n")[:2]
    return {"commit": commit, "subject": subject, "dirty": bool(changed), "changed": changed}


@contextlib.contextmanager
def foreign_load():
    """``with foreign_load() as fl``: ``fl.cores``, the cores *other* processes kept busy
    meanwhile (all CPU time in /proc/stat less this process's, over wall time; None off
    Linux). The load average cannot tell: it counts the benchmark's own threads."""
    def now():  # (busy CPU seconds of all processes or None, of this process, wall)
        try:
            with open("/proc/stat") as f:
                ticks = [int(x) for x in f.readline().split()[1:9]]
            busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        except OSError:
            busy = None
        return busy, sum(os.times()[:2]), time.perf_counter()

    fl, start = types.SimpleNamespace(cores=None), now()
    yield fl
    end = now()
    if end[0] is not None and start[0] is not None and end[2] > start[2]:
        fl.cores = max(0.0, (end[0] - start[0] - end[1] + start[1]) / (end[2] - start[2]))


def _median_time(fn, repeats, loops=1):
    return statistics.median(timeit.repeat(fn, number=loops, repeat=repeats)) / loops


def gemm_throughput(n=2048, repeats=5):
    """GFLOP/s of square ``np.dot`` from NumPy and from Numba (SciPy's BLAS)."""
    import numba

    nb_dot = numba.njit(lambda a, b: np.dot(a, b))
    rng = np.random.default_rng(0)
    out = {}
    for dtype in ("float64", "float32"):
        a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
        out[dtype] = {}
        for name, fn in (("numpy", lambda: np.dot(a, b)), ("numba", lambda: nb_dot(a, b))):
            fn()
            out[dtype][name] = 2.0 * n ** 3 / _median_time(fn, repeats) / 1e9
    return {"n": n, "repeats": repeats, "gflops": out}


def gemm_chain_throughput(units, batch, dtype, flops_per_row, repeats=5, min_time=0.2,
                          engine=False):
    """GFLOP/s of NumPy on one training step's products: the ceiling for these shapes;
    with ``engine``, of the same products as skmlp's engine calls them (from Numba)."""
    rng = np.random.default_rng(0)
    products = []
    for i, (a, b) in enumerate(zip(units[:-1], units[1:])):
        A, W, D = (rng.random(s).astype(dtype) for s in ((batch, a), (a, b), (batch, b)))
        products += [(A, W, np.empty((batch, b), dtype)), (A.T, D, np.empty((a, b), dtype))]
        if i > 0:
            products.append((D, W.T, np.empty((batch, a), dtype)))

    def step():
        for x, y, out in products:
            np.matmul(x, y, out=out)

    if engine:  # operands untransposed, a code per product: 0 x @ y, 1 x.T @ y, 2 x @ y.T
        kinds = np.array([int(x.flags.f_contiguous and not x.flags.c_contiguous)
                          + 2 * int(not y.flags.c_contiguous) for x, y, _ in products])
        step = functools.partial(_engine_step(), kinds, *(
            tuple(np.ascontiguousarray(p[k].T if kind and k == kind - 1 else p[k])
                  for p, kind in zip(products, kinds)) for k in range(3)))
    step()
    loops = max(1, int(min_time / max(_median_time(step, 1), 1e-6)))
    return flops_per_row * batch / _median_time(step, repeats, loops) / 1e9


@functools.cache
def _engine_step():
    """A Numba function calling skmlp's product kernels in turn (skmlp._blas)."""
    import numba

    from skmlp._blas import matmul, matmul_nt, matmul_tn

    @numba.njit
    def step(kinds, xs, ys, outs):
        for i in range(len(kinds)):
            if kinds[i] == 1:
                matmul_tn(xs[i], ys[i], outs[i])
            elif kinds[i] == 2:
                matmul_nt(xs[i], ys[i], outs[i])
            else:
                matmul(xs[i], ys[i], outs[i])
    return step
