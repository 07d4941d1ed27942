"""Turn a results JSON into the markdown page and its figures.

``python -m benchmarks.report [RESULTS.json] [--doc PATH] [--figures DIR]``
regenerates ``docs/benchmarks.md`` and ``docs/figures/`` from a saved run (by
default ``docs/benchmarks.json``, the committed results of the last full run).
Nothing in the page is typed by hand: every number comes from the JSON, and the
page names the JSON and the commit it measured. One function per page section.
"""

import argparse
import json
import os
import statistics

from benchmarks.figures import make_figures
from benchmarks.goals import fit_by_id, fmt, lib_name, not_met_notes, summary_table, us
from benchmarks.quality import render_table as quality_table

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_JSON = os.path.join(REPO_ROOT, "docs", "benchmarks.json")


def table(head, rows):
    """Markdown table lines."""
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] +
            ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def _names(libs, pattern="%s"):
    return [pattern % lib_name(lib) for lib in libs]


def _threads_cell(r, lib, meta):
    """Thread setting of ``lib`` in fit case ``r``, and its measured CPU use."""
    usable = meta["machine"]["usable_cpus"]
    if meta.get("threads"):
        setting = meta["threads"]
    elif lib == "skmlp" and r.get("skmlp_batch_threads", 1) > 1:
        setting = "**%d** (batch split, BLAS 1 each)" % r["skmlp_batch_threads"]
    elif lib == "skmlp":
        setting = {"1": "**1** (skmlp's policy)", "default": usable}.get(
            r.get("skmlp_blas_threads"), "?")
    elif lib in ("torch", "skorch"):
        setting = meta.get("peer_threads", {}).get("torch", "?")
    else:
        setting = "XLA default" if lib in ("jax", "jax_scan") else usable
    return "%s / %s" % (setting, fmt(r["libs"][lib].get("cpu_util"), "%.2f"))


def _per_lib(r, libs, cell):
    return [cell(lib) if lib in r["libs"] else "n/a" for lib in libs]


def section_goals(res, figs):
    notes = not_met_notes(res)
    out = [summary_table(res), ""]
    if notes:
        out += ["### Goals not met: what was tried, what the profile shows", ""]
        out += [line for n in notes for line in (n, "")]
    return out


def section_parity(res, figs):
    p = res.get("parity")
    if not p:
        return []
    libs = list(next(iter(p["max_abs_diff_vs_sklearn"].values())))
    text = ("Before timing, every library trains the same %s network on %s tabular rows "
            "for %d full-batch epochs without shuffling, from the same initial weights, "
            "and its `predict_proba` on 500 held-out rows is compared with scikit-learn's "
            "(largest absolute difference; 0 would be bitwise equal). Small numbers mean "
            "the libraries do the same arithmetic; Adam differs a little in the peers "
            "because their epsilon enters after the bias correction." % (
                "-".join(str(u) for u in ["50", *p["hidden"], "10"]),
                format(p["n_train"], ","), p["epochs"]))
    rows = [["sgd (momentum 0)" if s == "sgd" else s] + ["%.1e" % d[lib] for lib in libs]
            for s, d in p["max_abs_diff_vs_sklearn"].items()]
    return [text, ""] + table(["solver"] + _names(libs), rows)


