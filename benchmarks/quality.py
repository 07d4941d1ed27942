"""Model quality on MNIST: test accuracy per epoch budget, one feature at a time.

The tutorial's 784-300-100-10 network on the real MNIST (60,000 training rows,
the 10,000-row test set, pixels divided by 255 as :func:`benchmarks.data.load_mnist`
returns them). Each configuration trains once for ``EPOCHS`` epochs and its test
accuracy is recorded after every epoch, so one run gives every epoch budget:

- scikit-learn's ``MLPClassifier`` runs one ordinary ``fit(max_iter=EPOCHS)``;
  a subclass records the test accuracy from scikit-learn's own per-epoch hook
  (``_update_no_improvement_count``, called once after each epoch, before the
  stopping test), so the recorded epochs are exactly those of that fit, and a
  fit stopped early by scikit-learn's ``tol`` rule keeps its last accuracy for
  the larger budgets, as ``fit(max_iter=k)`` would.
- skmlp runs ``EPOCHS`` calls of ``partial_fit`` on the whole training set with
  ``max_iter=EPOCHS`` set: in skmlp ``k`` such calls equal ``fit(max_iter=k)``
  bitwise (one random stream, the Adam moments, the dropout generator and the
  schedule's state carry over), and a schedule sized by ``max_iter`` (cosine)
  is sized for ``EPOCHS``. The loop stops where ``fit`` would (``tol`` rule).
  Unless ``--no-verify`` is given, the last configuration is trained once more
  with a plain ``fit(max_iter=EPOCHS)`` and its weights are compared with the
  ``partial_fit`` ones; ``--seeds`` trains it again with other seeds.

So "accuracy at epoch k" is the model after k epochs of a fit planned for
``EPOCHS`` epochs: for a schedule that depends on ``max_iter`` (cosine), a fit
planned for k epochs would anneal sooner and usually score higher at k.

Run ``python -m benchmarks.quality`` (about 10 minutes on an idle 2-core
machine, several times that when the cores are shared):
it writes ``docs/quality.json`` and ``docs/quality.md``; ``--configs`` or
``--epochs`` runs write under ``benchmarks/results/``. ``python -m benchmarks
--case quality`` runs the same case inside the harness (its report gets the
table), and ``python -m benchmarks.quality --report`` rewrites the page from
the JSON.
"""

import argparse
import datetime
import json
import os
import shlex
import statistics
import sys
import time

if __package__ in (None, ""):  # run as a script: python benchmarks/quality.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

import numpy as np  # noqa: E402

from benchmarks.machine import ForeignLoad, load_average  # noqa: E402
from benchmarks.timing import quiet  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_JSON = os.path.join(REPO_ROOT, "docs", "quality.json")
DOC_MD = os.path.join(REPO_ROOT, "docs", "quality.md")
RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")

EPOCHS = 30
BUDGETS = (5, 10, 20, 30)
TARGET = 0.985
HIDDEN = (300, 100)
SEED = 0

# Each configuration adds its ``adds`` to everything above it (scikit-learn's
# row and skmlp's defaults row add nothing). Parameters not named keep the
# estimators' defaults: relu, adam, learning_rate_init=1e-3, alpha=1e-4,
# batch_size='auto' (200 rows), tol=1e-4, n_iter_no_change=10.
CONFIGS = [
    {"id": "sklearn_defaults", "lib": "sklearn", "adds": {},
     "label": "scikit-learn `MLPClassifier` defaults"},
    # A control, not a feature: scikit-learn again on inputs that differ from
    # the first row's by rounding alone. Where it parts from the first row
    # shows how far training amplifies differences of one unit in the last
    # place, the size of the differences between skmlp's and scikit-learn's
    # arithmetic (another BLAS, another summation order).
    {"id": "sklearn_ulp", "lib": "sklearn", "adds": {}, "inputs": "ulp",
     "label": "scikit-learn defaults, inputs changed by rounding (control)"},
    {"id": "skmlp_defaults", "lib": "skmlp", "adds": {},
     "label": "skmlp `MLPClassifierNB` defaults"},
    {"id": "he_init", "lib": "skmlp", "adds": {"weight_init": "he_normal"},
     "label": "+ He initialisation"},
    {"id": "dropout", "lib": "skmlp", "adds": {"dropout": 0.2},
     "label": "+ dropout 0.2"},
    {"id": "cosine", "lib": "skmlp", "adds": {"learning_rate_schedule": "cosine"},
     "label": "+ cosine schedule"},
    {"id": "alpha", "lib": "skmlp", "adds": {"alpha": 1e-2},
     "label": "+ stronger L2"},
    {"id": "recipe", "lib": "skmlp", "adds": {"learning_rate_init": 2e-3},
     "label": "+ higher initial rate (the recipe)"},
]
# The last configuration again with these seeds: is the recipe's accuracy a
# property of the recipe or of seed 0?
EXTRA_SEEDS = (1, 2)


