"""Command-line entry: run the benchmark sections, save JSON, write the report.

``python -m benchmarks`` (or ``python benchmarks/run.py``) runs every section at
full size and writes ``docs/benchmarks.json`` (the results, committed with the
page), ``docs/benchmarks.md`` and ``docs/figures/``. ``--quick``, ``--case``,
``--only``/``--skip``, ``--libs`` and ``--threads`` runs write their results and
report under ``benchmarks/results/`` (not committed) unless ``--json``/``--doc``
say otherwise, so that the published page always comes from one complete run.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import socket
import sys
import tempfile
import time

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import numpy as np  # noqa: E402

from benchmarks import (cases, data, goals, isolated, machine, models,  # noqa: E402
                        quality, report)
from benchmarks.timing import SETTLE, freeze_heap  # noqa: E402

SECTIONS = ["parity", "gemm", "mnist", "tabular", "predict", "epochs", "threads",
            "memory", "compile", "sweeps", "dropout"]
# Run only when asked for (--case quality, --only quality): about 20-30 minutes
# of training that measures accuracy, not speed. Its published page is
# docs/quality.md, written by python -m benchmarks.quality.
OPTIONAL_SECTIONS = ["quality"]
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")
DOC_JSON = os.path.join(REPO_ROOT, "docs", "benchmarks.json")
DOC_MD = os.path.join(REPO_ROOT, "docs", "benchmarks.md")
DOC_FIGURES = os.path.join(REPO_ROOT, "docs", "figures")

FIT_IDS = [c["id"] for c in cases.MNIST_FIT_CASES + cases.TABULAR_FIT_CASES]

PROFILES = {
    "full": {
        "mnist_train": None, "mnist_epochs": 1, "repeats": 7,
        "tabular_train": 20000, "tabular_epochs": 5,
        "predict_repeats": 15, "drift_epochs": 10, "drift_dtypes": ["float32", "float64"],
        "threads_repeats": 3, "threads_cases": FIT_IDS, "gemm_n": 2048,
        "sweep_rows": 10000, "sweep_dtype": "float32",
        "sweep_batches": [16, 32, 64, 128, 256, 512, 1024],
        "sweep_widths": [32, 64, 128, 256, 512, 1024], "sweep_repeats": 3,
        "cold_repeats": 2, "warm_repeats": 3,
        "memory": ["memory_mnist_f64", "memory_mnist_f32", "memory_tabular"],
        "memory_repeats": 3, "memory_peers": ["memory_mnist_f64"],
        "dropout_repeats": 5,
        "quality_epochs": quality.EPOCHS,
    },
    "quick": {
        "mnist_train": 10000, "mnist_epochs": 1, "repeats": 3,
        "tabular_train": 10000, "tabular_epochs": 1,
        "predict_repeats": 3, "drift_epochs": 3, "drift_dtypes": ["float32"],
        "threads_repeats": 1, "threads_cases": ["mnist_adam_b200_f32", "tabular_adam_b200"],
        "gemm_n": 1024,
        "sweep_rows": 2000, "sweep_dtype": "float32",
        "sweep_batches": [16, 128, 1024], "sweep_widths": [32, 256, 1024],
        "sweep_repeats": 1,
        "cold_repeats": 0, "warm_repeats": 1,
        "memory": ["memory_mnist_f64"], "memory_repeats": 2, "memory_peers": [],
        "dropout_repeats": 3,
        "quality_epochs": 3,
    },
}


def case_catalogue():
    """``{name: (section, description)}`` of every case ``--case`` accepts."""
    cat = {"parity": ("parity", "all libraries train the same network from the same "
                      "weights: probabilities after 3 full-batch epochs vs scikit-learn"),
           "gemm": ("gemm", "NumPy and Numba GEMM throughput on square matrices")}
    for c in cases.MNIST_FIT_CASES:
        cat[c["id"]] = ("mnist", "fit: " + c["label"] + " (784-300-100-10)")
    for c in cases.TABULAR_FIT_CASES:
        cat[c["id"]] = ("tabular", "fit: " + c["label"] + " (50-64-64-10)")
    for dt in ("f64", "f32"):
        cat["predict_" + dt] = ("predict", "predict_proba on 1, 100 and 10,000 MNIST "
                                "rows, float%s" % dt[1:])
        cat["epochs_" + dt] = ("epochs", "time of each of several partial_fit epochs, "
                               "MNIST adam b200, float%s" % dt[1:])
    cat["threads"] = ("threads", "the fit cases again with every library on one "
                      "BLAS/torch/XLA thread (child process)")
    cat["memory_mnist_f64"] = ("memory", "peak RSS of a fit, MNIST adam b200 float64")
    cat["memory_mnist_f32"] = ("memory", "peak RSS of a fit, MNIST adam b200 float32")
    cat["memory_tabular"] = ("memory", "peak RSS of a fit, tabular (64, 64) adam b200")
    cat["compile"] = ("compile", "first fit in fresh processes (iris): empty and warm "
                      "Numba cache, scikit-learn")
    cat["sweep_batch"] = ("sweeps", "time per epoch vs batch size, MNIST 784-300-100-10")
    cat["sweep_width"] = ("sweeps", "time per epoch vs hidden width w, MNIST 784-w-w-10")
    cat["dropout"] = ("dropout", "skmlp epoch with dropout=0.2 vs without")
    cat["quality"] = ("quality", "MNIST test accuracy per epoch budget: scikit-learn and "
                      "skmlp defaults, then skmlp's features one at a time (opt-in)")
    return cat


def _memory_configs(profile):
    n = profile["mnist_train"]
    e = profile["mnist_epochs"]
    mnist = {"dataset": "mnist", "n_train": n, "hidden": cases.MNIST_HIDDEN,
             "solver": "adam", "batch_size": 200, "epochs": e}
    rows = format(n, ",") if n else "60,000"
    return {
        "memory_mnist_f64": dict(mnist, label="MNIST %s rows, adam b200, float64" % rows,
                                 dtype="float64"),
        "memory_mnist_f32": dict(mnist, label="MNIST %s rows, adam b200, float32" % rows,
                                 dtype="float32"),
        "memory_tabular": {"label": "tabular %s x 50, (64, 64), adam b200, float64"
                           % format(profile["tabular_train"], ","), "dataset": "tabular",
                           "n_train": profile["tabular_train"], "dtype": "float64",
                           "hidden": cases.TABULAR_HIDDEN, "solver": "adam",
                           "batch_size": 200, "epochs": profile["tabular_epochs"]},
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Side-by-side benchmarks of skmlp, scikit-learn and (when "
                    "installed) PyTorch, skorch and JAX.")
    p.add_argument("--quick", action="store_true",
                   help="reduced sizes and repeats; a few minutes")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--case", default=None,
                   help="run only these cases (comma-separated names, see --list)")
    p.add_argument("--only", default=None,
                   help="comma-separated sections to run (default: %s; also %s)" % (
                       ",".join(SECTIONS), ",".join(OPTIONAL_SECTIONS)))
    p.add_argument("--skip", default="", help="comma-separated sections to skip")
    p.add_argument("--libs", default=None,
                   help="comma-separated libraries (default: all installed among %s)"
                        % ",".join(models.ALL_LIBS))
    p.add_argument("--no-torch", action="store_true",
                   help="leave out PyTorch and skorch; torch is then never imported")
    p.add_argument("--no-skorch", action="store_true", help="leave out skorch")
    p.add_argument("--no-jax", action="store_true",
                   help="leave out both JAX peers; jax is then never imported")
    p.add_argument("--mnist-dir", default=None,
                   help="directory of the four MNIST IDX .gz files (default: "
                        "$SKMLP_MNIST_DIR, then ../shared/data/mnist, then OpenML)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats per library and case")
    p.add_argument("--epochs", type=int, default=None, help="epochs per MNIST fit")
    p.add_argument("--threads", type=int, default=None,
                   help="limit every library to this many threads: BLAS and OpenMP "
                        "(threadpoolctl and environment), torch.set_num_threads, XLA "
                        "flags for JAX (one thread only). Default: each library's "
                        "own default (all usable cores)")
    p.add_argument("--order-seed", type=int, default=0,
                   help="seed of the random library order in each round (recorded)")
    p.add_argument("--json", default=None,
                   help="results file (default: docs/benchmarks.json for a complete "
                        "full run, benchmarks/results/<time>-<mode>.json otherwise)")
    p.add_argument("--doc", default=None,
                   help="markdown report to write (default: docs/benchmarks.md for a "
                        "complete full run, beside the JSON otherwise)")
    p.add_argument("--figures", default=None,
                   help="directory for figures (default: docs/figures for a complete "
                        "full run, beside the report otherwise)")
    p.add_argument("--no-report", action="store_true", help="save JSON only")
    return p.parse_args(argv)


def _selection(args):
    """``(sections, wanted cases or None)`` from ``--only``, ``--skip``, ``--case``."""
    cat = case_catalogue()
    if args.case:
        names = [c.strip() for c in args.case.split(",") if c.strip()]
        unknown = [n for n in names if n not in cat]
        if unknown:
            raise SystemExit("unknown case(s) %s; see python -m benchmarks --list"
                             % ", ".join(unknown))
        sections = [s for s in SECTIONS + OPTIONAL_SECTIONS
                    if any(cat[n][0] == s for n in names)]
        return sections, set(names)
    sections = args.only.split(",") if args.only else list(SECTIONS)
    sections = [s for s in sections if s not in args.skip.split(",")]
    unknown = set(sections) - set(SECTIONS) - set(OPTIONAL_SECTIONS)
    if unknown:
        raise SystemExit("unknown section(s): %s" % ", ".join(sorted(unknown)))
    return sections, None


def limit_threads(n):
    """Limit every library of this process, and of its children, to ``n`` threads.

    Environment variables first (children, and libraries not loaded yet: XLA
    reads ``XLA_FLAGS`` when JAX starts), then threadpoolctl for the BLAS and
    OpenMP libraries already loaded. PyTorch's count is set after its import
    (:func:`benchmarks.models.set_peer_threads`).
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    if n == 1:
        # XLA's CPU backend runs matrix products on an Eigen thread pool; these
        # flags make it run them on the calling thread.
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS skmlp's kernels call)
    from threadpoolctl import threadpool_limits

    # Kept alive for the whole run.
    limit_threads.limits = threadpool_limits(limits=n)


