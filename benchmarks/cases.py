"""In-process benchmark cases: training, prediction, epoch times, sweeps, dropout.

Each function returns a JSON-ready dict. Timing is always side by side: the
libraries alternate inside every repeat, in a seeded random order per round
(see :mod:`benchmarks.timing`).
"""

import numpy as np

from .machine import ForeignLoad, gemm_chain_throughput, load_average
from .models import (accuracy, final_loss, fit_fn, make_estimator, mlp_params,
                     predict_proba_fn, warmup_fn)
from .timing import alternate, order_seed, quiet, ratio, timed

MNIST_HIDDEN = (300, 100)
TABULAR_HIDDEN = (64, 64)
# Rows used by the warm-up fit that compiles (or loads) every library's code.
WARMUP_ROWS = 2000

MNIST_FIT_CASES = [
    {"id": "mnist_adam_b200_f64", "label": "MNIST adam, batch 200, float64",
     "solver": "adam", "batch_size": 200, "dtype": "float64"},
    {"id": "mnist_adam_b200_f32", "label": "MNIST adam, batch 200, float32",
     "solver": "adam", "batch_size": 200, "dtype": "float32"},
    {"id": "mnist_sgd_b50_f64", "label": "MNIST plain sgd (momentum 0), batch 50, float64",
     "solver": "sgd", "batch_size": 50, "dtype": "float64", "momentum": 0.0},
]
TABULAR_FIT_CASES = [
    {"id": "tabular_adam_b200", "label": "tabular adam, batch 200, float64",
     "solver": "adam", "batch_size": 200, "dtype": "float64"},
    {"id": "tabular_adam_b32", "label": "tabular adam, batch 32, float64",
     "solver": "adam", "batch_size": 32, "dtype": "float64"},
    # The same cases with skmlp splitting each batch across both cores
    # (``n_jobs=2``), against scikit-learn only: the other peers' figures are
    # the rows above.
    {"id": "tabular_adam_b200_2t", "label": "tabular adam, batch 200, float64, "
     "skmlp n_jobs=2", "solver": "adam", "batch_size": 200, "dtype": "float64",
     "skmlp_params": {"n_jobs": 2}, "libs": ["skmlp", "sklearn"]},
    {"id": "tabular_adam_b32_2t", "label": "tabular adam, batch 32, float64, "
     "skmlp n_jobs=2", "solver": "adam", "batch_size": 32, "dtype": "float64",
     "skmlp_params": {"n_jobs": 2}, "libs": ["skmlp", "sklearn"]},
]
PREDICT_ROWS = [1, 100, 10000]


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


