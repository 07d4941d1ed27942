"""Fresh-process measurements: peak resident memory of a fit (``VmHWM`` after resetting it,
which ``tracemalloc`` cannot see for Numba or BLAS) and first-fit cost. Nothing heavy is
imported at the top, so a child's import timings are its own."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

from benchmarks.timing import shuffled

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child_memory(c):
    import gc
    import resource

    from benchmarks import models
    from benchmarks.cases import warm_rows
    from benchmarks.data import load_mnist, make_tabular, subsample

    def status_kib(field):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    if c["dataset"] == "mnist":
        X, y = subsample(*load_mnist(c["mnist_dir"], dtype=c["dtype"])[:2], c["n_train"])
    else:
        X, y, _, _ = make_tabular(n_samples=c["n_train"] or 20000, dtype=c["dtype"])
    params = models.mlp_params(c["hidden"], c["solver"], c["batch_size"], c["epochs"],
                               momentum=c.get("momentum", 0.9))
    models.warmup_fn(c["lib"], params, X, y, warm_rows(X.shape[0], c["batch_size"]))()
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        exact = True
    except OSError:
        exact = False
    base = status_kib("VmRSS")
    t0 = time.perf_counter()
    models.fit_fn(c["lib"], params, X, y)()
    seconds = time.perf_counter() - t0
    peak = status_kib("VmHWM") if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"lib": c["lib"], "baseline_mib": base / 1024, "peak_mib": peak / 1024,
            "delta_mib": (peak - base) / 1024, "method": "VmHWM" if exact else "maxrss",
            "fit_s": seconds, "X_mib": X.nbytes / 2**20, "n_train": int(X.shape[0])}


def _child_compile(c):
    """Import, then fit and predict_proba on iris twice, float64 then float32; for skmlp
    then one fit with ``n_jobs=2`` (the split-batch engine)."""
    t0 = time.perf_counter()
    if c["lib"] == "skmlp":
        from skmlp import MLPClassifierNB as Estimator
    else:
        from sklearn.neural_network import MLPClassifier as Estimator
    out = {"lib": c["lib"], "import_s": time.perf_counter() - t0}
    import numpy as np
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    out.update(n_train=int(X.shape[0]), dataset="iris", params="defaults, random_state=0")
    for dtype in ("float64", "float32"):
        Xd = X.astype(dtype)
        for run in ("first", "second"):
            est = Estimator(random_state=0)
            for step, call in (("fit", lambda: est.fit(Xd, y)),
                               ("predict", lambda: est.predict_proba(Xd))):
                t0 = time.perf_counter()
                call()
                out["%s_%s_%s_s" % (run, step, dtype)] = time.perf_counter() - t0
        out["epochs_" + dtype] = int(est.n_iter_)
        out["accuracy_" + dtype] = float(np.mean(est.predict(Xd) == y))
    if c["lib"] == "skmlp":  # the split-batch engine (n_jobs > 1), float64, compiled last
        t0 = time.perf_counter()
        Estimator(random_state=0, n_jobs=2).fit(X, y)
        out["first_fit_split_s"] = time.perf_counter() - t0
    return out


def main(argv=None):
    """``python -m benchmarks.isolated memory|compile '{"lib": ..., ...}'``."""
    what, config = (argv or sys.argv[1:])[:2]
    warnings.simplefilter("ignore")
    print(json.dumps((_child_memory if what == "memory" else _child_compile)(json.loads(config))))


def child(argv, env_extra=None, timeout=None):
    env = dict(os.environ, **(env_extra or {}))
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-m", *argv], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError("child %s failed:\n%s" % (argv, proc.stderr[-3000:]))
    return proc.stdout


def run_child(what, config, env_extra=None):
    t0 = time.perf_counter()
    out = child(["benchmarks.isolated", what, json.dumps(config)], env_extra, timeout=900)
    return dict(json.loads(out.strip().splitlines()[-1]), process_s=time.perf_counter() - t0)


def medians(runs):
    """The median over ``runs`` of every float they report."""
    return {k: statistics.median(r[k] for r in runs) for k, v in runs[0].items()
            if isinstance(v, float)}


def memory_case(config, libs, repeats=1, mnist_dir=None, seed=0, log=print):
    """Peak RSS a fit adds, each in a fresh process (min and max over the repeats)."""
    out = dict(config, hidden=list(config["hidden"]), repeats=repeats, libs={},
               runs={lib: [] for lib in libs}, orders=shuffled(libs, repeats, seed))
    for order in out["orders"]:
        for lib in order:
            out["runs"][lib].append(run_child(
                "memory", dict(config, lib=lib, mnist_dir=mnist_dir)))
    for lib, runs in out["runs"].items():
        deltas = [r["delta_mib"] for r in runs]
        out["libs"][lib] = dict(medians(runs), min_mib=min(deltas), max_mib=max(deltas),
                                method=runs[0]["method"])
    sm, sk = out["libs"].get("skmlp"), out["libs"].get("sklearn")
    out["ratios"] = {"sklearn": sm["delta_mib"] / sk["delta_mib"]
                     if sm and sk and sk["delta_mib"] else None}
    log("%s: peak RSS over baseline (median of %d) %s" % (config["label"], repeats, ", ".join(
        "%s %.1f MiB" % (lib, r["delta_mib"]) for lib, r in out["libs"].items())))
    return out


def compile_case(cold_repeats=1, warm_repeats=3, seed=0, log=print):
    """First fit: skmlp with a new empty ``NUMBA_CACHE_DIR``, then with the last one warm
    (none: the package's cache), and scikit-learn."""
    out = {"dataset": "iris", "cold_repeats": cold_repeats, "warm_repeats": warm_repeats,
           "cold": [], "warm": [], "sklearn": [],
           "orders": shuffled(["skmlp", "sklearn"], warm_repeats, seed)}
    caches = [tempfile.mkdtemp(prefix="skmlp-numba-cache-") for _ in range(cold_repeats)]
    try:
        for cache in caches:
            r = run_child("compile", {"lib": "skmlp"}, {"NUMBA_CACHE_DIR": cache})
            out["cold"].append(r)
            log("  skmlp empty cache: import, fit and predict_proba %.2fs" % (
                r["import_s"] + r["first_fit_float64_s"] + r["first_predict_float64_s"]))
        for order in out["orders"]:
            for lib in order:
                env = {"NUMBA_CACHE_DIR": caches[-1]} if caches and lib == "skmlp" else {}
                out["warm" if lib == "skmlp" else "sklearn"].append(
                    run_child("compile", {"lib": lib}, env))
    finally:
        for cache in caches:
            shutil.rmtree(cache, ignore_errors=True)
    out["cache"] = "fresh temporary NUMBA_CACHE_DIR" if caches else "package cache"
    out.update({key + "_summary": medians(out[key]) for key in ("cold", "warm", "sklearn")
                if out[key]})
    w, s = out["warm_summary"], out["sklearn_summary"]
    log("  warm cache: import + fit %.2fs vs sklearn %.2fs" % (
        w["import_s"] + w["first_fit_float64_s"], s["import_s"] + s["first_fit_float64_s"]))
    return out


if __name__ == "__main__":
    main()
