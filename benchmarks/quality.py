"""Model quality on MNIST: test accuracy per epoch budget, one feature at a time.

Each configuration trains once for ``EPOCHS`` epochs, its test accuracy recorded after
every epoch without changing the fit: scikit-learn runs one ``fit`` and a subclass records
from its per-epoch hook ``_update_no_improvement_count`` (called before the stopping
test); skmlp runs ``EPOCHS`` calls of ``partial_fit`` with ``max_iter=EPOCHS``, which equal
``fit(max_iter=k)`` bitwise after k calls (random stream, Adam moments, dropout generator
and schedule carry over), stopping where ``fit`` would; the last configuration is trained
again with one ``fit`` and the weights compared. See benchmarks/README.md for the commands.
"""

import os
import statistics
import sys
import time

import numpy as np

from benchmarks.data import shifted_copies
from benchmarks.machine import foreign_load
from benchmarks.timing import quiet

EPOCHS, BUDGETS, TARGET, HIDDEN, SEED = 30, (5, 10, 20, 30), 0.988, (300, 100), 0
EXTRA_SEEDS = (1, 2)  # the recipe again: a property of the recipe or of seed 0?

# Each skmlp configuration adds its ``adds`` to every one above it. Parameters not named
# keep the defaults: relu, adam, learning_rate_init=1e-3, alpha=1e-4, batch 200, tol=1e-4.
# The control (not a feature): scikit-learn on inputs that differ by rounding alone; where
# it parts from the first row shows how far training amplifies differences of one unit in
# the last place, the size of skmlp's differences from scikit-learn (BLAS, summation order).
CONFIGS = [dict(zip(("id", "lib", "adds", "label", "shifts"), c)) for c in [
    ("sklearn_defaults", "sklearn", {}, "scikit-learn `MLPClassifier` defaults", False),
    ("sklearn_ulp", "sklearn", {}, "scikit-learn defaults, inputs changed by rounding (control)",
     False),
    ("skmlp_defaults", "skmlp", {}, "skmlp `MLPClassifierNB` defaults", False),
    ("he_init", "skmlp", {"weight_init": "he_normal"}, "+ He initialisation", False),
    ("dropout", "skmlp", {"dropout": 0.2}, "+ dropout 0.2", False),
    ("cosine", "skmlp", {"learning_rate_schedule": "cosine"}, "+ cosine schedule", False),
    ("alpha", "skmlp", {"alpha": 1e-2}, "+ stronger L2", False),
    ("rate", "skmlp", {"learning_rate_init": 2e-3}, "+ higher initial rate", False),
    # Not a parameter: the training set grows to five times its rows (data.shifted_copies),
    # so an epoch costs five times as much; EQUAL_COMPUTE trains the row above as long.
    ("recipe", "skmlp", {}, "+ shifted copies of the training images (the recipe)", True)]]
PARAMS, _acc = {}, {}  # {id: keyword arguments}: each skmlp configuration's adds accumulated
for _c in CONFIGS:
    _acc.update(_c["adds"] if _c["lib"] == "skmlp" else {})
    PARAMS[_c["id"]] = dict(hidden_layer_sizes=HIDDEN, random_state=SEED,
                            **(_acc if _c["lib"] == "skmlp" else _c["adds"]))
# The control for the shifted copies: the configuration before them, trained for as many
# optimizer steps as the recipe takes (5 x EPOCHS epochs of the plain training set, the
# cosine schedule sized to them), so that the copies, not the extra steps, get the credit.
EQUAL_COMPUTE = ("rate", 5)


def divergence(a, b):
    """Where two per-epoch runs part: loss differences, first epoch accuracies differ."""
    n = min(len(a["train_loss"]), len(b["train_loss"]))
    loss = np.abs(np.subtract(a["train_loss"][:n], b["train_loss"][:n]))
    acc = np.subtract(a["accuracy"][:n], b["accuracy"][:n])
    first = int(np.argmax(acc != 0)) + 1 if acc.any() else None
    return {"epochs_compared": n, "max_abs_loss_diff": float(loss.max()),
            "loss_diff_per_epoch": [float(v) for v in loss],
            "first_epoch_accuracy_differs": first,
            "max_abs_loss_diff_before": float(loss[:first - 1].max())
            if first and first > 1 else None,
            "max_abs_accuracy_diff": float(np.max(np.abs(acc)))}


def _clock():
    return np.array([time.perf_counter(), sum(os.times()[:2])])


def _jsonable(params):
    return {k: list(v) if isinstance(v, tuple) else v
            if isinstance(v, (str, int, float, bool, type(None))) else repr(v)
            for k, v in params.items()}


