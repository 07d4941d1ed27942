"""Measurements that need a fresh process: peak memory of a fit and first-fit cost.

The parent side (:func:`memory_case`, :func:`compile_case`) starts
``python -m benchmarks.isolated memory|compile ...`` children and reads the one
JSON line each prints last. This module imports nothing heavy at the top, so a
child's import timings are its own.

Peak memory is resident set size (RSS), not ``tracemalloc``: Numba workspaces and
BLAS buffers are invisible to ``tracemalloc``. After imports, data loading and a
small warm-up fit, the child resets the kernel's high-water mark
(``/proc/self/clear_refs``), notes the current RSS as the baseline, fits, and
reports ``VmHWM - baseline``. Where ``clear_refs`` is unavailable it falls back to
``ru_maxrss - baseline``, which can only under-count if loading peaked higher.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --------------------------------------------------------------------- child side
def _proc_status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _child_memory(args):
    import gc
    import resource
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    from benchmarks import models
    from benchmarks.data import load_mnist, make_tabular, subsample

    if args.lib == "torch":
        from benchmarks import torch_mlp  # noqa: F401
    dtype = np.dtype(args.dtype)
    if args.dataset == "mnist":
        X, y, _, _, _ = load_mnist(args.mnist_dir, dtype=dtype)
        X, y = subsample(X, y, args.n_train)
    else:
        X, y, _, _ = make_tabular(n_samples=args.n_train or 20000, dtype=dtype)
    hidden = [int(h) for h in args.hidden.split(",")]
    params = models.mlp_params(hidden, args.solver, args.batch_size, args.epochs)
    models.fit_fn(args.lib, dict(params, max_iter=1), X[:500], y[:500])()
    gc.collect()
    exact = _reset_peak()
    base = _proc_status_kib("VmRSS")
    t0 = time.perf_counter()
    models.fit_fn(args.lib, params, X, y)()
    seconds = time.perf_counter() - t0
    if exact:
        peak = _proc_status_kib("VmHWM")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"lib": args.lib, "baseline_mib": base / 1024, "peak_mib": peak / 1024,
            "delta_mib": (peak - base) / 1024, "method": "VmHWM" if exact else "maxrss",
            "fit_s": seconds, "X_mib": X.nbytes / 2**20, "n_train": int(X.shape[0])}


def _child_compile(args):
    import warnings

    import numpy as np

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n_train, 20)).astype(args.dtype)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    t0 = time.perf_counter()
    if args.lib == "skmlp":
        from skmlp import MLPClassifierNB as Estimator
    else:
        from sklearn.neural_network import MLPClassifier as Estimator
    t_import = time.perf_counter() - t0
    out = {"lib": args.lib, "import_s": t_import, "n_train": args.n_train,
           "dtype": args.dtype, "max_iter": args.epochs}
    for run in ("first", "second"):
        est = Estimator(max_iter=args.epochs, random_state=0, tol=0.0,
                        n_iter_no_change=args.epochs + 10)
        t0 = time.perf_counter()
        est.fit(X, y)
        out[run + "_fit_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        est.predict_proba(X)
        out[run + "_predict_s"] = time.perf_counter() - t0
    out["cache_dir"] = os.environ.get("NUMBA_CACHE_DIR")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["memory", "compile"])
    p.add_argument("--lib", required=True, choices=["skmlp", "sklearn", "torch"])
    p.add_argument("--dataset", default="mnist", choices=["mnist", "tabular"])
    p.add_argument("--dtype", default="float64")
    p.add_argument("--n-train", type=int, default=None)
    p.add_argument("--hidden", default="300,100")
    p.add_argument("--solver", default="adam")
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--mnist-dir", default=None)
    args = p.parse_args(argv)
    result = _child_memory(args) if args.what == "memory" else _child_compile(args)
    print(json.dumps(result))


# -------------------------------------------------------------------- parent side
def run_child(argv, env_extra=None, timeout=900):
    """Run a child measurement; return its JSON result plus its total wall time."""
    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.isolated", *argv],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError("child %s failed:\n%s" % (argv, proc.stderr[-3000:]))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def memory_case(config, libs, mnist_dir=None, log=print):
    """Peak RSS increase of one fit, each library in its own fresh process.

    ``config`` holds ``label``, ``dataset``, ``dtype``, ``n_train``, ``hidden``
    (tuple), ``solver``, ``batch_size`` and ``epochs``.
    """
    argv = ["memory", "--dataset", config["dataset"], "--dtype", config["dtype"],
            "--hidden", ",".join(str(h) for h in config["hidden"]),
            "--solver", config["solver"], "--batch-size", str(config["batch_size"]),
            "--epochs", str(config["epochs"])]
    if config.get("n_train"):
        argv += ["--n-train", str(config["n_train"])]
    if mnist_dir:
        argv += ["--mnist-dir", str(mnist_dir)]
    out = dict(config, hidden=list(config["hidden"]), libs={})
    for lib in libs:
        out["libs"][lib] = run_child(argv + ["--lib", lib])
    sk = out["libs"].get("sklearn", {}).get("delta_mib")
    out["ratios"] = {}
    if sk:
        out["ratios"]["sklearn"] = out["libs"]["skmlp"]["delta_mib"] / sk
    log("%s: peak RSS over baseline %s; skmlp/sklearn %s" % (
        config["label"], ", ".join("%s %.1f MiB" % (lib, r["delta_mib"])
                                   for lib, r in out["libs"].items()),
        "%.2f" % out["ratios"]["sklearn"] if sk else "n/a"))
    return out


def compile_case(repeats=3, empty_cache=True, n_train=2000, epochs=5, log=print):
    """First fit in a fresh process: skmlp with an empty and a warm Numba cache,
    scikit-learn for reference.

    With ``empty_cache``, skmlp's first child gets ``NUMBA_CACHE_DIR`` set to a new
    temporary directory (nothing cached: every kernel compiles); the following
    children reuse that directory (warm cache). Without it (``--quick``), the
    warm children use whatever cache the package already has.
    """
    common = ["compile", "--n-train", str(n_train), "--epochs", str(epochs)]
    out = {"n_train": n_train, "n_features": 20, "epochs": epochs, "repeats": repeats,
           "empty": [], "warm": [], "sklearn": []}
    with tempfile.TemporaryDirectory(prefix="skmlp-numba-cache-") as cache:
        env = {"NUMBA_CACHE_DIR": cache} if empty_cache else {}
        if empty_cache:
            res = run_child(common + ["--lib", "skmlp"], env)
            out["empty"].append(res)
            log("  skmlp empty cache: import %.2fs, first fit %.2fs, first predict "
                "%.2fs, process %.2fs" % (res["import_s"], res["first_fit_s"],
                                           res["first_predict_s"], res["process_s"]))
        for r in range(repeats):
            order = ["skmlp", "sklearn"] if r % 2 == 0 else ["sklearn", "skmlp"]
            for lib in order:
                res = run_child(common + ["--lib", lib], env if lib == "skmlp" else {})
                out["warm" if lib == "skmlp" else "sklearn"].append(res)
        out["cache"] = "fresh temporary NUMBA_CACHE_DIR" if empty_cache else "package cache"
    for key in ("empty", "warm", "sklearn"):
        if out[key]:
            out[key + "_summary"] = _median_fields(out[key])
    w, s = out["warm_summary"], out["sklearn_summary"]
    log("  warm cache first fit %.2fs (import %.2fs) vs sklearn %.2fs (import %.2fs)" % (
        w["first_fit_s"], w["import_s"], s["first_fit_s"], s["import_s"]))
    return out


def _median_fields(runs):
    import statistics

    keys = [k for k, v in runs[0].items() if isinstance(v, float)]
    return {k: statistics.median(r[k] for r in runs) for k in keys}


if __name__ == "__main__":
    main()
