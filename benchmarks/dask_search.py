"""skmlp on a local Dask cluster: a hyperparameter search against scikit-learn; scaling.

``RandomizedSearchCV(Pipeline(StandardScaler, MLP))`` on digits under joblib's dask backend
(worker processes, one thread each), the libraries alternating per repeat after an untimed
warm-up search each. ``--kill-worker``: one skmlp search undisturbed, then one while a
worker is killed (SIGKILL): did it finish, when, with the same results? ``--scatter``
copies X, y and the folds to every worker first. ``--scaling``: the time of one L-BFGS
loss-and-gradient evaluation (``skmlp._dask_fit.ClusterObjective.sums``) on persisted data
with 1 and 2 one-thread workers (alternating, per repeat) and locally; the evaluation time
against rows (2 workers); and local-SGD test accuracy against ``dask_sync_batches`` next to
a local fit with the same epochs (4 blocks of 10 minibatches: 1 to 10 minibatches between
averagings). For docs/scaling_out.md; ``pip install ".[dask]"`` first.
"""

import argparse
import contextlib
import logging
import os
import signal
import statistics
import threading
import time
import warnings

import numpy as np

CLUSTER = dict(threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)


def _timed_search(lib, args, X, y, warm_up=False):
    """``(seconds, fitted search)``; ``warm_up``: an untimed small one (imports, kernels)."""
    if warm_up:
        args = argparse.Namespace(**{**vars(args), "n_iter": 2, "epochs": 2})
    import joblib
    from scipy.stats import loguniform
    from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from skmlp import MLPClassifierNB

    mlp = (MLPClassifierNB if lib == "skmlp" else MLPClassifier)(
        hidden_layer_sizes=(64,), max_iter=args.epochs, tol=0.0,
        n_iter_no_change=args.epochs + 1, random_state=0)
    # joblib's dask backend scatters every argument over 1 kB (X, y, each fold's indices)
    # to ONE worker; a worker that dies holding the only copy loses it for good.
    # scatter=[...] broadcasts them to every worker up front, so the folds are made here.
    cv = list(StratifiedKFold(args.cv).split(X, y)) if args.scatter else args.cv
    backend = {"scatter": [X, y] + [a for fold in cv for a in fold]} if args.scatter else {}
    search = RandomizedSearchCV(
        Pipeline([("scale", StandardScaler()), ("mlp", mlp)]),
        {"mlp__alpha": loguniform(1e-5, 1e-1), "mlp__learning_rate_init": loguniform(1e-4, 1e-2),
         "mlp__hidden_layer_sizes": [(32,), (64,), (64, 32)]},
        n_iter=args.n_iter, cv=cv, random_state=0, n_jobs=-1)
    with warnings.catch_warnings(), joblib.parallel_backend("dask", **backend):
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        search.fit(X, y)
        return time.perf_counter() - t0, search


def _compare(args, client, X, y):
    print(f"search: {args.n_iter} candidates x {args.cv} folds, {args.epochs} epochs per fit, "
          f"digits {X.shape}, {len(client.scheduler_info()['workers'])} workers x 1 thread")
    for lib in ("skmlp", "sklearn"):
        _timed_search(lib, args, X, y, warm_up=True)
    times = {"skmlp": [], "sklearn": []}
    for r in range(args.repeats):
        for lib in ("skmlp", "sklearn")[::1 if r % 2 == 0 else -1]:
            seconds, search = _timed_search(lib, args, X, y)
            times[lib].append(seconds)
            print(f"  repeat {r + 1} {lib:8s} {seconds:7.2f} s  "
                  f"best CV accuracy {search.best_score_:.3f}")
    med = {lib: statistics.median(t) for lib, t in times.items()}
    print(f"median search time: skmlp {med['skmlp']:.2f} s, scikit-learn {med['sklearn']:.2f} "
          f"s; ratio skmlp / scikit-learn = {med['skmlp'] / med['sklearn']:.2f}")
    print("per-repeat ratios: " + ", ".join(
        f"{a / b:.2f}" for a, b in zip(times["skmlp"], times["sklearn"])))
    if hasattr(os, "getloadavg"):
        print(f"load average after the run (1, 5, 15 min): {os.getloadavg()}; "
              f"{os.cpu_count()} CPUs")


def _kill_worker(args, client, X, y):
    _timed_search("skmlp", args, X, y, warm_up=True)
    reference_time, reference = _timed_search("skmlp", args, X, y)
    print(f"undisturbed search: {reference_time:.2f} s, best params {reference.best_params_}")
    pids = client.run(os.getpid)
    victim_addr, victim_pid = sorted(pids.items())[0]
    killed = {}

    def killer():  # once the victim runs tasks of the search, kill it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if client.processing().get(victim_addr):
                time.sleep(args.kill_after)
                # Arrays held only by the victim (scattered data cannot be recomputed).
                has = client.has_what()
                others = set().union(*(set(k) for w, k in has.items() if w != victim_addr))
                killed["only_on_victim"] = len([k for k in set(has.get(victim_addr, ()))
                                                - others if str(k).startswith("ndarray")])
                os.kill(victim_pid, signal.SIGKILL)
                killed["at"] = time.perf_counter()
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    try:
        seconds, search = _timed_search("skmlp", args, X, y)
        outcome = "finished"
    except Exception as exc:  # report whatever dask raises
        seconds, search = time.perf_counter() - t0, None
        outcome = f"raised {type(exc).__name__}: {exc}"
    thread.join()
    print(f"worker {victim_pid} killed {killed.get('at', float('nan')) - t0:.2f} s into the "
          f"search, holding the only copy of {killed.get('only_on_victim')} scattered "
          f"array(s); the search {outcome} after {seconds:.2f} s")
    time.sleep(2)
    print(f"workers before: {sorted(pids.values())}, after: "
          f"{sorted(client.run(os.getpid).values())}")
    if search is not None:
        same = (search.best_params_ == reference.best_params_ and np.array_equal(
            search.cv_results_["mean_test_score"], reference.cv_results_["mean_test_score"]))
        print(f"same best_params_ and mean test scores as the undisturbed search: {same}")