def run_config(config, params, data, epochs, log=print):
    """Train one configuration; test accuracy and (wall, CPU) seconds after every epoch."""
    (X, y, Xt, yt), lib = data, config["lib"]
    log("  %s (%s): %s" % (config["id"], lib, _jsonable(params)))
    acc, clocks, mark = [], [], [_clock()]

    def record(model):
        clocks.append(_clock() - mark[0])
        acc.append(float(np.mean(model.predict(Xt) == yt)))
        log("    epoch %2d  %.4f  %.2f s" % (len(acc), acc[-1], clocks[-1][0]))
        mark[0] = _clock()  # evaluation is not training time

    with foreign_load() as fl:
        if lib == "sklearn":
            from sklearn.neural_network import MLPClassifier

            class Recorded(MLPClassifier):
                def _update_no_improvement_count(self, *args, **kwargs):
                    super()._update_no_improvement_count(*args, **kwargs)
                    record(self)  # once after every epoch, before the stopping test

            est = Recorded(max_iter=epochs, **params)
            with quiet():
                est.fit(X, y)
        else:
            import skmlp

            with quiet():  # compile (or load) the kernels for these parameters, untimed
                skmlp.MLPClassifierNB(max_iter=1, **params).fit(X[:2000], y[:2000])
            est, classes = skmlp.MLPClassifierNB(max_iter=epochs, **params), np.unique(y)
            for _ in range(epochs):
                mark[0] = _clock()
                with quiet():
                    est.partial_fit(X, y, classes=classes)
                record(est)
                # fit's stopping rule, which partial_fit tracks but never stops on.
                if est._solver_state.no_improvement_count > est.n_iter_no_change:
                    break
    times = [float(c[0]) for c in clocks]
    best = int(np.argmax(acc))
    out = {
        "id": config["id"], "lib": lib, "label": config["label"],
        "shifts": bool(config.get("shifts")), "adds": _jsonable(
            config["adds"]), "params": _jsonable(params), "epochs_run": len(acc), "accuracy": acc,
        "train_loss": list(map(float, est.loss_curve_)), "epoch_s": times,
        "median_epoch_s": statistics.median(times[1:] or times),
        "best_accuracy": acc[best], "best_epoch": best + 1,
        "first_epoch_at_target": next((i + 1 for i, a in enumerate(acc) if a >= TARGET), None),
        "cpu_util": sum(float(c[1]) for c in clocks) / sum(times) if sum(times) else None,
        "foreign_cores": fl.cores}
    log("  -> %s" % ", ".join("@%d %.4f" % (b, budget_accuracy(out, b)) for b in BUDGETS))
    return out, est


def budget_accuracy(r, budget):
    """Test accuracy of ``fit(max_iter=budget)`` (the last epoch if stopped earlier)."""
    return r["accuracy"][min(budget, len(r["accuracy"])) - 1]


def quality_case(data, epochs=EPOCHS, configs=CONFIGS, verify=True, seeds=EXTRA_SEEDS,
                 equal_compute=True, log=print):
    """Every configuration, then the last again with other seeds and with one plain ``fit``
    (its weights compared with the epoch loop's); when the last trains on shifted copies,
    the configuration before it for as many optimizer steps on the plain rows."""
    import skmlp

    log("quality: MNIST %d x %d, test %d rows, %s, %d epochs per configuration" % (
        *data[0].shape, data[2].shape[0], data[0].dtype.name, epochs))
    results, last, shifted = [], None, None
    for c in configs:
        # The control: pixels rounded again, about 1% moved by one unit in the last place.
        ulp = c["id"] == "sklearn_ulp"
        inputs = tuple(np.round(a * 255.0) / 255.0 if ulp and i % 2 == 0 else a
                       for i, a in enumerate(data))
        if c["shifts"]:
            shifted = shifted or (*shifted_copies(*data[:2]), *data[2:])
            inputs = shifted
        r, est = run_config(c, PARAMS[c["id"]], inputs, epochs, log=log)
        r["rows_per_epoch"] = int(inputs[0].shape[0])
        if ulp:
            r["inputs_changed_fraction"] = float(np.mean(inputs[0] != data[0]))
        results.append(r)
        last = (c, est, inputs) if c["lib"] == "skmlp" else last
    out = {"epochs": epochs, "budgets": [b for b in BUDGETS if b <= epochs] or [epochs],
           "target": TARGET, "n_train": int(data[0].shape[0]), "n_test": int(data[2].shape[0]),
           "dtype": data[0].dtype.name, "preprocessing": "pixels / 255",
           "hidden": list(HIDDEN), "seed": SEED, "configs": results}
    by_id = {r["id"]: r for r in results}
    for key, other in (("defaults_parity", "skmlp_defaults"), ("rounding_control", "sklearn_ulp")):
        if "sklearn_defaults" in by_id and other in by_id:
            out[key] = divergence(by_id["sklearn_defaults"], by_id[other])
    if last is None:
        return out
    c, est, inputs = last
    if seeds:
        out["seeds"] = [dict(run_config(
            dict(c, id="%s_seed%d" % (c["id"], s), adds={}),
            dict(PARAMS[c["id"]], random_state=s), inputs, epochs, log=log)[0], seed=s,
            rows_per_epoch=int(inputs[0].shape[0])) for s in seeds]
    plain, factor = EQUAL_COMPUTE
    if equal_compute and c["shifts"] and plain in by_id:
        r = run_config(dict(next(k for k in CONFIGS if k["id"] == plain),
                            id="%s_x%d" % (plain, factor)),
                       PARAMS[plain], data, factor * epochs, log=log)[0]
        out["equal_compute"] = dict(r, rows_per_epoch=int(data[0].shape[0]),
                                    planned_epochs=factor * epochs)
    if verify and by_id[c["id"]]["epochs_run"] == epochs:
        log("  verify: %s with fit(max_iter=%d)" % (c["id"], epochs))
        t0 = time.perf_counter()
        with quiet():
            fit = skmlp.MLPClassifierNB(max_iter=epochs, **PARAMS[c["id"]]).fit(*inputs[:2])
        v = out["verify_fit"] = {
            "id": c["id"], "n_iter": int(fit.n_iter_),
            "accuracy": float(np.mean(fit.predict(inputs[2]) == inputs[3])),
            "fit_s": time.perf_counter() - t0, "max_abs_weight_diff": max(
                float(np.max(np.abs(a - b))) for a, b in zip(
                    fit.coefs_ + fit.intercepts_, est.coefs_ + est.intercepts_))}
        log("  verify: accuracy %.4f, largest weight difference %.1e" % (
            v["accuracy"], v["max_abs_weight_diff"]))
    return out


