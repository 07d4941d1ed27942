"""A plain PyTorch training loop equivalent to scikit-learn's MLPClassifier.

Imported only when PyTorch is installed. The loop mirrors scikit-learn's:

- ``nn.Sequential`` of ``Linear`` and ``ReLU``, cross-entropy on the logits
  (softmax + log loss), the same Glorot-uniform initial weights drawn from a
  ``RandomState`` seeded like the estimators (so the starting point matches);
- each epoch visits the rows in a fresh ``torch.randperm`` order, in batches
  gathered by manual indexing (no DataLoader);
- Adam, or SGD with momentum 0.9 and Nesterov, at the same learning rate;
- L2: scikit-learn adds ``alpha / (2 * batch_rows) * ||W||^2`` to each batch's
  loss, on weights but not biases. Here that is ``weight_decay = alpha /
  batch_size`` on the weight matrices only, which is exact for full batches and
  approximate for a short last batch. (Adam's epsilon is added after the
  bias correction in PyTorch, before it in scikit-learn: a negligible
  difference at epsilon = 1e-8.)

``torch.set_num_threads(2)`` is set at import: the benchmark machine has 2 cores
and the other libraries use 2 BLAS threads.
"""

import numpy as np
import torch
from torch import nn

TORCH_THREADS = 2
torch.set_num_threads(TORCH_THREADS)


def set_threads(n):
    """Change PyTorch's intra-op thread count (the harness's ``--threads``)."""
    torch.set_num_threads(int(n))


def _build(units, dtype, seed):
    rng = np.random.RandomState(seed)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(units[:-1], units[1:])):
        lin = nn.Linear(fan_in, fan_out)
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_in, fan_out))
        b = rng.uniform(-bound, bound, fan_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(units) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).to(dtype)


def fit(X, y, params):
    """Train on ``(X, y)`` with the scikit-learn keyword arguments ``params``.

    Returns the model with a ``classes_`` attribute (labels of the output units).
    """
    classes, y_idx = np.unique(y, return_inverse=True)
    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    units = [X.shape[1], *params["hidden_layer_sizes"], len(classes)]
    model = _build(units, dtype, params["random_state"])
    batch_size = int(params["batch_size"])
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    biases = [m.bias for m in model if isinstance(m, nn.Linear)]
    groups = [
        {"params": weights, "weight_decay": params["alpha"] / batch_size},
        {"params": biases, "weight_decay": 0.0},
    ]
    lr = params["learning_rate_init"]
    if params["solver"] == "adam":
        opt = torch.optim.Adam(groups, lr=lr, betas=(params["beta_1"], params["beta_2"]),
                               eps=params["epsilon"])
    else:
        opt = torch.optim.SGD(groups, lr=lr, momentum=params["momentum"],
                              nesterov=params["nesterovs_momentum"])
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
