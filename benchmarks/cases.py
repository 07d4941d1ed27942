"""In-process benchmark cases: training, prediction, epoch-by-epoch times, scaling.

Each function returns a JSON-ready dict. Timing is always side by side: the
libraries alternate inside every repeat (see :mod:`benchmarks.timing`).
"""

import numpy as np

from .machine import ForeignLoad, load_average
from .models import accuracy, fit_fn, make_estimator, mlp_params, predict_proba_fn
from .timing import alternate, quiet, ratio, timed

MNIST_HIDDEN = (300, 100)
TABULAR_HIDDEN = (64, 64)
# Rows used by the warm-up fit that compiles (or loads) skmlp's kernels.
WARMUP_ROWS = 2000

MNIST_FIT_CASES = [
    {"id": "mnist_adam_b200_f64", "label": "MNIST adam, batch 200, float64",
     "solver": "adam", "batch_size": 200, "dtype": "float64"},
    {"id": "mnist_adam_b200_f32", "label": "MNIST adam, batch 200, float32",
     "solver": "adam", "batch_size": 200, "dtype": "float32"},
    {"id": "mnist_sgd_b50_f64", "label": "MNIST sgd (nesterov), batch 50, float64",
     "solver": "sgd", "batch_size": 50, "dtype": "float64"},
]
TABULAR_FIT_CASES = [
    {"id": "tabular_adam_b200", "label": "tabular adam, batch 200, float64",
     "solver": "adam", "batch_size": 200, "dtype": "float64"},
    {"id": "tabular_adam_b32", "label": "tabular adam, batch 32, float64",
     "solver": "adam", "batch_size": 32, "dtype": "float64"},
]


def layer_units(n_features, hidden, n_classes):
    """Units per layer, input to output."""
    return [int(n_features), *[int(h) for h in hidden], int(n_classes)]


def flops_forward(units):
    """Multiply-add FLOPs (2 per MAC) of one sample's forward pass (GEMMs only)."""
    return 2 * sum(a * b for a, b in zip(units[:-1], units[1:]))


def flops_train(units):
    """FLOPs of one sample's forward + backward pass (GEMMs only).

    Forward ``2 * n_in * n_out`` per layer; backward the same again for every
    weight gradient, plus ``2 * n_in * n_out`` for the delta propagated into every
    layer but the first (the input needs no delta). Bias, activation, loss and
    optimizer work is ignored: it is O(units), not O(weights). For 784-300-100-10
    this is 1.13 MFLOP per sample, 67.6 GFLOP per 60,000-row epoch.
    """
    pairs = list(zip(units[:-1], units[1:]))
    weights = sum(a * b for a, b in pairs)
    deltas = sum(a * b for a, b in pairs[1:])
    return 2 * weights + 2 * weights + 2 * deltas


def _libs_stats(stats, libs):
    return {lib: {k: v for k, v in stats[lib].items() if k != "result"} for lib in libs}


def fit_case(case, data, hidden, epochs, repeats, libs, log=print):
    """Time ``fit`` of every library on one case and report medians, ratios, accuracy.

    Parameters
    ----------
    case : dict
        An entry of ``MNIST_FIT_CASES`` or ``TABULAR_FIT_CASES``.
    data : tuple
        ``(X_train, y_train, X_test, y_test)``, already in the case's dtype.
    hidden : tuple of int
        Hidden layer sizes.
    epochs, repeats : int
        Epochs per fit; timed fits per library.
    libs : list of str
        Contestants, ``"skmlp"`` first.

    Returns
    -------
    result : dict
        The case, its network and FLOP count, per-library timing statistics,
        GFLOP/s and test accuracy, and the ratios skmlp / other. The fitted
        models are returned under ``"models"`` (dropped before saving).
    """
    X, y, Xt, yt = data
    params = mlp_params(hidden, case["solver"], case["batch_size"], epochs)
    warm_params = dict(params, max_iter=1)
    n_warm = min(WARMUP_ROWS, X.shape[0])
    contestants = {lib: fit_fn(lib, params, X, y) for lib in libs}
    warmups = {lib: fit_fn(lib, warm_params, X[:n_warm], y[:n_warm]) for lib in libs}
    log("%s: %d rows, %d epoch(s), %d repeats" % (case["label"], X.shape[0], epochs,
                                                   repeats))
    with ForeignLoad() as foreign:
        stats = alternate(contestants, repeats, warmups, log=log)
    units = layer_units(X.shape[1], hidden, len(np.unique(y)))
    flops = flops_train(units) * X.shape[0] * epochs
    out = dict(case)
    out.update(units=units, n_train=int(X.shape[0]), n_test=int(Xt.shape[0]),
               epochs=epochs, repeats=repeats, params=_jsonable(params),
               gflop=flops / 1e9, libs=_libs_stats(stats, libs))
    for lib in libs:
        model = stats[lib]["result"]
        out["libs"][lib]["gflops"] = flops / stats[lib]["median"] / 1e9
        out["libs"][lib]["accuracy"] = accuracy(lib, model, Xt, yt)
        if lib != "torch":
            out["libs"][lib]["final_loss"] = float(model.loss_)
    out["ratios"] = {o: ratio(stats, o) for o in libs if o != "skmlp"}
    out["paired_ratios"] = stats.get("paired_ratios", {})
    out["load_average"] = load_average()
    out["foreign_cores"] = foreign.cores
    out["models"] = {lib: stats[lib]["result"] for lib in libs}
    for lib in libs:
        log("  %-7s median %.3fs  %.2f GFLOP/s  acc %.4f  cpu %.2f" % (
            lib, stats[lib]["median"], out["libs"][lib]["gflops"],
            out["libs"][lib]["accuracy"], stats[lib]["cpu_util"]))
    log("  ratios skmlp/other: %s; other processes used %s cores" % (
        {k: round(v, 3) for k, v in out["ratios"].items()}, _cores(foreign.cores)))
    return out


