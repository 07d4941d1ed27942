"""The markdown page and its figures from a results JSON, one function per page section."""

import argparse
import inspect
import json
import os
import statistics

from benchmarks.goals import fit_by_id, fmt, lib_name, not_met_notes, summary_table, us
from benchmarks.quality import budget_accuracy

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_texts(path):
    """``{name: text}`` of the blocks of ``page.md`` (see its first lines)."""
    texts = {}
    with open(path, encoding="utf-8") as f:
        for chunk in f.read().split("\n@@ ")[1:]:
            name, body = chunk.split("\n", 1)
            lines, fenced = [], False
            for line in body.strip("\n").split("\n"):
                fenced ^= line.startswith("```")
                if (lines and lines[-1] and line and not fenced and not lines[-1].startswith(
                        "```") and not line.startswith(("- ", "```"))):
                    lines[-1] += " " + line
                else:
                    lines.append(line)
            texts[name] = "\n".join(lines)
    return texts


TEXTS = _load_texts(os.path.join(os.path.dirname(os.path.abspath(__file__)), "page.md"))


def text(name, **fields):
    return TEXTS[name].format(**fields)


def table(head, rows):
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] +
            ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def _names(libs, pattern="%s"):
    return [pattern % lib_name(lib) for lib in libs]


def _threads_cell(r, lib, meta):
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
    notes = [line for n in not_met_notes(res) for line in (n, "")]
    return [summary_table(res), "", text("goals_retired"), ""] + (
        ["### Goals not met: what was tried, what the profile shows", ""] + notes if notes else [])


def section_parity(res, figs):
    p = res["parity"]
    libs = list(next(iter(p["max_abs_diff_vs_sklearn"].values())))
    rows = [["sgd (momentum 0)" if s == "sgd" else s] + ["%.1e" % d[lib] for lib in libs]
            for s, d in p["max_abs_diff_vs_sklearn"].items()]
    return [text("parity", **dict(p, rows=format(p["n_train"], ","), net="-".join(
        str(u) for u in ["50", *p["hidden"], "10"]))), ""] + table(["solver"] + _names(libs), rows)


def section_training(res, figs):
    fits, meta = res["fit"], res["meta"]
    libs, others = meta["libs"], meta["libs"][1:]
    settle, macs = meta.get("settle_s"), meta.get("skmlp_multithread_min_macs")
    out = [text("training", repeats=meta["profile"]["repeats"],
                settle=text("settle", settle=settle) if settle else ""), ""]
    out += table(["case", "rows x epochs"] + _names(libs, "%s s") +
                 _names(others, "skmlp / %s"),
                 [[r["label"], "%s x %d" % (format(r["n_train"], ","), r["epochs"])] +
                  [fmt(r["libs"].get(lib, {}).get("median")) for lib in libs] +
                  ["**%s**" % fmt(r["ratios"][o]) if r["ratios"].get(o) is not None
                   else "n/a" for o in others] for r in fits])
    out += ["", text("training_threads", cpus=meta["machine"]["usable_cpus"],
                     macs=format(macs, ",") if macs else "a threshold"), ""]
    out += table(["case"] + _names(libs, "%s threads / CPU"),
                 [[r["label"]] + _per_lib(r, libs, lambda lib: _threads_cell(r, lib, meta))
                  for r in fits])
    out += ["", text("training_accuracy"), ""]
    out += table(["case"] + _names(libs, "%s acc. / GFLOP/s"),
                 [[r["label"]] + _per_lib(r, libs, lambda lib: "%.4f / %.1f" % (
                     r["libs"][lib]["accuracy"], r["libs"][lib]["gflops"])) for r in fits])
    head = ["case"] + _names(others, "vs %s: ratio of medians / median of per-round "
                             "ratios / ratio of minimums") + ["cores used by other processes"]
    return out + ["", text("training_robust"), ""] + table(head, [
        [r["label"]] + _per_lib(r, others, lambda o: "%s / %s / %s" % (
            fmt(r["ratios"].get(o)), fmt(r["paired_ratios"].get(o)),
            fmt(r["libs"]["skmlp"]["min"] / r["libs"][o]["min"]))) +
        [fmt(r.get("foreign_cores"), "%.2f")] for r in fits])