def warm_rows(n, batch_size):
    """Rows of the warm-up fit: about ``WARMUP_ROWS``, ending with a short last
    batch of the same size as the timed fit's (so that any code specialised on
    the last batch is warm too)."""
    batch = min(int(batch_size), n)
    rest = n % batch
    rows = max(1, WARMUP_ROWS // batch) * batch + rest
    return min(n, rows)


def skmlp_blas_policy(units, batch_size):
    """BLAS threads skmlp's own policy chooses for this network and batch.

    ``"1"`` when ``skmlp._threads`` limits BLAS to one thread, ``"default"``
    when it leaves BLAS alone, None when the policy cannot be read (a newer
    skmlp); the measured CPU use is reported beside it either way.
    """
    from contextlib import nullcontext

    try:
        from skmlp._threads import blas_threads_for

        cm = blas_threads_for(units, batch_size)
    except Exception:  # noqa: BLE001  (a private API; report "unknown")
        return None
    return "default" if isinstance(cm, nullcontext) else "1"


def skmlp_batch_threads(params, units, batch_size):
    """Threads skmlp splits each batch across for these parameters (1: none)."""
    try:
        from skmlp._threads import batch_threads
    except ImportError:  # an skmlp without the batch split
        return 1
    return batch_threads(params.get("n_jobs"), units, batch_size)


def _libs_stats(stats, libs):
    return {lib: {k: v for k, v in stats[lib].items() if k != "result"} for lib in libs}


def _case_params(case, hidden, epochs):
    return mlp_params(hidden, case["solver"], case["batch_size"], epochs,
                      momentum=case.get("momentum", 0.9))


def fit_case(case, data, hidden, epochs, repeats, libs, seed=0, gemm_chain=False,
             log=print):
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
    seed : int
        Base seed of the library order in each round.
    gemm_chain : bool
        Also measure NumPy's GEMM throughput on the products of one training
        step of this network and batch (the case's GEMM peak).

    Returns
    -------
    result : dict
        The case, its network and FLOP count, per-library timing statistics,
        GFLOP/s and test accuracy, the ratios skmlp / other, the order of
        every round, and skmlp's BLAS thread policy. The fitted models are
        returned under ``"models"`` (dropped before saving).
    """
    X, y, Xt, yt = data
    params = _case_params(case, hidden, epochs)
    n_warm = warm_rows(X.shape[0], case["batch_size"])
    libs = [lib for lib in libs if lib in case.get("libs", libs)]
    own = {lib: dict(params, **case.get("skmlp_params", {})) if lib == "skmlp"
           else params for lib in libs}
    contestants = {lib: fit_fn(lib, own[lib], X, y) for lib in libs}
    warmups = {lib: warmup_fn(lib, own[lib], X, y, n_warm) for lib in libs}
    log("%s: %d rows, %d epoch(s), %d repeats" % (case["label"], X.shape[0], epochs,
                                                   repeats))
    seed = order_seed(seed, case["id"])
    units = layer_units(X.shape[1], hidden, len(np.unique(y)))
    chain = []

    def measure_chain():
        # Before and after the timed rounds; the better one is the case's peak,
        # so that one busy moment does not understate it.
        if gemm_chain:
            chain.append(gemm_chain_throughput(units, case["batch_size"], X.dtype.name,
                                               flops_train(units)))

    measure_chain()
    with ForeignLoad() as foreign:
        stats = alternate(contestants, repeats, warmups, log=log, seed=seed)
    measure_chain()
    flops = flops_train(units) * X.shape[0] * epochs
    out = dict(case)
    out.update(units=units, n_train=int(X.shape[0]), n_test=int(Xt.shape[0]),
               epochs=epochs, repeats=repeats, params=_jsonable(params),
               gflop=flops / 1e9, libs=_libs_stats(stats, libs),
               orders=stats["orders"], order_seed=seed,
               skmlp_blas_threads=skmlp_blas_policy(units, case["batch_size"]),
               skmlp_batch_threads=skmlp_batch_threads(own["skmlp"], units,
                                                       case["batch_size"]))
    for lib in libs:
        model = stats[lib]["result"]
        out["libs"][lib]["gflops"] = flops / stats[lib]["median"] / 1e9
        out["libs"][lib]["accuracy"] = accuracy(lib, model, Xt, yt)
        out["libs"][lib]["final_loss"] = final_loss(lib, model)
    out["ratios"] = {o: ratio(stats, o) for o in libs if o != "skmlp"}
    out["paired_ratios"] = stats.get("paired_ratios", {})
    out["load_average"] = load_average()
    out["foreign_cores"] = foreign.cores
    if chain:
        out["gemm_chain_gflops"] = max(chain)
        out["gemm_chain_measurements"] = chain
    out["models"] = {lib: stats[lib]["result"] for lib in libs}
    for lib in libs:
        log("  %-8s median %.3fs  %.2f GFLOP/s  acc %.4f  cpu %.2f" % (
            lib, stats[lib]["median"], out["libs"][lib]["gflops"],
            out["libs"][lib]["accuracy"], stats[lib]["cpu_util"]))
    log("  ratios skmlp/other: %s; other processes used %s cores%s" % (
        {k: round(v, 3) for k, v in out["ratios"].items()}, _cores(foreign.cores),
        "; GEMM of these shapes %.1f GFLOP/s" % out["gemm_chain_gflops"]
        if gemm_chain else ""))
    return out


def _cores(c):
    return "?" if c is None else "%.2f" % c


def predict_case(label, models, X, repeats, units, rows=PREDICT_ROWS, seed=0,
                 min_time=0.05, log=print):
    """Time ``predict_proba`` of already fitted models on the first rows of ``X``.

    One sub-case per entry of ``rows``. Calls shorter than ``min_time`` are
    repeated in a loop within each timed measurement (times are per call).
    """
    libs = list(models)
    out = {"label": label, "dtype": X.dtype.name, "units": units, "repeats": repeats,
           "sizes": []}
    for n in rows:
        Xn = np.ascontiguousarray(X[:n])
        contestants = {lib: predict_proba_fn(lib, models[lib], Xn) for lib in libs}
        with ForeignLoad() as foreign:
            stats = alternate(contestants, repeats, log=None,
                              seed=order_seed(seed, "%s-%d" % (label, n)),
                              min_time=min_time)
        flops = flops_forward(units) * n
        size = {"n_rows": int(n), "gflop": flops / 1e9, "libs": _libs_stats(stats, libs),
                "orders": stats["orders"], "order_seed": stats["order_seed"]}
        for lib in libs:
            s = size["libs"][lib]
            s["rows_per_s"] = n / s["median"]
            s["gflops"] = flops / s["median"] / 1e9
        proba = {lib: np.asarray(stats[lib]["result"], dtype=np.float64) for lib in libs}
        size["max_abs_diff_vs_sklearn"] = {
            lib: float(np.max(np.abs(proba[lib] - proba["sklearn"])))
            for lib in libs if lib != "sklearn" and "sklearn" in proba}
        size["argmax_agreement_vs_sklearn"] = {
            lib: float(np.mean(proba[lib].argmax(1) == proba["sklearn"].argmax(1)))
            for lib in libs if lib != "sklearn" and "sklearn" in proba}
        size["ratios"] = {o: ratio(stats, o) for o in libs if o != "skmlp"}
        size["paired_ratios"] = stats.get("paired_ratios", {})
        size["foreign_cores"] = foreign.cores
        out["sizes"].append(size)
        log("  %s, %d row(s): %s; skmlp/sklearn %.3f" % (
            label, n, ", ".join("%s %.1fus" % (lib, 1e6 * size["libs"][lib]["median"])
                                for lib in libs), size["ratios"].get("sklearn")))
    out["load_average"] = load_average()
    return out


def epoch_times_case(label, data, hidden, solver, batch_size, epochs, seed=0,
                     log=print):
    """Wall time of each epoch, one ``partial_fit`` call per epoch, alternating.

    Shows whether an epoch gets slower as training goes on (subnormal numbers in
    the optimizer moments or softmax outputs slow BLAS down, for instance).
    ``partial_fit`` re-validates the input on every call, the same cost for both
    libraries. Test accuracy after the last epoch is reported too.
    """
    import random

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
    rng = random.Random(order_seed(seed, label))
    orders = []
    log("%s: %d epochs of partial_fit on %d rows" % (label, epochs, X.shape[0]))
    for e in range(epochs):
        order = list(libs)
        rng.shuffle(order)
        orders.append(order)
        for lib in order:
            m = models[lib]
            _, wall, _ = timed(lambda: m.partial_fit(X, y, classes=classes))
            times[lib].append(wall)
        log("  epoch %d: %s" % (e + 1, ", ".join("%s %.3fs" % (lib, times[lib][-1])
                                                 for lib in libs)))
    out = {"label": label, "solver": solver, "batch_size": batch_size,
           "dtype": X.dtype.name, "n_train": int(X.shape[0]), "epochs": epochs,
           "times": times, "orders": orders, "accuracy": {}}
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


def sweep_case(kind, data, values, repeats, libs, hidden=MNIST_HIDDEN, batch_size=200,
               seed=0, log=print):
    """Time per epoch of every library over batch sizes or hidden widths.

    ``kind`` is ``"batch"`` (``values`` are batch sizes, network ``hidden``)
    or ``"width"`` (``values`` are widths w, network ``(w, w)``, batch
    ``batch_size``). Adam, one epoch per fit, all rows of ``data``.
    """
    X, y = data[0], data[1]
    points = []
    for value in values:
        h = tuple(hidden) if kind == "batch" else (int(value), int(value))
        b = int(value) if kind == "batch" else int(batch_size)
        params = mlp_params(h, "adam", b, 1)
        n_warm = warm_rows(X.shape[0], b)
        stats = alternate({lib: fit_fn(lib, params, X, y) for lib in libs}, repeats,
                          {lib: warmup_fn(lib, params, X, y, n_warm) for lib in libs},
                          seed=order_seed(seed, "sweep-%s-%s" % (kind, value)))
        units = layer_units(X.shape[1], h, len(np.unique(y)))
        flops = flops_train(units) * X.shape[0]
        point = {"value": int(value), "batch_size": b, "hidden": list(h), "units": units,
                 "per_epoch": {lib: stats[lib]["median"] for lib in libs},
                 "cpu_util": {lib: stats[lib]["cpu_util"] for lib in libs},
                 "gflops": {lib: flops / stats[lib]["median"] / 1e9 for lib in libs},
                 "ratios": {o: ratio(stats, o) for o in libs if o != "skmlp"},
                 "skmlp_blas_threads": skmlp_blas_policy(units, b),
                 "orders": stats["orders"]}
        points.append(point)
        log("  %s %d: %s" % (kind, value, ", ".join(
            "%s %.3fs" % (lib, t) for lib, t in point["per_epoch"].items())))
    return {"kind": kind, "n_samples": int(X.shape[0]), "dtype": X.dtype.name,
            "hidden": list(hidden), "batch_size": batch_size, "repeats": repeats,
            "values": [int(v) for v in values], "points": points}


def dropout_case(data, hidden, epochs, repeats, rate=0.2, seed=0, log=print):
    """skmlp's epoch with ``dropout=rate`` against the same fit without dropout.

    Returns None when skmlp has no ``dropout`` parameter (yet).
    """
    from .models import has_dropout

    if not has_dropout():
        log("dropout: skmlp has no dropout parameter yet; case skipped")
        return None
    X, y = data[0], data[1]
    base = mlp_params(hidden, "adam", 200, epochs)
    n_warm = warm_rows(X.shape[0], 200)
    configs = {"skmlp": dict(base, dropout=0.0), "skmlp_dropout": dict(base, dropout=rate)}
    contestants = {k: (lambda p=p: make_estimator("skmlp", p).fit(X, y))
                   for k, p in configs.items()}
    warmups = {k: (lambda p=p: make_estimator("skmlp", dict(p, max_iter=1)).fit(
        X[:n_warm], y[:n_warm])) for k, p in configs.items()}
    log("dropout %.2f vs none: MNIST adam b200 %s, %d rows, %d repeats" % (
        rate, X.dtype.name, X.shape[0], repeats))
    stats = alternate(contestants, repeats, warmups, log=log,
                      seed=order_seed(seed, "dropout"))
    out = {"rate": rate, "dtype": X.dtype.name, "n_train": int(X.shape[0]),
           "epochs": epochs, "repeats": repeats, "hidden": list(hidden),
           "libs": _libs_stats(stats, list(configs)), "orders": stats["orders"],
           "ratio": stats["skmlp_dropout"]["median"] / stats["skmlp"]["median"],
           "paired_ratio": float(np.median(
               [d / n for d, n in zip(stats["skmlp_dropout"]["times"],
                                      stats["skmlp"]["times"])]))}
    log("  with/without dropout: %.3f" % out["ratio"])
    return out


def _jsonable(params):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


def parity_case(libs, n=2000, hidden=(32, 16), epochs=3, log=print):
    """Check that every library trains the same network from the same weights.

    Tabular data, one full batch per epoch, no shuffling, float64: the only
    differences left are the order of floating-point operations and where
    Adam's epsilon enters. Reports the largest difference of ``predict_proba``
    on held-out rows from scikit-learn's, after ``epochs`` epochs of plain
    SGD (momentum 0) and of Adam. Untimed.
    """
    from .data import make_tabular

    X, y, Xt, _ = make_tabular(n_samples=n, n_test=500, seed=1)
    out = {"n_train": n, "hidden": list(hidden), "epochs": epochs, "dtype": "float64",
           "max_abs_diff_vs_sklearn": {}}
    for solver, momentum in (("sgd", 0.0), ("adam", 0.9)):
        params = dict(mlp_params(hidden, solver, n, epochs, momentum=momentum),
                      shuffle=False)
        proba = {}
        with quiet():
            for lib in libs:
                model = fit_fn(lib, params, X, y)()
                proba[lib] = np.asarray(predict_proba_fn(lib, model, Xt)(), np.float64)
        out["max_abs_diff_vs_sklearn"][solver] = {
            lib: float(np.max(np.abs(proba[lib] - proba["sklearn"])))
            for lib in libs if lib != "sklearn"}
    log("parity (max |proba - sklearn's| after %d full-batch epochs): %s" % (
        epochs, {s: {k: "%.1e" % v for k, v in d.items()}
                 for s, d in out["max_abs_diff_vs_sklearn"].items()}))
    return out
