"""The in-process sections, each a function of the run's context storing into ``ctx.res``."""

from contextlib import nullcontext

import numpy as np

from .data import make_tabular, subsample
from .machine import foreign_load, gemm_chain_throughput, gemm_throughput, load_average
from .models import SETTINGS, fit_fn, make_estimator, mlp_params, predict_proba_fn, warmup_fn
from .timing import alternate, order_seed, quiet, shuffled, timed

MNIST_HIDDEN, TABULAR_HIDDEN = (300, 100), (64, 64)
WARMUP_ROWS = 2000  # rows of the warm-up fit that compiles (or loads) every library's code
PREDICT_ROWS = [1, 100, 10000]
MNIST_FIT_CASES, TABULAR_FIT_CASES = ([c for c in SETTINGS["fits"] if c["id"].startswith(d)]
                                      for d in ("mnist", "tabular"))


def flops(units, train=True):
    """FLOPs of one sample's forward products, and for training its weight-gradient and
    delta (below layer 1) products."""
    forward = 2 * sum(a * b for a, b in zip(units[:-1], units[1:]))
    return 2 * forward + flops(units[1:], False) if train else forward


def warm_rows(n, batch_size):
    """About ``WARMUP_ROWS``, ending in the timed fit's short last batch (warm it too)."""
    batch = min(int(batch_size), n)
    return min(n, max(1, WARMUP_ROWS // batch) * batch + n % batch)


def skmlp_threads(params, units, batch_size):
    """``(BLAS policy "1"/"default"/None, threads per batch)`` that skmlp chooses."""
    from skmlp._threads import batch_threads, blas_threads_for

    split = batch_threads(params.get("n_jobs"), units, batch_size)
    policy = "default" if isinstance(blas_threads_for(units, batch_size, split),
                                     nullcontext) else "1"
    return policy, split


def _libs_stats(stats, libs):
    return {lib: {k: v for k, v in stats[lib].items() if k != "result"} for lib in libs}


def parity(ctx, n=2000, hidden=(32, 16), epochs=3):
    """Same network, same weights, full batches: ``predict_proba`` vs scikit-learn's."""
    X, y, Xt, _ = make_tabular(n_samples=n, n_test=500, seed=1)
    out = ctx.res["parity"] = {"n_train": n, "hidden": list(hidden), "epochs": epochs,
                               "dtype": "float64", "max_abs_diff_vs_sklearn": {}}
    for solver, momentum in (("sgd", 0.0), ("adam", 0.9)):
        params = dict(mlp_params(hidden, solver, n, epochs, momentum=momentum), shuffle=False)
        with quiet():
            proba = {lib: np.asarray(predict_proba_fn(lib, fit_fn(lib, params, X, y)(), Xt)(),
                                     np.float64) for lib in ctx.libs}
        out["max_abs_diff_vs_sklearn"][solver] = {
            lib: float(np.max(np.abs(proba[lib] - proba["sklearn"])))
            for lib in ctx.libs if lib != "sklearn"}
    ctx.log("parity (max |proba - sklearn's| after %d full-batch epochs): %s" % (
        epochs, {s: {k: "%.1e" % v for k, v in d.items()}
                 for s, d in out["max_abs_diff_vs_sklearn"].items()}))


def gemm(ctx):
    g = ctx.res["gemm"] = gemm_throughput(ctx.profile["gemm_n"])
    ctx.log("GEMM %d: %s" % (g["n"], {k: {n: round(v, 1) for n, v in d.items()}
                                      for k, d in g["gflops"].items()}))


def mnist(ctx):
    for case in MNIST_FIT_CASES:
        if ctx.want(case["id"]):
            ctx.fitted[case["id"]] = fit_case(ctx, case, ctx.mnist[case["dtype"]],
                                              MNIST_HIDDEN, ctx.profile["mnist_epochs"])


def tabular(ctx):
    data = make_tabular(n_samples=ctx.profile["tabular_train"])
    for case in TABULAR_FIT_CASES:
        # A case about more threads has no --threads version.
        if ctx.want(case["id"]) and not (ctx.args.threads and "skmlp_params" in case):
            fit_case(ctx, case, data, TABULAR_HIDDEN, ctx.profile["tabular_epochs"])


def fit_case(ctx, case, data, hidden, epochs):
    """Time every library's ``fit`` on one case (and the GEMM peak of its shapes, before
    and after); return the fitted models."""
    X, y, Xt, yt = data
    repeats, dataset = ctx.profile["repeats"], "mnist" if hidden == MNIST_HIDDEN else "tabular"
    params = mlp_params(hidden, case["solver"], case["batch_size"], epochs,
                        momentum=case.get("momentum", 0.9))
    libs = [lib for lib in ctx.libs if lib in case.get("libs", ctx.libs)]
    own = {lib: dict(params, **case.get("skmlp_params", {})) if lib == "skmlp" else params
           for lib in libs}
    ctx.log("%s: %d rows, %d epoch(s), %d repeats" % (case["label"], X.shape[0], epochs, repeats))
    seed = order_seed(ctx.seed, case["id"])
    units = [X.shape[1], *hidden, len(np.unique(y))]

    def peak():  # GEMM rates on this case's products (NumPy's, the engine's), before and after
        return [gemm_chain_throughput(units, case["batch_size"], X.dtype.name, flops(units),
                                      engine=engine) for engine in (False, True)]

    chain = [peak()]
    with foreign_load() as foreign:
        stats = alternate({lib: fit_fn(lib, own[lib], X, y) for lib in libs}, repeats, {
            lib: warmup_fn(lib, own[lib], X, y, warm_rows(X.shape[0], case["batch_size"]))
            for lib in libs}, log=ctx.log, seed=seed)
    chain += [peak() for _ in chain]
    total = flops(units) * X.shape[0] * epochs
    policy, split = skmlp_threads(own["skmlp"], units, case["batch_size"])
    out = dict(case, units=units, n_train=int(X.shape[0]), n_test=int(Xt.shape[0]),
               epochs=epochs, repeats=repeats,
               params={k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
               gflop=total / 1e9, libs=_libs_stats(stats, libs), orders=stats["orders"],
               order_seed=seed, skmlp_blas_threads=policy, skmlp_batch_threads=split,
               ratios=stats["ratios"], paired_ratios=stats["paired_ratios"],
               load_average=load_average(), foreign_cores=foreign.cores)
    models = {lib: stats[lib]["result"] for lib in libs}
    for lib, model in models.items():
        loss = getattr(model, "loss_", None)
        out["libs"][lib].update(gflops=total / stats[lib]["median"] / 1e9,
                                accuracy=float(np.mean(model.classes_[np.asarray(
                                    predict_proba_fn(lib, model, Xt)()).argmax(1)] == yt)),
                                final_loss=None if loss is None else float(loss))
        ctx.log("  %-8s median %.3fs  %.2f GFLOP/s  acc %.4f  cpu %.2f" % (
            lib, stats[lib]["median"], out["libs"][lib]["gflops"],
            out["libs"][lib]["accuracy"], stats[lib]["cpu_util"]))
    (numpy, engine) = zip(*chain)
    out.update(gemm_chain_gflops=max(numpy), gemm_chain_measurements=numpy,
               gemm_engine_gflops=max(engine), gemm_engine_measurements=engine)
    ctx.log("  ratios skmlp/other: %s; other processes used %s cores; GEMM of these shapes "
            "%.1f GFLOP/s (as the engine calls them %.1f)" % (
                {k: round(v, 3) for k, v in out["ratios"].items()},
                "?" if foreign.cores is None else "%.2f" % foreign.cores,
                out["gemm_chain_gflops"], out["gemm_engine_gflops"]))
    ctx.res["fit"].append(dict(out, dataset=dataset))
    return models


def predict(ctx, min_time=0.05):
    """``predict_proba`` of the MNIST adam b200 models; short calls looped (times per call)."""
    ctx.res["predict"] = []
    for dt in ("float64", "float32"):
        if not ctx.want("predict_f" + dt[5:]):
            continue
        X, y, Xt, _ = ctx.mnist[dt]
        trained = ctx.fitted.get("mnist_adam_b200_f" + dt[5:])
        if trained is None:
            ctx.log("predict %s: training the models first (untimed)" % dt)
            with quiet():
                trained = {lib: fit_fn(lib, mlp_params(MNIST_HIDDEN, "adam", 200, 1), X, y)()
                           for lib in ctx.libs if lib != "jax_scan"}
        # Both JAX peers predict with the same jitted function: timed once.
        libs = [lib for lib in trained if lib != "jax_scan"]
        label, units = "MNIST network, %s" % dt, [X.shape[1], *MNIST_HIDDEN, 10]
        out = {"label": label, "dtype": dt, "units": units,
               "repeats": ctx.profile["predict_repeats"], "sizes": []}
        for n in PREDICT_ROWS:
            Xn = np.ascontiguousarray(Xt[:n])
            with foreign_load() as foreign:
                stats = alternate(
                    {lib: predict_proba_fn(lib, trained[lib], Xn) for lib in libs},
                    out["repeats"], seed=order_seed(ctx.seed, "%s-%d" % (label, n)),
                    min_time=min_time)
            f = flops(units, False) * n
            size = {"n_rows": int(n), "gflop": f / 1e9, "libs": _libs_stats(stats, libs),
                    "orders": stats["orders"], "order_seed": stats["order_seed"]}
            for s in size["libs"].values():
                s.update(rows_per_s=n / s["median"], gflops=f / s["median"] / 1e9)
            proba = {lib: np.asarray(stats[lib]["result"], dtype=np.float64) for lib in libs}
            others = [lib for lib in libs if lib != "sklearn" and "sklearn" in proba]
            size["max_abs_diff_vs_sklearn"] = {
                lib: float(np.max(np.abs(proba[lib] - proba["sklearn"]))) for lib in others}
            size["argmax_agreement_vs_sklearn"] = {lib: float(np.mean(
                proba[lib].argmax(1) == proba["sklearn"].argmax(1))) for lib in others}
            out["sizes"].append(dict(size, ratios=stats["ratios"],
                                     paired_ratios=stats["paired_ratios"],
                                     foreign_cores=foreign.cores))
            ctx.log("  %s, %d row(s): %s; skmlp/sklearn %.3f" % (label, n, ", ".join(
                "%s %.1fus" % (lib, 1e6 * stats[lib]["median"]) for lib in libs),
                out["sizes"][-1]["ratios"].get("sklearn")))
        ctx.res["predict"].append(dict(out, load_average=load_average()))


def epochs(ctx, solver="adam", batch_size=200):
    """Time of each ``partial_fit`` epoch: do late epochs get slower (subnormals)?"""
    ctx.res["epochs"] = []
    libs, n_epochs = ["skmlp", "sklearn"], ctx.profile["drift_epochs"]
    params = mlp_params(MNIST_HIDDEN, solver, batch_size, 1)
    for dt in ctx.profile["drift_dtypes"]:
        if not ctx.want("epochs_f" + dt[5:]):
            continue
        (X, y, Xt, yt), label = ctx.mnist[dt], "MNIST adam b200 " + dt
        classes, n_warm = np.unique(y), min(WARMUP_ROWS, X.shape[0])
        for lib in libs:
            warm = make_estimator(lib, params)
            timed(lambda: warm.partial_fit(X[:n_warm], y[:n_warm], classes=classes))
        models = {lib: make_estimator(lib, params) for lib in libs}
        times = {lib: [] for lib in libs}
        orders = shuffled(libs, n_epochs, order_seed(ctx.seed, label))
        ctx.log("%s: %d epochs of partial_fit on %d rows" % (label, n_epochs, X.shape[0]))
        for e, order in enumerate(orders):
            for lib in order:
                times[lib].append(timed(lambda: models[lib].partial_fit(X, y, classes=classes))[1])
            ctx.log("  epoch %d: %s" % (e + 1, ", ".join("%s %.3fs" % (lib, times[lib][-1])
                                                         for lib in libs)))
        with quiet():
            acc = {lib: float(models[lib].score(Xt, yt)) for lib in libs}
        k = max(1, n_epochs // 3)  # median of the last third of the epochs over the first
        growth = {lib: float(np.median(t[-k:]) / np.median(t[:k])) for lib, t in times.items()}
        ctx.log("  late/early epoch time: %s; accuracy %s" % (
            {lib: round(v, 2) for lib, v in growth.items()}, acc))
        ctx.res["epochs"].append({
            "label": label, "solver": solver, "batch_size": batch_size, "dtype": X.dtype.name,
            "n_train": int(X.shape[0]), "epochs": n_epochs, "times": times, "orders": orders,
            "accuracy": acc, "growth": growth})


def sweeps(ctx, batch_size=200):
    """Time per epoch over batch sizes (784-300-100-10) and hidden widths (784-w-w-10)."""
    p, dt = ctx.profile, ctx.profile["sweep_dtype"]
    X, y = subsample(ctx.mnist[dt][0], ctx.mnist[dt][1], p["sweep_rows"], seed=1)
    ctx.res["sweeps"] = []
    for kind, values, what in (
            ("batch", p["sweep_batches"], "batch size (MNIST 784-300-100-10, %s, %d rows)"),
            ("width", p["sweep_widths"], "hidden width (MNIST 784-w-w-10, %s, %d rows, "
             "batch 200)")):
        if not ctx.want("sweep_" + kind):
            continue
        ctx.log("sweep: time per epoch vs " + what % (dt, X.shape[0]))
        points = []
        for value in values:
            h = MNIST_HIDDEN if kind == "batch" else (int(value), int(value))
            b = int(value) if kind == "batch" else batch_size
            params, units = mlp_params(h, "adam", b, 1), [X.shape[1], *h, 10]
            stats = alternate({lib: fit_fn(lib, params, X, y) for lib in ctx.libs},
                              p["sweep_repeats"], {lib: warmup_fn(
                                  lib, params, X, y, warm_rows(X.shape[0], b))
                                  for lib in ctx.libs},
                              seed=order_seed(ctx.seed, "sweep-%s-%s" % (kind, value)))
            med = {lib: stats[lib]["median"] for lib in ctx.libs}
            points.append({
                "value": int(value), "batch_size": b, "hidden": list(h), "units": units,
                "per_epoch": med, "cpu_util": {lib: stats[lib]["cpu_util"] for lib in ctx.libs},
                "gflops": {lib: flops(units) * X.shape[0] / t / 1e9
                           for lib, t in med.items()},
                "ratios": stats["ratios"],
                "skmlp_blas_threads": skmlp_threads(params, units, b)[0],
                "orders": stats["orders"]})
            ctx.log("  %s %d: %s" % (kind, value, ", ".join("%s %.3fs" % kv
                                                            for kv in med.items())))
        ctx.res["sweeps"].append({
            "kind": kind, "n_samples": int(X.shape[0]), "dtype": dt,
            "hidden": list(MNIST_HIDDEN), "batch_size": batch_size,
            "repeats": p["sweep_repeats"], "values": [int(v) for v in values],
            "points": points})


def dropout(ctx, rate=0.2):
    """skmlp's epoch with ``dropout=rate`` against the same fit without."""
    X, y = ctx.mnist["float64"][:2]
    epochs, repeats = ctx.profile["mnist_epochs"], ctx.profile["dropout_repeats"]
    base, n_warm = mlp_params(MNIST_HIDDEN, "adam", 200, epochs), warm_rows(X.shape[0], 200)
    configs = {"skmlp": dict(base, dropout=0.0), "skmlp_dropout": dict(base, dropout=rate)}
    ctx.log("dropout %.2f vs none: MNIST adam b200 %s, %d rows, %d repeats" % (
        rate, X.dtype.name, X.shape[0], repeats))
    stats = alternate({k: fit_fn("skmlp", p, X, y) for k, p in configs.items()}, repeats,
                      {k: warmup_fn("skmlp", p, X, y, n_warm) for k, p in configs.items()},
                      log=ctx.log, seed=order_seed(ctx.seed, "dropout"))
    with_, without = stats["skmlp_dropout"], stats["skmlp"]
    ctx.res["dropout"] = {
        "rate": rate, "dtype": X.dtype.name, "n_train": int(X.shape[0]), "epochs": epochs,
        "repeats": repeats, "hidden": list(MNIST_HIDDEN), "libs": _libs_stats(stats, configs),
        "orders": stats["orders"], "ratio": with_["median"] / without["median"],
        "paired_ratio": float(np.median(np.divide(with_["times"], without["times"])))}
    ctx.log("  with/without dropout: %.3f" % ctx.res["dropout"]["ratio"])