def section_same_threads(res, figs):
    st = res["same_threads"]
    default = fit_by_id(res)
    libs = [lib for lib in res["meta"]["libs"] if any(lib in r["libs"] for r in st["fit"])]
    out = [text("same_threads", repeats=st["fit"][0]["repeats"] if st["fit"] else 0), ""]
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
        out += ["", text("same_threads_shares", shares="; ".join(shares))]
    return out + ["", text("same_threads_cpu", cpu="; ".join("%s: %s" % (r["label"], ", ".join(
        "%s %.2f" % (lib_name(lib), r["libs"][lib]["cpu_util"]) for lib in libs
        if lib in r["libs"])) for r in st["fit"]))]


def section_gemm(res, figs):
    g, libs = res.get("gemm"), res["meta"]["libs"]
    cases = [r for r in res.get("fit", []) if r.get("gemm_chain_gflops")]
    out = [text("gemm_square", repeats=g["repeats"], n=g["n"]), ""] + table(
        ["dtype", "NumPy `np.dot` GFLOP/s", "`np.dot` inside Numba GFLOP/s (SciPy's BLAS)"],
        [[dt, "%.1f" % v["numpy"], "%.1f" % v["numba"]] for dt, v in g["gflops"].items()]
    ) + [""] if g else []
    if not cases:
        return out

    def row(r):
        chain = r["gemm_chain_gflops"]
        sq = max(g["gflops"][r["dtype"]].values()) if g else None
        eng = r.get("gemm_engine_gflops")
        return [r["label"], "%.1f" % chain, "%.1f (%.0f%%)" % (eng, 100 * eng / chain)
                if eng else "n/a", fmt(sq, "%.1f")] + _per_lib(
            r, libs, lambda lib: "%.1f: %.0f%% / %s" % (
                r["libs"][lib]["gflops"], 100 * r["libs"][lib]["gflops"] / chain,
                "%.0f%%" % (100 * r["libs"][lib]["gflops"] / sq) if sq else "n/a"))

    return out + [text("gemm_shapes"), ""] + table(
        ["case", "shape peak GFLOP/s", "the products as the engine calls them GFLOP/s "
         "(% of shape peak)", "square peak GFLOP/s"] +
        _names(libs, "%s GFLOP/s: %% of shape / %% of square peak"), [row(r) for r in cases])


def section_predict(res, figs):
    out = [text("predict"), ""]
    for p in res["predict"]:
        libs = [lib for lib in res["meta"]["libs"] if lib in p["sizes"][0]["libs"]]
        out += [text("predict_case", label=p["label"], repeats=p["repeats"]), ""] + table(
            ["rows"] + _names(libs, "%s us per call") + _names(libs[1:], "skmlp / %s") +
            ["vs scikit-learn: max abs. diff. of probabilities"],
            [[format(s["n_rows"], ",")] + [us(s["libs"][lib]["median"]) for lib in libs] +
             ["**%s**" % fmt(s["ratios"].get(lib)) for lib in libs[1:]] +
             [", ".join("%s %.1e" % (lib_name(lib), v)
                        for lib, v in s["max_abs_diff_vs_sklearn"].items())]
             for s in p["sizes"]]) + [""]
    return out


def section_memory(res, figs):
    mem, out = res["memory"], []
    for m in mem:
        out += ["%s, median of %d fresh process(es) per library:" % (m["label"], m["repeats"]), ""]
        out += table(["library", "fit adds MiB (median)", "min - max MiB",
                      "resident before fit MiB", "fit s"], [
            [lib_name(lib), "%.1f" % r["delta_mib"], "%.1f - %.1f" % (r["min_mib"], r["max_mib"]),
             "%.0f" % r["baseline_mib"], "%.2f" % r["fit_s"]] for lib, r in m["libs"].items()])
        out += [""]
    return out + [text("memory", method=mem[0]["libs"].get("skmlp", {}).get("method", "VmHWM"),
                       mib=next(iter(mem[0]["libs"].values()))["X_mib"])]


