"""skorch's ``NeuralNetClassifier`` over the PyTorch module of :mod:`torch_mlp`.

skorch is what a user who wants scikit-learn's API on PyTorch would pick
instead of skmlp, so it runs as such a user would run it: the estimator's
defaults for data loading (a ``DataLoader`` over skorch's ``Dataset``), no
validation split (``train_split=None``, as scikit-learn without early
stopping), silent (``verbose=0``). What is set to match the other libraries:

- the module: the same ``nn.Sequential`` with scikit-learn's initial weights;
- the loss: ``nn.CrossEntropyLoss`` on logits (``predict_proba`` applies the
  softmax);
- the optimizer: Adam or SGD with the same hyper-parameters, L2 as
  ``weight_decay = alpha / batch_size`` on the weight matrices only (see
  :mod:`torch_mlp`);
- batch size, epochs (``max_epochs``), shuffled training batches, and the seed
  of the shuffle (``torch.manual_seed``).

Threads: those of :mod:`torch_mlp` (imported here, so set the same way).
"""

import numpy as np
import torch
from skorch import NeuralNetClassifier

from . import torch_mlp


class SkorchModel:
    """A fitted skorch net and the labels of its output units."""

    def __init__(self, net, classes):
        self.net = net
        self.classes_ = classes


def fit(X, y, params):
    """Train a ``NeuralNetClassifier`` on ``(X, y)`` with scikit-learn's ``params``."""
    classes, y_idx = np.unique(y, return_inverse=True)
    units = [X.shape[1], *params["hidden_layer_sizes"], len(classes)]
    seed = int(params["random_state"])
    module = torch_mlp.build_module(units, torch_mlp.torch_dtype(X), seed)
    batch_size = int(params["batch_size"])
    opt_kwargs = {"optimizer__param_groups": [
        ("*weight", {"weight_decay": params["alpha"] / batch_size}),
        ("*bias", {"weight_decay": 0.0})]}
    if params["solver"] == "adam":
        optimizer = torch.optim.Adam
        opt_kwargs.update(optimizer__betas=(params["beta_1"], params["beta_2"]),
                          optimizer__eps=params["epsilon"])
    else:
        optimizer = torch.optim.SGD
        opt_kwargs.update(optimizer__momentum=params["momentum"],
                          optimizer__nesterov=bool(params["nesterovs_momentum"]
                                                   and params["momentum"] > 0))
    net = NeuralNetClassifier(
        module, criterion=torch.nn.CrossEntropyLoss, optimizer=optimizer,
        lr=params["learning_rate_init"], max_epochs=int(params["max_iter"]),
        batch_size=batch_size, iterator_train__shuffle=bool(params["shuffle"]),
        train_split=None, verbose=0, device="cpu", **opt_kwargs)
    torch.manual_seed(seed)
    net.fit(X, y_idx.astype(np.int64))
    return SkorchModel(net, classes)


def predict_proba(model, X):
    """Class probabilities from skorch's ``predict_proba``."""
    return model.net.predict_proba(X)
