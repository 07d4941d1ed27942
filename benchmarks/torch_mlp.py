"""A plain PyTorch training loop equivalent to scikit-learn's MLPClassifier.

Imported only when PyTorch is selected. The loop mirrors scikit-learn's:

- ``nn.Sequential`` of ``Linear`` and ``ReLU``, cross-entropy on the logits
  (softmax + log loss), the same Glorot-uniform initial weights as
  scikit-learn (:func:`benchmarks.models.glorot_weights`);
- each epoch visits the rows in a fresh ``torch.randperm`` order, in batches
  gathered by manual indexing (no DataLoader);
- Adam, or SGD with the same momentum (Nesterov when momentum > 0), at the
  same learning rate;
- L2: scikit-learn adds ``alpha / (2 * batch_rows) * ||W||^2`` to each batch's
  loss, on weights but not biases. Here that is ``weight_decay = alpha /
  batch_size`` on the weight matrices only, which is exact for full batches and
  approximate for a short last batch. (Adam's epsilon is added after the
  bias correction in PyTorch, before it in scikit-learn: a negligible
  difference at epsilon = 1e-8.)

PyTorch runs on as many intra-op threads as this process may use cores, the
count BLAS uses by default for the other libraries; ``--threads`` changes it.
"""

import numpy as np
import torch
from torch import nn

from .machine import usable_cpus
from .models import glorot_weights

TORCH_THREADS = usable_cpus()
torch.set_num_threads(TORCH_THREADS)


def set_threads(n):
    """Change PyTorch's intra-op thread count (the harness's ``--threads``)."""
    torch.set_num_threads(int(n))


def build_module(units, dtype, seed):
    """``nn.Sequential`` of Linear/ReLU with scikit-learn's initial weights."""
    layers = []
    for i, (W, b) in enumerate(glorot_weights(units, seed)):
        lin = nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(units) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).to(dtype)


def torch_dtype(X):
    return torch.float64 if X.dtype == np.float64 else torch.float32


def make_optimizer(model, params):
    """Adam or SGD over ``model`` with scikit-learn's hyper-parameters."""
    batch_size = int(params["batch_size"])
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    biases = [m.bias for m in model if isinstance(m, nn.Linear)]
    groups = [
        {"params": weights, "weight_decay": params["alpha"] / batch_size},
        {"params": biases, "weight_decay": 0.0},
    ]
    lr = params["learning_rate_init"]
    if params["solver"] == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(params["beta_1"], params["beta_2"]),
                                eps=params["epsilon"])
    return torch.optim.SGD(groups, lr=lr, momentum=params["momentum"],
                           nesterov=bool(params["nesterovs_momentum"]
                                         and params["momentum"] > 0))


def fit(X, y, params):
    """Train on ``(X, y)`` with the scikit-learn keyword arguments ``params``.

    Returns the model with a ``classes_`` attribute (labels of the output units).
    """
    classes, y_idx = np.unique(y, return_inverse=True)
    units = [X.shape[1], *params["hidden_layer_sizes"], len(classes)]
    model = build_module(units, torch_dtype(X), params["random_state"])
    opt = make_optimizer(model, params)
    batch_size = int(params["batch_size"])
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y_idx.astype(np.int64))
    gen = torch.Generator().manual_seed(int(params["random_state"]))
    n = Xt.shape[0]
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(params["max_iter"]):
        perm = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    model.classes_ = classes
    return model


def predict_proba(model, X):
    """Softmax probabilities for ``X`` as a NumPy array."""
    model.eval()
    with torch.inference_mode():
        return torch.softmax(model(torch.from_numpy(X)), dim=1).numpy()
