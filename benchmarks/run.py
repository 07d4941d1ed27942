"""Command line: run the sections (one function each), save the JSON, write the page."""

import argparse
import datetime
import gc
import json
import os
import platform
import shlex
import socket
import sys
import tempfile
import time
import types

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import numpy as np  # noqa: E402

from benchmarks import cases, data, goals, isolated, machine, models, quality, report  # noqa: E402
from benchmarks.timing import SETTLE  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")
DOCS = os.path.join(REPO_ROOT, "docs")
FIT_IDS = [c["id"] for c in models.SETTINGS["fits"]]
# The profiles' sizes and repeats, and every case --case accepts: run.json (its "about").
FULL = dict(models.SETTINGS["full"], threads_cases=FIT_IDS, quality_epochs=quality.EPOCHS)
PROFILES = {"full": FULL, "quick": dict(FULL, **models.SETTINGS["quick"])}
_LISTED = list(models.SETTINGS["cases"].items())
CASES = dict(_LISTED[:2] + [(c["id"], [c["id"].split("_")[0], "fit: %s (%s)" % (
    c["label"], "784-300-100-10" if c["id"].startswith("mnist") else "50-64-64-10")])
    for c in models.SETTINGS["fits"]] + _LISTED[2:])


def parser(prog, description, name):
    """The options every command shares: data, output paths."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--mnist-dir", help="directory of the four MNIST IDX .gz files (default: "
                   "$SKMLP_MNIST_DIR, then ../shared/data/mnist, then OpenML)")
    p.add_argument("--json", help="results file (default: docs/%s.json for a complete run, "
                   "benchmarks/results/<time>-<mode>.json otherwise)" % name)
    p.add_argument("--doc", help="markdown page to write (default: docs/%s.md for a complete "
                   "run, beside the JSON otherwise)" % name)
    return p


def limit_threads(n):
    """Every library of this process and its children on ``n`` threads: environment for
    children and libraries not loaded yet (XLA reads its flags at start), threadpoolctl."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    if n == 1:  # XLA's CPU backend then runs its products on the calling thread
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flags).strip()
    import scipy.linalg.cython_blas  # noqa: F401  (the BLAS skmlp's kernels call)
    from threadpoolctl import threadpool_limits

    limit_threads.limits = threadpool_limits(limits=n)  # kept alive for the whole run


# The sections not in cases.py, one function each.
def run_threads(ctx):
    """The fit cases again in a child process (JAX fixes its thread pool at start)."""
    if ctx.args.threads:
        ctx.log("same thread count: this whole run is on %d thread(s) already; the "
                "one-thread child is not run" % ctx.args.threads)
        return
    a, ids = ctx.args, [i for i in ctx.profile["threads_cases"] if i in FIT_IDS]
    ctx.log("same thread count: %s in a child process, every library on 1 thread" % ", ".join(ids))
    with tempfile.TemporaryDirectory(prefix="skmlp-bench-threads-") as tmp:
        argv = ["benchmarks", "--threads", "1", "--case", ",".join(ids), "--libs",
                ",".join(ctx.libs), "--order-seed", str(a.order_seed), "--repeats",
                str(ctx.profile["threads_repeats"]), "--json", tmp + "/t.json", "--no-report"]
        argv += (["--quick"] * a.quick + ["--epochs", str(a.epochs)] * bool(a.epochs)
                 + ["--mnist-dir", str(a.mnist_dir)] * bool(a.mnist_dir))
        for line in isolated.child(argv).splitlines():
            if line.startswith(("  ", "note")):
                ctx.log("  [1 thread]" + line)
        with open(tmp + "/t.json") as f:
            child = json.load(f)
    ctx.res["same_threads"] = {
        "threads": 1, "cases": ids, "fit": child["fit"],
        "peer_threads": child["meta"].get("peer_threads", {}),
        "threadpools": child["meta"]["machine"]["threadpools"],
        "section_s": child["meta"]["duration_s"]}


def run_memory(ctx):
    p, adam = ctx.profile, {"solver": "adam", "batch_size": 200}
    configs = {"memory_mnist_f" + dt[5:]: dict(
        adam, dataset="mnist", n_train=p["mnist_train"], hidden=cases.MNIST_HIDDEN, dtype=dt,
        epochs=p["mnist_epochs"], label="MNIST %s rows, adam b200, %s" % (
            format(p["mnist_train"] or 60000, ","), dt)) for dt in ("float64", "float32")}
    configs["memory_tabular"] = dict(
        adam, dataset="tabular", n_train=p["tabular_train"], hidden=cases.TABULAR_HIDDEN,
        dtype="float64", epochs=p["tabular_epochs"], label="tabular %s x 50, (64, 64), adam "
        "b200, float64" % format(p["tabular_train"], ","))
    keys = p["memory"] if ctx.wanted is None else [k for k in configs if k in ctx.wanted]
    ctx.res["memory"] = [dict(isolated.memory_case(
        configs[k], ctx.libs if k in p["memory_peers"] else
        [lib for lib in ctx.libs if lib in models.CORE_LIBS], p["memory_repeats"],
        ctx.args.mnist_dir, seed=ctx.seed, log=ctx.log), id=k) for k in keys]


