"""Command-line entry: run the benchmark sections, save JSON, write the report.

``python -m benchmarks`` (or ``python benchmarks/run.py``) runs every section at
full size and writes ``docs/benchmarks.md`` and ``docs/figures/``;
``--quick`` runs a reduced version in under two minutes and, unless ``--doc`` is
given, writes its report under ``benchmarks/results/`` so that the published page
keeps the numbers of a full run.
"""

import argparse
import datetime
import json
import os
import shlex
import sys
import time

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import numpy as np  # noqa: E402

from benchmarks import cases, data, isolated, machine, models, report  # noqa: E402
from benchmarks.timing import freeze_heap  # noqa: E402

SECTIONS = ["gemm", "mnist", "tabular", "predict", "epochs", "threads", "memory",
            "compile", "scaling"]
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

PROFILES = {
    "full": {
        "mnist_train": None, "mnist_epochs": 1, "repeats": 7,
        "tabular_train": 20000, "tabular_epochs": 5,
        "predict_repeats": 15, "drift_epochs": 10, "drift_dtypes": ["float32", "float64"],
        "threads_repeats": 3, "threads_cases": 2, "gemm_n": 2048,
        "scaling_n": [2500, 5000, 10000, 20000, 40000, 60000],
        "scaling_widths": [16, 32, 64, 128, 256, 512, 1024],
        "scaling_repeats": 3, "compile_repeats": 3, "empty_cache": True,
        "memory": ["mnist_f64", "mnist_f32", "tabular"], "memory_torch": True,
    },
    "quick": {
        "mnist_train": 10000, "mnist_epochs": 1, "repeats": 3,
        "tabular_train": 10000, "tabular_epochs": 1,
        "predict_repeats": 5, "drift_epochs": 3, "drift_dtypes": ["float32"],
        "threads_repeats": 1, "threads_cases": 1, "gemm_n": 1024,
        "scaling_n": [2000, 10000], "scaling_widths": [32, 256],
        "scaling_repeats": 1, "compile_repeats": 1, "empty_cache": False,
        "memory": ["mnist_f64"], "memory_torch": False,
    },
}


def _memory_configs(profile):
    n = profile["mnist_train"]
    e = profile["mnist_epochs"]
    mnist = {"dataset": "mnist", "n_train": n, "hidden": cases.MNIST_HIDDEN,
             "solver": "adam", "batch_size": 200, "epochs": e}
    rows = "%d" % n if n else "60,000"
    return {
        "mnist_f64": dict(mnist, label="MNIST %s rows, adam b200, float64" % rows,
                          dtype="float64"),
        "mnist_f32": dict(mnist, label="MNIST %s rows, adam b200, float32" % rows,
                          dtype="float32"),
        "tabular": {"label": "tabular %s x 50, (64, 64), adam b200, float64"
                    % format(profile["tabular_train"], ","), "dataset": "tabular",
                    "n_train": profile["tabular_train"], "dtype": "float64",
                    "hidden": cases.TABULAR_HIDDEN, "solver": "adam",
                    "batch_size": 200, "epochs": profile["tabular_epochs"]},
    }


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Side-by-side benchmarks of skmlp, scikit-learn and PyTorch.")
    p.add_argument("--quick", action="store_true",
                   help="reduced sizes and repeats; finishes in under two minutes")
    p.add_argument("--mnist-dir", default=None,
                   help="directory of the four MNIST IDX .gz files (default: "
                        "$SKMLP_MNIST_DIR, then ../shared/data/mnist, then OpenML)")
    p.add_argument("--only", default=None,
                   help="comma-separated sections to run (%s)" % ",".join(SECTIONS))
    p.add_argument("--skip", default="", help="comma-separated sections to skip")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats per library and case")
    p.add_argument("--epochs", type=int, default=None, help="epochs per MNIST fit")
    p.add_argument("--threads", type=int, default=None,
                   help="limit BLAS/OpenMP (threadpoolctl) and PyTorch to this many "
                        "threads for every library (default: the libraries' own "
                        "defaults, all cores for BLAS, 2 for PyTorch); 1 gives steadier "
                        "ratios on a machine shared with other work")
    p.add_argument("--no-torch", action="store_true",
                   help="leave PyTorch out even when it is installed")
    p.add_argument("--json", default=None,
                   help="results file (default: benchmarks/results/<time>-<mode>.json)")
    p.add_argument("--doc", default=None,
                   help="markdown report to write (default: docs/benchmarks.md for a "
                        "full run, benchmarks/results/<time>-quick.md for --quick)")
    p.add_argument("--figures", default=None,
                   help="directory for figures (default: docs/figures for a full "
                        "run, beside the quick report otherwise)")
    p.add_argument("--no-report", action="store_true", help="save JSON only")
    return p.parse_args(argv)


