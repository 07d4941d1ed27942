"""Turn a results JSON into the markdown page and its figures.

``python -m benchmarks.report [RESULTS.json] [--doc PATH] [--figures DIR]``
regenerates ``docs/benchmarks.md`` and ``docs/figures/`` from a saved run (by
default ``docs/benchmarks.json``, the committed results of the last full run).
Nothing in the page is typed by hand: every number comes from the JSON, and the
page names the JSON and the commit it measured.
"""

import argparse
import json
import os
import statistics

from benchmarks.figures import make_figures
from benchmarks.goals import fit_by_id as _fit_by_id
from benchmarks.goals import fmt as _fmt
from benchmarks.goals import lib_name as _name
from benchmarks.goals import not_met_notes, summary_table
from benchmarks.goals import us as _us
from benchmarks.quality import render_table as _quality_table

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_JSON = os.path.join(REPO_ROOT, "docs", "benchmarks.json")


def _threads_cell(r, lib, meta):
    """Thread setting of ``lib`` in fit case ``r``, and its measured CPU use."""
    cpu = r["libs"][lib].get("cpu_util")
    if meta.get("threads"):
        setting = "%d" % meta["threads"]
    elif lib == "skmlp":
        pol = r.get("skmlp_blas_threads")
        split = r.get("skmlp_batch_threads", 1)
        if split > 1:
            setting = "**%d** (batch split, BLAS 1 each)" % split
        else:
            setting = {"1": "**1** (skmlp's policy)", "default": "%s" % meta[
                "machine"]["usable_cpus"]}.get(pol, "?")
    elif lib in ("torch", "skorch"):
        setting = "%s" % meta.get("peer_threads", {}).get("torch", "?")
    elif lib in ("jax", "jax_scan"):
        setting = "XLA default"
    else:
        setting = "%s" % meta["machine"]["usable_cpus"]
    return "%s / %s" % (setting, _fmt(cpu, "%.2f"))


def _settle(meta):
    """The rest before each timed call, as a clause of the method sentence."""
    s = meta.get("settle_s")
    return (", each timed call after a %.2f s rest (thread pools of the library "
            "before stop busy-waiting)" % s) if s else ""


