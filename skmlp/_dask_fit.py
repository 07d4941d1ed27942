"""Training on Dask collections, on the workers of the current ``distributed.Client``.

``fit`` given a ``dask.array.Array`` or a Dask DataFrame comes here
(:meth:`BaseMultilayerPerceptronNB._fit_unsafe`). The data stays on the
workers: every task reads one row block of X (with its blocks of y and of the
sample weights) where the block is, runs the compiled engine on it, and sends
back a vector of the model's size. The weights live on the client.

- **Checks first.** The feature checks run in the client on an empty stand-in
  (as :mod:`skmlp._dask` does for predict), the targets' checks on a stand-in
  holding the classes found on the cluster (per-block ``np.unique``, reduced).
  One pass over the data then checks every block's values (NaN, weights) and
  counts its rows and weights, before any training task runs.
- **lbfgs** (:class:`ClusterObjective`): SciPy's L-BFGS-B in the client
  (:func:`skmlp._lbfgs.fit_lbfgs`, the local driver), whose every evaluation
  broadcasts the weights (one key of the graph), runs the engine's full-data
  gradient (:func:`skmlp._epoch.loss_gradient`) on each block and adds the
  per-block sums in a binary tree whose pairing is fixed by the block index:
  the same chunking gives bitwise the same weights, whichever worker ran what
  (or reran it after a failure). The L2 term is added once, in the client.
- **sgd / adam** (:class:`ClusterTrainer`): local SGD with model averaging.
  An epoch is split into rounds; in a round every block trains
  ``dask_sync_batches`` minibatches of its own rows (its share of the epoch:
  blocks of unequal sizes take proportional shares, so that all finish the
  epoch together) from the broadcast weights and optimizer state, and the
  client averages the resulting weights and optimizer state, each block
  weighted by the rows it trained on.

The graph of every evaluation or round includes the graph of the user's
collections: persisted collections are read from the workers' memory, lazy
ones are read (or generated) again, which is what lets data larger than the
cluster's memory train. Tasks are pure functions of their inputs, so Dask
recomputes whatever a lost worker held.
"""

import math
import warnings
from contextlib import nullcontext
from typing import NamedTuple

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_array, validate_data

from . import _data
from ._epoch import loss_gradient, new_counters, train_epoch
from ._lbfgs import fit_lbfgs
from ._solver_state import SolverState
from ._specs import OPTIMIZERS
from ._stochastic import StochasticTrainer

NO_CLIENT = (
    "fit on Dask collections trains on the workers of a dask.distributed Client, "
    "and none is running in this process. Start one first (for example "
    "`from distributed import Client; client = Client()` for a local cluster, or "
    "`Client('tcp://scheduler:8786')`), or pass NumPy arrays (`X.compute()`)."
)


def _client():
    try:
        from distributed import get_client
    except ImportError as exc:  # dask without distributed
        raise ValueError(NO_CLIENT + " (dask.distributed is not installed: pip "
                         "install 'skmlp[dask]')") from exc
    try:
        return get_client()
    except ValueError as exc:
        raise ValueError(NO_CLIENT) from exc


# ----------------------------------------------------------- what tasks carry
class BlockSpec(NamedTuple):
    """Everything a task needs to turn a block into the engine's input."""

    dtype: np.dtype
    binarizer: object  # the fitted LabelBinarizer (classifiers), else None
    n_outputs: int
    class_weight: np.ndarray  # weight per class (single-output classifiers), or None
    net: _data.Net


def prepare_block(xb, yb, wb, spec):
    """One block as the engine's :class:`~skmlp._data.KernelData`, checked.

    The local checks, block by block: finite numbers in X (and in y for a
    regressor), sample weights of the right length.
    """
    X = check_array(xb, dtype=spec.dtype, ensure_min_samples=0)
    if spec.binarizer is not None:
        yb = np.asarray(yb)
        if yb.ndim == 2 and yb.shape[1] == 1:
            yb = yb[:, 0]
        Y = spec.binarizer.transform(yb).astype(bool)
    else:
        Y = check_array(yb, ensure_2d=False, dtype=np.float64, ensure_min_samples=0)
        Y = Y.reshape(Y.shape[0], -1)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"A block of y has {Y.shape[0]} rows where its block of X "
                         f"has {X.shape[0]}; give y the row chunks of X.")
    w = None
    if wb is not None:
        w = check_array(wb, ensure_2d=False, dtype=spec.dtype, ensure_min_samples=0)
        if w.shape != (X.shape[0],):
            raise ValueError(f"A block of sample_weight has shape {w.shape} where "
                             f"its block of X has {X.shape[0]} rows.")
    if spec.class_weight is not None:
        index = Y.argmax(axis=1) if Y.shape[1] > 1 else Y[:, 0].astype(np.int64)
        cw = spec.class_weight[index].astype(spec.dtype)
        w = cw if w is None else w * cw
    return _data.kernel_data(X, Y, w, spec.dtype)