def config_params(configs=CONFIGS):
    """``{id: full keyword arguments}``: each configuration's ``adds`` accumulated."""
    out, acc = {}, {}
    for c in configs:
        if c["lib"] == "skmlp":
            acc.update(c["adds"])
        out[c["id"]] = dict(hidden_layer_sizes=HIDDEN, random_state=SEED, **(
            acc if c["lib"] == "skmlp" else c["adds"]))
    return out


def ulp_inputs(X):
    """``X`` (pixels / 255) recomputed as ``round(X * 255) / 255``.

    :func:`benchmarks.data.load_mnist` multiplies by ``1 / 255``; dividing by
    255 instead moves about 1% of the values by one unit in the last place
    (at most 1.1e-16) and leaves the rest bitwise equal.
    """
    return np.round(X * 255.0) / 255.0


def divergence(a, b):
    """Where two per-epoch runs of the same network part.

    ``a`` and ``b`` are results of :func:`run_config`. Returns the epochs
    compared, the largest training-loss difference over all of them and over
    the epochs before the test predictions first differ, and the first epoch
    whose test accuracy differs (None if none does).
    """
    n = min(len(a["train_loss"]), len(b["train_loss"]))
    loss = np.abs(np.subtract(a["train_loss"][:n], b["train_loss"][:n]))
    acc = np.subtract(a["accuracy"][:n], b["accuracy"][:n]) != 0
    first = int(np.argmax(acc)) + 1 if acc.any() else None
    return {"epochs_compared": n, "max_abs_loss_diff": float(loss.max()),
            "loss_diff_per_epoch": [float(v) for v in loss],
            "first_epoch_accuracy_differs": first,
            "max_abs_loss_diff_before": float(loss[:first - 1].max())
            if first and first > 1 else None,
            "max_abs_accuracy_diff": float(np.max(np.abs(
                np.subtract(a["accuracy"][:n], b["accuracy"][:n]))))}


def _accuracy(model, X, y):
    return float(np.mean(model.predict(X) == y))


def _clock():
    """``(wall, cpu)`` seconds now; CPU counts every thread of this process."""
    t = os.times()
    return np.array([time.perf_counter(), t.user + t.system])


def _sklearn_curve(params, data, epochs, log):
    """One scikit-learn ``fit``; accuracy and time recorded after every epoch."""
    from sklearn.neural_network import MLPClassifier

    class Recorded(MLPClassifier):
        # scikit-learn calls this once after every epoch, before its stopping
        # test: the weights are those of the epoch just finished.
        def _update_no_improvement_count(self, *args, **kwargs):
            super()._update_no_improvement_count(*args, **kwargs)
            self._record_epoch(self)

    X, y, Xt, yt = data
    est = Recorded(max_iter=epochs, **params)
    acc, times, mark = [], [], [_clock()]

    def record(model):
        times.append(_clock() - mark[0])
        acc.append(_accuracy(model, Xt, yt))
        log("    epoch %2d  %.4f  %.2f s" % (len(acc), acc[-1], times[-1][0]))
        mark[0] = _clock()  # evaluation is not training time

    est._record_epoch = record
    with quiet():
        est.fit(X, y)
    return est, acc, times, [float(v) for v in est.loss_curve_]


