"""Specification tables: every activation, loss and optimizer the engine knows.

One row per member of each family, holding its integer code (what the compiled
kernels dispatch on) and the facts the rest of the code derives from it: the
parameter constraints, the documented lists, the workspace layout (which
layers keep their pre-activations), the optimizer state's size, what exports
to scikit-learn. Nothing else lists the members or orders them.

Adding a member is its kernel branch plus one row here:

- an activation: a branch in ``_kernels.bias_activation`` and, for a hidden
  one, in ``_kernels.activation_derivative``: before their ``ext is None``
  test for a ``core`` row, after it for the others;
- a loss: a branch in ``_kernels.output_delta``: among the canonical ones for
  a ``canonical`` row, after its ``ext is None`` test for the others;
- an optimizer: a step function in ``_optim`` with the common signature and
  its branch in ``_optim.optimizer_step``.

Every dispatch in the kernels names each code and ends in a branch that writes
NaN, so a code without its kernel shows up as divergence in the tests, never as
silently different arithmetic. The ``core`` activations and the
``canonical`` losses are compiled into every engine; the others only into the
engine of the networks that use one (``_data.Net.ext``), so the default engine
(what a new user's first fit compiles) carries none of their code. The codes
are fixed numbers (never reorder them): they are the kernels' constants. This
module is plain Python, so the kernels may import it.
"""

from typing import NamedTuple

# ---------------------------------------------------------------- activations
IDENTITY = 0
LOGISTIC = 1
TANH = 2
RELU = 3
SOFTMAX = 4
EXP = 5
LEAKY_RELU = 6
ELU = 7
GELU = 8
SILU = 9


class Activation(NamedTuple):
    name: str
    code: int
    hidden: bool  # a user may choose it for hidden layers
    preactivation: bool  # its derivative needs the pre-activation (a workspace)
    sklearn: bool  # scikit-learn's MLP has it (export, the glorot factor rule)
    core: bool  # compiled into the default engine; the others only when used (Net.ext)
    glorot_factor: float  # scikit-learn's initial bound: sqrt(factor / fan sum)
    doc: str = ""  # what the parameter docs say of it


ACTIVATIONS = {a.name: a for a in (
    Activation("identity", IDENTITY, True, False, True, True, 6.0),
    Activation("logistic", LOGISTIC, True, False, True, True, 2.0),
    Activation("tanh", TANH, True, False, True, True, 6.0),
    Activation("relu", RELU, True, False, True, True, 6.0),
    Activation("softmax", SOFTMAX, False, False, True, True, 6.0),
    Activation("exp", EXP, False, False, False, True, 6.0),
    Activation("leaky_relu", LEAKY_RELU, True, False, False, False, 6.0,
               "slope 0.01 below zero"),
    Activation("elu", ELU, True, False, False, False, 6.0, "alpha 1"),
    Activation("gelu", GELU, True, True, False, False, 6.0, "exact, with erf"),
    Activation("silu", SILU, True, True, False, False, 6.0, "``x * sigmoid(x)``"),
)}

# ---------------------------------------------------------------------- losses
SQUARED_ERROR = 0
POISSON = 1
LOG_LOSS = 2
BINARY_LOG_LOSS = 3
ABSOLUTE_ERROR = 4
HUBER = 5
QUANTILE = 6


class Loss(NamedTuple):
    name: str
    code: int
    output: str  # the output activation it pairs with (its canonical link)
    mean_over_outputs: bool  # scikit-learn averages the data term over outputs
    regression: bool  # MLPRegressorNB(loss=name) accepts it
    canonical: bool  # the output activation's own loss (its delta is P - Y)
    sklearn: bool  # scikit-learn's MLP trains with it (export)
    doc: str = ""  # what the regressor's ``loss`` docs say of it


# The robust and quantile losses average over outputs in the reported loss, as
# scikit-learn's mean_absolute_error and mean_pinball_loss do for several
# outputs, so ``-validation_loss_curve_`` reads as those metrics' scale. Their
# ``loss_par``: huber's delta (one entry); quantile's level of each output.
LOSSES = {s.name: s for s in (
    Loss("squared_error", SQUARED_ERROR, "identity", True, True, True, True,
         "half the squared error, scikit-learn's"),
    Loss("poisson", POISSON, "exp", False, True, True, False,
         "Poisson deviance with an exp output; non-negative targets"),
    Loss("log_loss", LOG_LOSS, "softmax", False, False, True, True),
    Loss("binary_log_loss", BINARY_LOG_LOSS, "logistic", False, False, True, True),
    Loss("absolute_error", ABSOLUTE_ERROR, "identity", True, True, False, False,
         "predicts the conditional median; robust to outliers"),
    Loss("huber", HUBER, "identity", True, True, False, False,
         "squared within ``huber_delta`` of the target, absolute beyond"),
    Loss("quantile", QUANTILE, "identity", True, True, False, False,
         "the pinball loss of the level(s) ``quantile``"),
)}

# ------------------------------------------------------------------ optimizers
SGD = 0
ADAM = 1


class Optimizer(NamedTuple):
    name: str
    code: int
    state_rows: int  # rows of the (rows, n_params) state array it keeps


OPTIMIZERS = {o.name: o for o in (
    Optimizer("sgd", SGD, 1),  # momentum velocity
    Optimizer("adam", ADAM, 2),  # first and second moments
)}


def described(table, **facts):
    """``'a', 'b' (its doc), ...``: the rows' names for the parameter docs."""
    rows = sorted(table.values(), key=lambda r: r.code)
    return ", ".join(f"'{r.name}'" + (f" ({r.doc})" if getattr(r, "doc", "") else "")
                     for r in rows if all(getattr(r, k) == v for k, v in facts.items()))


def names(table, **facts):
    """The names of ``table``'s rows whose fields equal ``facts``, in code order."""
    rows = sorted(table.values(), key=lambda r: r.code)
    return tuple(r.name for r in rows
                 if all(getattr(r, k) == v for k, v in facts.items()))