def block_summary(xb, yb, wb, spec):
    """``[rows, weight sum, min weight, min target]`` of one checked block."""
    data = prepare_block(xb, yb, wb, spec)
    n = data.n_rows
    sw, Y = data.sw, data.Y
    return np.array([n, float(np.sum(sw, dtype=np.float64)),
                     float(sw.min()) if n else np.inf,
                     float(Y.min()) if n else np.inf])


def _labels(yb):
    yb = np.asarray(yb)
    return np.unique(yb)


def _class_counts(yb, classes):
    yb = np.asarray(yb).reshape(-1)
    return np.bincount(np.searchsorted(classes, yb), minlength=len(classes))


def _add(a, b):
    return a + b


def _tree_sum(parts):
    """A binary tree of additions whose pairing depends only on the block order.

    IEEE addition is commutative, so the result is bitwise the same whichever
    worker adds a pair (or reruns it).
    """
    from dask import delayed

    while len(parts) > 1:
        parts = [delayed(_add, pure=True)(parts[i], parts[i + 1])
                 if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


# ----------------------------------------------------------------- the engine
# The only two functions that call the engine on a worker.
def block_loss_gradient(xb, yb, wb, theta, spec, hyper):
    """``[data-term sum, gradient sum...]`` of one block, in float64.

    ``hyper`` has ``alpha=0`` and ``out_scale=1``: the L2 term is added once,
    in the client. The engine normalises by the block's weight sum, which is
    multiplied back here.
    """
    data = prepare_block(xb, yb, wb, spec)
    out = np.zeros(1 + theta.shape[0])
    sw_sum = float(np.sum(data.sw, dtype=np.float64))
    if data.n_rows == 0 or sw_sum == 0.0:
        return out
    chunk = _data.chunk_rows(data.n_rows, spec.net.units)
    work = _data.workspace(spec.net, chunk, spec.dtype, True, with_accumulator=True)
    loss = loss_gradient(data, spec.net, theta.copy(), hyper, work, chunk)
    out[0] = loss * sw_sum
    out[1:] = work.G
    out[1:] *= sw_sum
    return out


class RoundPlan(NamedTuple):
    """One round of local SGD for one block (the client draws it)."""

    seed: int  # this epoch's shuffle seed (-1: no shuffling)
    block: int  # the block's index
    first: int  # minibatches [first, stop) of this block's epoch
    stop: int
    batch_size: int
    opt_code: int
    hyper: np.ndarray
    step: int  # optimizer steps taken so far (Adam's bias correction)
    dropout_seed: int  # 0 without dropout


def block_train(xb, yb, wb, state, spec, plan):
    """Train minibatches ``[first, stop)`` of one block's epoch from ``state``.

    Returns ``[rows * theta, rows * moments, loss sum, rows]`` in float64: the
    client adds them over the blocks and divides by the rows.
    """
    theta, moments = state
    n_params = theta.shape[0]
    out = np.zeros(n_params + moments.size + 2)
    n = xb.shape[0]
    if plan.seed >= 0:
        order = np.random.default_rng([plan.seed, plan.block]).permutation(n)
    else:
        order = np.arange(n)
    rows = order[plan.first * plan.batch_size: plan.stop * plan.batch_size]
    if rows.shape[0] == 0:
        return out
    wr = None if wb is None else np.asarray(wb)[rows]
    data = prepare_block(np.asarray(xb)[rows], np.asarray(yb)[rows], wr, spec)
    theta = theta.copy()
    moments = moments.copy()
    counters = new_counters()
    counters[0] = plan.step
    counters[1] = plan.dropout_seed
    work = _data.workspace(spec.net, plan.batch_size, spec.dtype, True)
    local = _data.readonly(np.arange(rows.shape[0], dtype=np.int64))
    loss_sum = train_epoch(data, local, plan.batch_size, spec.net, theta, plan.hyper,
                           plan.opt_code, moments, counters, work)
    m = float(rows.shape[0])
    out[:n_params] = theta
    out[n_params:n_params + moments.size] = moments.ravel()
    out[:-2] *= m
    out[-2] = loss_sum
    out[-1] = m
    return out


# ------------------------------------------------------------------ the inputs
class Blocks(NamedTuple):
    """The row blocks of the training data, as Dask delayed objects."""

    X: list
    y: list
    w: list  # Nones without sample weights
    rows: np.ndarray  # rows per block (known after the checking pass)

    def triples(self):
        return zip(self.X, self.y, self.w)


def _collections(est, X, y, sample_weight, reset):
    """X, y and the weights as dask arrays in the same row blocks; X's dtype.

    X's features are checked on an empty stand-in (``validate_data``, the
    local errors and warnings), before anything is computed.
    """
    import dask.array as da

    from ._dask import _aligned

    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"Expected a 2D dask array, got {X.ndim}D array instead.")
        if math.isnan(X.shape[1]):
            raise ValueError("X has an unknown number of columns; call "
                             "X.compute_chunk_sizes() first.")
        meta = np.empty((0, X.shape[1]), dtype=X.dtype)
        Xa = X.rechunk({1: -1}) if len(X.chunks[1]) > 1 else X
    elif hasattr(X, "to_dask_array") and hasattr(X, "columns"):
        meta = X._meta
        Xa = X.to_dask_array()
    else:
        raise TypeError(
            f"{type(est).__name__} trains on dask arrays and Dask DataFrames; got "
            f"{type(X).__module__}.{type(X).__name__}. Convert it, or compute it.")
    if y is None:
        raise ValueError("y is required.")
    Xa, (ya, wa) = _aligned(Xa, y, sample_weight)
    if ya.ndim == 2 and len(ya.chunks[1]) > 1:
        ya = ya.rechunk({1: -1})
    return Xa, ya, wa, meta


