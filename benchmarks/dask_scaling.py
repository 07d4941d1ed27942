"""Training on a local Dask cluster: evaluation throughput, rows, averaging interval.

``python -m benchmarks.dask_scaling`` (``pip install ".[dask]"``) prints: the time of one
L-BFGS loss-and-gradient evaluation (``skmlp._dask_fit.ClusterObjective.sums``) on
persisted data with 1 and 2 one-thread workers (alternating, per repeat) and locally;
the evaluation time against rows (2 workers); and local-SGD test accuracy against
``dask_sync_batches`` next to a local fit with the same epochs (4 blocks of 10 minibatches:
1 to 10 minibatches between averagings). For docs/scaling_out.md.
"""

import argparse
import logging
import statistics
import time
import warnings

import numpy as np


def _data(n_rows, n_features, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_rows, n_features))
    W = rng.standard_normal((n_features, 10))
    return X, (X @ W + rng.standard_normal((n_rows, 10))).argmax(axis=1)


def _eval_times(client, X, y, args):
    """Seconds of each distributed evaluation in a short lbfgs fit on persisted blocks."""
    import dask.array as da

    from skmlp import MLPClassifierNB, _dask_fit

    chunk = -(-X.shape[0] // args.blocks)
    with client.as_current():
        Xd = da.from_array(X, chunks=(chunk, X.shape[1])).persist()
        yd = da.from_array(y, chunks=chunk).persist()
        times, sums = [], _dask_fit.ClusterObjective.sums

        def timed(self, theta):
            t0 = time.perf_counter()
            out = sums(self, theta)
            times.append(time.perf_counter() - t0)
            return out

        _dask_fit.ClusterObjective.sums = timed
        try:
            MLPClassifierNB(hidden_layer_sizes=(args.hidden,), solver="lbfgs",
                            max_iter=args.iters, random_state=0).fit(Xd, yd)
        finally:
            _dask_fit.ClusterObjective.sums = sums
    return times[1:]  # the first one moves theta's key to the workers for the first time


def _local_eval_time(X, y, args):
    from skmlp import MLPClassifierNB, _lbfgs

    times, call = [], _lbfgs.LocalObjective.__call__

    def timed(self, theta, reported=False):
        t0 = time.perf_counter()
        out = call(self, theta, reported)
        times.append(time.perf_counter() - t0)
        return out

    _lbfgs.LocalObjective.__call__ = timed
    try:
        MLPClassifierNB(hidden_layer_sizes=(args.hidden,), solver="lbfgs",
                        max_iter=args.iters, random_state=0).fit(X, y)
    finally:
        _lbfgs.LocalObjective.__call__ = call
    return times[1:]


def _throughput(clusters, args):
    from distributed import Client

    X, y = _data(args.rows, args.features)
    clients = {n: Client(c) for n, c in clusters.items()}
    print(f"one evaluation, {args.rows} x {args.features} float64, {args.blocks} blocks, "
          f"hidden ({args.hidden},), 10 classes; median over {args.iters} evaluations")
    best = {n: [] for n in ["local", *clients]}
    for r in range(args.repeats):  # alternate: the machine is shared and noisy
        best["local"].append(statistics.median(_local_eval_time(X, y, args)))
        for n, client in clients.items():
            best[n].append(statistics.median(_eval_times(client, X, y, args)))
        print(f"  repeat {r}: " + ", ".join(f"{n}: {v[-1] * 1e3:.0f} ms" for n, v in best.items()))
    ratios = [a / b for a, b in zip(best["1 worker"], best["2 workers"])]
    print(f"  2 workers vs 1: speed-up per repeat {', '.join(f'{q:.2f}' for q in ratios)}")
    client = clients["2 workers"]
    for n in args.scale_rows:
        Xn, yn = _data(n, args.features)
        med = statistics.median(_eval_times(client, Xn, yn, args))
        print(f"  2 workers, {n} rows: {med * 1e3:.0f} ms per evaluation")
    for c in clients.values():
        c.close()


def _averaging(clusters, args):
    import dask.array as da
    from distributed import Client
    from sklearn.datasets import make_classification
    from sklearn.preprocessing import StandardScaler

    from skmlp import MLPClassifierNB

    X, y = make_classification(args.avg_rows + 2000, 20, n_informative=12, n_classes=5,
                               random_state=0)
    X = StandardScaler().fit_transform(X)
    Xtr, ytr, Xte, yte = X[2000:], y[2000:], X[:2000], y[:2000]
    est = MLPClassifierNB(hidden_layer_sizes=(32,), max_iter=args.epochs,
                          learning_rate_init=0.01, random_state=0)
    local = est.fit(Xtr, ytr).score(Xte, yte)
    block = args.avg_rows // 4
    print(f"local SGD (adam), make_classification {args.avg_rows} train / 2000 test, 20 "
          f"features, 5 classes, {args.epochs} epochs, 4 blocks of {block} rows, batch 200: "
          f"local fit {local:.3f}")
    with Client(clusters["2 workers"]) as client, client.as_current():
        Xd, yd = da.from_array(Xtr, chunks=(block, 20)), da.from_array(ytr, chunks=block)
        for k in args.sync:
            t0 = time.perf_counter()
            fitted = est.set_params(dask_sync_batches=k).fit(Xd, yd)
            print(f"  dask_sync_batches={k}: accuracy {fitted.score(Xte, yte):.3f}, "
                  f"final loss {fitted.loss_:.4f}, {time.perf_counter() - t0:.1f} s")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--features", type=int, default=50)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--blocks", type=int, default=8)
    p.add_argument("--iters", type=int, default=6)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scale-rows", type=int, nargs="*", default=[25_000, 50_000, 100_000, 200_000])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--avg-rows", type=int, default=8000)
    p.add_argument("--sync", type=int, nargs="*", default=[1, 2, 5, 10])
    p.add_argument("--skip-throughput", action="store_true")
    args = p.parse_args(argv)
    from distributed import LocalCluster

    warnings.simplefilter("ignore")
    opts = dict(threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                silence_logs=logging.ERROR)
    clusters = {"1 worker": LocalCluster(n_workers=1, **opts),
                "2 workers": LocalCluster(n_workers=2, **opts)}
    try:
        if not args.skip_throughput:
            _throughput(clusters, args)
        _averaging(clusters, args)
    finally:
        for c in clusters.values():
            c.close()


if __name__ == "__main__":
    main()
