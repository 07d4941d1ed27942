"""Threading policy for training: BLAS threads, and threads that split a batch.

The kernels themselves are single-threaded; matrix products run in the BLAS
that ``skmlp._blas`` binds (NumPy's OpenBLAS, or SciPy's), which uses every core
by default. For the
small products of small networks or small batches, waking and synchronising a
second BLAS thread costs more than the product: on a 2-core machine a
200x64 @ 64x64 product took 59 us on one thread and several milliseconds on two
when the other core was busy. Training therefore runs on one BLAS thread
unless the largest per-batch product is big enough to be worth splitting.

The limit is process-wide (BLAS has one thread setting). It is reference
counted: the first fit to need it saves the current setting and lowers it, the
last one to finish restores it, so fits overlapping in several threads never
leave the process on one BLAS thread. It only ever lowers the thread count, so
a caller's own ``threadpoolctl`` limit is respected.

The second core is then used by splitting every batch's rows across threads
(``n_jobs``, see :func:`batch_threads` and :mod:`skmlp._epoch`), each running
single-threaded BLAS on its share. Large networks split too when ``n_jobs``
asks: their products then run on the engine's threads rather than BLAS's, and
everything between the products is shared as well (MNIST's 784-300-100-10 at
batch 200: 7-16% faster in float64 and 15-19% in float32 than BLAS's two threads
with the rest on one core, three measurements on a 2-core Xeon: docs/benchmarks.md
and docs/errors_and_threads.md). Each thread holds a gradient buffer of the
parameters' size; many threads on a very large network cost that much memory.
"""

import threading
from contextlib import contextmanager, nullcontext

from joblib import cpu_count
from threadpoolctl import ThreadpoolController

# Multiply-adds of the largest product per batch above which two or more BLAS
# threads pay off (MNIST 784-300-100 at batch 200: 47M; tabular 50-64-64 at
# batch 200: 0.8M).
MULTITHREAD_MIN_MACS = 1 << 22

_controller = None
_lock = threading.Lock()
_users = 0
_limiter = None


def _get_controller():
    global _controller
    if _controller is None:
        # Load every BLAS the engine may call before looking for libraries.
        import scipy.linalg.cython_blas  # noqa: F401

        _controller = ThreadpoolController()
    return _controller


# Fewest rows of a batch per thread: below it, the two meetings per batch and
# the smaller products cost more than the second core gives back.
MIN_ROWS_PER_THREAD = 8


def _largest_product(units):
    return max(int(units[i]) * int(units[i + 1]) for i in range(len(units) - 1))


def resolve_n_jobs(n_jobs):
    """``n_jobs`` as a number of this process's threads.

    None is 1, -1 every usable core, -2 all but one, and so on (joblib's
    counting, with joblib's count of usable cores). Unlike ``joblib.Parallel``,
    a :func:`joblib.parallel_config` context does not change None: the
    threads that split a batch are local, whereas the context may name a
    cluster (inside a Dask worker it reports the whole cluster's threads).
    Raises ``ValueError`` for 0.
    """
    if n_jobs is None:
        return 1
    if n_jobs == 0:
        raise ValueError("n_jobs == 0 has no meaning")
    if n_jobs < 0:
        return max(1, cpu_count() + 1 + int(n_jobs))
    return int(n_jobs)


def batch_threads(n_jobs, units, rows):
    """Threads that split each batch of ``rows`` rows: ``n_jobs``'s, at most.

    Every thread gets at least ``MIN_ROWS_PER_THREAD`` rows. A network whose
    products would run on every core through BLAS splits too: its threads run
    single-threaded BLAS on their rows (:func:`blas_threads_for`), and the rest
    of a step (the elementwise passes, the loss, the optimizer step) is shared
    as well instead of running on one core between the products. The result
    depends only on ``n_jobs``, the network and the batch size, never on the
    machine's load, so a seed gives the same weights from run to run.
    """
    n = resolve_n_jobs(n_jobs)
    if n <= 1:
        return 1
    return max(1, min(n, rows // MIN_ROWS_PER_THREAD))


def blas_threads_for(units, rows, n_threads=1):
    """Context manager limiting BLAS to one thread where more do not pay.

    That is for small products, and whenever ``n_threads`` threads of the
    engine split each batch: each of them calls BLAS on its own rows, and a
    second BLAS thread per caller would only oversubscribe the cores.

    Parameters
    ----------
    units : sequence of int
        Units per layer, input first.
    rows : int
        Rows per batch (or chunk).
    n_threads : int, default=1
        Threads that split each batch (:func:`batch_threads`).
    """
    if n_threads == 1 and _largest_product(units) * rows >= MULTITHREAD_MIN_MACS:
        return nullcontext()
    return _one_blas_thread()


@contextmanager
def _one_blas_thread():
    global _users, _limiter
    with _lock:
        if _users == 0:
            _limiter = _get_controller().limit(limits=1, user_api="blas")
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                _limiter.restore_original_limits()
                _limiter = None