def _validate_targets(est, Xa, ya, meta, first_pass, incremental):
    """Check y and fit the label encoding from the classes found on the cluster.

    ``est._validate_input`` (the local checks) runs on a stand-in: the classes
    (per-block ``np.unique``, reduced on the cluster) for a classifier, a row
    of zeros of y's dtype for a regressor. Returns X's model dtype and the
    number of network outputs.
    """
    import dask.array as da

    n_features = meta.shape[1]
    if is_classifier(est):
        classes = da.unique(ya).compute() if ya.ndim == 1 or ya.shape[1] == 1 else None
        if classes is not None:
            standin = classes if ya.ndim == 1 else classes.reshape(-1, 1)
        else:  # multilabel: an indicator matrix (or what the local checks refuse)
            values = da.unique(ya).compute()
            standin = np.repeat(values.reshape(-1, 1), ya.shape[1], axis=1)
    else:
        standin = np.zeros((1,) + ya.shape[1:], dtype=ya.dtype)
    X_standin = np.zeros((standin.shape[0], n_features))
    with warnings.catch_warnings():
        # the stand-in has no feature names; they are checked on meta below
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        _, Y = est._validate_input(X_standin, standin, incremental, reset=first_pass)
    checked = validate_data(est, meta, reset=first_pass, ensure_min_samples=0,
                            dtype=(np.float64, np.float32))
    return checked.dtype, (1 if Y.ndim == 1 else Y.shape[1])


def _class_weights(est, client, ya):
    """The weight of each class (in ``classes_`` order), or None."""
    cw = getattr(est, "class_weight", None)
    if cw is None:
        return None
    if est._label_binarizer.y_type_ == "multilabel-indicator" or not (
            cw == "balanced" or isinstance(cw, dict)):
        raise ValueError(
            "class_weight on Dask collections takes a dict or 'balanced' for "
            "single-output targets; pass the weights as sample_weight instead.")
    classes = est.classes_
    if isinstance(cw, dict):
        return compute_class_weight(cw, classes=classes, y=classes)
    from dask import delayed

    parts = [delayed(_class_counts, pure=True)(b, classes) for b in ya.to_delayed().ravel()]
    counts = client.compute(_tree_sum(parts)).result()
    per_class = counts.sum() / (len(classes) * np.maximum(counts, 1))
    est._balanced_per_class = per_class  # what validation data is weighted with
    return per_class.astype(np.float64)