def main(argv=None):
    from benchmarks import data, run
    from benchmarks.report import write

    seeds = ",".join(str(s) for s in EXTRA_SEEDS)
    p = run.parser("python -m benchmarks.quality", "MNIST test accuracy per epoch budget: "
                   "scikit-learn and skmlp defaults, then skmlp's features one at a time.",
                   "quality")
    p.add_argument("--epochs", type=int, default=EPOCHS, help="epochs per configuration")
    p.add_argument("--configs", help="comma-separated configuration ids (default: all: %s); "
                   "each still adds to the ones above it in the list" %
                   ",".join(c["id"] for c in CONFIGS))
    p.add_argument("--n-train", type=int, help="subsample the training rows (not published)")
    p.add_argument("--no-verify", action="store_true", help="no plain fit of the last one")
    p.add_argument("--no-equal-compute", action="store_true", help="no control run of the "
                   "configuration before the shifted copies for as many optimizer steps")
    p.add_argument("--seeds", default=seeds, help="train the last configuration again with "
                   "these seeds (comma-separated; empty for none)")
    p.add_argument("--report", action="store_true",
                   help="only rewrite the page from the JSON (default docs/quality.json)")
    args = p.parse_args(argv)
    if args.report:
        json_path, doc = run.out_paths("quality", "quality", True, args)
        print("wrote %s from %s" % (os.path.relpath(write(json_path, doc)),
                                    os.path.relpath(json_path)))
        return
    wanted = args.configs.split(",") if args.configs else None
    unknown = set(wanted or []) - {c["id"] for c in CONFIGS}
    if unknown:
        raise SystemExit("unknown configuration(s): %s" % ", ".join(sorted(unknown)))
    json_path, doc = run.out_paths("quality", "quality", not wanted and args.epochs == EPOCHS
                                   and not args.n_train and args.seeds == seeds
                                   and not args.no_equal_compute,
                                   args)
    X, y, Xt, yt, source = data.load_mnist(args.mnist_dir)
    X, y = data.subsample(X, y, args.n_train)
    t0 = time.perf_counter()
    res = {"meta": dict(run.start_meta("python -m benchmarks.quality", sys.argv[1:] if argv is
                                       None else argv, ["skmlp", "sklearn"]), mnist_source=source)}
    res["quality"] = quality_case(
        (X, y, Xt, yt), args.epochs, [c for c in CONFIGS if not wanted or c["id"] in wanted],
        verify=not args.no_verify, equal_compute=not args.no_equal_compute,
        seeds=[int(v) for v in args.seeds.split(",") if v], log=lambda s: print(s, flush=True))
    run.end_meta(res["meta"], t0)
    run.save_json(res, json_path)
    write(json_path, doc)
    print("results: %s; page: %s (%.0f s)" % (
        os.path.relpath(json_path), os.path.relpath(doc), res["meta"]["duration_s"]))


if __name__ == "__main__":
    main()
