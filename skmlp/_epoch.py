"""The compiled engine: one call trains an epoch, evaluates the full loss and
gradient, or predicts.

Python calls it once per epoch (stochastic solvers), once per function
evaluation (L-BFGS) or once per ``predict``; every per-batch operation happens
inside. All three jobs go through the one compiled function :func:`run_epoch`
(selected by ``mode``), because every compiled entry point re-optimises the
forward and backward code it inlines: three entry points cost a fresh
environment about three times the compile time of one (measured: first fit
14 s, then the first predict another 10 s, before they were merged).
:func:`train_epoch`, :func:`loss_gradient` and :func:`predict_rows` are thin
Python wrappers with the argument lists each job needs.

Argument groups are tuples so that signatures stay short and every call site
passes the same types (one compiled specialisation per dtype):

- ``data = (X, sp_data, sp_indices, sp_indptr, Y, sw)``: dense X (or an empty
  placeholder when X is sparse), the CSR arrays (empty when X is dense), the
  targets as a 2-D float array and the sample weights. The Python layer passes
  them as read-only views, so read-only input (joblib memmaps) needs no second
  compilation.
- ``net = (units, acts, keep)``: see :mod:`skmlp._kernels`.
- ``work``: workspaces and their layout, allocated once per fit
  (``_data.workspace``).
- ``hyper``: float64 array of scalars, indexed by the ``H_*`` constants below
  and filled by :func:`hyper_array`.
- ``counters``: int64 array of shape (1 + threads,), advanced in place: Adam's
  update count, then each thread's dropout generator state (64 bits).
- ``team`` (:class:`~skmlp._data.Team`): this thread's place when a batch is
  split across threads; None otherwise (a specialisation without the team's
  code).

Splitting a batch (``n_jobs``): :func:`train_epoch` runs the engine once per
thread, on threads of its own, each with its own workspace. Thread ``t`` takes
rows ``[nb * t // size, nb * (t + 1) // size)`` of every batch and writes its
part of the gradient into ``team.grads[t]``; the threads meet at a spin
barrier (:mod:`skmlp._sync`), each adds the parts of its share of the
parameters in thread order and steps them, and they meet again before the next
batch reads the weights. Every sum has a fixed order, so a fixed number of
threads gives bitwise-reproducible weights; it is a different order from one
thread's, so the rounding (not the mathematics) differs from a one-thread fit.
"""

import math
from functools import partial as partial_job

import numpy as np

from ._crew import borrowed_crew
from ._data import KernelData, Squad, Team, chunk_rows, workspace
from ._jit import jit
from ._kernels import backward, forward, output_delta
from ._optim import (
    ADAM,
    HP_BETA_1,
    HP_BETA_2,
    HP_EPSILON,
    HP_LR,
    HP_MOMENTUM,
    HP_ONE_MINUS_BETA_1,
    HP_ONE_MINUS_BETA_2,
    HP_REG,
    HP_TINY,
    HP_ZERO,
    adam_step,
    reduce_gradients,
    sgd_step,
)
from ._sync import SYNC_ABORT, SYNC_SIZE, barrier

# Modes of run_epoch besides the optimizers' codes (_optim.SGD, _optim.ADAM).
EVALUATE = -1  # forward pass and loss only
GRADIENT = -2  # full-data loss and gradient, accumulated over chunks (L-BFGS)
PREDICT = -3  # forward pass; outputs written into the ``moments`` argument

H_LR = 0
H_MOMENTUM = 1
H_NESTEROV = 2
H_BETA_1 = 3
H_BETA_2 = 4
H_EPSILON = 5
H_ALPHA = 6
H_OUT_SCALE = 7
H_CLIP_EPS = 8
H_TINY = 9
N_HYPER = 10


def hyper_array(dtype, *, learning_rate=0.0, momentum=0.9, nesterov=True, beta_1=0.9,
                beta_2=0.999, epsilon=1e-8, alpha=0.0, out_scale=1.0):
    """The engine's ``hyper`` array: every scalar :func:`run_epoch` reads.

    The one place that fills the ``H_*`` slots, for the estimators and the tests.
    ``dtype`` (the model's) sets the probability clip and the subnormal limit.
    """
    h = np.zeros(N_HYPER, dtype=np.float64)
    h[H_LR] = learning_rate
    h[H_MOMENTUM] = momentum
    h[H_NESTEROV] = float(nesterov)
    h[H_BETA_1] = beta_1
    h[H_BETA_2] = beta_2
    h[H_EPSILON] = epsilon
    h[H_ALPHA] = alpha
    h[H_OUT_SCALE] = out_scale
    h[H_CLIP_EPS] = np.finfo(dtype).eps
    h[H_TINY] = np.finfo(dtype).tiny
    return h