def _skmlp_curve(params, data, epochs, log):
    """``epochs`` calls of ``partial_fit``, stopping where ``fit`` would."""
    import skmlp

    X, y, Xt, yt = data
    classes = np.unique(y)
    est = skmlp.MLPClassifierNB(max_iter=epochs, **params)
    acc, times = [], []
    for _ in range(epochs):
        t0 = _clock()
        with quiet():
            est.partial_fit(X, y, classes=classes)
        times.append(_clock() - t0)
        acc.append(_accuracy(est, Xt, yt))
        log("    epoch %2d  %.4f  %.2f s" % (len(acc), acc[-1], times[-1][0]))
        # fit's stopping rule (the training loss did not improve by tol for
        # n_iter_no_change epochs): partial_fit tracks it but never stops on it.
        if est._no_improvement_count > est.n_iter_no_change:
            break
    return est, acc, times, [float(v) for v in est.loss_curve_]


def _warm_up(params, data):
    """Compile (or load) skmlp's kernels for these parameters, untimed."""
    import skmlp

    X, y = data[0][:2000], data[1][:2000]
    with quiet():
        skmlp.MLPClassifierNB(max_iter=1, **params).fit(X, y)


def _jsonable(params):
    return {k: (list(v) if isinstance(v, tuple) else
                v if isinstance(v, (str, int, float, bool, type(None))) else repr(v))
            for k, v in params.items()}


def run_config(config, params, data, epochs, log=print):
    """Train one configuration; its per-epoch accuracy, loss and time."""
    log("  %s (%s): %s" % (config["id"], config["lib"], _jsonable(params)))
    if config["lib"] == "skmlp":
        _warm_up(params, data)
    curve = _sklearn_curve if config["lib"] == "sklearn" else _skmlp_curve
    with ForeignLoad() as fl:
        est, acc, clocks, loss = curve(params, data, epochs, log)
    times = [float(c[0]) for c in clocks]
    cpu = sum(float(c[1]) for c in clocks)
    best = int(np.argmax(acc))
    out = {
        "id": config["id"], "lib": config["lib"], "label": config["label"],
        "adds": _jsonable(config["adds"]), "params": _jsonable(params),
        "epochs_run": len(acc), "accuracy": acc, "train_loss": loss, "epoch_s": times,
        "median_epoch_s": statistics.median(times[1:] or times),
        "best_accuracy": acc[best], "best_epoch": best + 1,
        "first_epoch_at_target": next((i + 1 for i, a in enumerate(acc) if a >= TARGET),
                                      None),
        "cpu_util": cpu / sum(times) if sum(times) else None,
        "foreign_cores": fl.cores,
    }
    log("  -> %s" % ", ".join("@%d %.4f" % (b, budget_accuracy(out, b)) for b in BUDGETS))
    return out, est


def budget_accuracy(r, budget):
    """Test accuracy of ``fit(max_iter=budget)``: the epoch, or the last one if
    training stopped earlier (scikit-learn's ``tol`` rule)."""
    acc = r["accuracy"]
    return acc[min(budget, len(acc)) - 1]


def verify_fit(config, params, data, epochs, est_epochs, log=print):
    """Train ``config`` with one plain ``fit`` and compare with the epoch loop."""
    import skmlp

    X, y, Xt, yt = data
    log("  verify: %s with fit(max_iter=%d)" % (config["id"], epochs))
    t0 = time.perf_counter()
    with quiet():
        est = skmlp.MLPClassifierNB(max_iter=epochs, **params).fit(X, y)
    wall = time.perf_counter() - t0
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(
        est.coefs_ + est.intercepts_, est_epochs.coefs_ + est_epochs.intercepts_))
    out = {"id": config["id"], "n_iter": int(est.n_iter_),
           "accuracy": _accuracy(est, Xt, yt), "fit_s": wall,
           "max_abs_weight_diff": diff}
    log("  verify: accuracy %.4f, largest weight difference %.1e" % (
        out["accuracy"], diff))
    return out