def section_training(res, figs):
    fits, meta = res.get("fit"), res["meta"]
    if not fits:
        return []
    libs, others = meta["libs"], meta["libs"][1:]
    settle = meta.get("settle_s")
    macs = meta.get("skmlp_multithread_min_macs")
    out = ["Median wall time of `fit` over %d rounds; in each round every library fits "
           "once, in a random order%s. An untimed warm-up fit per library comes first (it "
           "compiles skmlp's kernels and JAX's steps). ReLU, alpha=1e-4, learning rate "
           "1e-3 (adam) or 1e-2 (sgd), `shuffle=True`, `random_state=0`, fixed epochs "
           "(`tol=0`, `n_iter_no_change` > `max_iter`). MNIST network 784-300-100-10; "
           "tabular: `make_classification`, 50 features, 10 classes, hidden (64, 64)." % (
               meta["profile"]["repeats"], ", each timed call after a %.2f s rest (thread "
               "pools of the library before stop busy-waiting)" % settle if settle else ""),
           ""]
    out += table(["case", "rows x epochs"] + _names(libs, "%s s") +
                 _names(others, "skmlp / %s"),
                 [[r["label"], "%s x %d" % (format(r["n_train"], ","), r["epochs"])] +
                  [fmt(r["libs"].get(lib, {}).get("median")) for lib in libs] +
                  ["**%s**" % fmt(r["ratios"][o]) if r["ratios"].get(o) is not None
                   else "n/a" for o in others] for r in fits])
    out += ["", "Threads each library was allowed and the CPU use it reached (process CPU "
            "time / wall time, median; %s = every usable core busy). skmlp limits BLAS to "
            "one thread when the largest product of a batch has fewer than %s "
            "multiply-adds (`skmlp/_threads.py`); the other libraries keep their defaults. "
            "The section *Same thread count* below runs every library on one thread." % (
                meta["machine"]["usable_cpus"], format(macs, ",") if macs else "a threshold"),
            ""]
    out += table(["case"] + _names(libs, "%s threads / CPU"),
                 [[r["label"]] + _per_lib(r, libs, lambda lib: _threads_cell(r, lib, meta))
                  for r in fits])
    out += ["", "Test accuracy (MNIST test set; 5,000 held-out tabular rows) and achieved "
            "GFLOP/s (GEMM FLOPs of forward and backward / wall time):", ""]
    out += table(["case"] + _names(libs, "%s acc. / GFLOP/s"),
                 [[r["label"]] + _per_lib(r, libs, lambda lib: "%.4f / %.1f" % (
                     r["libs"][lib]["accuracy"], r["libs"][lib]["gflops"])) for r in fits])
    out += ["", "Robustness of the ratios: the ratio of medians (used above), the median of "
            "the ratios measured within each round (robust to load that changes between "
            "rounds) and the ratio of the fastest runs. When these disagree a lot, the "
            "machine was busy:", ""]
    head = ["case"] + _names(others, "vs %s: ratio of medians / median of per-round "
                             "ratios / ratio of minimums") + ["cores used by other processes"]
    return out + table(head, [[r["label"]] + _per_lib(r, others, lambda o: "%s / %s / %s" % (
        fmt(r["ratios"].get(o)), fmt(r["paired_ratios"].get(o)),
        fmt(r["libs"]["skmlp"]["min"] / r["libs"][o]["min"]))) +
        [fmt(r.get("foreign_cores"), "%.2f")] for r in fits])


def section_same_threads(res, figs):
    st = res.get("same_threads")
    if not st:
        return []
    default = fit_by_id(res)
    libs = [lib for lib in res["meta"]["libs"] if any(lib in r["libs"] for r in st["fit"])]
    out = ["Every library on **one thread**, in a separate process (`python -m benchmarks "
           "--threads 1`): BLAS and OpenMP through threadpoolctl and the environment, "
           "`torch.set_num_threads(1)`, and XLA's flags `--xla_cpu_multi_thread_eigen=false "
           "intra_op_parallelism_threads=1` for JAX. Median of %d rounds. The ratio at each "
           "library's default thread count, from the table above, is in parentheses." % (
               st["fit"][0]["repeats"] if st["fit"] else 0), ""]
    out += table(["case"] + _names(libs, "%s s") +
                 _names(libs[1:], "skmlp / %s at 1 thread (at default threads)"),
                 [[r["label"]] + [fmt(r["libs"].get(lib, {}).get("median")) for lib in libs]
                  + ["**%s** (%s)" % (fmt(r["ratios"].get(lib)), fmt(default.get(
                      r["id"], {"ratios": {}})["ratios"].get(lib))) for lib in libs[1:]]
                  for r in st["fit"]])
    shares = ["%s: %.1f GFLOP/s, %s" % (r["label"], r["gemm_chain_gflops"], ", ".join(
        "%s %.0f%%" % (lib_name(lib), 100 * r["libs"][lib]["gflops"] / r["gemm_chain_gflops"])
        for lib in libs if lib in r["libs"])) for r in st["fit"] if r.get("gemm_chain_gflops")]
    if shares:
        out += ["", "Share of the one-thread GEMM peak of each MNIST case's shapes (NumPy's "
                "matmul on one thread; see *Share of the GEMM peak*): %s." % "; ".join(shares)]
    return out + ["", "CPU use at one thread (a check that the limit held): %s." % "; ".join(
        "%s: %s" % (r["label"], ", ".join("%s %.2f" % (lib_name(lib), r["libs"][lib]["cpu_util"])
                                          for lib in libs if lib in r["libs"]))
        for r in st["fit"])]