def run(args, log=print):
    """Run the selected sections; return the JSON-ready results dict."""
    mode = "quick" if args.quick else "full"
    profile = dict(PROFILES[mode])
    if args.repeats:
        profile["repeats"] = args.repeats
    if args.epochs:
        profile["mnist_epochs"] = args.epochs
    sections = args.only.split(",") if args.only else list(SECTIONS)
    sections = [s for s in sections if s not in args.skip.split(",")]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit("unknown section(s): %s" % ", ".join(sorted(unknown)))

    with_torch = models.torch_available() and not args.no_torch
    if with_torch:
        from benchmarks import torch_mlp

        if args.threads:
            torch_mlp.set_threads(args.threads)
    if args.threads:
        from threadpoolctl import threadpool_limits

        # Kept alive for the whole run; children get the same limit through
        # the environment (see isolated.run_child).
        run.limits = threadpool_limits(limits=args.threads)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    libs = ["skmlp", "sklearn"] + (["torch"] if with_torch else [])
    t_start = time.perf_counter()
    res = {"meta": {
        "mode": mode, "profile": profile, "sections": sections, "libs": libs,
        "threads": args.threads, "torch_installed": models.torch_available(),
        "command": " ".join(["python -m benchmarks"] +
                            [shlex.quote(a) for a in sys.argv[1:]]),
        "machine": machine.machine_info(with_torch=with_torch),
    }}
    if with_torch:
        import torch

        res["meta"]["torch_threads"] = torch.get_num_threads()
    durations = res["meta"]["section_s"] = {}
    t_mark = [time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        if name in sections:
            durations[name] = now - t_mark[0]
        t_mark[0] = now

    log("libraries: %s; sections: %s; mode: %s" % (libs, sections, mode))

    if "gemm" in sections:
        res["gemm"] = machine.gemm_throughput(profile["gemm_n"])
        log("GEMM %d: %s" % (profile["gemm_n"], {
            k: {n: round(g, 1) for n, g in v.items()}
            for k, v in res["gemm"]["gflops"].items()}))
    mark("gemm")

    need_mnist = {"mnist", "predict", "epochs", "threads", "scaling"} & set(sections)
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
            r = cases.fit_case(case, mnist[case["dtype"]], cases.MNIST_HIDDEN,
                               profile["mnist_epochs"], profile["repeats"], libs, log)
            fitted[case["id"]] = r.pop("models")
            res["fit"].append(dict(r, dataset="mnist"))
    mark("mnist")

    if "tabular" in sections:
        tab = data.make_tabular(n_samples=profile["tabular_train"])
        for case in cases.TABULAR_FIT_CASES:
            r = cases.fit_case(case, tab, cases.TABULAR_HIDDEN,
                               profile["tabular_epochs"], profile["repeats"], libs, log)
            r.pop("models")
            res["fit"].append(dict(r, dataset="tabular"))
    mark("tabular")

    if "predict" in sections:
        res["predict"] = []
        for dt, cid in (("float64", "mnist_adam_b200_f64"),
                        ("float32", "mnist_adam_b200_f32")):
            X_, y_, Xt_, _ = mnist[dt]
            trained = fitted.get(cid)
            if trained is None:  # the mnist section was skipped: train untimed
                params = models.mlp_params(cases.MNIST_HIDDEN, "adam", 200, 1)
                trained = {lib: models.fit_fn(lib, params, X_, y_)() for lib in libs}
            units = cases.layer_units(X_.shape[1], cases.MNIST_HIDDEN, 10)
            res["predict"].append(cases.predict_case(
                "MNIST test set, %s" % dt, trained, Xt_, profile["predict_repeats"],
                units, log))
    mark("predict")

    if "epochs" in sections:
        res["epochs"] = [cases.epoch_times_case(
            "MNIST adam b200 %s" % dt, mnist[dt], cases.MNIST_HIDDEN, "adam",
            200, profile["drift_epochs"], log) for dt in profile["drift_dtypes"]]
    mark("epochs")

    if "threads" in sections:
        res["threads"] = [cases.threads_case(
            case, mnist[case["dtype"]], cases.MNIST_HIDDEN, profile["mnist_epochs"],
            profile["threads_repeats"], sorted({1, machine.usable_cpus()}), log)
            for case in cases.MNIST_FIT_CASES[:profile["threads_cases"]]]
    mark("threads")

    if "memory" in sections:
        configs = _memory_configs(profile)
        mem_libs = libs if profile["memory_torch"] else libs[:2]
        res["memory"] = [isolated.memory_case(configs[k], mem_libs, args.mnist_dir, log)
                         for k in profile["memory"]]
    mark("memory")

    if "compile" in sections:
        log("first fit in fresh processes (%s)" % (
            "empty and warm Numba cache" if profile["empty_cache"] else "package cache"))
        res["compile"] = isolated.compile_case(profile["compile_repeats"],
                                               profile["empty_cache"], log=log)
    mark("compile")

    if "scaling" in sections:
        log("scaling: time per epoch vs n_samples (MNIST float64 adam b200)")
        res["scaling"] = [cases.scaling_case(
            "n_samples", mnist["float64"], [cases.MNIST_HIDDEN], profile["scaling_n"],
            200, 1, profile["scaling_repeats"], libs, log)]
        log("scaling: time per epoch vs hidden width (tabular, (w, w), adam b200)")
        tab = data.make_tabular(n_samples=profile["tabular_train"])
        res["scaling"].append(cases.scaling_case(
            "width", tab, [(w, w) for w in profile["scaling_widths"]], None, 200, 1,
            profile["scaling_repeats"], libs, log))
    mark("scaling")

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
    return res


def _default_paths(mode, stamp):
    repo = os.path.dirname(RESULTS_DIR.rstrip(os.sep))
    repo = os.path.dirname(repo)
    json_path = os.path.join(RESULTS_DIR, "%s-%s.json" % (stamp, mode))
    if mode == "full":
        return (json_path, os.path.join(repo, "docs", "benchmarks.md"),
                os.path.join(repo, "docs", "figures"))
    return (json_path, os.path.join(RESULTS_DIR, "%s-quick.md" % stamp),
            os.path.join(RESULTS_DIR, "%s-quick-figures" % stamp))


def main(argv=None):
    args = parse_args(argv)
    res = run(args, log=lambda s: print(s, flush=True))
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    json_path, doc, figures = _default_paths(res["meta"]["mode"], stamp)
    json_path = args.json or json_path
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as f:
        json.dump(res, f, indent=1, default=_json_default)
    print("results: %s (%.0f s)" % (json_path, res["meta"]["duration_s"]))
    if not args.no_report:
        doc = args.doc or doc
        figures = args.figures or (os.path.join(os.path.dirname(os.path.abspath(doc)),
                                                "figures") if args.doc else figures)
        report.write(json_path, doc, figures)
        print("report: %s (figures in %s)" % (doc, figures))
        print()
        print(report.summary_table(res))


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


if __name__ == "__main__":
    main()