def section_compile(res, figs):
    c = res["compile"]
    keys = list(zip(["import_s", "first_fit_float64_s", "first_predict_float64_s",
                     "second_fit_float64_s", "first_fit_float32_s", "first_predict_float32_s",
                     "process_s"], ["%.2f", "%.2f", "%.3f", "%.3f", "%.2f", "%.3f", "%.2f"]))
    rows = [[name] + [f % s[k] for k, f in keys]
            for key, name in (("cold", "skmlp, empty Numba cache"),
                              ("warm", "skmlp, warm Numba cache"), ("sklearn", "scikit-learn"))
            for s in [c.get(key + "_summary")] if s]
    warm = "the cache the cold process filled" if c["cold_repeats"] else "the package's own cache"
    return [text("compile", **dict(c, warm=warm)), ""] + table(
        ["process", "import s", "first fit s", "first predict_proba s", "second fit s",
         "float32 first fit s", "float32 first predict_proba s", "process s"], rows)


def section_sweeps(res, figs):
    out = []
    for s in res.get("sweeps", []):
        libs = list(s["points"][0]["per_epoch"])
        what, col = (("batch size, MNIST 784-300-100-10", "batch") if s["kind"] == "batch"
                     else ("hidden width w, MNIST 784-w-w-10, batch %d" % s["batch_size"], "w"))
        out += [text("sweep", what=what, rows=format(s["n_samples"], ","), **s), ""]
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
    return [text("dropout", rows=format(res["dropout"]["n_train"], ","), **res["dropout"])]


def section_epochs(res, figs):
    out = []
    for e in res.get("epochs", []):
        t = e["times"]
        out += [text("epochs", **dict(e, rows=format(e["n_train"], ","), **{
            k: ", ".join(f % (lib_name(lib), v) for lib, v in e[k].items())
            for k, f in (("growth", "%s %.2f"), ("accuracy", "%s %.4f"))})), ""]
        out += table(["epoch"] + _names(t, "%s s") + ["skmlp / scikit-learn"],
                     [[i + 1] + ["%.3f" % t[lib][i] for lib in t] +
                      ["%.3f" % (t["skmlp"][i] / t["sklearn"][i])]
                      for i in range(e["epochs"])]) + [""]
    if out and figs.get("epoch_times"):
        out.append("![time per epoch across epochs](%s)" % figs["epoch_times"])
    return out


def section_quality(res, figs):
    q = res["quality"]
    return [text("quality", rows=format(q["n_train"], ","), test=format(q["n_test"], ","),
                 epochs=q["epochs"]), "", quality_table(q)]


def section_method(res, figs):
    meta = res["meta"]
    threads = text("method_threads_limited", n=meta["threads"]) if meta.get("threads") else \
        text("method_threads", cpus=meta["machine"]["usable_cpus"],
             torch=meta.get("peer_threads", {}).get("torch", "n/a"))
    return [text("method", threads=threads)]


def section_machine(res, figs):
    meta, m = res["meta"], res["meta"]["machine"]
    pools = "; ".join("%s %s %s (%s, %s threads%s)" % (
        p["internal_api"], p.get("version") or "", p.get("library", ""), p["user_api"],
        p["num_threads"], ", " + p["architecture"] if p.get("architecture") else "")
        for p in m["threadpools"])

    def pairs(d, f="%s %s"):
        return ", ".join(f % kv for kv in d.items())

    return ["| | |"] + table(["", ""], [
        ["CPU", m["cpu"]],
        ["cores", "%s logical, %s usable" % (m["logical_cpus"], m["usable_cpus"])],
        ["memory", "%s GiB" % m["ram_gib"]], ["OS", m.get("os", "?")],
        ["Python", m["python"]],
        ["versions", pairs({k: v for k, v in m["versions"].items() if v})],
        ["BLAS and OpenMP in use (threadpoolctl)", pools],
        ["thread settings in the environment", pairs(m["env"], "%s=%s") or "none"],
        ["peer threads", pairs(meta.get("peer_threads", {})) or "n/a"],
        ["seconds per section", pairs(meta.get("section_s", {}), "%s %.0f")],
        ["load average at start / end",
         "%s / %s" % (m["load_average_start"], meta.get("load_average_end"))]])[1:]