def _import_peers(libs):
    """Import the selected peers now, before the heap is frozen and timing starts."""
    for lib in libs:
        if lib not in models.CORE_LIBS:
            models._peer_module(lib)


def peer_threads(libs):
    """Thread counts the peers run with, as far as they can be read."""
    out = {}
    if any(lib in ("torch", "skorch") for lib in libs):
        import torch

        out["torch"] = torch.get_num_threads()
    if any(lib in ("jax", "jax_scan") for lib in libs):
        out["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    return out


def run(args, log=print):
    """Run the selected sections; return the JSON-ready results dict."""
    mode = "quick" if args.quick else "full"
    profile = dict(PROFILES[mode])
    if args.repeats:
        profile["repeats"] = args.repeats
        profile["threads_repeats"] = args.repeats
    if args.epochs:
        profile["mnist_epochs"] = args.epochs
    sections, wanted = _selection(args)

    def want(name):
        return wanted is None or name in wanted

    if args.threads:
        limit_threads(args.threads)
    disabled = ({"torch"} if args.no_torch else set()) | \
        ({"skorch"} if args.no_skorch else set()) | ({"jax"} if args.no_jax else set())
    requested = args.libs.split(",") if args.libs else None
    libs, notes = models.select_libs(requested, disabled)
    for lib, note in notes.items():
        if note != "not requested":
            log("note: %s %s" % (models.LIB_NAMES[lib], note))
    _import_peers(libs)
    if args.threads:
        models.set_peer_threads(libs, args.threads)
    seed = args.order_seed
    t_start = time.perf_counter()
    res = {"meta": {
        "mode": mode, "profile": profile, "sections": sections,
        "cases": sorted(wanted) if wanted else None, "libs": libs, "peer_notes": notes,
        "threads": args.threads, "order_seed": seed, "settle_s": SETTLE,
        "command": " ".join(["python -m benchmarks"] +
                            [shlex.quote(a) for a in sys.argv[1:]]),
        "git": machine.git_state(REPO_ROOT),
        "machine": machine.machine_info(libs),
        "peer_threads": peer_threads(libs),
        "skmlp_multithread_min_macs": _skmlp_threshold(),
    }}
    durations = res["meta"]["section_s"] = {}
    t_mark = [time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        if name in sections:
            durations[name] = now - t_mark[0]
        t_mark[0] = now

    log("libraries: %s; sections: %s; mode: %s%s" % (
        libs, sections, mode, "; cases: %s" % sorted(wanted) if wanted else ""))

    if "parity" in sections:
        res["parity"] = cases.parity_case(libs, log=log)
    mark("parity")

    if "gemm" in sections:
        res["gemm"] = machine.gemm_throughput(profile["gemm_n"])
        log("GEMM %d: %s" % (profile["gemm_n"], {
            k: {n: round(g, 1) for n, g in v.items()}
            for k, v in res["gemm"]["gflops"].items()}))
    mark("gemm")

    need_mnist = {"mnist", "predict", "epochs", "sweeps", "dropout",
                  "quality"} & set(sections)
    mnist = {}
    if need_mnist:
        X, y, Xt, yt, source = data.load_mnist(args.mnist_dir)
        X, y = data.subsample(X, y, profile["mnist_train"])
        res["meta"]["mnist_source"] = source
        for dt in ("float64", "float32"):
            mnist[dt] = (X.astype(dt), y, Xt.astype(dt), yt)
    freeze_heap()
    t_mark[0] = time.perf_counter()

    fitted = {}
    res["fit"] = []
    if "mnist" in sections:
        for case in cases.MNIST_FIT_CASES:
            if not want(case["id"]):
                continue
            r = cases.fit_case(case, mnist[case["dtype"]], cases.MNIST_HIDDEN,
                               profile["mnist_epochs"], profile["repeats"], libs,
                               seed=seed, gemm_chain=True, log=log)
            fitted[case["id"]] = r.pop("models")
            res["fit"].append(dict(r, dataset="mnist"))
    mark("mnist")

    if "tabular" in sections:
        tab = data.make_tabular(n_samples=profile["tabular_train"])
        for case in cases.TABULAR_FIT_CASES:
            if not want(case["id"]):
                continue
            if args.threads and case.get("skmlp_params", {}).get("n_jobs"):
                continue  # a case about more threads has no one-thread version
            r = cases.fit_case(case, tab, cases.TABULAR_HIDDEN,
                               profile["tabular_epochs"], profile["repeats"], libs,
                               seed=seed, log=log)
            r.pop("models")
            res["fit"].append(dict(r, dataset="tabular"))
    mark("tabular")

    if "predict" in sections:
        res["predict"] = []
        for dt, cid in (("float64", "mnist_adam_b200_f64"),
                        ("float32", "mnist_adam_b200_f32")):
            if not want("predict_f%s" % dt[5:]):
                continue
            X_, y_, Xt_, _ = mnist[dt]
            trained = fitted.get(cid)
            if trained is None:  # the fit case did not run: train untimed
                params = models.mlp_params(cases.MNIST_HIDDEN, "adam", 200, 1)
                log("predict %s: training the models first (untimed)" % dt)
                with _quiet():
                    trained = {lib: models.fit_fn(lib, params, X_, y_)() for lib in libs
                               if lib != "jax_scan"}
            # Both JAX peers predict with the same jitted function: time it once.
            trained = {lib: m for lib, m in trained.items() if lib != "jax_scan"}
            units = cases.layer_units(X_.shape[1], cases.MNIST_HIDDEN, 10)
            res["predict"].append(cases.predict_case(
                "MNIST network, %s" % dt, trained, Xt_, profile["predict_repeats"],
                units, seed=seed, log=log))
    mark("predict")

    if "epochs" in sections:
        res["epochs"] = [cases.epoch_times_case(
            "MNIST adam b200 %s" % dt, mnist[dt], cases.MNIST_HIDDEN, "adam",
            200, profile["drift_epochs"], seed=seed, log=log)
            for dt in profile["drift_dtypes"] if want("epochs_f%s" % dt[5:])]
    mark("epochs")

    if "threads" in sections and args.threads:
        log("same thread count: this whole run is on %d thread(s) already; the "
            "one-thread child is not run" % args.threads)
    elif "threads" in sections:
        res["same_threads"] = same_threads(args, profile, libs, log)
    mark("threads")

    if "memory" in sections:
        configs = _memory_configs(profile)
        res["memory"] = []
        for key in (profile["memory"] if wanted is None else
                    [k for k in configs if k in wanted]):
            mem_libs = libs if key in profile["memory_peers"] else \
                [lib for lib in libs if lib in models.CORE_LIBS]
            res["memory"].append(dict(isolated.memory_case(
                configs[key], mem_libs, profile["memory_repeats"], args.mnist_dir,
                seed=seed, log=log), id=key))
    mark("memory")

    if "compile" in sections:
        log("first fit in fresh processes (%s)" % (
            "empty and warm Numba cache" if profile["cold_repeats"] else "package cache"))
        res["compile"] = isolated.compile_case(profile["cold_repeats"],
                                               profile["warm_repeats"], seed=seed, log=log)
    mark("compile")

    if "sweeps" in sections:
        dt = profile["sweep_dtype"]
        X_, y_ = data.subsample(mnist[dt][0], mnist[dt][1], profile["sweep_rows"], seed=1)
        res["sweeps"] = []
        if want("sweep_batch"):
            log("sweep: time per epoch vs batch size (MNIST 784-300-100-10, %s, %d rows)"
                % (dt, X_.shape[0]))
            res["sweeps"].append(cases.sweep_case(
                "batch", (X_, y_), profile["sweep_batches"], profile["sweep_repeats"],
                libs, seed=seed, log=log))
        if want("sweep_width"):
            log("sweep: time per epoch vs hidden width (MNIST 784-w-w-10, %s, %d rows, "
                "batch 200)" % (dt, X_.shape[0]))
            res["sweeps"].append(cases.sweep_case(
                "width", (X_, y_), profile["sweep_widths"], profile["sweep_repeats"],
                libs, seed=seed, log=log))
    mark("sweeps")

    if "dropout" in sections:
        r = cases.dropout_case(mnist["float64"], cases.MNIST_HIDDEN,
                               profile["mnist_epochs"], profile["dropout_repeats"],
                               seed=seed, log=log)
        res["dropout"] = r if r is not None else {
            "skipped": "skmlp has no dropout parameter in this version"}
    mark("dropout")

    if "quality" in sections:
        res["quality"] = quality.quality_case(mnist["float64"], profile["quality_epochs"],
                                              log=log)
    mark("quality")

    if "gemm" in sections and len(sections) > 1:
        # Measured again at the end: the peak is the better of the two medians,
        # so that a busy moment at the start does not understate it.
        again = machine.gemm_throughput(profile["gemm_n"])
        res["gemm"]["start"] = res["gemm"]["gflops"]
        res["gemm"]["end"] = again["gflops"]
        res["gemm"]["gflops"] = {
            dt: {k: max(v, again["gflops"][dt][k]) for k, v in d.items()}
            for dt, d in res["gemm"]["gflops"].items()}
    res["meta"]["duration_s"] = time.perf_counter() - t_start
    res["meta"]["load_average_end"] = machine.load_average()
    res["meta"]["finished"] = datetime.datetime.now().astimezone().isoformat(
        timespec="seconds")
    res["meta"]["peers_imported"] = sorted(
        m for m in ("torch", "skorch", "jax", "optax") if m in sys.modules)
    return res


def _quiet():
    from benchmarks.timing import quiet

    return quiet()


def _skmlp_threshold():
    try:
        from skmlp._threads import MULTITHREAD_MIN_MACS
    except ImportError:
        return None
    return int(MULTITHREAD_MIN_MACS)


def same_threads(args, profile, libs, log=print):
    """The fit cases again in a fresh process with every library on one thread.

    A child process because JAX fixes its thread pool when it starts; the child
    is ``python -m benchmarks --threads 1 --case ...`` with this run's
    libraries, profile, repeats and seed.
    """
    ids = [i for i in profile["threads_cases"] if i in FIT_IDS]
    fd, path = tempfile.mkstemp(prefix="skmlp-bench-threads-", suffix=".json")
    os.close(fd)
    argv = [sys.executable, "-m", "benchmarks", "--threads", "1", "--case", ",".join(ids),
            "--libs", ",".join(libs), "--order-seed", str(args.order_seed),
            "--repeats", str(profile["threads_repeats"]), "--json", path, "--no-report"]
    if args.quick:
        argv.append("--quick")
    if args.epochs:
        argv += ["--epochs", str(args.epochs)]
    if args.mnist_dir:
        argv += ["--mnist-dir", args.mnist_dir]
    log("same thread count: %s in a child process, every library on 1 thread"
        % ", ".join(ids))
    import subprocess

    env = dict(os.environ)
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    try:
        proc = subprocess.run(argv, cwd=REPO_ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in proc.stdout.splitlines():
            if line.startswith("  ") or line.startswith("note"):
                log("  [1 thread]" + line)
        if proc.returncode != 0:
            raise RuntimeError("the one-thread child failed:\n%s" % proc.stdout[-3000:])
        with open(path) as f:
            child = json.load(f)
    finally:
        os.unlink(path)
    return {"threads": 1, "cases": ids, "fit": child["fit"],
            "peer_threads": child["meta"].get("peer_threads", {}),
            "threadpools": child["meta"]["machine"]["threadpools"],
            "section_s": child["meta"]["duration_s"]}


def _default_paths(res, args, stamp):
    """Where a run's outputs go (see the module docstring)."""
    meta = res["meta"]
    complete = (meta["mode"] == "full" and meta["sections"] == SECTIONS
                and not meta["cases"] and not args.threads and not args.libs
                and not (args.no_torch or args.no_skorch or args.no_jax))
    if complete:
        return DOC_JSON, DOC_MD, DOC_FIGURES
    base = os.path.join(RESULTS_DIR, "%s-%s" % (stamp, meta["mode"]))
    return base + ".json", base + ".md", base + "-figures"


def scrub(text):
    """Remove paths and host details of this machine from the results text.

    The results are committed: no absolute path of the machine, host name or
    kernel build string may appear. Paths inside the repository become
    repository-relative; anything else identifying is replaced.
    """
    text = text.replace(REPO_ROOT + os.sep, "").replace(REPO_ROOT, ".")
    secrets = {socket.gethostname(), platform.node(), platform.release(),
               platform.version(), os.path.expanduser("~"), tempfile.gettempdir()}
    for s in sorted((s for s in secrets if s and len(s) > 3 and s != "/"), key=len,
                    reverse=True):
        text = text.replace(json.dumps(s)[1:-1], "<redacted>")
    return text


def save_json(res, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    text = scrub(json.dumps(res, indent=1, default=_json_default))
    with open(path, "w") as f:
        f.write(text + "\n")


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name, (section, what) in case_catalogue().items():
            print("%-22s %-8s %s" % (name, section, what))
        return
    res = run(args, log=lambda s: print(s, flush=True))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path, doc, figures = _default_paths(res, args, stamp)
    json_path = args.json or json_path
    save_json(res, json_path)
    print("results: %s (%.0f s)" % (os.path.relpath(json_path),
                                    res["meta"]["duration_s"]))
    if not args.no_report:
        if args.doc:
            doc = args.doc
            figures = os.path.join(os.path.dirname(os.path.abspath(doc)), "figures")
        elif args.json:
            doc = os.path.splitext(args.json)[0] + ".md"
            figures = os.path.splitext(args.json)[0] + "-figures"
        figures = args.figures or figures
        report.write(json_path, doc, figures)
        print("report: %s (figures in %s)" % (os.path.relpath(doc), os.path.relpath(figures)))
        print()
        with open(json_path) as f:
            print(goals.summary_table(json.load(f)))


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


if __name__ == "__main__":
    main()