def run_compile(ctx):
    cold, warm = ctx.profile["cold_repeats"], ctx.profile["warm_repeats"]
    ctx.log("first fit in fresh processes (%s)" % (
        "empty and warm Numba cache" if cold else "package cache"))
    ctx.res["compile"] = isolated.compile_case(cold, warm, seed=ctx.seed, log=ctx.log)


def run_quality(ctx):
    ctx.res["quality"] = quality.quality_case(ctx.mnist["float64"],
                                              ctx.profile["quality_epochs"], log=ctx.log)


RUNNERS = {"parity": cases.parity, "gemm": cases.gemm, "mnist": cases.mnist,
           "tabular": cases.tabular, "predict": cases.predict, "epochs": cases.epochs,
           "threads": run_threads, "memory": run_memory, "compile": run_compile,
           "sweeps": cases.sweeps, "dropout": cases.dropout, "quality": run_quality}
SECTIONS = list(RUNNERS)[:-1]
# quality runs only when asked for (--case quality, --only quality): 20-30 minutes of
# training that measures accuracy, not speed; its own page is python -m benchmarks.quality.
ALL_SECTIONS = list(RUNNERS)
NEEDS_MNIST = {"mnist", "predict", "epochs", "sweeps", "dropout", "quality"}


def start_meta(prog, argv, libs):
    return {"command": " ".join([prog] + [shlex.quote(a) for a in argv]),
            "git": machine.git_state(REPO_ROOT), "machine": machine.machine_info(libs)}


def end_meta(meta, t_start):
    meta.update(duration_s=time.perf_counter() - t_start, load_average_end=machine.load_average(),
                finished=datetime.datetime.now().astimezone().isoformat(timespec="seconds"))


def run(args, log=print):
    t_start = time.perf_counter()
    profile = dict(PROFILES["quick" if args.quick else "full"])
    if args.repeats:
        profile["repeats"] = profile["threads_repeats"] = args.repeats
    if args.epochs:
        profile["mnist_epochs"] = args.epochs
    wanted = {c.strip() for c in args.case.split(",") if c.strip()} if args.case else None
    sections = [s for s in (args.only.split(",") if args.only else SECTIONS)
                if s not in args.skip.split(",")]
    unknown = wanted - set(CASES) if wanted else set(sections) - set(ALL_SECTIONS)
    if unknown:
        raise SystemExit("unknown case(s) or section(s): %s; see python -m benchmarks --list"
                         % ", ".join(sorted(unknown)))
    if wanted:
        sections = [s for s in ALL_SECTIONS if any(CASES[n][0] == s for n in wanted)]
    if args.threads:
        limit_threads(args.threads)
    libs, notes = models.select_libs(args.libs.split(",") if args.libs else None, {
        m for m in ("torch", "skorch", "jax") if getattr(args, "no_" + m)})
    for lib, note in notes.items():
        if note != "not requested":
            log("note: %s %s" % (models.LIB_NAMES[lib], note))
    for lib in set(libs) - set(models.CORE_LIBS):
        models.peer_module(lib)  # imported now, before timing
    peer_threads = {"xla_flags": os.environ.get("XLA_FLAGS", "")} if {
        "jax", "jax_scan"} & set(libs) else {}
    if {"torch", "skorch"} & set(libs):
        torch = models.peer_module("torch").torch
        if args.threads:
            torch.set_num_threads(args.threads)
        peer_threads = {"torch": torch.get_num_threads(), **peer_threads}
    from skmlp._threads import MULTITHREAD_MIN_MACS as macs
    res = {"meta": dict(start_meta("python -m benchmarks", sys.argv[1:], libs),
                        mode="quick" if args.quick else "full", profile=profile,
                        sections=sections, cases=sorted(wanted) if wanted else None, libs=libs,
                        peer_notes=notes, threads=args.threads, order_seed=args.order_seed,
                        settle_s=SETTLE, peer_threads=peer_threads,
                        skmlp_multithread_min_macs=int(macs)),
           "fit": []}
    log("libraries: %s; sections: %s; mode: %s%s" % (
        libs, sections, res["meta"]["mode"], "; cases: %s" % sorted(wanted) if wanted else ""))
    ctx = types.SimpleNamespace(args=args, profile=profile, libs=libs, wanted=wanted,
                                seed=args.order_seed, log=log, res=res, fitted={}, mnist={},
                                want=lambda name: wanted is None or name in wanted)
    if NEEDS_MNIST & set(sections):
        X, y, Xt, yt, res["meta"]["mnist_source"] = data.load_mnist(args.mnist_dir)
        X, y = data.subsample(X, y, profile["mnist_train"])
        ctx.mnist = {dt: (X.astype(dt), y, Xt.astype(dt), yt) for dt in ("float64", "float32")}
    gc.collect()
    gc.freeze()  # the imports' million objects made each gc.collect() cost 0.25 s
    durations = res["meta"]["section_s"] = {}
    for name in sections:
        t0 = time.perf_counter()
        RUNNERS[name](ctx)
        durations[name] = time.perf_counter() - t0
    if "gemm" in sections and len(sections) > 1:
        # Measured again at the end; the peak is the better of the two medians, so that
        # a busy moment at the start does not understate it.
        g, again = res["gemm"], machine.gemm_throughput(profile["gemm_n"])["gflops"]
        g["start"], g["end"] = g["gflops"], again
        g["gflops"] = {dt: {k: max(v, again[dt][k]) for k, v in d.items()}
                       for dt, d in g["start"].items()}
    end_meta(res["meta"], t_start)
    res["meta"]["peers_imported"] = sorted(m for m in ("torch", "skorch", "jax", "optax")
                                           if m in sys.modules)
    return res


