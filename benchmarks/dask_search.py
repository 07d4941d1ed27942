"""The same hyperparameter search on a local Dask cluster, skmlp against scikit-learn.

``RandomizedSearchCV(Pipeline(StandardScaler, MLP))`` on digits under joblib's dask backend
(worker processes, one thread each), the libraries alternating per repeat after an untimed
warm-up search each. ``--kill-worker``: one skmlp search undisturbed, then one while a
worker is killed (SIGKILL): did it finish, when, with the same results? ``--scatter``
copies X, y and the folds to every worker first. ``pip install ".[dask]"`` first.
"""

import argparse
import os
import signal
import statistics
import threading
import time
import warnings

import numpy as np


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--workers", 2), ("--n-iter", 8), ("--cv", 3), ("--epochs", 30),
                          ("--repeats", 3), ("--kill-after", 0.0)):
        parser.add_argument(flag, type=type(default), default=default)
    parser.add_argument("--kill-worker", action="store_true",
                        help="kill a worker mid-search (after --kill-after s) and report")
    parser.add_argument("--scatter", action="store_true",
                        help="broadcast X, y and the fold indices to every worker first")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        (_kill_worker if args.kill_worker else _compare)(args, client, X, y)


if __name__ == "__main__":
    main()