def _cores(c):
    return "?" if c is None else "%.2f" % c


def predict_case(label, models, X, repeats, units, log=print):
    """Time ``predict_proba`` of already fitted models on ``X``."""
    libs = list(models)
    contestants = {lib: predict_proba_fn(lib, models[lib], X) for lib in libs}
    log("%s: predict_proba on %d rows, %d repeats" % (label, X.shape[0], repeats))
    with ForeignLoad() as foreign:
        stats = alternate(contestants, repeats, log=None)
    flops = flops_forward(units) * X.shape[0]
    out = {"label": label, "n_rows": int(X.shape[0]), "repeats": repeats,
           "dtype": X.dtype.name, "units": units, "gflop": flops / 1e9,
           "libs": _libs_stats(stats, libs)}
    for lib in libs:
        s = out["libs"][lib]
        s["rows_per_s"] = X.shape[0] / s["median"]
        s["gflops"] = flops / s["median"] / 1e9
    proba = {lib: np.asarray(stats[lib]["result"], dtype=np.float64) for lib in libs}
    out["max_abs_diff_vs_sklearn"] = {
        lib: float(np.max(np.abs(proba[lib] - proba["sklearn"])))
        for lib in libs if lib != "sklearn" and "sklearn" in proba
    }
    out["argmax_agreement_vs_sklearn"] = {
        lib: float(np.mean(proba[lib].argmax(1) == proba["sklearn"].argmax(1)))
        for lib in libs if lib != "sklearn" and "sklearn" in proba
    }
    out["ratios"] = {o: ratio(stats, o) for o in libs if o != "skmlp"}
    out["paired_ratios"] = stats.get("paired_ratios", {})
    out["load_average"] = load_average()
    out["foreign_cores"] = foreign.cores
    for lib in libs:
        log("  %-7s median %.4fs  %.0f rows/s" % (lib, out["libs"][lib]["median"],
                                                  out["libs"][lib]["rows_per_s"]))
    log("  ratios skmlp/other: %s" % {k: round(v, 3) for k, v in out["ratios"].items()})
    return out