def section_gemm(res, figs):
    g, libs = res.get("gemm"), res["meta"]["libs"]
    mnist = [r for r in res.get("fit", []) if r.get("dataset") == "mnist"
             and r.get("gemm_chain_gflops")]
    out = []
    if g:
        out += ["GEMM throughput of this machine, measured in the run (median of %d products "
                "of %d x %d matrices; the better of a measurement at the start and one at "
                "the end of the run):" % (g["repeats"], g["n"], g["n"]), ""]
        out += table(["dtype", "NumPy `np.dot` GFLOP/s", "`np.dot` inside Numba GFLOP/s "
                      "(SciPy's BLAS, what skmlp calls)"],
                     [[dt, "%.1f" % v["numpy"], "%.1f" % v["numba"]]
                      for dt, v in g["gflops"].items()]) + [""]
    if not mnist:
        return out

    def row(r):
        chain = r["gemm_chain_gflops"]
        sq = max(g["gflops"][r["dtype"]].values()) if g else None
        return [r["label"], "%.1f" % chain, fmt(sq, "%.1f")] + _per_lib(
            r, libs, lambda lib: "%.1f: %.0f%% / %s" % (
                r["libs"][lib]["gflops"], 100 * r["libs"][lib]["gflops"] / chain,
                "%.0f%%" % (100 * r["libs"][lib]["gflops"] / sq) if sq else "n/a"))

    out += ["Every MNIST case as a share of the GEMM peak. *Shape peak*: NumPy's matmul on "
            "exactly the products of one training step of that case (forward, weight "
            "gradients, deltas; same batch size and dtype, into preallocated outputs, "
            "nothing else in between), i.e. the GEMM time of an epoch done by NumPy's BLAS "
            "alone. *Square peak*: the better of the two square-GEMM figures above. JAX "
            "(XLA) uses its own GEMM routines, which can exceed NumPy's.", ""]
    return out + table(["case", "shape peak GFLOP/s", "square peak GFLOP/s"] +
                       _names(libs, "%s GFLOP/s: %% of shape / %% of square peak"),
                       [row(r) for r in mnist])


def section_predict(res, figs):
    if not res.get("predict"):
        return []
    out = ["`predict_proba` with the MNIST models trained above, on the first 1, 100 and "
           "10,000 rows of the test set. The two JAX peers share one jitted inference "
           "function, so JAX appears once.", ""]
    for p in res["predict"]:
        libs = [lib for lib in res["meta"]["libs"] if lib in p["sizes"][0]["libs"]]
        out += ["%s (median of %d alternating measurements; calls under 50 ms are looped "
                "inside a measurement, time per call shown):" % (p["label"], p["repeats"]),
                ""]
        out += table(["rows"] + _names(libs, "%s us per call") +
                     _names(libs[1:], "skmlp / %s") +
                     ["vs scikit-learn: max abs. diff. of probabilities"],
                     [[format(s["n_rows"], ",")] +
                      [us(s["libs"][lib]["median"]) for lib in libs] +
                      ["**%s**" % fmt(s["ratios"].get(lib)) for lib in libs[1:]] +
                      [", ".join("%s %.1e" % (lib_name(lib), v)
                                 for lib, v in s["max_abs_diff_vs_sklearn"].items())]
                      for s in p["sizes"]]) + [""]
    return out


def section_memory(res, figs):
    mem = res.get("memory", [])
    if not mem:
        return []
    out = []
    for m in mem:
        out += ["%s, median of %d fresh process(es) per library:" % (m["label"], m["repeats"]),
                ""]
        out += table(["library", "fit adds MiB (median)", "min - max MiB",
                      "resident before fit MiB", "fit s"],
                     [[lib_name(lib), "%.1f" % r["delta_mib"], "%.1f - %.1f" % (
                         r["min_mib"], r["max_mib"]), "%.0f" % r["baseline_mib"],
                       "%.2f" % r["fit_s"]] for lib, r in m["libs"].items()]) + [""]
    first = next(iter(mem[0]["libs"].values()))
    return out + [
        "Peak resident memory during `fit` minus the resident memory just before it, each "
        "library in its own fresh process (after imports, data loading and a warm-up fit; "
        "high-water mark reset through `/proc/self/clear_refs`, read from `%s`). The "
        "training data (%.1f MiB for the first case) is loaded before the baseline. The goal "
        "compares the medians and calls a difference smaller than the larger spread (max - "
        "min) of the two libraries' repeats noise, not a result." % (
            mem[0]["libs"].get("skmlp", {}).get("method", "VmHWM"), first["X_mib"])]