def save_json(res, path):
    """Write ``res`` without this machine's paths and host details."""
    text = json.dumps(res, indent=1, default=lambda o: o.tolist()
                      if isinstance(o, (np.generic, np.ndarray)) else str(o))
    text = text.replace(REPO_ROOT + os.sep, "").replace(REPO_ROOT, ".")
    secrets = {socket.gethostname(), platform.node(), platform.release(), platform.version(),
               os.path.expanduser("~"), tempfile.gettempdir()}
    for s in sorted((s for s in secrets if s and len(s) > 3 and s != "/"), key=len, reverse=True):
        text = text.replace(json.dumps(s)[1:-1], "<redacted>")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text + "\n")


def out_paths(name, mode, complete, args):
    """``(json, doc)``: ``docs/<name>.*`` for a complete run, else benchmarks/results/."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path = args.json or (os.path.join(DOCS, name + ".json") if complete else
                              os.path.join(RESULTS_DIR, "%s-%s.json" % (stamp, mode)))
    return json_path, args.doc or (os.path.join(DOCS, name + ".md") if complete and not
                                   args.json else os.path.splitext(json_path)[0] + ".md")


def main(argv=None):
    p = parser("python -m benchmarks", "Side-by-side benchmarks of skmlp, scikit-learn and "
               "(when installed) PyTorch, skorch and JAX.", "benchmarks")
    add = p.add_argument
    add("--quick", action="store_true", help="reduced sizes and repeats; a few minutes")
    add("--list", action="store_true", help="list the cases and exit")
    add("--case", help="run only these cases (comma-separated names, see --list)")
    add("--only", help="comma-separated sections to run (default: %s; also quality)"
        % ",".join(SECTIONS))
    add("--skip", default="", help="comma-separated sections to skip")
    add("--libs", help="comma-separated libraries (default: all installed among %s)"
        % ",".join(models.ALL_LIBS))
    for peer, what in (("torch", "PyTorch and skorch"), ("skorch", "skorch"),
                       ("jax", "both JAX peers")):
        add("--no-" + peer, action="store_true", help="leave out %s (never imported)" % what)
    add("--repeats", type=int, help="timed repeats per library and case")
    add("--epochs", type=int, help="epochs per MNIST fit")
    add("--threads", type=int, help="limit every library to this many threads: BLAS and "
        "OpenMP (threadpoolctl and environment), torch.set_num_threads, XLA flags for JAX "
        "(one thread only). Default: each library's own default (all usable cores)")
    add("--order-seed", type=int, default=0, help="seed of the library order in each round")
    add("--figures", help="directory for figures (default: docs/figures for a complete full "
        "run, beside the report otherwise)")
    add("--no-report", action="store_true", help="save JSON only")
    args = p.parse_args(argv)
    if args.list:
        for name, (section, what) in CASES.items():
            print("%-22s %-8s %s" % (name, section, what))
        return
    res = run(args, log=lambda s: print(s, flush=True))
    meta = res["meta"]
    complete = (meta["mode"] == "full" and meta["sections"] == SECTIONS and not meta["cases"]
                and not (args.threads or args.libs or args.no_torch or args.no_skorch
                         or args.no_jax))
    json_path, doc = out_paths("benchmarks", meta["mode"], complete, args)
    figures = args.figures or (os.path.join(os.path.dirname(os.path.abspath(doc)), "figures")
                               if args.doc or complete and not args.json else
                               os.path.splitext(json_path)[0] + "-figures")
    save_json(res, json_path)
    print("results: %s (%.0f s)" % (os.path.relpath(json_path), res["meta"]["duration_s"]))
    if not args.no_report:
        report.write(json_path, doc, figures)
        print("report: %s (figures in %s)\n" % (os.path.relpath(doc), os.path.relpath(figures)))
        print(goals.summary_table(res))


if __name__ == "__main__":
    main()
