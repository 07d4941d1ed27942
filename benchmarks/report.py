"""Turn a results JSON into the markdown page and its figures.

``python -m benchmarks.report [RESULTS.json] [--doc PATH] [--figures DIR]``
regenerates ``docs/benchmarks.md`` and ``docs/figures/`` from a saved run (by
default the newest full run in ``benchmarks/results/``). Nothing in the page is
typed by hand: every number comes from the JSON.
"""

import argparse
import glob
import json
import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")

# (label, kind, key, limit): kind "fit"/"predict"/"memory" are ratios skmlp/sklearn
# that must be <= limit; "warm" and "empty" are seconds.
GOALS = [
    ("MNIST float64 adam, batch 200", "fit", "mnist_adam_b200_f64", 0.40),
    ("MNIST float32 adam, batch 200", "fit", "mnist_adam_b200_f32", 0.45),
    ("MNIST float64 sgd, batch 50", "fit", "mnist_sgd_b50_f64", 0.35),
    ("tabular, batch 200", "fit", "tabular_adam_b200", 0.10),
    ("tabular, batch 32", "fit", "tabular_adam_b32", 0.10),
    ("predict_proba, MNIST test set, float64", "predict", "float64", 0.50),
    ("predict_proba, MNIST test set, float32", "predict", "float32", 0.50),
    ("peak memory of a fit", "memory", None, 1.0),
    ("first fit, warm cache: extra seconds vs scikit-learn (fit call only)", "warm_fit",
     None, 0.5),
    ("first fit, warm cache: extra seconds vs scikit-learn (import + fit)", "warm", None,
     0.5),
    ("first fit, empty cache: seconds (import + fit)", "empty", None, 20.0),
]
LIB_NAMES = {"skmlp": "skmlp", "sklearn": "scikit-learn", "torch": "PyTorch"}


def _fmt(v, spec="%.3f"):
    return "n/a" if v is None else spec % v


def _fit_by_id(res):
    return {r["id"]: r for r in res.get("fit", [])}


def _goal_rows(res):
    """``(label, goal text, measured text, met)`` for every goal with data."""
    rows = []
    fits = _fit_by_id(res)
    for label, kind, key, limit in GOALS:
        measured = None
        if kind == "fit" and key in fits:
            measured = fits[key]["ratios"].get("sklearn")
        elif kind == "predict":
            for p in res.get("predict", []):
                if p["dtype"] == key:
                    measured = p["ratios"].get("sklearn")
        elif kind == "memory":
            for m in res.get("memory", []):
                if m["ratios"].get("sklearn") is not None:
                    r = m["ratios"]["sklearn"]
                    rows.append(("%s: %s" % (label, m["label"]), "<= %.2f" % limit,
                                 "%.3f (%.1f vs %.1f MiB)" % (
                                     r, m["libs"]["skmlp"]["delta_mib"],
                                     m["libs"]["sklearn"]["delta_mib"]), r <= limit))
        elif kind == "warm" and "compile" in res:
            c = res["compile"]
            w, s = c["warm_summary"], c["sklearn_summary"]
            measured = (w["import_s"] + w["first_fit_s"]) - (s["import_s"] +
                                                             s["first_fit_s"])
        elif kind == "warm_fit" and "compile" in res:
            c = res["compile"]
            measured = c["warm_summary"]["first_fit_s"] - c["sklearn_summary"]["first_fit_s"]
        elif kind == "empty" and res.get("compile", {}).get("empty"):
            e = res["compile"]["empty_summary"]
            measured = e["import_s"] + e["first_fit_s"]
        if measured is None:
            continue
        if kind in ("warm", "warm_fit"):
            goal, text = "<= +%.1f s" % limit, "%+.2f s" % measured
        elif kind == "empty":
            goal, text = "< %.0f s" % limit, "%.1f s" % measured
        else:
            goal, text = "<= %.2f" % limit, "%.3f" % measured
        rows.append((label, goal, text, measured <= limit))
    torch_ratios = [(r["label"], r["ratios"]["torch"]) for r in res.get("fit", [])
                    if r.get("dataset") == "mnist" and r["ratios"].get("torch")]
    if torch_ratios:
        worst = max(v for _, v in torch_ratios)
        rows.append(("faster than PyTorch CPU on every MNIST fit (worst ratio)",
                     "< 1.00", "%.3f" % worst, worst < 1.0))
    accs = [(r["label"], r["libs"]["skmlp"]["accuracy"] - r["libs"]["sklearn"]["accuracy"])
            for r in res.get("fit", []) if "sklearn" in r["libs"]]
    if accs:
        worst = max(abs(d) for _, d in accs)
        rows.append(("test accuracy vs scikit-learn, same epochs (largest gap)",
                     "<= 0.5 points", "%.2f points" % (100 * worst), worst <= 0.005))
    return rows


