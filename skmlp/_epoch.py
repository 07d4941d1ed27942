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
  placeholder when X is sparse), the CSR arrays (None when X is dense), the
  targets as a 2-D float array and the sample weights. The Python layer passes
  them as read-only views, so read-only input (joblib memmaps) needs no second
  compilation.
- ``net`` (:class:`~skmlp._data.Net`): layer sizes, activation codes, dropout,
  the loss; see :mod:`skmlp._kernels`.
- ``work``: workspaces and their layout, allocated once per fit
  (``_data.workspace``).
- ``hyper``: float64 array of scalars, indexed by the ``H_*`` constants of
  :mod:`skmlp._hyper` and filled by :func:`hyper_array`.
- ``counters``: int64 array of shape (1 + threads,), advanced in place: the
  optimizer's step count, then each thread's dropout generator state (64 bits).
- ``team`` (:class:`~skmlp._data.Team`): this thread's place when a batch is
  split across threads; None otherwise (a specialisation without the team's
  code).

Splitting a batch (``n_jobs``): :func:`train_epoch` runs the engine once per
thread, on threads of its own, each with its own workspace. Thread ``t`` takes
rows ``[nb * t // size, nb * (t + 1) // size)`` of every batch and writes its
part of the gradient into ``team.grads[t]``; the threads meet at a spin
barrier (:mod:`skmlp._sync`), each adds the parts of its share of the
parameters in thread order and steps them, and they meet again before the next
batch reads the weights. Batch-normalised layers meet inside the passes too,
for the whole batch's statistics (:mod:`skmlp._batch_norm`). Every sum has a
fixed order, so a fixed number of threads gives bitwise-reproducible weights;
it is a different order from one thread's, so the rounding (not the
mathematics) differs from a one-thread fit.
"""

from functools import partial as partial_job

import numpy as np
from numba import types
from numba.extending import overload

from ._crew import borrowed_crew
from ._data import KernelData, Squad, Team, chunk_rows, workspace
from ._hyper import (  # noqa: F401 - the H_* slots are re-exported for the drivers
    H_ALPHA,
    H_BETA_1,
    H_BETA_2,
    H_CLIP_EPS,
    H_EPSILON,
    H_LR,
    H_MAX_GRAD_NORM,
    H_MOMENTUM,
    H_NESTEROV,
    H_OPTIMIZER,
    H_OUT_SCALE,
    H_TINY,
    H_WEIGHT_DECAY,
    N_HYPER,
    hyper_array,
)
from ._jit import jit, jit_inline
from ._kernels import backward, forward, output_delta
from ._optim import (
    HP_REG,
    clip_gradient,
    decay_coefficients,
    gradient_sq_norm,
    optimizer_step,
    reduce_gradients,
)
from ._sync import SYNC_ABORT, SYNC_SIZE, atomic_load, meet

# What run_epoch does (``mode``).
TRAIN = 0  # one optimizer step per batch (hyper[H_OPTIMIZER]), dropout active
EVALUATE = -1  # forward pass and loss only (and the outputs, when ``out`` has rows)
GRADIENT = -2  # full-data loss and gradient, accumulated over chunks (L-BFGS)
PREDICT = -3  # forward pass; outputs into ``out``


@jit
def run_epoch(data, order, batch_size, net, theta, hyper, mode, state, counters,
              work, team, out):
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
        ``TRAIN``, ``EVALUATE``, ``GRADIENT`` (the gradient into ``work.G``)
        or ``PREDICT``.
    state : ndarray of shape (n_rows_of_state, n_params)
        The optimizer's state (``_specs.OPTIMIZERS``), updated when training.
    team : _data.Team or None
        This thread's place when training splits every batch across
        ``team.size`` threads (see :func:`train_epoch`); None otherwise, and
        always outside training. Thread ``tid`` runs the forward and backward
        passes of its share of the batch's rows into ``team.grads[tid]``, waits
        for the others, then sums the parts (in thread order) and steps its
        share of the parameters; a second wait ends the batch. Every thread
        returns the same loss.
    out : ndarray of shape (n_rows, n_outputs) or (0, 0)
        ``PREDICT`` and ``EVALUATE``: the output activations of the visited
        rows, in visiting order; empty when not wanted.

    Returns
    -------
    value : float
        ``TRAIN`` and ``EVALUATE``: the sum over batches of ``batch_loss *
        batch_rows`` (scikit-learn's accumulation; the caller divides by the
        number of rows). ``GRADIENT``: the loss, L2 term included, consistent
        with the gradient when ``hyper[H_OUT_SCALE]`` is 1. ``PREDICT``: 0.
        NaN when another thread of the team failed.
    """
    # ``team is None`` is decided at compile time: a one-thread call compiles
    # none of the team's code.
    if team is None:
        tid = 0
        size = 1
    else:
        tid = team.tid
        size = team.size
    G = work.G  # this thread's part of the gradient (team.grads[tid] in a team)
    out_scale = hyper[H_OUT_SCALE]
    alpha = hyper[H_ALPHA]
    optimizer = int(hyper[H_OPTIMIZER])
    train = mode == TRAIN
    keep_outputs = (mode == PREDICT or mode == EVALUATE) and out.shape[0] > 0
    rng = counters[1 + tid : 2 + tid]  # each thread draws its own dropout stream
    step = counters[0]
    # This thread's share of the parameters in the optimizer step (the
    # running statistics of batch normalisation, at the end, are not stepped).
    n_stepped = work.off[8, 0]  # _data.layout: where the running statistics start
    p_lo = n_stepped * tid // size
    p_hi = n_stepped * (tid + 1) // size
    parity = 0
    n = order.shape[0]
    sw_total = _weight_sum(data.sw, order) if mode == GRADIENT else 0.0
    total = 0.0
    first = True
    for start in range(0, n, batch_size):
        # (Conditionals, not min(): each builtin compiles a function of its own.)
        batch = order[start : start + batch_size if start + batch_size < n else n]
        sw_sum = 1.0 if mode == PREDICT else _weight_sum(data.sw, batch)
        if sw_sum == 0.0 and not keep_outputs:
            # A batch of zero-weight samples carries no gradient (and would
            # divide by zero): it contributes nothing, as if it were absent.
            continue
        # This thread's rows of the batch (all of them in a team of one).
        r_lo = batch.shape[0] * tid // size
        rows = batch[r_lo : batch.shape[0] * (tid + 1) // size]
        loss = 0.0
        if rows.shape[0] == 0 and net.bn is None:
            # More threads than rows: an empty share, no gradient. (With batch
            # normalisation the passes run on zero rows instead: the thread
            # must meet the team at every normalised layer.)
            _fill(G, 0.0)
        else:
            # One call site per kernel: each site is a copy for LLVM to optimise.
            P = forward(data, rows, net, theta, work, rng, train, hyper[H_TINY], team,
                        batch.shape[0])
            if keep_outputs:
                _copy_rows(P, out, start + r_lo)
            if mode == PREDICT or sw_sum == 0.0:
                continue
            norm = 1.0 / (sw_total if mode == GRADIENT else sw_sum)
            loss = output_delta(P, data.Y, data.sw, rows, norm, net.loss, net.loss_par,
                                hyper[H_CLIP_EPS], _output_deltas(work, net, P), net.ext)
            if mode == EVALUATE:
                total += loss / sw_sum * out_scale * rows.shape[0]
                continue
            backward(data, rows, net, theta, work, mode == GRADIENT and not first, train,
                     hyper[H_TINY], team, batch.shape[0])
        if mode == GRADIENT:
            total += loss
            first = False
            continue
        grad = G
        if team is not None:
            if _team_gradient(team, parity, loss, p_lo, p_hi) < 0:
                return np.nan  # another thread failed
            grad = team.grads[0]
        work.hp[HP_REG] = alpha / sw_sum
        phase, decayed_sq = before_step(net.ext, team, parity, theta, grad, hyper,
                                        work.hp, p_lo, p_hi, work.off[1, 0])
        if phase < 0:
            return np.nan  # another thread failed
        step += 1
        sq = optimizer_step(optimizer, theta, grad, state, p_lo, p_hi, work.off[1, 0],
                            hyper, work.hp, step)
        if decayed_sq >= 0.0:
            sq = decayed_sq  # the norm before the decay: the loss's penalty
        if team is not None:
            loss, sq, phase = _team_totals(team, parity, sq)
            if phase < 0:
                return np.nan
            parity = 1 - parity
        batch_loss = loss / sw_sum * out_scale + 0.5 * alpha * sq / sw_sum
        total += batch_loss * batch.shape[0]
    if train and tid == 0:
        counters[0] = step
    if mode == GRADIENT:
        return _add_l2(theta, G, work.off[1, 0], alpha, out_scale, total, sw_total)
    return total


@jit
def _before_step(ext, team, parity, theta, grad, hyper, hp, lo, hi, n_coef):
    """Gradient clipping, then decoupled weight decay, on this thread's share.

    Returns the barrier's phase (negative: another thread failed) and the
    coefficients' squared norm before the decay (-1 without decay). The
    extended engine's (see :func:`before_step`).
    """
    phase = 0
    max_norm = hyper[H_MAX_GRAD_NORM]  # 0: no clipping
    if max_norm > 0.0:
        # The whole batch's norm (the threads' shares summed in thread
        # order), so every thread scales by the same factor.
        gsq = gradient_sq_norm(theta, grad, hp[HP_REG], lo, hi, n_coef)
        if team is not None:
            gsq, phase = _team_sum(team, parity, gsq)
            if phase < 0:
                return phase, -1.0
        clip_gradient(grad, hp, lo, hi, gsq, max_norm)
    if hyper[H_WEIGHT_DECAY] != 0.0:
        return phase, decay_coefficients(theta, grad, lo, hi, n_coef, hyper, hp)
    return phase, -1.0


def before_step(ext, team, parity, theta, grad, hyper, hp, lo, hi, n_coef):
    """:func:`_before_step` in the extended engine; in the core engine (``ext``
    None: neither clipping nor decay is on) a trivial function returning
    ``(0, -1.0)`` (see the note above ``_batch_norm.maybe_normalise``; compiled
    code only)."""


@overload(before_step)
def _before_step_typed(ext, team, parity, theta, grad, hyper, hp, lo, hi, n_coef):
    if isinstance(ext, types.NoneType):
        return lambda ext, team, parity, theta, grad, hyper, hp, lo, hi, n_coef: (0, -1.0)
    return (lambda ext, team, parity, theta, grad, hyper, hp, lo, hi, n_coef:
            _before_step(ext, team, parity, theta, grad, hyper, hp, lo, hi, n_coef))


@jit_inline
def _weight_sum(sw, rows):
    s = 0.0
    for i in range(rows.shape[0]):
        s += sw[rows[i]]
    return s


@jit_inline
def _fill(a, value):
    for p in range(a.shape[0]):
        a[p] = value


@jit_inline
def _copy_rows(P, out, start):
    """``out[start:start + len(P)] = P``.

    An explicit loop, not a slice assignment: that compiles Numba's
    shape-mismatch error formatting, which cost about 5 s of every cold first
    fit.
    """
    for i in range(P.shape[0]):
        for j in range(P.shape[1]):
            out[start + i, j] = P[i, j]


@jit_inline
def _output_deltas(work, net, P):
    """The output layer's delta region, shaped as its activations ``P``."""
    lo = work.off[2, net.acts.shape[0] - 1]
    return work.D[lo : lo + P.shape[0] * P.shape[1]].reshape(P.shape)


@jit_inline
def _team_gradient(team, parity, loss, p_lo, p_hi):
    """Publish this thread's loss, wait for the team, sum its share of the gradient.

    The parts of the parameters ``p_lo:p_hi`` are added into ``team.grads[0]``
    in thread order. Returns the barrier's phase (negative: a thread failed,
    here or at a meeting inside the passes, whose abort flag stays set).
    """
    team.partial[parity, team.tid, 0] = loss
    phase = meet(team.sync, team.size)
    if atomic_load(team.sync, SYNC_ABORT) != 0:
        phase = -1
    if phase >= 0:
        reduce_gradients(team.grads, p_lo, p_hi)
    return phase


@jit_inline
def _team_sum(team, parity, value):
    """``value`` summed over the team in thread order (``team.partial``'s third
    column), after a barrier; returns the sum and the barrier's phase."""
    team.partial[parity, team.tid, 2] = value
    phase = meet(team.sync, team.size)
    total = 0.0
    for t in range(team.size):
        total += team.partial[parity, t, 2]
    return total, phase


@jit_inline
def _team_totals(team, parity, sq):
    """After the step: the batch's loss and squared norm, summed over the team.

    Every thread adds the parts in the same order, so all return the same
    numbers. The next batch writes the other half of ``team.partial``, so a
    thread that is ahead never overwrites parts a slower one has yet to read.
    """
    team.partial[parity, team.tid, 1] = sq
    phase = meet(team.sync, team.size)
    loss = 0.0
    sq = 0.0
    for t in range(team.size):
        loss += team.partial[parity, t, 0]
        sq += team.partial[parity, t, 1]
    return loss, sq, phase


@jit_inline
def _add_l2(theta, G, n_coef, alpha, out_scale, total, sw_total):
    """The full-data objective: the L2 term added to the loss and the gradient.

    In the same pass that reads theta; the loss is ``out_scale`` times the
    data term plus the penalty.
    """
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
    """One epoch of minibatch training; see :func:`run_epoch`.

    ``opt_code`` is the optimizer's code (``_specs.OPTIMIZERS``), or
    ``EVALUATE`` for the loss alone; ``moments`` is the optimizer's state.
    ``work`` is a :class:`~skmlp._data.Work` (one thread) or a
    :class:`~skmlp._data.Squad` (every batch split across its threads; training
    only, and ``counters`` needs a slot per thread).
    """
    mode = EVALUATE if opt_code == EVALUATE else TRAIN
    if mode == TRAIN:
        hyper = hyper.copy()
        hyper[H_OPTIMIZER] = opt_code
    out = _no_outputs(theta.dtype)
    if not isinstance(work, Squad):
        return run_epoch(data, order, batch_size, net, theta, hyper, mode, moments,
                         counters, work, None, out)
    if mode != TRAIN or counters.shape[0] < 1 + len(work.works):
        raise ValueError("a split epoch needs a training mode and a counter per thread")
    return _train_epoch_threaded(data, order, batch_size, net, theta, hyper, moments,
                                 counters, work, out)


def _train_epoch_threaded(data, order, batch_size, net, theta, hyper, moments, counters,
                          squad, out):
    size = len(squad.works)
    sync = np.zeros(SYNC_SIZE, dtype=np.int64)
    # Per batch parity and thread: loss, squared norm, clipping's gradient norm.
    partial = np.zeros((2, size, 3), dtype=np.float64)
    # Batch normalisation's per-unit sums (see _batch_norm._team_total): the
    # forward pass's, the backward pass's, and each thread's own totals.
    bn_sums = np.zeros((3, size, squad.works[0].Ns.shape[0]), dtype=theta.dtype)
    failures = []
    results = [np.nan] * size

    def member(tid):
        try:
            results[tid] = run_epoch(
                data, order, batch_size, net, theta, hyper, TRAIN, moments, counters,
                squad.works[tid], Team(tid, size, sync, squad.grads, partial, bn_sums),
                out)
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


def _no_outputs(dtype):
    """An empty output (and optimizer-state) array: the same type as a real one."""
    return np.empty((0, 0), dtype=dtype)


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
    none = _no_outputs(theta.dtype)
    return run_epoch(data, order, chunk, net, theta, hyper, GRADIENT, none,
                     new_counters(), work, None, none)


def evaluate_rows(data, rows, net, theta, hyper, work, out):
    """Loss over ``X[rows]`` (the caller divides by the rows) and outputs into ``out``.

    No dropout and no update: what a validation pass needs, in one pass.
    ``work`` must have room for ``rows.shape[0]`` rows or more; ``out`` has shape
    ``(len(rows), n_outputs)``.
    """
    cap = work.A.shape[0] // max(1, int(np.sum(net.units[1:])))
    return run_epoch(data, rows, cap, net, theta, hyper, EVALUATE,
                     _no_outputs(theta.dtype), new_counters(), work, None, out)


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
    work = workspace(net, cap, dtype, data[3] is None, forward_only=True,
                     unit_layout=unit_layout)
    # The same named tuples as training, so this is the same specialisation.
    run_epoch(KernelData(*data, Y, sw), rows, cap, net, theta, hyper, PREDICT,
              _no_outputs(dtype), _NO_COUNTERS, work, None, out)