@jit
def run_epoch(data, order, batch_size, net, theta, hyper, mode, moments, counters,
              work, team):
    """Run one pass over ``X[order]`` in batches of ``batch_size`` rows.

    Parameters
    ----------
    data, net, work, hyper, counters : tuples and arrays
        See the module docstring.
    order : ndarray of shape (n_rows,), int64
        Sample indices in the order this pass visits them.
    batch_size : int
        Rows per minibatch (or chunk); the last batch holds the remainder.
    theta : ndarray of shape (n_params,)
        Packed parameters, updated in place when training.
    mode : int
        ``_optim.SGD`` or ``_optim.ADAM``: train (one optimizer step per batch,
        dropout active). ``EVALUATE``: loss only (and the outputs into
        ``moments`` when it has one row per visited sample). ``GRADIENT``: loss
        and gradient over all rows into ``work.G``. ``PREDICT``: outputs into
        ``moments``.
    moments : ndarray
        Training: shape (2, n_params), SGD velocity in row 0 or Adam's first
        and second moments. ``PREDICT`` and ``EVALUATE``: the output array,
        shape (n_rows, n_outputs) (same type, so no second compilation).
    team : _data.Team or None
        This thread's place when training splits every batch across
        ``team.size`` threads (see :func:`train_epoch`); None otherwise, and
        always outside training. Thread ``tid`` runs the
        forward and backward passes of its share of the batch's rows into
        ``team.grads[tid]``, waits for the others, then sums the parts (in
        thread order) and steps its share of the parameters; a second wait
        ends the batch. Every thread returns the same loss.

    Returns
    -------
    value : float
        Training and ``EVALUATE``: the sum over batches of ``batch_loss *
        batch_rows`` (scikit-learn's accumulation; the caller divides by the
        number of rows). ``GRADIENT``: the loss, L2 term included, consistent
        with the gradient when ``hyper[H_OUT_SCALE]`` is 1. ``PREDICT``: 0.
        NaN when another thread of the team failed.
    """
    Y, sw = data.Y, data.sw
    acts = net.acts
    D, off = work.D, work.off
    G = work.G  # this thread's part of the gradient (team.grads[tid] in a team)
    # ``team is None`` is decided at compile time: a one-thread call compiles
    # none of the team's code.
    if team is None:
        tid = 0
        size = 1
    else:
        tid = team.tid
        size = team.size
    n_params = theta.shape[0]
    n_coef = off[1, 0]
    out_code = acts[acts.shape[0] - 1]
    lr = hyper[H_LR]
    alpha = hyper[H_ALPHA]
    out_scale = hyper[H_OUT_SCALE]
    clip_eps = hyper[H_CLIP_EPS]
    tiny = hyper[H_TINY]
    beta_1 = hyper[H_BETA_1]
    beta_2 = hyper[H_BETA_2]
    nesterov = hyper[H_NESTEROV] != 0.0
    train = mode >= 0
    # Step scalars in theta's dtype (see _optim), in this thread's own array.
    hp = work.hp
    if train:
        hp[HP_MOMENTUM] = hyper[H_MOMENTUM]
        hp[HP_BETA_1] = beta_1
        hp[HP_ONE_MINUS_BETA_1] = 1.0 - beta_1
        hp[HP_BETA_2] = beta_2
        hp[HP_ONE_MINUS_BETA_2] = 1.0 - beta_2
        hp[HP_EPSILON] = hyper[H_EPSILON]
        hp[HP_TINY] = tiny
        hp[HP_ZERO] = 0.0
    rng = counters[1 + tid : 2 + tid]  # each thread draws its own dropout stream
    step = counters[0]
    # This thread's share of the parameters in the optimizer step.
    p_lo = n_params * tid // size
    p_hi = n_params * (tid + 1) // size
    phase = tid - tid  # 0, typed as a plain integer: one barrier specialisation
    parity = 0
    n = order.shape[0]
    keep_outputs = mode == PREDICT or (mode == EVALUATE and moments.shape[0] == n)
    sw_total = 0.0
    if mode == GRADIENT:
        for i in range(n):
            sw_total += sw[order[i]]
    total = 0.0
    have_grad = False
    for start in range(0, n, batch_size):
        # (Conditionals, not min(): each builtin compiles a function of its own.)
        stop = start + batch_size if start + batch_size < n else n
        batch = order[start:stop]
        sw_sum = 0.0
        if mode != PREDICT:
            for i in range(batch.shape[0]):
                sw_sum += sw[batch[i]]
            if sw_sum == 0.0 and not keep_outputs:
                # A batch of zero-weight samples carries no gradient (and would
                # divide by zero): it contributes nothing, as if it were absent.
                continue
        # This thread's rows of the batch (all of them in a team of one).
        r_lo = batch.shape[0] * tid // size
        rows = batch[r_lo : batch.shape[0] * (tid + 1) // size]
        nb = rows.shape[0]
        loss = 0.0
        empty = False
        if team is not None:
            empty = nb == 0
        if empty:
            # More threads than rows in this batch: an empty share, no gradient.
            for p in range(n_params):
                G[p] = 0.0
        else:
            # One call site per kernel: each site is a copy for LLVM to optimise.
            P = forward(data, rows, net, theta, work, rng, train, tiny)
            if keep_outputs:
                # An explicit loop, not ``moments[start:stop] = P``: a slice
                # assignment between arrays compiles Numba's shape-mismatch
                # error formatting, which cost about 5 s of every cold first fit.
                for i in range(nb):
                    for j in range(P.shape[1]):
                        moments[start + r_lo + i, j] = P[i, j]
                if mode == PREDICT or sw_sum == 0.0:
                    continue
            k = P.shape[1]
            lo = off[2, acts.shape[0] - 1]
            Dout = D[lo : lo + nb * k].reshape((nb, k))
            norm = 1.0 / (sw_total if mode == GRADIENT else sw_sum)
            loss = output_delta(P, Y, sw, rows, norm, out_code, clip_eps, Dout)
            if mode == EVALUATE:
                total += loss / sw_sum * out_scale * nb
                continue
            backward(data, rows, net, theta, work, have_grad and mode == GRADIENT,
                     train, tiny)
        if mode == GRADIENT:
            total += loss
            have_grad = True
            continue
        if team is not None:
            team.partial[parity, tid, 0] = loss
            phase = barrier(team.sync, size, phase)
            if phase < 0:
                return np.nan  # another thread failed
        if team is None:
            grad = G
        else:
            # The parts of this thread's share of the parameters, summed in order.
            reduce_gradients(team.grads, p_lo, p_hi)
            grad = team.grads[0]
        hp[HP_REG] = alpha / sw_sum
        if mode == ADAM:
            step += 1
            hp[HP_LR] = lr * math.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
            sq = adam_step(theta, grad, moments[0], moments[1], p_lo, p_hi, n_coef, hp)
        else:
            hp[HP_LR] = lr
            sq = sgd_step(theta, grad, moments[0], p_lo, p_hi, n_coef, hp, nesterov)
        if team is not None:
            partial = team.partial
            partial[parity, tid, 1] = sq
            phase = barrier(team.sync, size, phase)
            if phase < 0:
                return np.nan
            # Every thread adds the parts in the same order: the same loss.
            loss = 0.0
            sq = 0.0
            for t in range(size):
                loss += partial[parity, t, 0]
                sq += partial[parity, t, 1]
            # The next batch writes the other half, so a thread that is ahead
            # never overwrites parts that a slower one has yet to read.
            parity = 1 - parity
        batch_loss = loss / sw_sum * out_scale + 0.5 * alpha * sq / sw_sum
        total += batch_loss * batch.shape[0]
    if train and tid == 0:
        counters[0] = step
    if mode != GRADIENT:
        return total
    # L2 term of the full-data objective, in the same pass that reads theta.
    norm = 1.0 / sw_total
    reg = alpha * norm
    sq = 0.0
    for p in range(n_coef):
        t = theta[p]
        sq += t * t
        G[p] += reg * t
    return total * norm * out_scale + 0.5 * alpha * sq * norm


_NO_COUNTERS = np.zeros(2, dtype=np.int64)  # predict never advances them


def new_counters(n_threads=1):
    """A fresh ``counters`` array: no Adam step taken, dropout generators unseeded.

    Slot 0 counts Adam's steps; slot ``1 + t`` is thread ``t``'s dropout state.
    """
    return np.zeros(1 + n_threads, dtype=np.int64)


def train_epoch(data, order, batch_size, net, theta, hyper, opt_code, moments, counters,
                work):
    """One epoch of minibatch training (or ``EVALUATE``); see :func:`run_epoch`.

    ``work`` is a :class:`~skmlp._data.Work` (one thread) or a
    :class:`~skmlp._data.Squad` (every batch split across its threads; training
    modes only, and ``counters`` needs a slot per thread).
    """
    if not isinstance(work, Squad):
        return run_epoch(data, order, batch_size, net, theta, hyper, opt_code, moments,
                         counters, work, None)
    return _train_epoch_threaded(data, order, batch_size, net, theta, hyper, opt_code,
                                 moments, counters, work)


def _train_epoch_threaded(data, order, batch_size, net, theta, hyper, opt_code, moments,
                          counters, squad):
    size = len(squad.works)
    if opt_code < 0 or counters.shape[0] < 1 + size:
        raise ValueError("a split epoch needs a training mode and a counter per thread")
    sync = np.zeros(SYNC_SIZE, dtype=np.int64)
    partial = np.zeros((2, size, 2), dtype=np.float64)
    failures = []
    results = [np.nan] * size

    def member(tid):
        try:
            results[tid] = run_epoch(
                data, order, batch_size, net, theta, hyper, opt_code, moments, counters,
                squad.works[tid], Team(tid, size, sync, squad.grads, partial))
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller
            failures.append(exc)
            sync[SYNC_ABORT] = 1  # the others stop waiting at their next barrier

    def abort():
        sync[SYNC_ABORT] = 1

    with borrowed_crew(size - 1) as crew:
        crew.run([partial_job(member, t) for t in range(size)], abort)
    if failures:
        raise failures[0]
    return results[0]


def loss_gradient(data, net, theta, hyper, work, chunk):
    """Full-data loss and gradient (for L-BFGS), in chunks of ``chunk`` rows.

    The gradient is written to ``work.G``; the loss is returned. Both include
    the L2 term ``0.5 * alpha * ||W||^2 / sum(sw)``, and the loss is
    ``hyper[H_OUT_SCALE]`` times the data term, so that with scale 1 the pair is
    exactly consistent (what a line search needs). ``work`` must come from
    ``_data.workspace(..., with_accumulator=True)`` with room for ``chunk`` rows.
    """
    n = data.Y.shape[0]
    order = np.arange(n, dtype=np.int64)
    order.flags.writeable = False
    moments = np.empty((0, 0), dtype=theta.dtype)
    return run_epoch(data, order, chunk, net, theta, hyper, GRADIENT, moments,
                     new_counters(), work, None)


def evaluate_rows(data, rows, net, theta, hyper, work, out):
    """Loss over ``X[rows]`` (the caller divides by the rows) and outputs into ``out``.

    No dropout and no update: what a validation pass needs, in one pass.
    ``work`` must have room for ``rows.shape[0]`` rows or more; ``out`` has shape
    ``(len(rows), n_outputs)``.
    """
    cap = work.A.shape[0] // max(1, int(np.sum(net.units[1:])))
    return run_epoch(data, rows, cap, net, theta, hyper, EVALUATE, out, new_counters(),
                     work, None)


# Read-only inputs of every predict call, made once per dtype and output width.
_PREDICT_CONSTANTS = {}


def _predict_constants(dtype, n_out):
    key = (np.dtype(dtype), n_out)
    c = _PREDICT_CONSTANTS.get(key)
    if c is None:
        Y = np.empty((0, n_out), dtype=dtype)
        sw = np.empty(0, dtype=dtype)
        hyper = hyper_array(dtype)  # writable, as in training: one specialisation
        for a in (Y, sw):
            a.flags.writeable = False
        c = _PREDICT_CONSTANTS[key] = (Y, sw, hyper)
    return c


def predict_rows(data, rows, net, theta, out, cap=None, unit_layout=None):
    """Output-layer activations for ``X[rows]`` into ``out``, in chunks.

    ``data`` is ``(X, sp_data, sp_indices, sp_indptr)``; chunks have ``cap``
    rows (default: ``_data.chunk_rows``). ``unit_layout``: see
    ``_data.workspace``.
    """
    if not theta.flags.writeable:
        theta = theta.copy()  # the engine is specialised for a writable theta
    dtype = theta.dtype
    Y, sw, hyper = _predict_constants(dtype, out.shape[1])
    cap = chunk_rows(rows.shape[0], net.units) if cap is None else cap
    work = workspace(net, cap, dtype, data[3].shape[0] == 0, forward_only=True,
                     unit_layout=unit_layout)
    # The same named tuples as training, so this is the same specialisation.
    run_epoch(KernelData(*data, Y, sw), rows, cap, net, theta, hyper, PREDICT, out,
              _NO_COUNTERS, work, None)
