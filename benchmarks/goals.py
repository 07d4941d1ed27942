"""The goals: one table, goals.json (metric, argument, comparison, target, unit, note topic
``why_*`` of page.md), and one comparator."""

import json
import os
from collections import namedtuple

from benchmarks.models import CORE_LIBS, LIB_NAMES

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "goals.json")) as _f:
    _TABLE = json.load(_f)
Goal = namedtuple("Goal", _TABLE["columns"])
GOALS = [Goal(*row) for row in _TABLE["goals"]]


def fmt(v, spec="%.3f"):
    return "n/a" if v is None else spec % v


def lib_name(lib):
    return LIB_NAMES.get(lib, lib)


def us(seconds):
    return format(1e6 * seconds, ",.0f" if seconds >= 1e-5 else ",.1f")


def fit_by_id(res):
    return {r["id"]: r for r in res.get("fit", [])}


# Metrics: ``metric(res, arg)`` -> list of ``(value, measured text)``
# (value None: not measured, the text says why); [] when the run did not measure it,
# None when the goal is not listed at all.
def _compile(res, key):
    c = res.get("compile", {})
    cold, warm, sk = (c.get(k + "_summary") for k in ("cold", "warm", "sklearn"))
    if key == "cold" and cold:
        v = cold["import_s"] + cold["first_fit_float64_s"] + cold["first_predict_float64_s"]
        return [(v, "%.2f s (median of %d)" % (v, c["cold_repeats"]))]
    if key == "cold32" and cold:
        v = cold["first_fit_float32_s"] + cold["first_predict_float32_s"]
        return [(v, "+%.2f s" % v)]
    if key == "cold_split" and cold and "first_fit_split_s" in cold:
        v = cold["first_fit_split_s"]
        return [(v, "+%.2f s" % v)]
    if key == "warm" and warm and sk:
        a, b = (s["import_s"] + s["first_fit_float64_s"] for s in (warm, sk))
        return [(a - b, "%+.2f s (%.2f vs %.2f s, median of %d)" % (
            a - b, a, b, c["warm_repeats"]))]
    return []


def _vs_sklearn(r, seconds, unit):
    if not r or r["ratios"].get("sklearn") is None:
        return []
    v, (a, b) = r["ratios"]["sklearn"], (seconds(r["libs"][k]["median"]) for k in CORE_LIBS)
    return [(v, "%.3f (%s vs %s %s)" % (v, a, b, unit))]


def _jax(res, key):
    r = fit_by_id(res).get(key)
    if not r:
        return []
    peers = [lib for lib in ("jax", "jax_scan") if lib in r["libs"]]
    if not peers:
        return [(None, "JAX %s" % res["meta"]["peer_notes"].get("jax", "not run"))]
    best = min(peers, key=lambda lib: r["libs"][lib]["median"])
    v = r["libs"]["skmlp"]["median"] / r["libs"][best]["median"]
    return [(v, "%.3f (best: %s, %.3f s)" % (v, lib_name(best), r["libs"][best]["median"]))]


def _share(res, key):
    """skmlp's GFLOP/s as a percentage of NumPy's matmul on the same products."""
    r = fit_by_id(res).get(key)
    if not r:
        return []
    if not r.get("gemm_chain_gflops"):
        return [(None, "shape floor not measured")]
    v = 100 * r["libs"]["skmlp"]["gflops"] / r["gemm_chain_gflops"]
    return [(v, "%.1f%% (%.1f of %.1f GFLOP/s)" % (v, r["libs"]["skmlp"]["gflops"],
                                                    r["gemm_chain_gflops"]))]


def _dropout(res, _):
    d = res.get("dropout")
    return [(d["ratio"], "%.3f (median of per-round ratios %.3f)" % (
        d["ratio"], d["paired_ratio"]))] if d else []


def _accuracy(res, _):
    gaps = [abs(r["libs"]["skmlp"]["accuracy"] - r["libs"]["sklearn"]["accuracy"])
            for r in res.get("fit", []) if "sklearn" in r["libs"]]
    return [(100 * max(gaps), "%.2f points" % (100 * max(gaps)))] if gaps else []


def _quality(res, _):
    q = res.get("quality")
    if not q:
        return None
    last = [r for r in q["configs"] if r["lib"] == "skmlp"][-1]
    acc = last["accuracy"]
    text = "%.2f%% after epoch %d (best %.2f%% at epoch %d)" % (
        100 * acc[-1], len(acc), 100 * last["best_accuracy"], last["best_epoch"])
    if q["n_train"] < 60000 or q["epochs"] != 30:
        return [(None, text + "; a reduced run (%s rows, %d epochs) does not count" % (
            format(q["n_train"], ","), q["epochs"]))]
    # Judged on the model fit(max_iter=30) returns, not the best epoch: picking an
    # epoch by its test accuracy would select on the test set.
    return [(100 * acc[-1], text)]


METRICS = {"compile": _compile, "jax": _jax, "share": _share, "dropout": _dropout,
           "accuracy": _accuracy, "quality": _quality,
           "fit": lambda res, key: _vs_sklearn(fit_by_id(res).get(key), "%.3f".__mod__, "s"),
           "predict": lambda res, key: _vs_sklearn(next((
               s for p in res.get("predict", []) if p["dtype"] == key[0] for s in p["sizes"]
               if s["n_rows"] == key[1]), None), us, "us")}


def verdict(value, op, target):
    """The one comparator: "met", "not met", or "not measured" for a missing value."""
    if value is None:
        return "not measured"
    return "met" if (value <= target if op == "<=" else value >= target) else "not met"


def goal_rows(res):
    """``(goal, label, target text, measured text, verdict)`` for every goal row."""
    rows = []
    for g in GOALS:
        measured = METRICS[g.metric](res, g.arg)
        if measured is None:
            continue
        target = "%s %s" % (g.op, g.unit.format(g.target))
        for value, text in measured or [(None, "not run")]:
            rows.append((g, g.label, target, text, verdict(value, g.op, g.target)))
    return rows


def summary_table(res):
    """The goals table as markdown (also printed at the end of a run)."""
    from benchmarks.report import table

    rows = [[label, target, text, "**not met**" if v == "not met" else v]
            for _, label, target, text, v in goal_rows(res)]
    return "\n".join(table(["goal (skmlp / scikit-learn unless stated)", "target", "measured",
                           "verdict"], rows))


def not_met_notes(res):
    """Once per topic of a goal not met, what was tried (block ``why_<topic>``)."""
    from benchmarks.report import TEXTS

    topics = [g.why for g, *_, v in goal_rows(res) if v == "not met" and g.why]
    return [TEXTS["why_" + t] for t in dict.fromkeys(topics)]