def _check_summaries(est, client, blocks, spec):
    """One checking pass over every block; the rows per block and the weight sum."""
    from dask import delayed

    parts = [delayed(block_summary, pure=True)(x, y, w, spec)
             for x, y, w in blocks.triples()]
    stats = np.array(client.gather(client.compute(parts)))
    if stats[:, 2].min() < 0:
        raise ValueError(
            "Negative values in sample_weight are not allowed: they make the loss "
            "unbounded below. Use zero to ignore a sample.")
    sw_total = math.fsum(stats[:, 1])
    if not sw_total > 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    if getattr(est, "loss", None) == "poisson" and stats[:, 3].min() < 0:
        raise ValueError(
            "Some value(s) of y are negative which is not allowed for Poisson "
            "regression (loss='poisson'). Use loss='squared_error' or shift "
            "the targets.")
    return stats[:, 0].astype(np.int64), sw_total


# ------------------------------------------------------------------- the fit
def fit_on_cluster(est, X, y, sample_weight, incremental, val, inputs):
    """``est.fit(X, y, ...)`` for Dask collections; see the module docstring."""
    from ._network import check_same_structure, fitted_units

    if incremental:
        raise ValueError(
            "partial_fit takes NumPy arrays: call fit on the Dask collections, or "
            "use dask_ml.wrappers.Incremental to call partial_fit block by block.")
    client = _client()
    hidden = est._hidden_sizes()
    est._check_training_params(len(hidden), incremental, val)
    if est.solver != "lbfgs" and est.early_stopping and val is None:
        raise ValueError(
            "early_stopping on Dask collections needs validation data: pass "
            "X_val and y_val to fit (they are gathered into the client).")
    first_pass = not hasattr(est, "coefs_") or not est.warm_start
    Xa, ya, wa, meta = _collections(est, X, y, sample_weight, first_pass)
    dtype, n_outputs = _validate_targets(est, Xa, ya, meta, first_pass, incremental)
    layer_units = [meta.shape[1], *hidden, n_outputs]
    if not first_pass:
        est._own_fitted_state()
        est._check_fitted_weights()
        dtype = est.coefs_[0].dtype
        check_same_structure(fitted_units(est.coefs_), layer_units)
    est._random_state = check_random_state(est.random_state)
    if first_pass:
        est._initialize(np.empty((0, n_outputs)), layer_units, dtype)
    est.n_outputs_ = n_outputs
    class_w = _class_weights(est, client, ya) if is_classifier(est) else None

    state = est.__dict__.get("_solver_state")
    if state is None:  # weights set by hand, or from_sklearn of an lbfgs fit
        state = est._solver_state = SolverState()
    state.theta = theta = est._pack(dtype)
    est._unpack(theta, layer_units)
    net = est._net(training=True)
    spec = BlockSpec(np.dtype(dtype), getattr(est, "_label_binarizer", None)
                     if is_classifier(est) else None, n_outputs, class_w, net)
    w_blocks = ([None] * Xa.numblocks[0] if wa is None
                else list(wa.to_delayed().ravel()))
    blocks = Blocks(list(Xa.to_delayed().ravel()), list(ya.to_delayed().ravel()),
                    w_blocks, None)
    rows, sw_total = _check_summaries(est, client, blocks, spec)
    blocks = blocks._replace(rows=rows)
    if est.solver == "lbfgs":
        objective = ClusterObjective(est, client, blocks, spec, sw_total)
        fit_lbfgs(est, None, theta, net, inputs, objective=objective)
        return est
    given_val = None
    if val is not None:
        given_val = _validation(est, Xa, val, dtype)
    ClusterTrainer(est, state, client, blocks, spec, net, given_val).run(inputs)
    return est


def _validation(est, Xa, val, dtype):
    """Validation data gathered into the client (it is meant to be small)."""
    from ._dask import is_dask_collection

    X_val, y_val, sw_val = (v.compute() if is_dask_collection(v) else v for v in val)
    head = Xa[:2000].compute()  # what the untransformed-X_val warning compares with
    return est._validation_data(X_val, y_val, sw_val, dtype, head)