def section_compile(res, figs):
    c = res.get("compile")
    if not c:
        return []
    rows = [[name] + ["%.2f" % s["import_s"], "%.2f" % s["first_fit_float64_s"],
                      "%.3f" % s["first_predict_float64_s"], "%.3f" % s["second_fit_float64_s"],
                      "%.2f" % s["first_fit_float32_s"], "%.3f" % s["first_predict_float32_s"],
                      "%.2f" % s["process_s"]]
            for key, name in (("cold", "skmlp, empty Numba cache"),
                              ("warm", "skmlp, warm Numba cache"), ("sklearn", "scikit-learn"))
            for s in [c.get(key + "_summary")] if s]
    return ["A fresh Python process imports the estimator, fits it with its defaults "
            "(`random_state=0`) on iris (150 x 4, float64) and calls `predict_proba`, then "
            "fits and predicts again; then the same in float32. *Cold*: an empty "
            "`NUMBA_CACHE_DIR` of its own (everything compiles); *warm*: %s. Medians over %d "
            "cold and %d warm processes; *process* is the child's whole wall time, Python "
            "start-up included." % (
                "the cache the cold process filled" if c["cold_repeats"] else
                "the package's own cache", c["cold_repeats"], c["warm_repeats"]), ""] + table(
        ["process", "import s", "first fit s", "first predict_proba s", "second fit s",
         "float32 first fit s", "float32 first predict_proba s", "process s"], rows)


def section_sweeps(res, figs):
    out = []
    for s in res.get("sweeps", []):
        libs = list(s["points"][0]["per_epoch"])
        what, col = (("batch size, MNIST 784-300-100-10", "batch") if s["kind"] == "batch"
                     else ("hidden width w, MNIST 784-w-w-10, batch %d" % s["batch_size"], "w"))
        out += ["Time per epoch vs %s: adam, %s rows, %s, median of %d." % (
            what, format(s["n_samples"], ","), s["dtype"], s["repeats"]), ""]
        if figs.get("sweep_" + s["kind"]):
            out += ["![time per epoch vs %s](%s)" % (col, figs["sweep_" + s["kind"]]), ""]
        out += table([col] + _names(libs, "%s s") + _names(libs[1:], "skmlp / %s") +
                     ["skmlp BLAS threads / CPU"],
                     [[format(p["value"], ",")] + ["%.3f" % p["per_epoch"][lib] for lib in libs]
                      + ["%.3f" % p["ratios"][lib] for lib in libs[1:]] + ["%s / %.2f" % (
                          res["meta"]["threads"] or {"1": "1", "default": "all"}.get(
                              p.get("skmlp_blas_threads"), "?"), p["cpu_util"]["skmlp"])]
                      for p in s["points"]]) + [""]
    return out


def section_dropout(res, figs):
    d = res.get("dropout")
    if not d:
        return []
    if "skipped" in d:
        return ["Not measured: %s (the case runs once `MLPClassifierNB` takes `dropout`)."
                % d["skipped"]]
    return ["skmlp on MNIST 784-300-100-10, adam b200, %s, %s rows x %d epoch(s), with "
            "`dropout=%.1f` and without, alternating, median of %d: %.3f s vs %.3f s, ratio "
            "**%.3f** (median of per-round ratios %.3f)." % (
                d["dtype"], format(d["n_train"], ","), d["epochs"], d["rate"], d["repeats"],
                d["libs"]["skmlp_dropout"]["median"], d["libs"]["skmlp"]["median"],
                d["ratio"], d["paired_ratio"])]