def _fit_table(res, libs):
    meta = res["meta"]
    head = ["case", "rows x epochs"] + ["%s s" % _name(lib) for lib in libs]
    head += ["skmlp / %s" % _name(lib) for lib in libs[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in res.get("fit", []):
        row = [r["label"], "%s x %d" % (format(r["n_train"], ","), r["epochs"])]
        row += [_fmt(r["libs"].get(lib, {}).get("median")) for lib in libs]
        row += ["**%s**" % _fmt(r["ratios"][lib]) if r["ratios"].get(lib) is not None
                else "n/a" for lib in libs[1:]]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Threads each library was allowed and the CPU use it reached "
              "(process CPU time / wall time, median; %s = every usable core busy). "
              "skmlp limits BLAS to one thread when the largest product of a batch "
              "has fewer than %s multiply-adds (`skmlp/_threads.py`); the other "
              "libraries keep their defaults. The section *Same thread count* "
              "below runs every library on one thread." % (
                  meta["machine"]["usable_cpus"],
                  format(meta["skmlp_multithread_min_macs"], ",")
                  if meta.get("skmlp_multithread_min_macs") else "a threshold"), "",
              "| case | " + " | ".join("%s threads / CPU" % _name(lib) for lib in libs)
              + " |", "|---|" + "---|" * len(libs)]
    for r in res.get("fit", []):
        lines.append("| %s | %s |" % (r["label"], " | ".join(
            _threads_cell(r, lib, meta) if lib in r["libs"] else "n/a" for lib in libs)))
    lines += ["", "Test accuracy (MNIST test set; 5,000 held-out tabular rows) and "
              "achieved GFLOP/s (GEMM FLOPs of forward and backward / wall time):", "",
              "| case | " + " | ".join("%s acc. / GFLOP/s" % _name(lib) for lib in libs)
              + " |", "|---|" + "---|" * len(libs)]
    for r in res.get("fit", []):
        lines.append("| %s | %s |" % (r["label"], " | ".join(
            "%.4f / %.1f" % (r["libs"][lib]["accuracy"], r["libs"][lib]["gflops"])
            if lib in r["libs"] else "n/a" for lib in libs)))
    return "\n".join(lines)


def _robust_table(res, libs):
    others = libs[1:]
    head = ["case"]
    for o in others:
        head += ["vs %s: ratio of medians / median of per-round ratios / ratio of "
                 "minimums" % _name(o)]
    head.append("cores used by other processes")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in res.get("fit", []):
        row = [r["label"]]
        for o in others:
            if o not in r["libs"]:
                row.append("n/a")
                continue
            row.append("%s / %s / %s" % (
                _fmt(r["ratios"].get(o)), _fmt(r["paired_ratios"].get(o)),
                _fmt(r["libs"]["skmlp"]["min"] / r["libs"][o]["min"])))
        row.append(_fmt(r.get("foreign_cores"), "%.2f"))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _same_threads_section(res, libs):
    st = res.get("same_threads")
    if not st:
        return ""
    default = _fit_by_id(res)
    libs = [lib for lib in libs if any(lib in r["libs"] for r in st["fit"])]
    head = (["case"] + ["%s s" % _name(lib) for lib in libs] +
            ["skmlp / %s at 1 thread (at default threads)" % _name(lib)
             for lib in libs[1:]])
    lines = ["Every library on **one thread**, in a separate process (`python -m "
             "benchmarks --threads 1`): BLAS and OpenMP through threadpoolctl and the "
             "environment, `torch.set_num_threads(1)`, and XLA's flags "
             "`--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1` for "
             "JAX. Median of %d rounds. The ratio at each library's default thread "
             "count, from the table above, is in parentheses." % (
                 st["fit"][0]["repeats"] if st["fit"] else 0), "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in st["fit"]:
        d = default.get(r["id"], {"ratios": {}})
        row = [r["label"]] + [_fmt(r["libs"].get(lib, {}).get("median")) for lib in libs]
        row += ["**%s** (%s)" % (_fmt(r["ratios"].get(lib)), _fmt(d["ratios"].get(lib)))
                for lib in libs[1:]]
        lines.append("| " + " | ".join(row) + " |")
    shares = ["%s: %.1f GFLOP/s, %s" % (
        r["label"], r["gemm_chain_gflops"], ", ".join(
            "%s %.0f%%" % (_name(lib), 100 * r["libs"][lib]["gflops"] / r["gemm_chain_gflops"])
            for lib in libs if lib in r["libs"]))
        for r in st["fit"] if r.get("gemm_chain_gflops")]
    if shares:
        lines += ["", "Share of the one-thread GEMM peak of each MNIST case's shapes "
                  "(NumPy's matmul on one thread; see *Share of the GEMM peak*): " +
                  "; ".join(shares) + "."]
    lines += ["", "CPU use at one thread (a check that the limit held): " + "; ".join(
        "%s: %s" % (r["label"], ", ".join("%s %.2f" % (_name(lib), r["libs"][lib]["cpu_util"])
                                          for lib in libs if lib in r["libs"]))
        for r in st["fit"]) + "."]
    return "\n".join(lines)


def _gemm_section(res, libs):
    g = res.get("gemm")
    mnist = [r for r in res.get("fit", []) if r.get("dataset") == "mnist"
             and r.get("gemm_chain_gflops")]
    if not g and not mnist:
        return ""
    out = []
    if g:
        out += ["GEMM throughput of this machine, measured in the run (median of %d "
                "products of %d x %d matrices; the better of a measurement at the start "
                "and one at the end of the run):" % (g["repeats"], g["n"], g["n"]), "",
                "| dtype | NumPy `np.dot` GFLOP/s | `np.dot` inside Numba GFLOP/s "
                "(SciPy's BLAS, what skmlp calls) |", "|---|---|---|"]
        for dt, v in g["gflops"].items():
            out.append("| %s | %.1f | %.1f |" % (dt, v["numpy"], v["numba"]))
        out.append("")
    if mnist:
        out += ["Every MNIST case as a share of the GEMM peak. *Shape peak*: NumPy's "
                "matmul on exactly the products of one training step of that case "
                "(forward, weight gradients, deltas; same batch size and dtype, into "
                "preallocated outputs, nothing else in between), i.e. the GEMM time "
                "of an epoch done by NumPy's BLAS alone. *Square peak*: the better of "
                "the two square-GEMM figures above. JAX (XLA) uses its own GEMM "
                "routines, which can exceed NumPy's.", "",
                "| case | shape peak GFLOP/s | square peak GFLOP/s | " +
                " | ".join("%s GFLOP/s: %% of shape / %% of square peak" % _name(lib)
                           for lib in libs) + " |",
                "|---|---|---|" + "---|" * len(libs)]
        for r in mnist:
            chain = r["gemm_chain_gflops"]
            sq = max(g["gflops"][r["dtype"]].values()) if g else None
            cells = []
            for lib in libs:
                if lib not in r["libs"]:
                    cells.append("n/a")
                    continue
                gf = r["libs"][lib]["gflops"]
                cells.append("%.1f: %.0f%% / %s" % (
                    gf, 100 * gf / chain, "%.0f%%" % (100 * gf / sq) if sq else "n/a"))
            out.append("| %s | %.1f | %s | %s |" % (r["label"], chain, _fmt(sq, "%.1f"),
                                                   " | ".join(cells)))
    return "\n".join(out)


def _predict_table(res, libs):
    lines = []
    for p in res.get("predict", []):
        plibs = [lib for lib in libs if lib in p["sizes"][0]["libs"]]
        head = (["rows"] + ["%s us per call" % _name(lib) for lib in plibs] +
                ["skmlp / %s" % _name(lib) for lib in plibs[1:]] +
                ["vs scikit-learn: max abs. diff. of probabilities"])
        lines += ["%s (median of %d alternating measurements; calls under 50 ms are "
                  "looped inside a measurement, time per call shown):" % (
                      p["label"], p["repeats"]), "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for s in p["sizes"]:
            row = [format(s["n_rows"], ",")]
            row += [_us(s["libs"][lib]["median"]) for lib in plibs]
            row += ["**%s**" % _fmt(s["ratios"].get(lib)) for lib in plibs[1:]]
            row += [", ".join("%s %.1e" % (_name(lib), v)
                              for lib, v in s["max_abs_diff_vs_sklearn"].items())]
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


def _memory_table(res):
    mem = res.get("memory", [])
    if not mem:
        return ""
    out = []
    for m in mem:
        libs = list(m["libs"])
        out += ["%s, median of %d fresh process(es) per library:" % (m["label"],
                                                                     m["repeats"]), "",
                "| library | fit adds MiB (median) | min - max MiB | resident before "
                "fit MiB | fit s |", "|---|---|---|---|---|"]
        for lib in libs:
            r = m["libs"][lib]
            out.append("| %s | %.1f | %.1f - %.1f | %.0f | %.2f |" % (
                _name(lib), r["delta_mib"], r["min_mib"], r["max_mib"],
                r["baseline_mib"], r["fit_s"]))
        out.append("")
    method = mem[0]["libs"]["skmlp"]["method"] if "skmlp" in mem[0]["libs"] else "VmHWM"
    out += ["Peak resident memory during `fit` minus the resident memory just before "
            "it, each library in its own fresh process (after imports, data loading "
            "and a warm-up fit; high-water mark reset through `/proc/self/clear_refs`, "
            "read from `%s`). The training data (%.1f MiB for the first case) is "
            "loaded before the baseline. The goal compares the medians and calls a "
            "difference smaller than the larger spread (max - min) of the two "
            "libraries' repeats noise, not a result." % (
                method, mem[0]["libs"][list(mem[0]["libs"])[0]]["X_mib"])]
    return "\n".join(out)


def _compile_section(res):
    c = res.get("compile")
    if not c:
        return ""
    lines = ["A fresh Python process imports the estimator, fits it with its "
             "defaults (`random_state=0`) on iris (150 x 4, float64) and calls "
             "`predict_proba`, then fits and predicts again; then the same in float32. "
             "*Cold*: an empty `NUMBA_CACHE_DIR` of its own (everything compiles); "
             "*warm*: %s. Medians over %d cold and %d warm processes; *process* is the "
             "child's whole wall time, Python start-up included." % (
                 "the cache the cold process filled" if c["cold_repeats"] else
                 "the package's own cache", c["cold_repeats"], c["warm_repeats"]), "",
             "| process | import s | first fit s | first predict_proba s | second fit "
             "s | float32 first fit s | float32 first predict_proba s | process s |",
             "|---|---|---|---|---|---|---|---|"]
    for key, name in (("cold", "skmlp, empty Numba cache"),
                      ("warm", "skmlp, warm Numba cache"), ("sklearn", "scikit-learn")):
        s = c.get(key + "_summary")
        if not s:
            continue
        lines.append("| %s | %.2f | %.2f | %.3f | %.3f | %.2f | %.3f | %.2f |" % (
            name, s["import_s"], s["first_fit_float64_s"], s["first_predict_float64_s"],
            s["second_fit_float64_s"], s["first_fit_float32_s"],
            s["first_predict_float32_s"], s["process_s"]))
    return "\n".join(lines)


def _epochs_section(res, fig_rel):
    out = []
    for e in res.get("epochs", []):
        t = e["times"]
        out.append("%s, %s rows, one `partial_fit` call per epoch (libraries in a "
                   "random order each epoch). Median time of the last third of the "
                   "epochs over the first third: %s. Test accuracy after %d epochs: %s."
                   % (e["label"], format(e["n_train"], ","),
                      ", ".join("%s %.2f" % (_name(lib), v) for lib, v in e["growth"].items()),
                      e["epochs"], ", ".join("%s %.4f" % (_name(lib), v)
                                             for lib, v in e["accuracy"].items())))
        out += ["", "| epoch | " + " | ".join("%s s" % _name(lib) for lib in t) +
                " | skmlp / scikit-learn |", "|---|" + "---|" * (len(t) + 1)]
        for i in range(e["epochs"]):
            out.append("| %d | %s | %.3f |" % (
                i + 1, " | ".join("%.3f" % t[lib][i] for lib in t),
                t["skmlp"][i] / t["sklearn"][i]))
        out.append("")
    if out and fig_rel:
        out.append("![time per epoch across epochs](%s)" % fig_rel)
    return "\n".join(out)


def _sweeps_section(res, rel):
    out = []
    for s in res.get("sweeps", []):
        libs = list(s["points"][0]["per_epoch"])
        if s["kind"] == "batch":
            what = ("batch size, MNIST 784-300-100-10", "batch")
        else:
            what = ("hidden width w, MNIST 784-w-w-10, batch %d" % s["batch_size"], "w")
        fig = rel("sweep_" + s["kind"])
        out.append("Time per epoch vs %s: adam, %s rows, %s, median of %d." % (
            what[0], format(s["n_samples"], ","), s["dtype"], s["repeats"]))
        out.append("")
        if fig:
            out += ["![time per epoch vs %s](%s)" % (what[1], fig), ""]
        out.append("| %s | " % what[1] + " | ".join("%s s" % _name(lib) for lib in libs)
                   + " | " + " | ".join("skmlp / %s" % _name(lib) for lib in libs[1:]) +
                   " | skmlp BLAS threads / CPU |")
        out.append("|---|" + "---|" * (2 * len(libs)))
        for p in s["points"]:
            out.append("| %s | %s | %s | %s / %.2f |" % (
                format(p["value"], ","),
                " | ".join("%.3f" % p["per_epoch"][lib] for lib in libs),
                " | ".join("%.3f" % p["ratios"][lib] for lib in libs[1:]),
                res["meta"]["threads"] or
                {"1": "1", "default": "all"}.get(p.get("skmlp_blas_threads"), "?"),
                p["cpu_util"]["skmlp"]))
        out.append("")
    return "\n".join(out)


def _dropout_section(res):
    d = res.get("dropout")
    if not d:
        return ""
    if "skipped" in d:
        return "Not measured: %s (the case runs once `MLPClassifierNB` takes " \
               "`dropout`)." % d["skipped"]
    return ("skmlp on MNIST 784-300-100-10, adam b200, %s, %s rows x %d epoch(s), with "
            "`dropout=%.1f` and without, alternating, median of %d: %.3f s vs %.3f s, "
            "ratio **%.3f** (median of per-round ratios %.3f)." % (
                d["dtype"], format(d["n_train"], ","), d["epochs"], d["rate"],
                d["repeats"], d["libs"]["skmlp_dropout"]["median"],
                d["libs"]["skmlp"]["median"], d["ratio"], d["paired_ratio"]))


def _parity_section(res):
    p = res.get("parity")
    if not p:
        return ""
    libs = list(next(iter(p["max_abs_diff_vs_sklearn"].values())))
    lines = ["Before timing, every library trains the same %s network on %s tabular "
             "rows for %d full-batch epochs without shuffling, from the same initial "
             "weights, and its `predict_proba` on 500 held-out rows is compared with "
             "scikit-learn's (largest absolute difference; 0 would be bitwise equal). "
             "Small numbers mean the libraries do the same arithmetic; Adam differs a "
             "little in the peers because their epsilon enters after the bias "
             "correction." % ("-".join(str(u) for u in ["50", *p["hidden"], "10"]),
                              format(p["n_train"], ","), p["epochs"]), "",
             "| solver | " + " | ".join(_name(lib) for lib in libs) + " |",
             "|---|" + "---|" * len(libs)]
    for solver, d in p["max_abs_diff_vs_sklearn"].items():
        lines.append("| %s | %s |" % (
            "sgd (momentum 0)" if solver == "sgd" else solver,
            " | ".join("%.1e" % d[lib] for lib in libs)))
    return "\n".join(lines)


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
        "| memory | %s GiB |" % m["ram_gib"],
        "| OS | %s |" % m.get("os", "?"),
        "| Python | %s |" % m["python"],
        "| versions | %s |" % ", ".join("%s %s" % (k, val) for k, val in v.items() if val),
        "| BLAS and OpenMP in use (threadpoolctl) | %s |" % pools,
        "| thread settings in the environment | %s |" % (
            ", ".join("%s=%s" % kv for kv in m["env"].items()) or "none"),
        "| peer threads | %s |" % (", ".join(
            "%s %s" % kv for kv in res["meta"].get("peer_threads", {}).items()) or "n/a"),
        "| seconds per section | %s |" % ", ".join(
            "%s %.0f" % kv for kv in res["meta"].get("section_s", {}).items()),
        "| load average at start / end | %s / %s |" % (
            m["load_average_start"], res["meta"].get("load_average_end")),
    ]
    return "\n".join(lines)


def _git_line(meta):
    g = meta.get("git") or {}
    if not g.get("commit"):
        return "unknown commit (not run from a git checkout)"
    text = "commit `%s` (%s)" % (g["commit"][:12], g.get("subject", ""))
    if g.get("dirty"):
        text += ", **with uncommitted changes** to %s" % ", ".join(
            "`%s`" % c for c in g["changed"][:10])
    else:
        text += ", clean tree"
    return text


def render(res, json_rel, fig_dir_rel=None, figures=(), json_link=None):
    """The markdown page for one results dict."""
    meta = res["meta"]
    libs = meta["libs"]
    figs = {os.path.splitext(os.path.basename(f))[0]: f for f in figures}

    def rel(name):
        if name not in figs or fig_dir_rel is None:
            return None
        return fig_dir_rel.rstrip("/") + "/" + os.path.basename(figs[name])

    p = meta["profile"]
    m = meta["machine"]
    left_out = ["%s: %s" % (_name(lib), note) for lib, note in
                meta.get("peer_notes", {}).items() if note != "not requested"]
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `python -m benchmarks.report` from %s. Do not edit by hand. -->"
        % json_rel,
        "",
        "skmlp against %s, side by side in one process on the same data, network, "
        "initial weights, optimizer and epochs. Every speed figure is a **ratio of "
        "medians measured in the same run** (skmlp time / other time: below 1 means "
        "skmlp is faster); absolute seconds are shown for context only." % (
            ", ".join(_name(lib) for lib in libs[1:])),
        "",
        "- Results: [`%s`](%s), measured on %s." % (json_rel, json_link or json_rel,
                                                    _git_line(meta)),
        "- Run: `%s` (%s mode), %s to %s, %.0f s; library order per round drawn at "
        "random with seed %d (recorded in the JSON)." % (
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
                            if p.get("mnist_train") else ""),
    ]
    if left_out:
        lines.append("- Left out: %s." % "; ".join(left_out))
    coretype = m.get("env", {}).get("OPENBLAS_CORETYPE")
    if coretype:
        kernels = sorted({p.get("architecture") for p in m["threadpools"]
                          if p.get("internal_api") == "openblas" and p.get("architecture")})
        lines.append("- The environment sets `OPENBLAS_CORETYPE=%s`: OpenBLAS (the BLAS "
                     "of NumPy and SciPy, so of scikit-learn and skmlp) runs its %s "
                     "kernels whatever the CPU supports; PyTorch and JAX choose their "
                     "own." % (coretype, "/".join(kernels) or coretype))
    lines.append("")
    ncpu = m.get("usable_cpus") or 1
    loads = [(r["label"], r["foreign_cores"]) for r in res.get("fit", [])
             if r.get("foreign_cores") is not None]
    busy = [(label, c) for label, c in loads if c > 0.25]
    if loads and statistics.median(c for _, c in loads) > 0.25:
        lines += ["> **The machine was busy** during this run: other processes kept "
                  "a median %.2f of its %d cores busy during a case. Multi-threaded "
                  "libraries are very sensitive to competing processes on few cores, "
                  "so these ratios are noisy; compare the robustness table and the "
                  "one-thread table, or rerun on an idle machine." % (
                      statistics.median(c for _, c in loads), ncpu), ""]
    elif busy:
        lines += ["> Other processes used CPU during %s (cores used): check those "
                  "rows in the robustness table." % ", ".join(
                      "*%s* (%.2f)" % b for b in busy), ""]
    lines += ["## Goals", "", summary_table(res), ""]
    notes = not_met_notes(res)
    if notes:
        lines += ["### Goals not met: what was tried, what the profile shows", ""]
        for n in notes:
            lines += [n, ""]
    if res.get("parity"):
        lines += ["## Same arithmetic", "", _parity_section(res), ""]
    if res.get("fit"):
        lines += [
            "## Training",
            "",
            "Median wall time of `fit` over %d rounds; in each round every library "
            "fits once, in a random order%s. An untimed warm-up fit per library comes "
            "first (it compiles skmlp's kernels and JAX's steps). ReLU, alpha=1e-4, "
            "learning rate 1e-3 (adam) or 1e-2 (sgd), `shuffle=True`, `random_state=0`, "
            "fixed epochs (`tol=0`, `n_iter_no_change` > `max_iter`). MNIST network "
            "784-300-100-10; tabular: `make_classification`, 50 features, 10 classes, "
            "hidden (64, 64)." % (p["repeats"], _settle(meta)),
            "",
            _fit_table(res, libs),
            "",
            "Robustness of the ratios: the ratio of medians (used above), the median "
            "of the ratios measured within each round (robust to load that changes "
            "between rounds) and the ratio of the fastest runs. When these disagree a "
            "lot, the machine was busy:",
            "",
            _robust_table(res, libs),
            "",
        ]
    if res.get("same_threads"):
        lines += ["## Same thread count", "", _same_threads_section(res, libs), ""]
    gemm = _gemm_section(res, libs)
    if gemm:
        lines += ["## Share of the GEMM peak", "", gemm, ""]
    if res.get("predict"):
        lines += ["## Prediction", "", "`predict_proba` with the MNIST models trained "
                  "above, on the first 1, 100 and 10,000 rows of the test set. The two "
                  "JAX peers share one jitted inference function, so JAX appears once.",
                  "",
                  _predict_table(res, libs)]
    if res.get("memory"):
        lines += ["## Peak memory", "", _memory_table(res), ""]
    if res.get("compile"):
        lines += ["## First fit and compile cost", "", _compile_section(res), ""]
    if res.get("sweeps"):
        lines += ["## Sweeps: batch size and hidden width", "", _sweeps_section(res, rel)]
    if res.get("dropout"):
        lines += ["## Dropout", "", _dropout_section(res), ""]
    if res.get("epochs"):
        lines += ["## Time per epoch across epochs", "",
                  _epochs_section(res, rel("epoch_times")), ""]
    if res.get("quality"):
        q = res["quality"]
        lines += ["## Accuracy per epoch budget", "",
                  "MNIST %s x 784 (test: %s rows), 784-300-100-10, %d epochs per "
                  "configuration; each skmlp row after the defaults adds one feature "
                  "to the row above, and the control row is scikit-learn on inputs "
                  "changed by rounding. Cells: test accuracy (%%) after that many "
                  "epochs." % (
                      format(q["n_train"], ","), format(q["n_test"], ","), q["epochs"]),
                  "", _quality_table(q), ""]
    lines += [
        "## Method",
        "",
        "- One process runs every library; each round times each library once, "
        "back to back, in an order drawn at random for that round (seeded; the "
        "orders are in the JSON); figures are medians over rounds. Warm-up fits "
        "precede the timed ones (2,000 rows and one epoch; one epoch on all rows "
        "for JAX, whose compiled steps depend on the training set's shape). "
        "Convergence warnings are silenced. The whole `fit` call is timed, input "
        "validation included.",
        ("- Every library limited to %d thread(s) (`--threads %d`)." % (
            meta["threads"], meta["threads"]) if meta.get("threads") else
         "- Threads: BLAS at its default (%s usable cores) for scikit-learn, and for "
         "skmlp unless its policy limits BLAS to one thread (see *Training*); "
         "PyTorch and skorch with `torch.set_num_threads(%s)`; JAX with XLA's "
         "default. *Same thread count* repeats the fits with every library on one "
         "thread." % (m["usable_cpus"], meta.get("peer_threads", {}).get("torch", "n/a"))),
        "- FLOP counts include only the matrix products: 2·n_in·n_out per layer and "
        "sample forward, the same again for each weight gradient, and again for each "
        "delta propagated below the first layer (784-300-100-10: 1.13 MFLOP per "
        "sample, 67.6 GFLOP per 60,000-row epoch).",
        "- Initial weights: every library starts from scikit-learn's Glorot-uniform "
        "draw for the seed (`RandomState(0)`, per layer W then b). L2: scikit-learn's "
        "`alpha / (2 · batch rows) · ||W||²` on the weights; JAX adds exactly that "
        "to its loss, PyTorch and skorch use `weight_decay = alpha / batch_size` on "
        "the weight matrices (exact for full batches). Adam's epsilon enters after the "
        "bias correction in PyTorch and optax, before it in scikit-learn and skmlp.",
        "- PyTorch: `nn.Sequential` of `Linear`/`ReLU`, cross-entropy on logits, a "
        "manual loop over `torch.randperm` batches (no DataLoader), `torch.optim.Adam` "
        "or `SGD`. skorch: `NeuralNetClassifier` over the same module with its "
        "defaults for data loading (DataLoader), `train_split=None`, `verbose=0`. "
        "JAX: a `jax.jit` step (gradient of the loss and optax's update, batch "
        "indices sliced on the device, buffers donated) called once per batch; "
        "*JAX (lax.scan)* runs the whole epoch in one `lax.scan`. Their shuffling "
        "order differs from scikit-learn's, so their accuracy differs by chance.",
        "- Peak memory and first-fit cost are measured in fresh child processes "
        "(`python -m benchmarks.isolated`); see that module's docstring.",
        "- Model quality (test accuracy per epoch budget, scikit-learn's and skmlp's "
        "defaults and skmlp's features one at a time) has its own page, "
        "[Accuracy per epoch budget](quality.md), from `python -m benchmarks.quality`.",
        "",
        "## Machine",
        "",
        _machine_section(res),
        "",
        "## Reproduce",
        "",
        "```",
        "pip install -e \".[bench]\"        # optional peers: see benchmarks/README.md",
        "python -m benchmarks             # full run: docs/benchmarks.{json,md}, docs/figures/",
        "python -m benchmarks --quick     # a few minutes: report under benchmarks/results/",
        "python -m benchmarks --list      # the cases; --case NAME runs one",
        "python -m benchmarks.report      # rewrite this page from docs/benchmarks.json",
        "```",
        "",
        "MNIST is read from `--mnist-dir`, `$SKMLP_MNIST_DIR` or `../shared/data/mnist` "
        "(relative to the repository), else downloaded with `fetch_openml`. See "
        "`benchmarks/README.md`.",
        "",
    ]
    return "\n".join(lines)


def _repo_rel(path):
    path = os.path.abspath(path)
    rel = os.path.relpath(path, REPO_ROOT)
    return rel if not rel.startswith("..") else os.path.basename(path)


def write(json_path, doc_path, fig_dir):
    """Render ``json_path`` into ``doc_path`` with figures in ``fig_dir``."""
    with open(json_path) as f:
        res = json.load(f)
    figures = make_figures(res, fig_dir)
    rel = os.path.relpath(os.path.abspath(fig_dir),
                          os.path.dirname(os.path.abspath(doc_path)))
    os.makedirs(os.path.dirname(os.path.abspath(doc_path)), exist_ok=True)
    with open(doc_path, "w") as f:
        f.write(render(res, _repo_rel(json_path), rel, figures, json_link=os.path.relpath(
            os.path.abspath(json_path), os.path.dirname(os.path.abspath(doc_path)))))
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