def section_reproduce(res, figs):
    return [text("reproduce")]


# (title, the results key without which the section is left out, function)
SECTIONS = [("Goals", None, section_goals), ("Same arithmetic", "parity", section_parity),
            ("Training", "fit", section_training),
            ("Same thread count", "same_threads", section_same_threads),
            ("Share of the GEMM peak", None, section_gemm),
            ("Prediction", "predict", section_predict), ("Peak memory", "memory", section_memory),
            ("First fit and compile cost", "compile", section_compile),
            ("Sweeps: batch size and hidden width", None, section_sweeps),
            ("Dropout", "dropout", section_dropout),
            ("Time per epoch across epochs", None, section_epochs),
            ("Accuracy per epoch budget", "quality", section_quality),
            ("Method", None, section_method), ("Machine", None, section_machine),
            ("Reproduce", None, section_reproduce)]


def header(res, json_rel, json_link):
    """Title, what was compared, the run and machine in one line each, warnings."""
    meta, m, p = res["meta"], res["meta"]["machine"], res["meta"]["profile"]
    v, g = m["versions"], meta.get("git") or {}
    commit = "commit `%s` (%s)%s" % (g["commit"][:12], g.get("subject", ""), (
        ", **with uncommitted changes** to %s" % ", ".join("`%s`" % c for c in g["changed"][:10])
        if g.get("dirty") else ", clean tree")) if g.get("commit") else \
        "unknown commit (not run from a git checkout)"
    out = ["# Benchmarks", "", "<!-- Generated by `python -m benchmarks.report` from %s. Do "
           "not edit by hand. -->" % json_rel, "",
           text("intro", peers=", ".join(_names(meta["libs"][1:]))), "", text(
               "run", json_rel=json_rel, json_link=json_link, commit=commit, meta=meta, m=m,
               command=meta["command"].strip(), end=meta.get("finished", "?"),
               seconds=meta.get("duration_s", 0), seed=meta.get("order_seed", 0),
               peers="".join(", %s %s" % (k, v[k]) for k in ("torch", "skorch", "jax", "optax")
                             if v.get(k)), mnist=meta.get("mnist_source", "not used"),
               rows=", subsampled to %s training rows" % format(p["mnist_train"], ",")
               if p.get("mnist_train") else "")]
    left_out = ["%s: %s" % (lib_name(lib), note) for lib, note in
                meta.get("peer_notes", {}).items() if note != "not requested"]
    out += ["- Left out: %s." % "; ".join(left_out)] if left_out else []
    coretype = m.get("env", {}).get("OPENBLAS_CORETYPE")
    if coretype:
        kernels = sorted({p.get("architecture") for p in m["threadpools"]
                          if p.get("internal_api") == "openblas" and p.get("architecture")})
        out.append(text("coretype", coretype=coretype, kernels="/".join(kernels) or coretype))
    loads = [(r["label"], r["foreign_cores"]) for r in res.get("fit", [])
             if r.get("foreign_cores") is not None]
    busy = ["*%s* (%.2f)" % (label, c) for label, c in loads if c > 0.25]
    median = statistics.median(c for _, c in loads) if loads else 0
    if median > 0.25:
        return out + ["", text("busy", median=median, cpus=m.get("usable_cpus") or 1), ""]
    return out + ["", text("some_busy", cases=", ".join(busy)), ""] if busy else out + [""]


def render(res, json_rel, figs=None, json_link=None):
    """The markdown page for one results dict; ``figs``: {figure name: relative path}."""
    lines = header(res, json_rel, json_link or json_rel)
    for title, key, section in SECTIONS:
        body = section(res, figs or {}) if key is None or res.get(key) else []
        while body and body[-1] == "":
            body.pop()
        if body:
            lines += ["## " + title, ""] + body + [""]
    return "\n".join(lines)