def section_epochs(res, figs):
    out = []
    for e in res.get("epochs", []):
        t = e["times"]
        out += ["%s, %s rows, one `partial_fit` call per epoch (libraries in a random order "
                "each epoch). Median time of the last third of the epochs over the first "
                "third: %s. Test accuracy after %d epochs: %s." % (
                    e["label"], format(e["n_train"], ","), ", ".join(
                        "%s %.2f" % (lib_name(lib), v) for lib, v in e["growth"].items()),
                    e["epochs"], ", ".join("%s %.4f" % (lib_name(lib), v)
                                           for lib, v in e["accuracy"].items())), ""]
        out += table(["epoch"] + _names(t, "%s s") + ["skmlp / scikit-learn"],
                     [[i + 1] + ["%.3f" % t[lib][i] for lib in t] +
                      ["%.3f" % (t["skmlp"][i] / t["sklearn"][i])]
                      for i in range(e["epochs"])]) + [""]
    if out and figs.get("epoch_times"):
        out.append("![time per epoch across epochs](%s)" % figs["epoch_times"])
    return out


def section_quality(res, figs):
    q = res.get("quality")
    if not q:
        return []
    return ["MNIST %s x 784 (test: %s rows), 784-300-100-10, %d epochs per configuration; "
            "each skmlp row after the defaults adds one feature to the row above, and the "
            "control row is scikit-learn on inputs changed by rounding. Cells: test accuracy "
            "(%%) after that many epochs." % (format(q["n_train"], ","),
                                              format(q["n_test"], ","), q["epochs"]),
            "", quality_table(q)]


def section_method(res, figs):
    meta, m = res["meta"], res["meta"]["machine"]
    threads = ("Every library limited to %d thread(s) (`--threads %d`)." % (
        meta["threads"], meta["threads"]) if meta.get("threads") else
        "Threads: BLAS at its default (%s usable cores) for scikit-learn, and for skmlp "
        "unless its policy limits BLAS to one thread (see *Training*); PyTorch and skorch "
        "with `torch.set_num_threads(%s)`; JAX with XLA's default. *Same thread count* "
        "repeats the fits with every library on one thread." % (
            m["usable_cpus"], meta.get("peer_threads", {}).get("torch", "n/a")))
    return ["- " + s for s in [
        "One process runs every library; each round times each library once, back to back, "
        "in an order drawn at random for that round (seeded; the orders are in the JSON); "
        "figures are medians over rounds. Warm-up fits precede the timed ones (2,000 rows "
        "and one epoch; one epoch on all rows for JAX, whose compiled steps depend on the "
        "training set's shape). Convergence warnings are silenced. The whole `fit` call is "
        "timed, input validation included.", threads,
        "FLOP counts include only the matrix products: 2·n_in·n_out per layer and sample "
        "forward, the same again for each weight gradient, and again for each delta "
        "propagated below the first layer (784-300-100-10: 1.13 MFLOP per sample, 67.6 "
        "GFLOP per 60,000-row epoch).",
        "Initial weights: every library starts from scikit-learn's Glorot-uniform draw for "
        "the seed (`RandomState(0)`, per layer W then b). L2: scikit-learn's `alpha / (2 · "
        "batch rows) · ||W||²` on the weights; JAX adds exactly that to its loss, PyTorch "
        "and skorch use `weight_decay = alpha / batch_size` on the weight matrices (exact "
        "for full batches). Adam's epsilon enters after the bias correction in PyTorch and "
        "optax, before it in scikit-learn and skmlp.",
        "PyTorch: `nn.Sequential` of `Linear`/`ReLU`, cross-entropy on logits, a manual "
        "loop over `torch.randperm` batches (no DataLoader), `torch.optim.Adam` or `SGD`. "
        "skorch: `NeuralNetClassifier` over the same module with its defaults for data "
        "loading (DataLoader), `train_split=None`, `verbose=0`. JAX: a `jax.jit` step "
        "(gradient of the loss and optax's update, batch indices sliced on the device, "
        "buffers donated) called once per batch; *JAX (lax.scan)* runs the whole epoch in "
        "one `lax.scan`. Their shuffling order differs from scikit-learn's, so their "
        "accuracy differs by chance.",
        "Peak memory and first-fit cost are measured in fresh child processes (`python -m "
        "benchmarks.isolated`); see that module's docstring.",
        "Model quality (test accuracy per epoch budget, scikit-learn's and skmlp's defaults "
        "and skmlp's features one at a time) has its own page, [Accuracy per epoch "
        "budget](quality.md), from `python -m benchmarks.quality`."]]