def quality_case(data, epochs=EPOCHS, configs=CONFIGS, params=None, verify=True,
                 seeds=EXTRA_SEEDS, log=print):
    """Every configuration in turn; the JSON-ready results of the quality case.

    Parameters
    ----------
    data : tuple
        ``(X_train, y_train, X_test, y_test)``, pixels in [0, 1].
    epochs : int
        Epochs of every fit (the largest budget).
    configs : list of dict
        Entries of :data:`CONFIGS` (in order: each adds to the ones above).
    params : dict or None
        ``{id: keyword arguments}``; default :func:`config_params` of ``configs``.
    verify : bool
        Train the last skmlp configuration again with one ``fit`` and compare.
    seeds : tuple of int
        Train the last skmlp configuration again with each of these seeds.
    """
    all_params = params or config_params(configs)
    log("quality: MNIST %d x %d, test %d rows, %s, %d epochs per configuration" % (
        data[0].shape[0], data[0].shape[1], data[2].shape[0], data[0].dtype.name, epochs))
    results, last = [], None
    for c in configs:
        inputs = data
        if c.get("inputs") == "ulp":
            inputs = (ulp_inputs(data[0]), data[1], ulp_inputs(data[2]), data[3])
        r, est = run_config(c, all_params[c["id"]], inputs, epochs, log=log)
        if c.get("inputs") == "ulp":
            r["inputs_changed_fraction"] = float(np.mean(inputs[0] != data[0]))
        results.append(r)
        if c["lib"] == "skmlp":
            last = (c, est)
    out = {"epochs": epochs, "budgets": [b for b in BUDGETS if b <= epochs] or [epochs],
           "target": TARGET, "n_train": int(data[0].shape[0]),
           "n_test": int(data[2].shape[0]), "dtype": data[0].dtype.name,
           "preprocessing": "pixels / 255", "hidden": list(HIDDEN), "seed": SEED,
           "configs": results}
    by_id = {r["id"]: r for r in results}
    for key, other in (("defaults_parity", "skmlp_defaults"),
                       ("rounding_control", "sklearn_ulp")):
        if "sklearn_defaults" in by_id and other in by_id:
            out[key] = divergence(by_id["sklearn_defaults"], by_id[other])
    if seeds and last is not None:
        c = last[0]
        out["seeds"] = []
        for seed in seeds:
            r, _ = run_config(dict(c, id="%s_seed%d" % (c["id"], seed), adds={}),
                              dict(all_params[c["id"]], random_state=seed), data, epochs,
                              log=log)
            out["seeds"].append(dict(r, seed=seed))
    if verify and last is not None:
        c, est = last
        r = by_id[c["id"]]
        if r["epochs_run"] == epochs:
            out["verify_fit"] = verify_fit(c, all_params[c["id"]], data, epochs, est,
                                           log=log)
    return out


# ---------------------------------------------------------------- report
def _recipe_code(r, epochs):
    """The constructor call of configuration ``r``, one argument per line."""
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in r["params"].items()
              if k != "random_state"}
    params.update(max_iter=epochs, random_state=r["params"].get("random_state", 0))
    return "\n".join(["clf = MLPClassifierNB("] +
                     ["    %s=%r," % kv for kv in params.items()] + [")"])


def _parting(d):
    first = d["first_epoch_accuracy_differs"]
    if first is None:
        return "the same test accuracy after every one of %d epochs, training " \
               "losses within %.1e" % (d["epochs_compared"], d["max_abs_loss_diff"])
    loss = d["loss_diff_per_epoch"]
    shown = sorted({e for e in (1, 5, 10, 15, first - 1, first) if 1 <= e <= len(loss)})
    return ("the same test accuracy up to epoch %d, different from epoch %d; the "
            "training losses differ by %s after epochs %s" % (
                first - 1, first, " / ".join("%.0e" % loss[e - 1] for e in shown),
                " / ".join(str(e) for e in shown)))