# -------------------------------------------------------------------- lbfgs
class ClusterObjective:
    """The local objective (:class:`skmlp._lbfgs.LocalObjective`), summed on the cluster."""

    def __init__(self, est, client, blocks, spec, sw_total):
        from ._epoch import hyper_array

        self.client = client
        self.blocks = blocks
        self.spec = spec
        self.sw_total = sw_total
        self.alpha = float(est.alpha)
        # scikit-learn reports the squared error averaged over outputs (as
        # BaseMultilayerPerceptronNB._hyper)
        self.out_scale = (1.0 / est.n_outputs_ if est.out_activation_ == "identity"
                          else 1.0)
        units = spec.net.units
        self.n_coef = int((units[:-1] * units[1:]).sum())
        self.hyper = hyper_array(spec.dtype)  # alpha 0, out_scale 1
        self.n_evaluations = 0

    def threads(self):
        return nullcontext()  # the client only adds vectors

    def sums(self, theta):
        """``[data-term sum, gradient sum...]`` over all blocks (one graph)."""
        from dask import delayed

        th = delayed(np.array(theta), pure=True)  # one key: sent once per worker
        parts = [delayed(block_loss_gradient, pure=True)(x, y, w, th, self.spec,
                                                          self.hyper)
                 for x, y, w in self.blocks.triples()]
        self.n_evaluations += 1
        return self.client.compute(_tree_sum(parts)).result()

    def __call__(self, theta, reported=False):
        total = self.sums(theta)
        norm = 1.0 / self.sw_total
        coef = theta[:self.n_coef].astype(np.float64)
        sq = float(coef @ coef)
        scale = self.out_scale if reported else 1.0
        loss = total[0] * norm * scale + 0.5 * self.alpha * sq * norm
        grad = total[1:] * norm
        grad[:self.n_coef] += (self.alpha * norm) * coef
        return loss, grad


# ---------------------------------------------------------------- sgd, adam
class ClusterTrainer(StochasticTrainer):
    """The local epoch loop, whose epochs are rounds of local SGD on the cluster.

    Everything after an epoch (recording, validation on given ``X_val``,
    schedules, stopping rules, rollback) is :class:`StochasticTrainer`'s.
    """

    def __init__(self, est, state, client, blocks, spec, net, given_val):
        self.client = client
        self.blocks = blocks
        self.spec = spec
        self._bind(est, state, net, incremental=False)
        from ._schedules import SklearnRule

        self.rule = SklearnRule(est, state.schedule_state)
        state.schedule_state = self.rule.state
        _, self.val = self._split(np.empty((0, 1)), None, given_val, None)
        self.n_train = int(blocks.rows.sum())
        self.batch_size = est._batch_size(self.n_train)
        self.n_threads = 1
        self.sync = int(est.dask_sync_batches)
        self.sample_order = np.empty(0, dtype=np.int64)  # no global order
        self.checkpoint = self._checkpoint()
        self.curve_start = self.checkpoint.n_recorded

    def train_one_epoch(self):
        """Rounds of local SGD over every block; the epoch's loss sum."""
        from dask import delayed

        est, st = self.est, self.state
        seed = est._random_state.randint(np.iinfo(np.int32).max) if est.shuffle else -1
        hyper = est._hyper(self.theta.dtype, st.learning_rate)
        batches = -(-self.blocks.rows // self.batch_size)
        n_rounds = max(1, -(-int(batches.max()) // self.sync))
        dropout = bool(np.any(self.net.keep < 1.0))
        loss_sum = 0.0
        n_params = self.theta.shape[0]
        for r in range(n_rounds):
            state = delayed((np.array(self.theta), np.array(st.moments)), pure=True)
            first = batches * r // n_rounds
            stop = batches * (r + 1) // n_rounds
            step = int(st.counters[0])
            parts = []
            for c, (x, y, w) in enumerate(self.blocks.triples()):
                dseed = 0
                if dropout:
                    dseed = int(np.random.default_rng(
                        [int(st.counters[1]) & 0x7FFFFFFFFFFFFFFF, est.n_iter_, r, c]
                    ).integers(1, np.iinfo(np.int64).max))
                plan = RoundPlan(seed, c, int(first[c]), int(stop[c]), self.batch_size,
                                 self.opt_code, hyper, step, dseed)
                parts.append(delayed(block_train, pure=True)(x, y, w, state, self.spec,
                                                             plan))
            total = self.client.compute(_tree_sum(parts)).result()
            m = total[-1]
            self.theta[:] = total[:n_params] / m
            moments = total[n_params:-2] / m
            st.moments[...] = moments.reshape(st.moments.shape)
            # Adam's step count (SGD leaves it alone): the longest block's steps
            if self.opt_code == OPTIMIZERS["adam"].code:
                st.counters[0] = step + int((stop - first).max())
            loss_sum += total[-2]
        return loss_sum

    def check_final_outputs(self):
        """The averaged weights must be finite (no pass over the data)."""
        if not np.isfinite(self.theta).all():
            raise self.est._diverged(
                "the weights became non-finite after the last round", self.est.n_iter_)