def summary_table(res):
    """The goals table as markdown (also printed at the end of a run)."""
    lines = ["| goal (skmlp / scikit-learn unless stated) | target | measured | met |",
             "|---|---|---|---|"]
    for label, goal, text, met in _goal_rows(res):
        lines.append("| %s | %s | %s | %s |" % (label, goal, text, "yes" if met else "**no**"))
    return "\n".join(lines)


def _fit_table(res, libs):
    head = ["case", "rows x epochs"] + ["%s s" % LIB_NAMES[l] for l in libs]
    head += ["skmlp / %s" % LIB_NAMES[l] for l in libs[1:]]
    head += ["GFLOP/s " + " / ".join(LIB_NAMES[l] for l in libs)]
    head += ["test acc. " + " / ".join(LIB_NAMES[l] for l in libs)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in res.get("fit", []):
        row = [r["label"], "%s x %d" % (format(r["n_train"], ","), r["epochs"])]
        row += [_fmt(r["libs"].get(l, {}).get("median")) for l in libs]
        row += ["**%s**" % _fmt(r["ratios"].get(l)) for l in libs[1:]]
        row += [" / ".join(_fmt(r["libs"].get(l, {}).get("gflops"), "%.1f") for l in libs)]
        row += [" / ".join(_fmt(r["libs"].get(l, {}).get("accuracy"), "%.4f")
                           for l in libs)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _robust_table(res, libs):
    others = libs[1:]
    head = ["case"]
    for o in others:
        head += ["vs %s: ratio of medians" % LIB_NAMES[o], "median of per-round ratios",
                 "ratio of minimums"]
    head.append("cores used by other processes")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in res.get("fit", []):
        row = [r["label"]]
        for o in others:
            if o not in r["libs"]:
                row += ["n/a"] * 3
                continue
            row += [_fmt(r["ratios"].get(o)), _fmt(r["paired_ratios"].get(o)),
                    _fmt(r["libs"]["skmlp"]["min"] / r["libs"][o]["min"])]
        row.append(_fmt(r.get("foreign_cores"), "%.2f"))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _threads_section(res):
    out = []
    for t in res.get("threads", []):
        counts = t["thread_counts"]
        out += ["%s, %s rows x %d epoch(s), median of %d:" % (
            t["label"], format(t["n_train"], ","), t["epochs"], t["repeats"]), "",
            "| BLAS threads | " + " | ".join("%d" % n for n in counts) + " |",
            "|---|" + "---|" * len(counts)]
        for lib in ("skmlp", "sklearn"):
            cells = []
            for n in counts:
                r = t["runs"]["%s@%d" % (lib, n)]
                cells.append("%.3f s (CPU %.2f)" % (r["median"], r["cpu_util"]))
            out.append("| %s | %s |" % (LIB_NAMES[lib], " | ".join(cells)))
        out.append("")
    return "\n".join(out)


def _cpu_table(res, libs):
    lines = ["| case | " + " | ".join(LIB_NAMES[l] for l in libs) + " |",
             "|---|" + "---|" * len(libs)]
    for r in res.get("fit", []):
        lines.append("| %s | %s |" % (r["label"], " | ".join(
            _fmt(r["libs"].get(l, {}).get("cpu_util"), "%.2f") for l in libs)))
    return "\n".join(lines)


def _predict_table(res, libs):
    head = ["case"] + ["%s ms" % LIB_NAMES[l] for l in libs]
    head += ["skmlp / %s" % LIB_NAMES[l] for l in libs[1:]]
    head += ["rows/s " + " / ".join(LIB_NAMES[l] for l in libs),
             "vs scikit-learn: max abs. diff. of probabilities; same predicted class"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p in res.get("predict", []):
        row = [p["label"]]
        row += [_fmt(1000 * p["libs"][l]["median"], "%.1f") if l in p["libs"] else "n/a"
                for l in libs]
        row += ["**%s**" % _fmt(p["ratios"].get(l)) for l in libs[1:]]
        row += [" / ".join(_fmt(p["libs"].get(l, {}).get("rows_per_s"), "%.0f")
                           for l in libs)]
        agree = p.get("argmax_agreement_vs_sklearn", {})
        row += [", ".join("%s %.1e; %.2f%%" % (LIB_NAMES[l], v, 100 * agree.get(l, float("nan")))
                          for l, v in p["max_abs_diff_vs_sklearn"].items())]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _gemm_section(res, libs):
    g = res.get("gemm")
    if not g:
        return ""
    out = ["Measured GEMM throughput (median of %d products of %d x %d matrices; "
           "the better of a measurement at the start and one at the end of the "
           "run) next to the throughput each library achieved in training (GEMM "
           "FLOPs of forward + backward, counted from the layer sizes, divided by "
           "wall time; best training case per dtype, as %% of the better GEMM "
           "figure):" % (g["repeats"], g["n"], g["n"]), "",
           "| dtype | np.dot GFLOP/s | np.dot in Numba GFLOP/s (SciPy's BLAS) | "
           + " | ".join("%s fit GFLOP/s (%% of GEMM)" % LIB_NAMES[l] for l in libs)
           + " |", "|---|---|---|" + "---|" * len(libs)]
    for dt, v in g["gflops"].items():
        row = [dt, "%.1f" % v["numpy"], "%.1f" % v["numba"]]
        for lib in libs:
            best = [r["libs"][lib]["gflops"] for r in res.get("fit", [])
                    if r["dtype"] == dt and lib in r["libs"]]
            peak = max(v["numpy"], v["numba"])
            row.append("%.1f (%.0f%%)" % (max(best), 100 * max(best) / peak)
                       if best else "n/a")
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def _memory_table(res):
    mem = res.get("memory", [])
    if not mem:
        return ""
    libs = [l for l in ("skmlp", "sklearn", "torch") if l in mem[0]["libs"]]
    head = (["fit"] + ["%s MiB" % LIB_NAMES[l] for l in libs] +
            ["skmlp / scikit-learn", "X size MiB",
             "resident before fit MiB (%s)" % " / ".join(LIB_NAMES[l] for l in libs)])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in mem:
        row = [m["label"]] + ["%.1f" % m["libs"][l]["delta_mib"] for l in libs]
        row += ["**%s**" % _fmt(m["ratios"].get("sklearn")),
                "%.1f" % m["libs"][libs[0]]["X_mib"],
                " / ".join("%.0f" % m["libs"][l]["baseline_mib"] for l in libs)]
        lines.append("| " + " | ".join(row) + " |")
    method = mem[0]["libs"][libs[0]]["method"]
    lines += ["", "Peak resident memory during `fit` minus the resident memory just "
              "before it, each library in its own fresh process (after imports, data "
              "loading and a 500-row warm-up fit; high-water mark reset through "
              "`/proc/self/clear_refs`, read from `%s`). The resident memory before "
              "the fit (imports, data, compiled code) is shown for context; the "
              "ratio compares only what the fit adds. Differences of a few MiB are "
              "within allocator noise." % method]
    return "\n".join(lines)


def _compile_section(res):
    c = res.get("compile")
    if not c:
        return ""
    lines = ["A fresh Python process imports the estimator and fits `MLPClassifier"
             "(NB)(max_iter=%d)` (adam, one hidden layer of 100) on %s x %d float64 rows, "
             "then calls `predict_proba`; then does both again. Median of %d "
             "process(es) per row (empty cache: one). *whole process* is the child's "
             "wall time seen by the parent, Python start-up and data generation "
             "included." % (
                 c["epochs"], format(c["n_train"], ","), c["n_features"], c["repeats"]),
             "",
             "| process | import s | first fit s | first predict s | second fit s | "
             "import + first fit s | whole process s |", "|---|---|---|---|---|---|---|"]
    names = [("empty", "skmlp, empty Numba cache"),
             ("warm", "skmlp, warm Numba cache" if c["cache"].startswith("fresh")
              else "skmlp, package's own cache"),
             ("sklearn", "scikit-learn")]
    for key, name in names:
        s = c.get(key + "_summary")
        if not s:
            continue
        lines.append("| %s | %.2f | %.2f | %.2f | %.3f | %.2f | %.2f |" % (
            name, s["import_s"], s["first_fit_s"], s["first_predict_s"],
            s["second_fit_s"], s["import_s"] + s["first_fit_s"], s["process_s"]))
    return "\n".join(lines)


def _epochs_section(res, fig_rel):
    out = []
    for e in res.get("epochs", []):
        t = e["times"]
        out.append("%s, %s rows, one `partial_fit` call per epoch (alternating "
                   "libraries). Median time of the last third of the epochs over the "
                   "first third: %s. Test accuracy after %d epochs: %s." % (
                       e["label"], format(e["n_train"], ","),
                       ", ".join("%s %.2f" % (LIB_NAMES[l], v)
                                 for l, v in e["growth"].items()),
                       e["epochs"], ", ".join("%s %.4f" % (LIB_NAMES[l], v)
                                              for l, v in e["accuracy"].items())))
        out.append("")
        out.append("| epoch | " + " | ".join("%s s" % LIB_NAMES[l] for l in t) +
                   " | skmlp / scikit-learn |")
        out.append("|---|" + "---|" * (len(t) + 1))
        for i in range(e["epochs"]):
            out.append("| %d | %s | %.3f |" % (
                i + 1, " | ".join("%.3f" % t[l][i] for l in t),
                t["skmlp"][i] / t["sklearn"][i]))
        out.append("")
    if out and fig_rel:
        out.append("![time per epoch across epochs](%s)" % fig_rel)
    return "\n".join(out)


def _scaling_section(res, fig_rel):
    sc = res.get("scaling")
    if not sc:
        return ""
    out = []
    if fig_rel:
        out += ["![time per epoch vs n_samples and hidden width](%s)" % fig_rel, ""]
    for s in sc:
        libs = list(s["points"][0]["per_epoch"])
        what = ("rows of MNIST (784-300-100-10)" if s["kind"] == "n_samples"
                else "hidden width w of (w, w) on the tabular data")
        out.append("Time per epoch vs %s, adam, batch %d, %s, median of %d:" % (
            what, s["batch_size"], s["dtype"], s["repeats"]))
        out.append("")
        key = "rows" if s["kind"] == "n_samples" else "hidden"
        out.append("| %s | " % key + " | ".join("%s s" % LIB_NAMES[l] for l in libs) +
                   " | " + " | ".join("skmlp / %s" % LIB_NAMES[l] for l in libs[1:]) +
                   " | skmlp GFLOP/s |")
        out.append("|---|" + "---|" * (2 * len(libs)))
        for p in s["points"]:
            k = format(p["n_samples"], ",") if s["kind"] == "n_samples" else \
                "(%d, %d)" % tuple(p["hidden"])
            out.append("| %s | %s | %s | %.1f |" % (
                k, " | ".join("%.3f" % p["per_epoch"][l] for l in libs),
                " | ".join("%.3f" % p["ratios"][l] for l in libs[1:]),
                p["gflops"]["skmlp"]))
        out.append("")
    return "\n".join(out)


def _machine_section(res):
    m = res["meta"]["machine"]
    v = m["versions"]
    pools = "; ".join("%s %s %s (%s, %s threads%s)" % (
        p["internal_api"], p.get("version") or "", p.get("library", ""),
        p["user_api"], p["num_threads"],
        ", " + p["architecture"] if p.get("architecture") else "")
        for p in m["threadpools"])
    lines = [
        "| | |", "|---|---|",
        "| CPU | %s |" % m["cpu"],
        "| cores | %s logical, %s usable |" % (m["logical_cpus"], m["usable_cpus"]),
        "| RAM | %s GiB |" % m["ram_gib"],
        "| OS | %s |" % m["platform"],
        "| Python | %s |" % m["python"],
        "| versions | %s |" % ", ".join("%s %s" % (k, val) for k, val in v.items() if val),
        "| thread pools (threadpoolctl) | %s |" % pools,
        "| thread settings | %s |" % (", ".join("%s=%s" % kv for kv in m["env"].items())
                                       or "none set in the environment"),
        "| seconds per section | %s |" % ", ".join(
            "%s %.0f" % kv for kv in res["meta"].get("section_s", {}).items()),
        "| load average at start / end | %s / %s |" % (
            m["load_average_start"], res["meta"].get("load_average_end")),
    ]
    if "torch_threads" in res["meta"]:
        lines.append("| torch threads | %d |" % res["meta"]["torch_threads"])
    return "\n".join(lines)


def render(res, fig_dir_rel=None, figures=()):
    """The markdown page for one results dict."""
    meta = res["meta"]
    libs = meta["libs"]
    figs = {os.path.splitext(os.path.basename(f))[0]: f for f in figures}

    def rel(name):
        if name not in figs or fig_dir_rel is None:
            return None
        return fig_dir_rel.rstrip("/") + "/" + os.path.basename(figs[name])

    p = meta["profile"]
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `python -m benchmarks.report` from %s. Do not edit by hand. -->"
        % meta.get("json_name", "a results file"),
        "",
        "skmlp against scikit-learn%s, side by side in one process on the same data, "
        "network, optimizer and epochs. Every speed figure is a **ratio of medians "
        "measured in the same run** (skmlp time / other time: below 1 means skmlp is "
        "faster); absolute seconds are shown for context only, since this machine is "
        "shared and they drift." % (" and PyTorch (CPU)" if "torch" in libs else ""),
        "",
        "- Run: `%s` (%s mode), %s to %s, %.0f s." % (
            meta["command"].strip(), meta["mode"], meta["machine"]["date"],
            meta.get("finished", "?"), meta.get("duration_s", 0)),
        "- Machine: %s, %s cores, %s GiB; numpy %s, scikit-learn %s, numba %s%s." % (
            meta["machine"]["cpu"], meta["machine"]["usable_cpus"],
            meta["machine"]["ram_gib"], meta["machine"]["versions"]["numpy"],
            meta["machine"]["versions"]["sklearn"], meta["machine"]["versions"]["numba"],
            ", torch %s" % meta["machine"]["versions"]["torch"] if "torch" in libs else
            "; PyTorch left out (--no-torch)" if meta.get("torch_installed") else
            "; PyTorch not installed"),
        "- MNIST: %s%s." % (meta.get("mnist_source", "not used"),
                            ", subsampled to %s training rows" % format(p["mnist_train"], ",")
                            if p.get("mnist_train") else ""),
        "",
    ]
    ncpu = meta["machine"].get("usable_cpus") or 1
    cases = [(r["label"], r["foreign_cores"]) for r in
             res.get("fit", []) + res.get("predict", [])
             if r.get("foreign_cores") is not None]
    busy = [(label, c) for label, c in cases if c > 0.25]
    if cases and sorted(c for _, c in cases)[len(cases) // 2] > 0.25:
        lines += ["> **The machine was busy** during this run: other processes kept "
                  "a median %.2f of its %d cores busy during a case. Multi-threaded "
                  "BLAS is very sensitive to competing processes on few cores (see "
                  "*BLAS threads*), so these ratios are noisy; compare the robustness "
                  "table, rerun on an idle machine, or use `--threads 1`." % (
                      sorted(c for _, c in cases)[len(cases) // 2], ncpu), ""]
    elif busy:
        lines += ["> Other processes used CPU during %s (cores used): check those "
                  "rows in the robustness table." % ", ".join(
                      "*%s* (%.2f)" % b for b in busy), ""]
    lines += [
        "## Goals",
        "",
        summary_table(res),
        "",
    ]
    if res.get("fit"):
        lines += [
            "## Training",
            "",
            "Median wall time of `fit` over %d alternating repeats, after an untimed "
            "warm-up fit per library (which compiles skmlp's kernels). ReLU, "
            "alpha=1e-4, learning rate 1e-3 (adam) or 1e-2 (sgd, momentum 0.9, "
            "Nesterov), `shuffle=True`, `random_state=0`, fixed epochs (`tol=0`, "
            "`n_iter_no_change` > `max_iter`). MNIST network 784-300-100-10; tabular: "
            "`make_classification` 50 features, 10 classes, hidden (64, 64). Test "
            "accuracy on the MNIST test set / a 5,000-row held-out tabular set."
            % p["repeats"],
            "",
            _fit_table(res, libs),
            "",
            "Robustness of the ratios: the ratio of medians (used above), the "
            "median of the ratios measured within each round (robust to load that "
            "changes between rounds) and the ratio of the fastest runs (robust to "
            "interference from other processes). When these disagree a lot, the "
            "machine was busy:",
            "",
            _robust_table(res, libs),
            "",
            "CPU utilisation (process CPU time / wall time, median; 2.0 = both cores "
            "busy):",
            "",
            _cpu_table(res, libs),
            "",
        ]
    if res.get("predict"):
        lines += ["## Prediction", "",
                  "`predict_proba` on the 10,000-row MNIST test set with the models "
                  "trained above (median of %d alternating calls):" % p["predict_repeats"],
                  "", _predict_table(res, libs), ""]
    if res.get("gemm"):
        lines += ["## Achieved GFLOP/s vs GEMM peak", "", _gemm_section(res, libs), ""]
    if res.get("memory"):
        lines += ["## Peak memory", "", _memory_table(res), ""]
    if res.get("compile"):
        lines += ["## Compile cost and first fit", "", _compile_section(res), ""]
    if res.get("epochs"):
        lines += ["## Time per epoch across epochs", "",
                  _epochs_section(res, rel("epoch_times")), ""]
    if res.get("threads"):
        lines += ["## BLAS threads", "",
                  "The same fits with every BLAS limited to 1 thread and at the "
                  "default, through threadpoolctl (CPU = process CPU time / wall "
                  "time):", "", _threads_section(res)]
    if res.get("scaling"):
        lines += ["## Scaling", "", _scaling_section(res, rel("scaling")), ""]
    lines += [
        "## Method",
        "",
        "- One process runs every library: each repeat times each library once, "
        "back to back, starting with a different library each round; figures are "
        "medians. Warm-up fits (on the first 2,000 rows, one epoch) precede the "
        "timed ones. Convergence warnings are silenced. The whole `fit` call is "
        "timed, input validation included.",
        ("- Every library limited to %d thread(s) (`--threads %d`: threadpoolctl for "
         "BLAS and OpenMP, `torch.set_num_threads`)." % (meta["threads"], meta["threads"])
         if meta.get("threads") else
         "- BLAS runs with its default thread count (%s usable cores)%s." % (
             meta["machine"]["usable_cpus"], "; PyTorch with `torch.set_num_threads(2)`"
             if "torch" in libs else "")),
        "- FLOP counts include only the matrix products: 2·n_in·n_out per layer and "
        "sample forward, the same again for each weight gradient, and again for each "
        "delta propagated below the second layer (784-300-100-10: 1.13 MFLOP per "
        "sample, 67.6 GFLOP per 60,000-row epoch).",
        *(["- PyTorch: `nn.Sequential` of `Linear`/`ReLU`, cross-entropy on logits, a "
        "manual minibatch loop over `torch.randperm` (no DataLoader), the same "
        "Glorot-uniform initial weights as scikit-learn, `torch.optim.Adam` or "
        "`SGD(momentum=0.9, nesterov=True)`. scikit-learn's L2 term, `alpha / (2 · "
        "batch rows) · ||W||²` on weights only, becomes `weight_decay = alpha / "
        "batch_size` on the weight matrices: exact for full batches, approximate for "
        "a short last batch; Adam's epsilon enters after the bias correction in "
        "PyTorch, before it in scikit-learn (immaterial at 1e-8). The shuffling "
        "order differs from the other two libraries, so its accuracy differs by "
        "chance."] if "torch" in libs else []),
        "- Peak memory and first-fit cost are measured in fresh child processes "
        "(`python -m benchmarks.isolated`); see that module's docstring.",
        "",
        "## Machine",
        "",
        _machine_section(res),
        "",
        "## Reproduce",
        "",
        "```",
        "pip install -e . matplotlib threadpoolctl   # PyTorch is optional (a CPU build)",
        "python -m benchmarks            # full run: docs/benchmarks.md + docs/figures/",
        "python -m benchmarks --quick    # < 2 min: report under benchmarks/results/",
        "python -m benchmarks.report     # regenerate this page from the newest full run",
        "```",
        "",
        "MNIST is read from `--mnist-dir`, `$SKMLP_MNIST_DIR` or `../shared/data/mnist`, "
        "else downloaded with `fetch_openml`. See `benchmarks/README.md`.",
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------ figures
def _log_x(ax, xs):
    """Log x axis labelled at the measured points only."""
    from matplotlib.ticker import FixedLocator, NullLocator

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([format(int(x), ",") for x in xs], rotation=45 if len(xs) > 5
                       else 0)


def make_figures(res, fig_dir):
    """Write the PNG figures for ``res`` into ``fig_dir``; return their paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures")
        return []
    os.makedirs(fig_dir, exist_ok=True)
    paths = []
    colors = {"skmlp": "C0", "sklearn": "C1", "torch": "C2"}
    if res.get("scaling"):
        sc = res["scaling"]
        fig, axes = plt.subplots(2, len(sc), figsize=(5.5 * len(sc), 7.5), squeeze=False,
                                 sharex="col")
        for j, s in enumerate(sc):
            pts = s["points"]
            xs = [p["n_samples"] if s["kind"] == "n_samples" else p["hidden"][0]
                  for p in pts]
            libs = list(pts[0]["per_epoch"])
            ax = axes[0, j]
            for lib in libs:
                ax.plot(xs, [p["per_epoch"][lib] for p in pts], "o-",
                        color=colors[lib], label=LIB_NAMES[lib])
            _log_x(ax, xs)
            ax.set_yscale("log")
            ax.set_ylabel("seconds per epoch")
            ax.set_title("MNIST 784-300-100-10, vary rows" if s["kind"] == "n_samples"
                         else "tabular %s rows, hidden (w, w)" % format(
                             pts[0]["n_samples"], ","))
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
            ax = axes[1, j]
            for lib in libs[1:]:
                ax.plot(xs, [p["ratios"][lib] for p in pts], "o-", color=colors[lib],
                        label="skmlp / %s" % LIB_NAMES[lib])
            ax.axhline(1.0, color="grey", lw=0.8)
            _log_x(ax, xs)
            ax.set_ylabel("time ratio (lower: skmlp faster)")
            ax.set_xlabel("training rows" if s["kind"] == "n_samples" else "hidden width w")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        fig.suptitle("Time per epoch, adam, batch 200 (%s run)" % res["meta"]["mode"])
        fig.tight_layout()
        path = os.path.join(fig_dir, "scaling.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    if res.get("epochs"):
        runs = res["epochs"]
        fig, axes = plt.subplots(1, len(runs), figsize=(5.5 * len(runs), 4),
                                 squeeze=False)
        for ax, e in zip(axes[0], runs):
            for lib, t in e["times"].items():
                ax.plot(range(1, len(t) + 1), t, "o-", color=colors[lib],
                        label=LIB_NAMES[lib])
            ax.set_xlabel("epoch")
            ax.set_ylabel("seconds")
            ax.set_ylim(bottom=0)
            ax.set_title(e["label"])
            ax.grid(True, alpha=0.3)
            ax.legend()
        fig.suptitle("Time of each epoch (one partial_fit call each)")
        fig.tight_layout()
        path = os.path.join(fig_dir, "epoch_times.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def write(json_path, doc_path, fig_dir):
    """Render ``json_path`` into ``doc_path`` with figures in ``fig_dir``."""
    with open(json_path) as f:
        res = json.load(f)
    res["meta"]["json_name"] = "`benchmarks/results/%s`" % os.path.basename(json_path)
    figures = make_figures(res, fig_dir)
    rel = os.path.relpath(os.path.abspath(fig_dir),
                          os.path.dirname(os.path.abspath(doc_path)))
    os.makedirs(os.path.dirname(os.path.abspath(doc_path)), exist_ok=True)
    with open(doc_path, "w") as f:
        f.write(render(res, rel, figures))
    return doc_path


def newest_result(mode="full"):
    """The newest results file of ``mode`` (any mode if there is none)."""
    files = sorted(glob.glob(os.path.join(RESULTS_DIR, "*-%s.json" % mode)))
    files = files or sorted(glob.glob(os.path.join(RESULTS_DIR, "*.json")))
    if not files:
        raise SystemExit("no results in %s: run python -m benchmarks first" % RESULTS_DIR)
    return files[-1]


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                description="Write the benchmark page from a results JSON.")
    p.add_argument("json", nargs="?", help="results file (default: newest full run)")
    p.add_argument("--doc", default=os.path.join(REPO_ROOT, "docs", "benchmarks.md"))
    p.add_argument("--figures", default=os.path.join(REPO_ROOT, "docs", "figures"))
    args = p.parse_args(argv)
    path = args.json or newest_result()
    write(path, args.doc, args.figures)
    print("wrote %s from %s" % (args.doc, path))


if __name__ == "__main__":
    main()