def epoch_times_case(label, data, hidden, solver, batch_size, epochs, log=print):
    """Wall time of each epoch, one ``partial_fit`` call per epoch, alternating.

    Shows whether an epoch gets slower as training goes on (subnormal numbers in
    the optimizer moments or softmax outputs slow BLAS down, for instance).
    ``partial_fit`` re-validates the input on every call, the same cost for both
    libraries. Test accuracy after the last epoch is reported too.
    """
    X, y, Xt, yt = data
    classes = np.unique(y)
    params = mlp_params(hidden, solver, batch_size, 1)
    libs = ["skmlp", "sklearn"]
    n_warm = min(WARMUP_ROWS, X.shape[0])
    for lib in libs:
        warm = make_estimator(lib, params)
        timed(lambda: warm.partial_fit(X[:n_warm], y[:n_warm], classes=classes))
    models = {lib: make_estimator(lib, params) for lib in libs}
    times = {lib: [] for lib in libs}
    log("%s: %d epochs of partial_fit on %d rows" % (label, epochs, X.shape[0]))
    for e in range(epochs):
        order = libs if e % 2 == 0 else libs[::-1]
        for lib in order:
            m = models[lib]
            _, wall, _ = timed(lambda: m.partial_fit(X, y, classes=classes))
            times[lib].append(wall)
        log("  epoch %d: %s" % (e + 1, ", ".join("%s %.3fs" % (lib, times[lib][-1])
                                                 for lib in libs)))
    out = {"label": label, "solver": solver, "batch_size": batch_size,
           "dtype": X.dtype.name, "n_train": int(X.shape[0]), "epochs": epochs,
           "times": times, "accuracy": {}}
    with quiet():
        for lib in libs:
            out["accuracy"][lib] = float(models[lib].score(Xt, yt))
    # Median of the last third over median of the first third of the epochs.
    k = max(1, epochs // 3)
    out["growth"] = {lib: float(np.median(t[-k:]) / np.median(t[:k]))
                     for lib, t in times.items()}
    log("  late/early epoch time: %s; accuracy %s" % (
        {k2: round(v, 2) for k2, v in out["growth"].items()}, out["accuracy"]))
    return out


def scaling_case(kind, data, hidden_list, n_list, batch_size, epochs, repeats, libs,
                 log=print):
    """Time per epoch over a grid of training-set sizes or hidden widths.

    ``kind`` is ``"n_samples"`` (``n_list`` row counts, one network) or ``"width"``
    (all rows, hidden sizes from ``hidden_list``).
    """
    X, y = data[0], data[1]
    points = []
    grid = n_list if kind == "n_samples" else hidden_list
    for value in grid:
        if kind == "n_samples":
            n, hidden = int(value), hidden_list[0]
        else:
            n, hidden = X.shape[0], value
        Xs, ys = X[:n], y[:n]
        params = mlp_params(hidden, "adam", batch_size, epochs)
        warm = dict(params, max_iter=1)
        n_warm = min(WARMUP_ROWS, n)
        stats = alternate({lib: fit_fn(lib, params, Xs, ys) for lib in libs}, repeats,
                          {lib: fit_fn(lib, warm, Xs[:n_warm], ys[:n_warm])
                           for lib in libs})
        units = layer_units(X.shape[1], hidden, len(np.unique(y)))
        flops = flops_train(units) * n * epochs
        point = {"n_samples": n, "hidden": list(hidden), "units": units,
                 "per_epoch": {lib: stats[lib]["median"] / epochs for lib in libs},
                 "gflops": {lib: flops / stats[lib]["median"] / 1e9 for lib in libs},
                 "ratios": {o: ratio(stats, o) for o in libs if o != "skmlp"}}
        points.append(point)
        log("  %s n=%d hidden=%s: %s; skmlp/sklearn %.3f" % (
            kind, n, tuple(hidden), ", ".join("%s %.3fs" % (lib, t) for lib, t in
                                              point["per_epoch"].items()),
            point["ratios"].get("sklearn", float("nan"))))
    return {"kind": kind, "batch_size": batch_size, "epochs": epochs,
            "repeats": repeats, "dtype": X.dtype.name, "points": points}


def _jsonable(params):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


def threads_case(case, data, hidden, epochs, repeats, thread_counts, log=print):
    """skmlp and scikit-learn with BLAS limited to each of ``thread_counts``.

    Shows whether BLAS threading helps at these matrix sizes, or whether the
    threads of different pools get in each other's way (oversubscription).
    ``threadpoolctl`` limits every loaded BLAS, including the SciPy build that
    Numba calls.
    """
    from threadpoolctl import threadpool_limits

    X, y, _, _ = data
    params = mlp_params(hidden, case["solver"], case["batch_size"], epochs)
    n_warm = min(WARMUP_ROWS, X.shape[0])

    def limited(fn, n):
        def call():
            with threadpool_limits(limits=n, user_api="blas"):
                return fn()
        return call

    contestants, warmups = {}, {}
    for lib in ("skmlp", "sklearn"):
        for n in thread_counts:
            name = lib if n == thread_counts[-1] else "%s@%d" % (lib, n)
            contestants[name] = limited(fit_fn(lib, params, X, y), n)
            warmups[name] = limited(fit_fn(lib, dict(params, max_iter=1), X[:n_warm],
                                           y[:n_warm]), n)
    log("%s: BLAS threads %s, %d rows, %d repeats" % (case["label"], thread_counts,
                                                      X.shape[0], repeats))
    stats = alternate(contestants, repeats, warmups, log=log)
    out = {"label": case["label"], "n_train": int(X.shape[0]), "epochs": epochs,
           "repeats": repeats, "thread_counts": list(thread_counts), "runs": {}}
    for lib in ("skmlp", "sklearn"):
        for n in thread_counts:
            name = lib if n == thread_counts[-1] else "%s@%d" % (lib, n)
            s = stats[name]
            out["runs"]["%s@%d" % (lib, n)] = {"lib": lib, "threads": n,
                                                "median": s["median"], "min": s["min"],
                                                "times": s["times"],
                                                "cpu_util": s["cpu_util"]}
    for name, r in out["runs"].items():
        log("  %-12s median %.3fs  cpu %.2f" % (name, r["median"], r["cpu_util"]))
    return out