# ---------------------------------------------------------------- the quality page
def _parting(d):
    first, loss = d["first_epoch_accuracy_differs"], d["loss_diff_per_epoch"]
    if first is None:
        return "the same test accuracy after every one of %d epochs, training losses within " \
               "%.1e" % (d["epochs_compared"], d["max_abs_loss_diff"])
    shown = sorted({e for e in (1, 5, 10, 15, first - 1, first) if 1 <= e <= len(loss)})
    return ("the same test accuracy up to epoch %d, different from epoch %d; the training "
            "losses differ by %s after epochs %s" % (
                first - 1, first, " / ".join("%.0e" % loss[e - 1] for e in shown),
                " / ".join(str(e) for e in shown)))


def _quality_notes(q, configs):
    by_id, notes = {r["id"]: r for r in q["configs"]}, []
    sk, nb = by_id.get("sklearn_defaults"), by_id.get("skmlp_defaults")
    if sk and nb:
        notes.append(text("q_time", skmlp=nb["median_epoch_s"], sklearn=sk["median_epoch_s"],
                          ratio=nb["median_epoch_s"] / sk["median_epoch_s"]))
    p, c = q.get("defaults_parity"), q.get("rounding_control")
    if p:
        notes.append(text("q_parity", parting=_parting(p)))
        if c:
            frac = by_id.get("sklearn_ulp", {}).get("inputs_changed_fraction")
            notes[-1] += " " + text("q_control", parting=_parting(c), fraction="some"
                                    if frac is None else "%.1f%%" % (100 * frac))
            pf, cf = p["first_epoch_accuracy_differs"], c["first_epoch_accuracy_differs"]
            if pf is not None and cf is not None and pf >= cf - 2:
                notes[-1] += " " + text("q_chance")
            elif pf is not None:
                notes[-1] += " " + text("q_earlier")
    shifted = [r for r in configs if r.get("shifts")]
    if shifted:
        notes.append(text("q_shifts", rows=format(q["n_train"], ","),
                          rows5=format(shifted[0]["rows_per_epoch"], ",")))
    e = q.get("equal_compute")
    if e and shifted:
        n, planned = len(e["accuracy"]), e["planned_epochs"]
        notes.append(text(
            "q_equal", plain=e["id"].rsplit("_x", 1)[0], epochs=planned, accs=", ".join(
                "%.2f%% after %d epochs" % (100 * e["accuracy"][b - 1], b)
                for b in sorted({q["epochs"], planned // 2, n}) if b <= n),
            stopped=" (stopped by `tol` after epoch %d)" % n if n < planned else "",
            recipe_epochs=q["epochs"], recipe=100 * budget_accuracy(shifted[0], q["epochs"])))
    v = q.get("verify_fit")
    if v:
        notes.append(text("q_verify", n_iter=v["n_iter"], accuracy=100 * v["accuracy"],
                          diff=v["max_abs_weight_diff"], equal="not " * (
                              v["max_abs_weight_diff"] != 0) + "bitwise equal"))
    foreign = [r["foreign_cores"] for r in configs if r["foreign_cores"] is not None]
    if foreign:
        notes.append(text("q_shared" if max(foreign) > 0.25 else "q_idle", cores=max(foreign)))
    return ["- " + n for n in notes]


def quality_table(q):
    """Markdown of a quality result: the budget table, notes and per-epoch table."""
    configs = q["configs"] + [dict(r, label="the same, `random_state=%d`" % r["seed"], adds={})
                              for r in q.get("seeds", [])]

    def row(r):
        adds = ", ".join("`%s=%r`" % kv for kv in r["adds"].items()) or "-"
        if r.get("shifts") and r.get("seed") is None:
            adds = "4 copies moved by one pixel: %s rows per epoch" % format(
                r["rows_per_epoch"], ",")
        if r["epochs_run"] < q["epochs"]:
            adds += " (stopped by `tol` after epoch %d)" % r["epochs_run"]
        accs = [budget_accuracy(r, b) for b in q["budgets"]]
        return [r["label"], adds] + [("**%.2f**" if a >= q["target"] else "%.2f") % (100 * a)
                                     for a in accs] + [
            "%.2f (%d)" % (100 * r["best_accuracy"], r["best_epoch"]),
            r["first_epoch_at_target"] or "-", "%.2f" % r["median_epoch_s"], "%s / %s" % (
                "%.2f" % r["cpu_util"] if r["cpu_util"] else "n/a",
                "n/a" if r["foreign_cores"] is None else "%.2f" % r["foreign_cores"])]

    head = (["configuration", "adds"] + ["epoch %d" % b for b in q["budgets"]] +
            ["best (epoch)", "first epoch >= %.1f%%" % (100 * q["target"]), "s / epoch",
             "CPU / other procs"])
    return "\n".join(table(head, [row(r) for r in configs]) + [""] + _quality_notes(q, configs) + [
        "", "Test accuracy (%) after every epoch:", ""] + table(
        ["epoch"] + [r["id"] for r in configs],
        [[e + 1] + ["%.2f" % (100 * r["accuracy"][e]) if e < len(r["accuracy"]) else "-"
                    for r in configs] for e in range(q["epochs"])]))


def _recipe_code(r, epochs):
    """The recipe as a script: the shifted copies' function when it uses them, the model,
    fit and score."""
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in r["params"].items()
              if k != "random_state"}
    params.update(max_iter=epochs, random_state=r["params"].get("random_state", 0))
    head, train = ["from skmlp import MLPClassifierNB", ""], "X_train / 255.0, y_train"
    if r.get("shifts"):
        from benchmarks.data import shifted_copies

        head = ["import numpy as np", ""] + head + inspect.getsource(
            shifted_copies).splitlines() + ["", ""]
        train = "*shifted_copies(X_train / 255.0, y_train)"
    return head + ["clf = MLPClassifierNB("] + ["    %s=%r," % kv for kv in params.items()] + [
        ")", "clf.fit(%s)%s# pixels 0-255 -> [0, 1]" % (train, " " * max(2, 38 - len(train))),
        "clf.score(X_test / 255.0, y_test)"]


def quality_page(res, json_rel):
    q, meta, m = res["quality"], res["meta"], res["meta"]["machine"]
    g, e = meta.get("git") or {}, q["epochs"]
    last = [r for r in q["configs"] if r["lib"] == "skmlp"][-1]
    # Judged on the model fit(max_iter=epochs) returns: choosing the best epoch by its
    # test accuracy would select on the test set.
    final = budget_accuracy(last, e)
    return "\n".join([
        "# Accuracy per epoch budget", "", "<!-- Generated by `python -m benchmarks.quality` "
        "from %s. Do not edit by hand. -->" % json_rel, "",
        text("q_intro", rows=format(q["n_train"], ","), test=format(q["n_test"], ","),
             dtype=q["dtype"], epochs=e, seed=q["seed"], target=100 * q["target"]), "",
        quality_table(q), "", "## The recipe", "",
        text("q_goal", target=100 * q["target"], epochs=e, final=100 * final,
             verdict="met" if final >= q["target"] else "not met", best=last["best_epoch"],
             best_acc=100 * last["best_accuracy"]), "",
        "```python", *_recipe_code(last, e), "```", "", "## How it was measured", "",
        text("q_method", epochs=e, dtype=q["dtype"], commit="commit `%s`" % g["commit"][:12]
             if g.get("commit") else "unknown commit",
             tree="with uncommitted changes" if g.get("dirty") else "clean tree",
             cpus=m["usable_cpus"], numpy=m["versions"]["numpy"],
             sklearn=m["versions"]["sklearn"], numba=m["versions"]["numba"],
             mnist=meta.get("mnist_source", "?"), start=m["date"],
             end=meta.get("finished", "?")), "",
        text("q_reproduce", minutes=meta.get("duration_s", 0) / 60, command=meta["command"]),
        ""])


# ---------------------------------------------------------------- figures (matplotlib, Agg)
COLORS = {"skmlp": "C0", "sklearn": "C1", "torch": "C2", "skorch": "C4", "jax": "C3",
          "jax_scan": "C5"}


def _sweep(plt, res, s):
    """Seconds per epoch (top) and ratios skmlp / other (bottom), log scales."""
    pts, xs = s["points"], [p["value"] for p in s["points"]]
    libs = list(pts[0]["per_epoch"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 8), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    for ax, key, names, label in ((top, "per_epoch", libs, "%s"),
                                  (bottom, "ratios", libs[1:], "skmlp / %s")):
        for lib in names:
            ax.plot(xs, [p[key][lib] for p in pts], "o-", color=COLORS.get(lib),
                    label=label % lib_name(lib))
    bottom.axhline(1.0, color="grey", lw=0.8)
    top.set_ylabel("seconds per epoch (%s rows)" % format(s["n_samples"], ","))
    bottom.set_ylabel("time ratio, log scale (below 1: skmlp faster)")
    bottom.set_xlabel("batch size" if s["kind"] == "batch" else "hidden width w")
    for ax in (top, bottom):
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    bottom.set_xscale("log")  # labelled at the measured points only
    bottom.set_xticks(xs, [format(int(x), ",") for x in xs])
    bottom.set_xticks([], minor=True)
    title = ("MNIST 784-300-100-10, adam, %s: time per epoch vs batch size" % s["dtype"]
             if s["kind"] == "batch" else "MNIST 784-w-w-10, adam, batch %d, %s: time per "
             "epoch vs width" % (s["batch_size"], s["dtype"]))
    fig.suptitle(title + " (%s run)" % res["meta"]["mode"], fontsize=10)
    return fig


def _epochs(plt, runs):
    fig, axes = plt.subplots(1, len(runs), figsize=(5.5 * len(runs), 4), squeeze=False)
    for ax, e in zip(axes[0], runs):
        for lib, t in e["times"].items():
            ax.plot(range(1, len(t) + 1), t, "o-", color=COLORS.get(lib), label=lib_name(lib))
        ax.set(xlabel="epoch", ylabel="seconds", title=e["label"])
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("Time of each epoch (one partial_fit call each)")
    return fig


def make_figures(res, fig_dir):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures")
        return []
    os.makedirs(fig_dir, exist_ok=True)
    figs = {"sweep_" + s["kind"]: _sweep(plt, res, s) for s in res.get("sweeps", [])}
    figs.update({"epoch_times": _epochs(plt, res["epochs"])} if res.get("epochs") else {})
    for name, fig in figs.items():
        fig.tight_layout()
        fig.savefig(os.path.join(fig_dir, name + ".png"), dpi=100)
        plt.close(fig)
    return [os.path.join(fig_dir, name + ".png") for name in figs]


def write(json_path, doc_path, fig_dir=None):
    """The benchmark page and its figures, or without ``fig_dir`` the quality page."""
    with open(json_path) as f:
        res = json.load(f)
    doc_dir = os.path.dirname(os.path.abspath(doc_path))
    rel = os.path.relpath(os.path.abspath(json_path), REPO_ROOT)
    rel = os.path.basename(json_path) if rel.startswith("..") else rel
    figs = {os.path.splitext(os.path.basename(f))[0]: os.path.relpath(f, doc_dir)
            for f in make_figures(res, fig_dir)} if fig_dir else {}
    os.makedirs(doc_dir, exist_ok=True)
    with open(doc_path, "w") as f:
        f.write(render(res, rel, figs, os.path.relpath(os.path.abspath(json_path), doc_dir))
                if fig_dir else quality_page(res, rel))
    return doc_path


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                description="Write the benchmark page from a results JSON.")
    p.add_argument("json", nargs="?", default=os.path.join(REPO_ROOT, "docs", "benchmarks.json"),
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
