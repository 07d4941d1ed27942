"""In-process benchmark cases: parity, training, prediction, epoch times, sweeps, dropout.

Each function returns a JSON-ready dict. Timing is always side by side: the libraries
alternate inside every round, in a seeded random order (see :mod:`benchmarks.timing`).
"""

import random
from contextlib import nullcontext

import numpy as np

from .data import make_tabular
from .machine import ForeignLoad, gemm_chain_throughput, load_average
from .models import (accuracy, fit_fn, has_dropout, make_estimator, mlp_params,
                     predict_proba_fn, warmup_fn)
from .timing import alternate, order_seed, quiet, ratio, timed

MNIST_HIDDEN = (300, 100)
TABULAR_HIDDEN = (64, 64)
WARMUP_ROWS = 2000  # rows of the warm-up fit that compiles (or loads) every library's code
PREDICT_ROWS = [1, 100, 10000]


def _case(id, label, solver, batch, dtype="float64", **extra):
    return dict(id=id, label=label, solver=solver, batch_size=batch, dtype=dtype, **extra)


MNIST_FIT_CASES = [
    _case("mnist_adam_b200_f64", "MNIST adam, batch 200, float64", "adam", 200),
    _case("mnist_adam_b200_f32", "MNIST adam, batch 200, float32", "adam", 200, "float32"),
    _case("mnist_sgd_b50_f64", "MNIST plain sgd (momentum 0), batch 50, float64", "sgd", 50,
          momentum=0.0),
]
# The last two: skmlp splits each batch across both cores (n_jobs=2), against
# scikit-learn only; the other peers' figures are the rows above.
TABULAR_FIT_CASES = [
    _case("tabular_adam_b200", "tabular adam, batch 200, float64", "adam", 200),
    _case("tabular_adam_b32", "tabular adam, batch 32, float64", "adam", 32),
    *[_case("tabular_adam_b%d_2t" % b, "tabular adam, batch %d, float64, skmlp n_jobs=2" % b,
            "adam", b, skmlp_params={"n_jobs": 2}, libs=["skmlp", "sklearn"])
      for b in (200, 32)],
]


def layer_units(n_features, hidden, n_classes):
    """Units per layer, input to output."""
    return [int(n_features), *[int(h) for h in hidden], int(n_classes)]


def flops_forward(units):
    """FLOPs (2 per multiply-add) of one sample's forward matrix products."""
    return 2 * sum(a * b for a, b in zip(units[:-1], units[1:]))


def flops_train(units):
    """FLOPs of one sample's forward and backward matrix products: forward, each weight
    gradient again, and each delta below the first layer (784-300-100-10: 1.13 MFLOP)."""
    return 2 * flops_forward(units) + flops_forward(units[1:])


