"""Batch normalisation's kernels: the forward and backward passes of a
normalised layer, on one thread or with the batch split across a team.

Conventions are :mod:`skmlp._kernels`'s. A layer is normalised between its
affine product and its activation; ``net.bn`` flags the layers (None when no
layer is, and then :func:`maybe_normalise` and :func:`maybe_normalise_backward`
are typed as their plain results: the default engine compiles none of this
code) and ``net.bn_par`` holds eps and
momentum. Theta holds every scale (gamma) and shift (beta) after the
intercepts, then every running mean and variance (``_data.layout``).

In training the statistics are the whole batch's, also when ``n_jobs`` splits
the batch's rows across a team of threads (``team``, a
:class:`~skmlp._data.Team`; None on one thread, which prunes the team's code
at compile time). Each thread then sums its own rows per unit, the threads
meet (:func:`skmlp._sync.meet`) and every thread adds the parts in thread
order (:func:`_team_total`): two meetings per normalised layer in the forward
pass (the sum, then the sum of squared deviations from the batch mean: two
passes, no cancellation) and one in the backward pass (the sums of ``dy`` and
``dy * x_hat``). Every thread adds the same numbers in the same order, so all
normalise alike and a fixed number of threads gives bitwise-reproducible
weights; the order differs from one thread's, so the rounding (not the
mathematics) differs from a one-thread fit. A thread whose share of a batch
is empty still runs the passes on zero rows: it meets the others every time
and publishes zeros.
"""

import math

from numba import types
from numba.extending import overload

from ._jit import jit
from ._sync import meet


@jit
def _team_total(team, half, lo, part, total):
    """``part`` summed over the team in thread order, into ``total``.

    This thread publishes ``part`` at ``team.bn_sums[half, tid, lo:]``, waits
    for the team, then adds every thread's entries in thread order (``total``
    may be ``part`` itself). Each region of ``bn_sums`` is written once per
    batch (``half`` 0: the forward pass's sums, 1: the backward pass's), and
    the next batch writes it only after the gradient's meeting, which no
    thread reaches before it has read this batch's sums: no double buffer.
    A failed team (the meeting returns a negative phase) is not checked here:
    the abort flag stays set, and the engine stops at its gradient meeting.
    """
    sums = team.bn_sums
    n = part.shape[0]
    for j in range(n):
        sums[half, team.tid, lo + j] = part[j]
    meet(team.sync, team.size)
    for j in range(n):
        s = sums[half, 0, lo + j]
        for t in range(1, team.size):
            s += sums[half, t, lo + j]
        total[j] = s


@jit
def batch_norm(Z, b, gamma, running, stats, Xhat, train, eps, momentum, team, lo,
               n_batch):
    """Normalise ``Z + b`` per unit and scale it by ``gamma``, in place.

    The shift (beta) is added afterwards by ``_kernels.bias_activation``, in
    its pass. With ``train``, the mean and (biased) variance are the batch's
    (``n_batch`` rows; ``Z`` holds this thread's share of them, all of them
    without a ``team``), and the running statistics ``running = [means,
    variances]`` move towards them by ``momentum`` (PyTorch's convention:
    ``new = (1 - momentum) * old + momentum * batch``, with the unbiased batch
    variance; a batch of one row leaves the running variance unchanged); in a
    team, thread 0 writes them. Without ``train`` the running statistics
    normalise. ``stats`` receives the mean and ``1 / sqrt(var + eps)`` used per
    unit; ``Xhat`` the normalised values when it has rows (the backward pass
    needs them). ``lo`` is the layer's offset in ``team.bn_sums`` (its
    ``stats`` offset).
    """
    nb, n = Z.shape
    mean = stats[:n]
    istd = stats[n:]
    if train:
        for j in range(n):
            mean[j] = 0.0
            istd[j] = 0.0
        for i in range(nb):
            for j in range(n):
                mean[j] += Z[i, j]
        if team is not None:
            _team_total(team, 0, lo, mean, mean)
        for j in range(n):
            mean[j] = mean[j] / n_batch + b[j]
        for i in range(nb):  # two passes: no cancellation in the variance
            for j in range(n):
                d = Z[i, j] + b[j] - mean[j]
                istd[j] += d * d
        if team is not None:
            _team_total(team, 0, lo + n, istd, istd)
        writer = True  # one writer of the running statistics per batch
        if team is not None:
            writer = team.tid == 0
        unbiased = 1.0 / (n_batch - 1) if n_batch > 1 else 0.0
        for j in range(n):
            var = istd[j] / n_batch
            if writer:
                # ``old + momentum * (new - old)``: one product and one sum,
                # which LLVM can fuse one way only. ``(1 - momentum) * old +
                # momentum * new`` was fused differently (one last bit) in the
                # process that compiled the engine and in one that loaded it
                # from the disk cache.
                old = running[j]
                running[j] = old + momentum * (mean[j] - old)
                if n_batch > 1:
                    old = running[n + j]
                    running[n + j] = old + momentum * (istd[j] * unbiased - old)
            istd[j] = 1.0 / math.sqrt(var + eps)
    else:
        for j in range(n):
            mean[j] = running[j]
            istd[j] = 1.0 / math.sqrt(running[n + j] + eps)
    store = Xhat.shape[0] > 0
    for i in range(nb):
        for j in range(n):
            x = (Z[i, j] + b[j] - mean[j]) * istd[j]
            if store:
                Xhat[i, j] = x
            Z[i, j] = gamma[j] * x