def section_machine(res, figs):
    meta, m = res["meta"], res["meta"]["machine"]
    pools = "; ".join("%s %s %s (%s, %s threads%s)" % (
        p["internal_api"], p.get("version") or "", p.get("library", ""), p["user_api"],
        p["num_threads"], ", " + p["architecture"] if p.get("architecture") else "")
        for p in m["threadpools"])
    pairs = lambda d, f="%s %s": ", ".join(f % kv for kv in d.items())  # noqa: E731
    return table(["", ""], [
        ["CPU", m["cpu"]],
        ["cores", "%s logical, %s usable" % (m["logical_cpus"], m["usable_cpus"])],
        ["memory", "%s GiB" % m["ram_gib"]], ["OS", m.get("os", "?")],
        ["Python", m["python"]],
        ["versions", pairs({k: v for k, v in m["versions"].items() if v})],
        ["BLAS and OpenMP in use (threadpoolctl)", pools],
        ["thread settings in the environment", pairs(m["env"], "%s=%s") or "none"],
        ["peer threads", pairs(meta.get("peer_threads", {})) or "n/a"],
        ["seconds per section", pairs(meta.get("section_s", {}), "%s %.0f")],
        ["load average at start / end", "%s / %s" % (m["load_average_start"],
                                                      meta.get("load_average_end"))]])


def section_reproduce(res, figs):
    return [
        "```",
        "pip install -e \".[bench]\"        # optional peers: see benchmarks/README.md",
        "python -m benchmarks             # full run: docs/benchmarks.{json,md}, docs/figures/",
        "python -m benchmarks --quick     # a few minutes: report under benchmarks/results/",
        "python -m benchmarks --list      # the cases; --case NAME runs one",
        "python -m benchmarks.report      # rewrite this page from docs/benchmarks.json",
        "```", "",
        "MNIST is read from `--mnist-dir`, `$SKMLP_MNIST_DIR` or `../shared/data/mnist` "
        "(relative to the repository), else downloaded with `fetch_openml`. See "
        "`benchmarks/README.md`."]


SECTIONS = [("Goals", section_goals), ("Same arithmetic", section_parity),
            ("Training", section_training), ("Same thread count", section_same_threads),
            ("Share of the GEMM peak", section_gemm), ("Prediction", section_predict),
            ("Peak memory", section_memory), ("First fit and compile cost", section_compile),
            ("Sweeps: batch size and hidden width", section_sweeps),
            ("Dropout", section_dropout), ("Time per epoch across epochs", section_epochs),
            ("Accuracy per epoch budget", section_quality), ("Method", section_method),
            ("Machine", section_machine), ("Reproduce", section_reproduce)]


def _git_line(g):
    if not g.get("commit"):
        return "unknown commit (not run from a git checkout)"
    dirty = ", **with uncommitted changes** to %s" % ", ".join(
        "`%s`" % c for c in g["changed"][:10])
    return "commit `%s` (%s)%s" % (g["commit"][:12], g.get("subject", ""),
                                    dirty if g.get("dirty") else ", clean tree")