def _data(n_rows, n_features, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_rows, n_features))
    W = rng.standard_normal((n_features, 10))
    return X, (X @ W + rng.standard_normal((n_rows, 10))).argmax(axis=1)


@contextlib.contextmanager
def _timing(cls, name):
    """Yield a list that gets the seconds of every call of ``cls.name`` meanwhile."""
    times, method = [], getattr(cls, name)

    def timed(*a, **k):
        t0 = time.perf_counter()
        out = method(*a, **k)
        times.append(time.perf_counter() - t0)
        return out

    setattr(cls, name, timed)
    try:
        yield times
    finally:
        setattr(cls, name, method)


def _eval_times(client, X, y, args):
    """Seconds of each evaluation in a short lbfgs fit: locally (``client`` None) or on
    persisted blocks."""
    import dask.array as da

    from skmlp import MLPClassifierNB, _dask_fit, _lbfgs

    mlp = MLPClassifierNB(hidden_layer_sizes=(args.hidden,), solver="lbfgs",
                          max_iter=args.iters, random_state=0)
    if client is None:
        with _timing(_lbfgs.LocalObjective, "__call__") as times:
            mlp.fit(X, y)
        return times[1:]
    chunk = -(-X.shape[0] // args.blocks)
    with client.as_current(), _timing(_dask_fit.ClusterObjective, "sums") as times:
        mlp.fit(da.from_array(X, chunks=(chunk, X.shape[1])).persist(),
                da.from_array(y, chunks=chunk).persist())
    return times[1:]  # the first one moves theta's key to the workers for the first time


def _throughput(clients, args):
    X, y = _data(args.rows, args.features)
    print(f"one evaluation, {args.rows} x {args.features} float64, {args.blocks} blocks, "
          f"hidden ({args.hidden},), 10 classes; median over {args.iters} evaluations")
    best = {n: [] for n in clients}
    for r in range(args.repeats):  # alternate: the machine is shared and noisy
        for n, client in clients.items():
            best[n].append(statistics.median(_eval_times(client, X, y, args)))
        print(f"  repeat {r}: " + ", ".join(f"{n}: {v[-1] * 1e3:.0f} ms" for n, v in best.items()))
    ratios = [a / b for a, b in zip(best["1 worker"], best["2 workers"])]
    print(f"  2 workers vs 1: speed-up per repeat {', '.join(f'{q:.2f}' for q in ratios)}")
    for n in args.scale_rows:
        med = statistics.median(_eval_times(clients["2 workers"], *_data(n, args.features), args))
        print(f"  2 workers, {n} rows: {med * 1e3:.0f} ms per evaluation")


def _averaging(client, args):
    import dask.array as da
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
    with client.as_current():
        Xd, yd = da.from_array(Xtr, chunks=(block, 20)), da.from_array(ytr, chunks=block)
        for k in args.sync:
            t0 = time.perf_counter()
            fitted = est.set_params(dask_sync_batches=k).fit(Xd, yd)
            print(f"  dask_sync_batches={k}: accuracy {fitted.score(Xte, yte):.3f}, "
                  f"final loss {fitted.loss_:.4f}, {time.perf_counter() - t0:.1f} s")


def _scaling(args):
    from distributed import Client, LocalCluster

    warnings.simplefilter("ignore")
    with contextlib.ExitStack() as stack:
        clients = {"local": None, **{f"{n} worker{'s' * (n > 1)}": stack.enter_context(Client(
            stack.enter_context(LocalCluster(n_workers=n, silence_logs=logging.ERROR,
                                             **CLUSTER)))) for n in (1, 2)}}
        if not args.skip_throughput:
            _throughput(clients, args)
        _averaging(clients["2 workers"], args)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--workers", 2), ("--n-iter", 8), ("--cv", 3), ("--repeats", 3),
                          ("--kill-after", 0.0), ("--rows", 100_000), ("--features", 50),
                          ("--hidden", 64), ("--blocks", 8), ("--iters", 6), ("--avg-rows", 8000),
                          ("--scale-rows", [25_000, 50_000, 100_000, 200_000]),
                          ("--sync", [1, 2, 5, 10])):
        many = isinstance(default, list)
        parser.add_argument(flag, type=int if many else type(default), default=default,
                            nargs="*" if many else None)
    parser.add_argument("--epochs", type=int, help="default 30; 10 with --scaling")
    for flag, what in (("--kill-worker", "kill a worker mid-search (after --kill-after s) and "
                        "report"), ("--scatter", "broadcast X, y and the fold indices to every "
                       "worker first"), ("--scaling", "measure training on 1 and 2 workers "
                       "instead of the search"), ("--skip-throughput", "--scaling: only the "
                       "averaging interval")):
        parser.add_argument(flag, action="store_true", help=what)
    args = parser.parse_args(argv)
    args.epochs = args.epochs or (10 if args.scaling else 30)
    if args.scaling:
        return _scaling(args)
    from distributed import Client, LocalCluster
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    with LocalCluster(n_workers=args.workers, **CLUSTER) as cluster, Client(cluster) as client:
        (_kill_worker if args.kill_worker else _compare)(args, client, X, y)


if __name__ == "__main__":
    main()