def warm_rows(n, batch_size):
    """Rows of the warm-up fit: about ``WARMUP_ROWS``, ending with a short last batch of
    the timed fit's size (so that code specialised on the last batch is warm too)."""
    batch = min(int(batch_size), n)
    return min(n, max(1, WARMUP_ROWS // batch) * batch + n % batch)


def skmlp_threads(params, units, batch_size):
    """``(BLAS policy, batch threads)`` skmlp chooses: ``"1"`` when ``skmlp._threads``
    limits BLAS to one thread, ``"default"`` when not, None if unreadable; and the threads
    each batch is split across (1: none)."""
    try:
        from skmlp._threads import batch_threads, blas_threads_for

        cm = blas_threads_for(units, batch_size)
        split = batch_threads(params.get("n_jobs"), units, batch_size)
    except Exception:  # noqa: BLE001  (a private API; report "unknown")
        return None, 1
    return ("default" if isinstance(cm, nullcontext) else "1"), split


def _libs_stats(stats, libs):
    return {lib: {k: v for k, v in stats[lib].items() if k != "result"} for lib in libs}


def fit_case(case, data, hidden, epochs, repeats, libs, seed=0, gemm_chain=False,
             log=print):
    """Time ``fit`` of every library on one case (``data``: train and test arrays in the
    case's dtype): medians, ratios skmlp / other, GFLOP/s, test accuracy, and with
    ``gemm_chain`` NumPy's GEMM rate on the products of one training step (its peak).
    The fitted models are under ``"models"`` (dropped before saving)."""
    X, y, Xt, yt = data
    params = mlp_params(hidden, case["solver"], case["batch_size"], epochs,
                        momentum=case.get("momentum", 0.9))
    libs = [lib for lib in libs if lib in case.get("libs", libs)]
    own = {lib: dict(params, **case.get("skmlp_params", {})) if lib == "skmlp" else params
           for lib in libs}
    n_warm = warm_rows(X.shape[0], case["batch_size"])
    log("%s: %d rows, %d epoch(s), %d repeats" % (case["label"], X.shape[0], epochs, repeats))
    seed = order_seed(seed, case["id"])
    units = layer_units(X.shape[1], hidden, len(np.unique(y)))
    # Before and after the rounds; the better is the case's peak.
    chain = [gemm_chain_throughput(units, case["batch_size"], X.dtype.name,
                                   flops_train(units)) for _ in range(gemm_chain)]
    with ForeignLoad() as foreign:
        stats = alternate({lib: fit_fn(lib, own[lib], X, y) for lib in libs}, repeats,
                          {lib: warmup_fn(lib, own[lib], X, y, n_warm) for lib in libs},
                          log=log, seed=seed)
    chain += [gemm_chain_throughput(units, case["batch_size"], X.dtype.name,
                                    flops_train(units)) for _ in range(gemm_chain)]
    flops = flops_train(units) * X.shape[0] * epochs
    policy, split = skmlp_threads(own["skmlp"], units, case["batch_size"])
    out = dict(case, units=units, n_train=int(X.shape[0]), n_test=int(Xt.shape[0]),
               epochs=epochs, repeats=repeats,
               params={k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
               gflop=flops / 1e9, libs=_libs_stats(stats, libs), orders=stats["orders"],
               order_seed=seed, skmlp_blas_threads=policy, skmlp_batch_threads=split,
               ratios={o: ratio(stats, o) for o in libs if o != "skmlp"},
               paired_ratios=stats.get("paired_ratios", {}), load_average=load_average(),
               foreign_cores=foreign.cores,
               models={lib: stats[lib]["result"] for lib in libs})
    for lib, model in out["models"].items():
        loss = getattr(model, "loss_", None)
        out["libs"][lib].update(gflops=flops / stats[lib]["median"] / 1e9,
                                accuracy=accuracy(lib, model, Xt, yt),
                                final_loss=None if loss is None else float(loss))
        log("  %-8s median %.3fs  %.2f GFLOP/s  acc %.4f  cpu %.2f" % (
            lib, stats[lib]["median"], out["libs"][lib]["gflops"],
            out["libs"][lib]["accuracy"], stats[lib]["cpu_util"]))
    if chain:
        out.update(gemm_chain_gflops=max(chain), gemm_chain_measurements=chain)
    log("  ratios skmlp/other: %s; other processes used %s cores%s" % (
        {k: round(v, 3) for k, v in out["ratios"].items()},
        "?" if foreign.cores is None else "%.2f" % foreign.cores,
        "; GEMM of these shapes %.1f GFLOP/s" % max(chain) if chain else ""))
    return out


def predict_case(label, models, X, repeats, units, rows=PREDICT_ROWS, seed=0,
                 min_time=0.05, log=print):
    """Time ``predict_proba`` of fitted models on the first ``rows`` rows of ``X``; calls
    shorter than ``min_time`` are looped inside each measurement (times per call)."""
    libs = list(models)
    out = {"label": label, "dtype": X.dtype.name, "units": units, "repeats": repeats,
           "sizes": []}
    for n in rows:
        Xn = np.ascontiguousarray(X[:n])
        with ForeignLoad() as foreign:
            stats = alternate({lib: predict_proba_fn(lib, models[lib], Xn) for lib in libs},
                              repeats, seed=order_seed(seed, "%s-%d" % (label, n)),
                              min_time=min_time)
        flops = flops_forward(units) * n
        size = {"n_rows": int(n), "gflop": flops / 1e9, "libs": _libs_stats(stats, libs),
                "orders": stats["orders"], "order_seed": stats["order_seed"]}
        for lib in libs:
            s = size["libs"][lib]
            s.update(rows_per_s=n / s["median"], gflops=flops / s["median"] / 1e9)
        proba = {lib: np.asarray(stats[lib]["result"], dtype=np.float64) for lib in libs}
        others = [lib for lib in libs if lib != "sklearn" and "sklearn" in proba]
        size["max_abs_diff_vs_sklearn"] = {
            lib: float(np.max(np.abs(proba[lib] - proba["sklearn"]))) for lib in others}
        size["argmax_agreement_vs_sklearn"] = {lib: float(np.mean(
            proba[lib].argmax(1) == proba["sklearn"].argmax(1))) for lib in others}
        size.update(ratios={o: ratio(stats, o) for o in libs if o != "skmlp"},
                    paired_ratios=stats.get("paired_ratios", {}), foreign_cores=foreign.cores)
        out["sizes"].append(size)
        log("  %s, %d row(s): %s; skmlp/sklearn %.3f" % (label, n, ", ".join(
            "%s %.1fus" % (lib, 1e6 * size["libs"][lib]["median"]) for lib in libs),
            size["ratios"].get("sklearn")))
    out["load_average"] = load_average()
    return out


def epoch_times_case(label, data, hidden, solver, batch_size, epochs, seed=0, log=print):
    """Wall time of each epoch (one ``partial_fit`` call each, libraries alternating):
    does an epoch get slower as training goes on (subnormal numbers, for instance)?"""
    X, y, Xt, yt = data
    classes, libs = np.unique(y), ["skmlp", "sklearn"]
    params = mlp_params(hidden, solver, batch_size, 1)
    n_warm = min(WARMUP_ROWS, X.shape[0])
    for lib in libs:
        warm = make_estimator(lib, params)
        timed(lambda: warm.partial_fit(X[:n_warm], y[:n_warm], classes=classes))
    models = {lib: make_estimator(lib, params) for lib in libs}
    times, orders = {lib: [] for lib in libs}, []
    rng = random.Random(order_seed(seed, label))
    log("%s: %d epochs of partial_fit on %d rows" % (label, epochs, X.shape[0]))
    for e in range(epochs):
        orders.append(list(libs))
        rng.shuffle(orders[-1])
        for lib in orders[-1]:
            times[lib].append(timed(lambda: models[lib].partial_fit(X, y, classes=classes))[1])
        log("  epoch %d: %s" % (e + 1, ", ".join("%s %.3fs" % (lib, times[lib][-1])
                                                 for lib in libs)))
    with quiet():
        acc = {lib: float(models[lib].score(Xt, yt)) for lib in libs}
    k = max(1, epochs // 3)  # median of the last third of the epochs over the first third
    growth = {lib: float(np.median(t[-k:]) / np.median(t[:k])) for lib, t in times.items()}
    log("  late/early epoch time: %s; accuracy %s" % (
        {lib: round(v, 2) for lib, v in growth.items()}, acc))
    return {"label": label, "solver": solver, "batch_size": batch_size,
            "dtype": X.dtype.name, "n_train": int(X.shape[0]), "epochs": epochs,
            "times": times, "orders": orders, "accuracy": acc, "growth": growth}


def sweep_case(kind, data, values, repeats, libs, hidden=MNIST_HIDDEN, batch_size=200,
               seed=0, log=print):
    """Time per epoch (adam, one epoch, all rows) over batch sizes (``kind="batch"``,
    network ``hidden``) or hidden widths w (``kind="width"``, network ``(w, w)``)."""
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
        points.append({
            "value": int(value), "batch_size": b, "hidden": list(h), "units": units,
            "per_epoch": {lib: stats[lib]["median"] for lib in libs},
            "cpu_util": {lib: stats[lib]["cpu_util"] for lib in libs},
            "gflops": {lib: flops / stats[lib]["median"] / 1e9 for lib in libs},
            "ratios": {o: ratio(stats, o) for o in libs if o != "skmlp"},
            "skmlp_blas_threads": skmlp_threads(params, units, b)[0],
            "orders": stats["orders"]})
        log("  %s %d: %s" % (kind, value, ", ".join(
            "%s %.3fs" % kv for kv in points[-1]["per_epoch"].items())))
    return {"kind": kind, "n_samples": int(X.shape[0]), "dtype": X.dtype.name,
            "hidden": list(hidden), "batch_size": batch_size, "repeats": repeats,
            "values": [int(v) for v in values], "points": points}


def dropout_case(data, hidden, epochs, repeats, rate=0.2, seed=0, log=print):
    """skmlp's epoch with ``dropout=rate`` against the same fit without (None when skmlp
    has no ``dropout`` parameter)."""
    if not has_dropout():
        log("dropout: skmlp has no dropout parameter yet; case skipped")
        return None
    X, y = data[0], data[1]
    base = mlp_params(hidden, "adam", 200, epochs)
    n_warm = warm_rows(X.shape[0], 200)
    configs = {"skmlp": dict(base, dropout=0.0), "skmlp_dropout": dict(base, dropout=rate)}
    log("dropout %.2f vs none: MNIST adam b200 %s, %d rows, %d repeats" % (
        rate, X.dtype.name, X.shape[0], repeats))
    stats = alternate(
        {k: (lambda p=p: make_estimator("skmlp", p).fit(X, y)) for k, p in configs.items()},
        repeats, {k: (lambda p=p: make_estimator("skmlp", dict(p, max_iter=1)).fit(
            X[:n_warm], y[:n_warm])) for k, p in configs.items()},
        log=log, seed=order_seed(seed, "dropout"))
    with_, without = stats["skmlp_dropout"], stats["skmlp"]
    out = {"rate": rate, "dtype": X.dtype.name, "n_train": int(X.shape[0]), "epochs": epochs,
           "repeats": repeats, "hidden": list(hidden), "libs": _libs_stats(stats, configs),
           "orders": stats["orders"], "ratio": with_["median"] / without["median"],
           "paired_ratio": float(np.median(np.divide(with_["times"], without["times"])))}
    log("  with/without dropout: %.3f" % out["ratio"])
    return out


def parity_case(libs, n=2000, hidden=(32, 16), epochs=3, log=print):
    """Every library trains the same network from the same weights (tabular, one full
    batch per epoch, no shuffling, float64); the largest difference of ``predict_proba``
    on held-out rows from scikit-learn's, after plain SGD and after Adam. Untimed."""
    X, y, Xt, _ = make_tabular(n_samples=n, n_test=500, seed=1)
    out = {"n_train": n, "hidden": list(hidden), "epochs": epochs, "dtype": "float64",
           "max_abs_diff_vs_sklearn": {}}
    for solver, momentum in (("sgd", 0.0), ("adam", 0.9)):
        params = dict(mlp_params(hidden, solver, n, epochs, momentum=momentum), shuffle=False)
        with quiet():
            proba = {lib: np.asarray(predict_proba_fn(lib, fit_fn(lib, params, X, y)(), Xt)(),
                                     np.float64) for lib in libs}
        out["max_abs_diff_vs_sklearn"][solver] = {
            lib: float(np.max(np.abs(proba[lib] - proba["sklearn"])))
            for lib in libs if lib != "sklearn"}
    log("parity (max |proba - sklearn's| after %d full-batch epochs): %s" % (
        epochs, {s: {k: "%.1e" % v for k, v in d.items()}
                 for s, d in out["max_abs_diff_vs_sklearn"].items()}))
    return out