def header(res, json_rel, json_link):
    """Title, what was compared, the run and machine in one line each, warnings."""
    meta, m, p = res["meta"], res["meta"]["machine"], res["meta"]["profile"]
    libs = meta["libs"]
    out = ["# Benchmarks", "", "<!-- Generated by `python -m benchmarks.report` from %s. Do "
           "not edit by hand. -->" % json_rel, "",
           "skmlp against %s, side by side in one process on the same data, network, initial "
           "weights, optimizer and epochs. Every speed figure is a **ratio of medians "
           "measured in the same run** (skmlp time / other time: below 1 means skmlp is "
           "faster); absolute seconds are shown for context only." % ", ".join(
               _names(libs[1:])), "",
           "- Results: [`%s`](%s), measured on %s." % (json_rel, json_link,
                                                       _git_line(meta.get("git") or {})),
           "- Run: `%s` (%s mode), %s to %s, %.0f s; library order per round drawn at random "
           "with seed %d (recorded in the JSON)." % (
               meta["command"].strip(), meta["mode"], m["date"], meta.get("finished", "?"),
               meta.get("duration_s", 0), meta.get("order_seed", 0)),
           "- Machine: %s, %s cores, %s GiB; numpy %s, scikit-learn %s, numba %s%s." % (
               m["cpu"], m["usable_cpus"], m["ram_gib"], m["versions"]["numpy"],
               m["versions"]["sklearn"], m["versions"]["numba"], "".join(
                   ", %s %s" % (k, m["versions"][k]) for k in ("torch", "skorch", "jax",
                                                               "optax")
                   if m["versions"].get(k))),
           "- MNIST: %s%s." % (meta.get("mnist_source", "not used"),
                               ", subsampled to %s training rows" % format(p["mnist_train"], ",")
                               if p.get("mnist_train") else "")]
    left_out = ["%s: %s" % (lib_name(lib), note) for lib, note in
                meta.get("peer_notes", {}).items() if note != "not requested"]
    if left_out:
        out.append("- Left out: %s." % "; ".join(left_out))
    coretype = m.get("env", {}).get("OPENBLAS_CORETYPE")
    if coretype:
        kernels = sorted({p.get("architecture") for p in m["threadpools"]
                          if p.get("internal_api") == "openblas" and p.get("architecture")})
        out.append("- The environment sets `OPENBLAS_CORETYPE=%s`: OpenBLAS (the BLAS of "
                   "NumPy and SciPy, so of scikit-learn and skmlp) runs its %s kernels "
                   "whatever the CPU supports; PyTorch and JAX choose their own." % (
                       coretype, "/".join(kernels) or coretype))
    return out + [""] + _busy_warning(res)


def _busy_warning(res):
    loads = [(r["label"], r["foreign_cores"]) for r in res.get("fit", [])
             if r.get("foreign_cores") is not None]
    busy = [(label, c) for label, c in loads if c > 0.25]
    if loads and statistics.median(c for _, c in loads) > 0.25:
        return ["> **The machine was busy** during this run: other processes kept a median "
                "%.2f of its %d cores busy during a case. Multi-threaded libraries are very "
                "sensitive to competing processes on few cores, so these ratios are noisy; "
                "compare the robustness table and the one-thread table, or rerun on an idle "
                "machine." % (statistics.median(c for _, c in loads),
                              res["meta"]["machine"].get("usable_cpus") or 1), ""]
    if busy:
        return ["> Other processes used CPU during %s (cores used): check those rows in the "
                "robustness table." % ", ".join("*%s* (%.2f)" % b for b in busy), ""]
    return []


def render(res, json_rel, figs=None, json_link=None):
    """The markdown page for one results dict; ``figs``: {figure name: relative path}."""
    lines = header(res, json_rel, json_link or json_rel)
    for title, section in SECTIONS:
        body = section(res, figs or {})
        while body and body[-1] == "":
            body.pop()
        if body:
            lines += ["## " + title, ""] + body + [""]
    return "\n".join(lines)


def _repo_rel(path):
    rel = os.path.relpath(os.path.abspath(path), REPO_ROOT)
    return rel if not rel.startswith("..") else os.path.basename(path)


def write(json_path, doc_path, fig_dir):
    """Render ``json_path`` into ``doc_path`` with figures in ``fig_dir``."""
    with open(json_path) as f:
        res = json.load(f)
    doc_dir = os.path.dirname(os.path.abspath(doc_path))
    figs = {os.path.splitext(os.path.basename(f))[0]: os.path.relpath(f, doc_dir)
            for f in make_figures(res, fig_dir)}
    os.makedirs(doc_dir, exist_ok=True)
    with open(doc_path, "w") as f:
        f.write(render(res, _repo_rel(json_path), figs,
                       os.path.relpath(os.path.abspath(json_path), doc_dir)))
    return doc_path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                description="Write the benchmark page from a results JSON.")
    p.add_argument("json", nargs="?", default=DEFAULT_JSON,
                   help="results file (default: docs/benchmarks.json)")
    p.add_argument("--doc", default=os.path.join(REPO_ROOT, "docs", "benchmarks.md"))
    p.add_argument("--figures", default=os.path.join(REPO_ROOT, "docs", "figures"))
    args = p.parse_args(argv)
    if not os.path.exists(args.json):
        raise SystemExit("no results at %s: run python -m benchmarks first" % args.json)
    write(args.json, args.doc, args.figures)
    print("wrote %s from %s" % (os.path.relpath(args.doc), os.path.relpath(args.json)))


if __name__ == "__main__":
    main()