@jit
def batch_norm_backward(D, Xhat, stats, gamma, train, G, accumulate, team, lo, n_batch):
    """Turn ``D`` (the loss's derivative by the normalised layer's output) into
    the derivative by its input ``Z + b``, in place; the gradient of the
    scales into ``G[:n]`` and of the shifts into ``G[n:]`` (added with
    ``accumulate``; in a team, this thread's part of it).

    With ``train`` the batch statistics depend on every row of the batch
    (``n_batch`` rows, of which ``D`` holds this thread's): ``dx = gamma *
    istd * (D - mean(D) - Xhat * mean(D * Xhat))`` over the whole batch, the
    standard formula (Ioffe and Szegedy, 2015). Without it (running
    statistics) the layer is affine and ``dx = gamma * istd * D``.
    """
    nb, n = D.shape
    istd = stats[n:]
    if not accumulate:
        for j in range(2 * n):
            G[j] = 0.0
    for i in range(nb):
        for j in range(n):
            d = D[i, j]
            G[j] += d * Xhat[i, j]
            G[n + j] += d
    if train:
        # G holds this batch's sums here (training never accumulates); a
        # team's whole-batch sums go to this thread's private third row.
        sums = G
        if team is not None:
            sums = team.bn_sums[2, team.tid, lo : lo + 2 * n]
            _team_total(team, 1, lo, G, sums)
        inv = 1.0 / n_batch
        for i in range(nb):
            for j in range(n):
                D[i, j] = gamma[j] * istd[j] * (
                    D[i, j] - inv * (sums[n + j] + Xhat[i, j] * sums[j]))
    else:
        for i in range(nb):
            for j in range(n):
                D[i, j] *= gamma[j] * istd[j]


@jit
def normalise_layer(bn, layer, Z, b, theta, work, bn_par, train, team, n_batch):
    """Batch-normalise layer ``layer``'s product ``Z`` when ``bn`` flags it.

    Returns the vector ``bias_activation`` adds next: the layer's shift
    (beta) for a normalised layer, its intercept ``b`` otherwise. ``bn`` is
    None for a network without batch normalisation: Numba then prunes the
    body at compile time (as ``run_epoch`` prunes a team of None), and the
    default engine compiles none of batch normalisation's code. ``team`` and
    ``n_batch``: see :func:`batch_norm`.
    """
    if bn is None:
        return b
    if not bn[layer]:
        return b
    nb, n = Z.shape
    off = work.off
    g = off[7, layer]
    r = off[8, layer]
    s = off[6, layer]
    h = off[5, layer]
    Xhat = work.Nh[h : h + (nb * n if work.Nh.shape[0] > 0 else 0)]
    batch_norm(Z, b, theta[g : g + n], theta[r : r + 2 * n], work.Ns[s : s + 2 * n],
               Xhat.reshape((Xhat.shape[0] // n, n)), train, bn_par[0], bn_par[1],
               team, s, n_batch)
    return theta[g + n : g + 2 * n]


@jit
def normalise_layer_backward(bn, layer, D, theta, work, train, G, bo, accumulate, team,
                             n_batch):
    """The backward pass through layer ``layer``'s batch normalisation, if any.

    ``D`` (the derivative by the normalised output) becomes the derivative by
    ``Z + b``; the scales' and shifts' gradients go to ``G``. Pruned, as
    :func:`normalise_layer`, when ``bn`` is None.

    Returns True when it has written the intercept's gradient too: in
    training, the batch mean removes the intercept, so its gradient is zero,
    written exactly (the column sums of ``D`` would leave rounding noise,
    which Adam would turn into steps).
    """
    if bn is None:
        return False
    if not bn[layer]:
        return False
    nb, n = D.shape
    off = work.off
    g = off[7, layer]
    h = off[5, layer]
    s = off[6, layer]
    batch_norm_backward(D, work.Nh[h : h + nb * n].reshape((nb, n)),
                        work.Ns[s : s + 2 * n], theta[g : g + n], train,
                        G[g : g + 2 * n], accumulate, team, s, n_batch)
    if train:
        for j in range(n):
            G[bo + j] = 0.0
    return train


# The calls the forward and backward passes make. For a network without batch
# normalisation (``bn`` None) each resolves, while the engine is typed, to a
# trivial function returning its result (``b``; False), compiled in about 0.03 s
# and inlined by LLVM. Not inlined at Numba-IR level: that pass cost about 0.3 s
# of every first fit for these and ``_epoch.before_step``.

def maybe_normalise(bn, layer, Z, b, theta, work, bn_par, train, team, n_batch):
    """:func:`normalise_layer`, or ``b`` when ``bn`` is None (compiled code only)."""


def maybe_normalise_backward(bn, layer, D, theta, work, train, G, bo, accumulate, team,
                             n_batch):
    """:func:`normalise_layer_backward`, or False when ``bn`` is None (compiled
    code only)."""


@overload(maybe_normalise)
def _normalised(bn, layer, Z, b, theta, work, bn_par, train, team, n_batch):
    if isinstance(bn, types.NoneType):
        return lambda bn, layer, Z, b, theta, work, bn_par, train, team, n_batch: b
    return (lambda bn, layer, Z, b, theta, work, bn_par, train, team, n_batch:
            normalise_layer(bn, layer, Z, b, theta, work, bn_par, train, team, n_batch))


@overload(maybe_normalise_backward)
def _normalised_backward(bn, layer, D, theta, work, train, G, bo, accumulate, team,
                         n_batch):
    if isinstance(bn, types.NoneType):
        return (lambda bn, layer, D, theta, work, train, G, bo, accumulate, team,
                n_batch: False)
    return (lambda bn, layer, D, theta, work, train, G, bo, accumulate, team, n_batch:
            normalise_layer_backward(bn, layer, D, theta, work, train, G, bo, accumulate,
                                     team, n_batch))