def _parity_notes(q):
    p, c = q.get("defaults_parity"), q.get("rounding_control")
    if not p:
        return []
    text = "skmlp's defaults against scikit-learn's, same seed: %s." % _parting(p)
    if c:
        frac = next((r.get("inputs_changed_fraction") for r in q["configs"]
                     if r["id"] == "sklearn_ulp"), None)
        text += (" The control row, scikit-learn against itself with %s of the "
                 "input values moved by one unit in the last place: %s." % (
                     "%.1f%%" % (100 * frac) if frac is not None else "some",
                     _parting(c)))
        pf, cf = p["first_epoch_accuracy_differs"], c["first_epoch_accuracy_differs"]
        if pf is not None and cf is not None and pf >= cf - 2:
            text += (" Training amplifies rounding differences until they change "
                     "predictions, and skmlp's arithmetic differs from scikit-learn's "
                     "by rounding (another BLAS, another summation order): skmlp "
                     "parts from scikit-learn no earlier than rounding alone makes "
                     "scikit-learn part from itself, so the later cells of these rows "
                     "differ by chance, not by method.")
        elif pf is not None:
            text += (" **skmlp parts from scikit-learn earlier than rounding alone "
                     "explains**: a difference in what is computed, to investigate.")
    return [text]


def render_table(q):
    """Markdown of a quality result: the budget table, notes and per-epoch table."""
    budgets = q["budgets"]
    by_id = {r["id"]: r for r in q["configs"]}
    configs = q["configs"] + [
        dict(r, label="the same, `random_state=%d`" % r["seed"], adds={})
        for r in q.get("seeds", [])]
    head = (["configuration", "adds"] + ["epoch %d" % b for b in budgets] +
            ["best (epoch)", "first epoch >= %.1f%%" % (100 * q["target"]),
             "s / epoch", "CPU / other procs"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in configs:
        adds = ", ".join("`%s=%r`" % kv for kv in r["adds"].items()) or "-"
        cells = ["**%.2f**" % (100 * budget_accuracy(r, b))
                 if budget_accuracy(r, b) >= q["target"] else
                 "%.2f" % (100 * budget_accuracy(r, b)) for b in budgets]
        if r["epochs_run"] < q["epochs"]:
            adds += " (stopped by `tol` after epoch %d)" % r["epochs_run"]
        lines.append("| " + " | ".join(
            [r["label"], adds] + cells +
            ["%.2f (%d)" % (100 * r["best_accuracy"], r["best_epoch"]),
             str(r["first_epoch_at_target"] or "-"), "%.2f" % r["median_epoch_s"],
             "%s / %s" % ("%.2f" % r["cpu_util"] if r["cpu_util"] else "n/a",
                          "%.2f" % r["foreign_cores"] if r["foreign_cores"] is not None
                          else "n/a")]) + " |")
    notes = []
    sk, nb = by_id.get("sklearn_defaults"), by_id.get("skmlp_defaults")
    if sk and nb:
        notes.append(
            "Time per epoch of the defaults: skmlp %.2f s, scikit-learn %.2f s "
            "(ratio %.2f; median epoch, one run each, back to back, not alternated: "
            "the speed pages measure speed, this one accuracy)." % (
                nb["median_epoch_s"], sk["median_epoch_s"],
                nb["median_epoch_s"] / sk["median_epoch_s"]))
    notes += _parity_notes(q)
    v = q.get("verify_fit")
    if v:
        notes.append(
            "The last row again as one plain `fit(max_iter=%d)`: test accuracy "
            "%.2f%%, largest weight difference from the epoch-by-epoch run %.1e "
            "(%s)." % (v["n_iter"], 100 * v["accuracy"], v["max_abs_weight_diff"],
                       "bitwise equal" if v["max_abs_weight_diff"] == 0 else
                       "not bitwise equal"))
    foreign = [r["foreign_cores"] for r in configs if r["foreign_cores"] is not None]
    if foreign and max(foreign) > 0.25:
        notes.append(
            "**The machine was shared** during this run: other processes kept up to "
            "%.2f cores busy (last column), so the seconds per epoch are inflated "
            "and only roughly comparable between rows; the accuracies do not "
            "depend on it." % max(foreign))
    elif foreign:
        notes.append(
            "Other processes kept at most %.2f cores busy during this run (last "
            "column): the seconds per epoch are not inflated by competing work." %
            max(foreign))
    lines += [""] + ["- " + n for n in notes]
    # every epoch, for readers who want another budget
    lines += ["", "Test accuracy (%) after every epoch:", "",
              "| epoch | " + " | ".join(r["id"] for r in configs) + " |",
              "|---|" + "---|" * len(configs)]
    for e in range(q["epochs"]):
        lines.append("| %d | %s |" % (e + 1, " | ".join(
            "%.2f" % (100 * r["accuracy"][e]) if e < len(r["accuracy"]) else "-"
            for r in configs)))
    return "\n".join(lines)


def render_page(res, json_rel):
    """The standalone page ``docs/quality.md``."""
    q = res["quality"]
    meta = res["meta"]
    m = meta["machine"]
    g = meta.get("git") or {}
    last = [r for r in q["configs"] if r["lib"] == "skmlp"][-1]
    # The goal is judged on the model fit(max_iter=epochs) returns: choosing
    # the best epoch by its test accuracy would select on the test set.
    final = budget_accuracy(last, q["epochs"])
    met = final >= q["target"]
    lines = [
        "# Accuracy per epoch budget",
        "",
        "<!-- Generated by `python -m benchmarks.quality` from %s. Do not edit by "
        "hand. -->" % json_rel,
        "",
        "The tutorial's 784-300-100-10 network on the real MNIST (%s training rows, "
        "%s test rows, pixels divided by 255, %s), trained for %d epochs per "
        "configuration, seed %d. Each skmlp row after the defaults adds one feature "
        "to the row above it; cells are the **test accuracy (%%) after that many "
        "epochs** (bold: at or above the %.1f%% goal). The recipe and when each "
        "feature helps: "
        "[Recipes](recipes.md)." % (
            format(q["n_train"], ","), format(q["n_test"], ","), q["dtype"], q["epochs"],
            q["seed"], 100 * q["target"]),
        "",
        render_table(q),
        "",
        "## The recipe",
        "",
        "Goal: test accuracy >= %.1f%% within %d epochs: **%s**, %.2f%% for the "
        "model `fit(max_iter=%d)` returns (the last row; best epoch %d at %.2f%%, "
        "not used to judge: that would select on the test set)." % (
            100 * q["target"], q["epochs"], "met" if met else "not met", 100 * final,
            q["epochs"], last["best_epoch"], 100 * last["best_accuracy"]),
        "",
        "```python",
        "from skmlp import MLPClassifierNB",
        "",
        _recipe_code(last, q["epochs"]),
        "clf.fit(X_train / 255.0, y_train)      # pixels 0-255 -> [0, 1]",
        "clf.score(X_test / 255.0, y_test)",
        "```",
        "",
        "## How it was measured",
        "",
        "- scikit-learn: one `fit(max_iter=%d)`; the test accuracy is recorded after "
        "each epoch from scikit-learn's own per-epoch hook (a subclass), so the "
        "epochs are those of that fit. skmlp: %d calls of `partial_fit` on the whole "
        "training set with `max_iter=%d` set, which in skmlp equal `fit(max_iter=%d)` "
        "bitwise (one random stream, optimizer and dropout state and the schedule "
        "carry over; the check is below the table). A fit that scikit-learn's `tol` "
        "rule would stop keeps its last accuracy for the larger budgets." % (
            q["epochs"], q["epochs"], q["epochs"], q["epochs"]),
        "- A budget is an epoch of one fit planned for %d epochs: with the cosine "
        "schedule (sized by `max_iter`) a fit planned for fewer epochs anneals "
        "sooner and usually scores higher at that budget than the cell shows." %
        q["epochs"],
        "- Seconds per epoch: the median epoch (the first is left out), training "
        "only (the test-set evaluation is not timed), %s. CPU: process CPU time / "
        "wall time; other procs: cores other processes kept busy meanwhile." %
        q["dtype"],
        "- Measured on %s, %s; %s cores, numpy %s, scikit-learn %s, numba %s; "
        "MNIST: %s; %s to %s." % (
            "commit `%s`" % g["commit"][:12] if g.get("commit") else "unknown commit",
            "with uncommitted changes" if g.get("dirty") else "clean tree",
            m["usable_cpus"], m["versions"]["numpy"], m["versions"]["sklearn"],
            m["versions"]["numba"], meta.get("mnist_source", "?"), m["date"],
            meta.get("finished", "?")),
        "",
        "Reproduce (about %.0f minutes here): `%s`; rewrite this page from the JSON "
        "with `python -m benchmarks.quality --report`." % (
            meta.get("duration_s", 0) / 60, meta["command"]),
        "",
    ]
    return "\n".join(lines)


def write_page(json_path, doc_path):
    with open(json_path) as f:
        res = json.load(f)
    rel = os.path.relpath(os.path.abspath(json_path), REPO_ROOT)
    with open(doc_path, "w") as f:
        f.write(render_page(res, rel))
    return doc_path


# ---------------------------------------------------------------- command line
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.quality",
        description="MNIST test accuracy per epoch budget: scikit-learn and skmlp "
                    "defaults, then skmlp's features one at a time.")
    p.add_argument("--mnist-dir", default=None,
                   help="directory of the four MNIST IDX .gz files (default: "
                        "$SKMLP_MNIST_DIR, then ../shared/data/mnist, then OpenML)")
    p.add_argument("--epochs", type=int, default=EPOCHS, help="epochs per configuration")
    p.add_argument("--configs", default=None,
                   help="comma-separated configuration ids (default: all: %s); each "
                        "still adds to the ones above it in the list" %
                        ",".join(c["id"] for c in CONFIGS))
    p.add_argument("--n-train", type=int, default=None,
                   help="subsample the training rows (a quick look; not published)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the plain fit of the last configuration")
    p.add_argument("--seeds", default=",".join(str(s) for s in EXTRA_SEEDS),
                   help="train the last configuration again with these seeds "
                        "(comma-separated; empty for none)")
    p.add_argument("--json", default=None, help="results file")
    p.add_argument("--doc", default=None, help="markdown page to write")
    p.add_argument("--report", action="store_true",
                   help="only rewrite the page from the JSON (default docs/quality.json)")
    return p.parse_args(argv)


def main(argv=None):
    from benchmarks import data, machine
    from benchmarks.run import save_json

    args = parse_args(argv)
    if args.report:
        json_path = args.json or DOC_JSON
        doc = write_page(json_path, args.doc or DOC_MD)
        print("wrote %s from %s" % (os.path.relpath(doc), os.path.relpath(json_path)))
        return
    wanted = args.configs.split(",") if args.configs else None
    if wanted:
        unknown = set(wanted) - {c["id"] for c in CONFIGS}
        if unknown:
            raise SystemExit("unknown configuration(s): %s" % ", ".join(sorted(unknown)))
    complete = (not wanted and args.epochs == EPOCHS and not args.n_train
                and args.seeds == parse_args([]).seeds)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = os.path.join(RESULTS_DIR, "%s-quality" % stamp)
    json_path = args.json or (DOC_JSON if complete else base + ".json")
    doc = args.doc or (DOC_MD if complete and not args.json else
                       os.path.splitext(json_path)[0] + ".md")
    X, y, Xt, yt, source = data.load_mnist(args.mnist_dir)
    X, y = data.subsample(X, y, args.n_train)
    t0 = time.perf_counter()
    res = {"meta": {
        "command": " ".join(["python -m benchmarks.quality"] +
                            [shlex.quote(a) for a in (sys.argv[1:] if argv is None
                                                      else argv)]),
        "git": machine.git_state(REPO_ROOT), "machine": machine.machine_info(["skmlp",
                                                                              "sklearn"]),
        "mnist_source": source}}
    # A subset keeps the parameters of the whole list: each configuration
    # still has the additions of every configuration above it.
    configs = [c for c in CONFIGS if not wanted or c["id"] in wanted]
    res["quality"] = quality_case((X, y, Xt, yt), args.epochs, configs,
                                  params=config_params(), verify=not args.no_verify,
                                  seeds=[int(v) for v in args.seeds.split(",") if v],
                                  log=lambda s: print(s, flush=True))
    res["meta"]["duration_s"] = time.perf_counter() - t0
    res["meta"]["load_average_end"] = load_average()
    res["meta"]["finished"] = datetime.datetime.now().astimezone().isoformat(
        timespec="seconds")
    save_json(res, json_path)
    write_page(json_path, doc)
    print("results: %s; page: %s (%.0f s)" % (os.path.relpath(json_path),
                                             os.path.relpath(doc),
                                             res["meta"]["duration_s"]))


if __name__ == "__main__":
    main()
