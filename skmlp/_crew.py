"""Worker threads kept for the whole process (the threads of a split batch).

A fit with ``n_jobs > 1`` runs every epoch on the calling thread and on
``n_jobs - 1`` workers. Starting new threads for every epoch, or every fit,
cost more than their start-up time: the kernel first places a new thread on
its parent's core and moves it only later, so the two halves of a batch often
took turns on one core (the same tabular fit took 40 to 58 ms from one run to
the next). Workers are therefore kept in a pool and reused: each is placed
once. Idle workers block on a queue and use no CPU.

Fits running at the same time in several threads each borrow their own crew.
A forked child process starts with an empty pool (the parent's threads do not
exist there).
"""

import ctypes
import os
import queue
import sys
import threading
from contextlib import contextmanager


def _current_cpu():
    """The core the calling thread runs on (Linux), else None."""
    return _sched_getcpu() if _sched_getcpu is not None else None


def _load_sched_getcpu():
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sched_getcpu
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_int
    fn.argtypes = []
    return fn


_sched_getcpu = _load_sched_getcpu()


def _step_aside(caller_cpu):
    """Leave the caller's core if the scheduler woke this thread on it.

    The kernel tends to wake a thread on the core of the thread that woke it;
    the two halves of a batch then take turns on one core while the other
    idles (a tabular fit with n_jobs=2 took 0.109 s instead of 0.05 s). The
    thread moves off that core by narrowing its affinity for an instant and
    then restores it, so the scheduler stays free to move it later (threads
    pinned for good were 17 times slower when another process held a core).
    """
    if caller_cpu is None or _current_cpu() != caller_cpu:
        return
    allowed = os.sched_getaffinity(0)
    others = allowed - {caller_cpu}
    if others:
        os.sched_setaffinity(0, others)
        os.sched_setaffinity(0, allowed)


def _serve(jobs, done):
    while True:
        item = jobs.get()
        if item is None:
            return
        job, caller_cpu = item
        try:
            _step_aside(caller_cpu)
            job()
        finally:
            done.put(None)  # a job that raised must not leave run() waiting


class Crew:
    """``n_workers`` threads that each run one job per :meth:`run` call.

    Jobs report their own errors (the engine's wrapper catches them and stops
    the other threads).
    """

    def __init__(self, n_workers):
        self.n_workers = n_workers
        self._jobs = [queue.SimpleQueue() for _ in range(n_workers)]
        self._done = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=_serve, args=(q, self._done), daemon=True,
                             name=f"skmlp-batch-{t + 1}")
            for t, q in enumerate(self._jobs)
        ]
        for th in self._threads:
            th.start()

    def run(self, jobs):
        """Run ``jobs[0]`` here and ``jobs[1:]`` on the workers; wait for all."""
        cpu = _current_cpu()
        for q, job in zip(self._jobs, jobs[1:], strict=True):
            q.put((job, cpu))
        try:
            jobs[0]()
        finally:
            for _ in self._jobs:
                self._done.get()

    def close(self):
        """End the worker threads."""
        for q in self._jobs:
            q.put(None)
        for th in self._threads:
            th.join()


_lock = threading.Lock()
_idle = {}  # n_workers -> list of idle crews


@contextmanager
def borrowed_crew(n_workers):
    """A crew of ``n_workers`` threads from the pool (made if none is idle)."""
    with _lock:
        free = _idle.get(n_workers)
        crew = free.pop() if free else None
    if crew is None:
        crew = Crew(n_workers)
    try:
        yield crew
    finally:
        with _lock:
            _idle.setdefault(n_workers, []).append(crew)


def _forget_after_fork():
    global _lock
    _lock = threading.Lock()
    _idle.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
