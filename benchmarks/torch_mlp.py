"""PyTorch (a manual loop) and skorch peers; L2 as ``weight_decay = alpha / batch_size``."""

import types

import numpy as np
import torch
from torch import nn

from .machine import usable_cpus
from .models import glorot_weights

torch.set_num_threads(usable_cpus())


def _module(X, params, classes):
    units = [X.shape[1], *params["hidden_layer_sizes"], len(classes)]
    layers = []
    for i, (W, b) in enumerate(glorot_weights(units, params["random_state"])):
        lin = nn.Linear(*W.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, nn.ReLU()] if i < len(units) - 2 else [lin]
    return nn.Sequential(*layers).to(torch.float64 if X.dtype == np.float64 else torch.float32)


def _optimizer(params):
    """``(class, keyword arguments)`` of Adam or SGD with scikit-learn's settings."""
    if params["solver"] == "adam":
        return torch.optim.Adam, {"betas": (params["beta_1"], params["beta_2"]),
                                  "eps": params["epsilon"]}
    return torch.optim.SGD, {"momentum": params["momentum"],
                             "nesterov": bool(params["nesterovs_momentum"])}


def fit_torch(X, y, params):
    classes, y_idx = np.unique(y, return_inverse=True)
    model, batch, (cls, kwargs) = _module(X, params, classes), int(params["batch_size"]), \
        _optimizer(params)
    linear = [m for m in model if isinstance(m, nn.Linear)]
    opt = cls([{"params": [m.weight for m in linear], "weight_decay": params["alpha"] / batch},
               {"params": [m.bias for m in linear], "weight_decay": 0.0}],
              lr=params["learning_rate_init"], **kwargs)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y_idx.astype(np.int64))
    gen = torch.Generator().manual_seed(int(params["random_state"]))
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(params["max_iter"]):
        perm = torch.randperm(Xt.shape[0], generator=gen)
        for start in range(0, Xt.shape[0], batch):
            idx = perm[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    return types.SimpleNamespace(net=model, classes_=classes)


def fit_skorch(X, y, params):
    from skorch import NeuralNetClassifier

    classes, y_idx = np.unique(y, return_inverse=True)
    batch, (cls, kwargs) = int(params["batch_size"]), _optimizer(params)
    net = NeuralNetClassifier(
        _module(X, params, classes), criterion=nn.CrossEntropyLoss, optimizer=cls,
        lr=params["learning_rate_init"], max_epochs=int(params["max_iter"]),
        batch_size=batch, iterator_train__shuffle=bool(params["shuffle"]), train_split=None,
        verbose=0, device="cpu", optimizer__param_groups=[
            ("*weight", {"weight_decay": params["alpha"] / batch}),
            ("*bias", {"weight_decay": 0.0})],
        **{"optimizer__" + k: v for k, v in kwargs.items()})
    torch.manual_seed(int(params["random_state"]))
    net.fit(X, y_idx.astype(np.int64))
    return types.SimpleNamespace(net=net, classes_=classes)


def predict_proba(model, X):
    if not isinstance(model.net, nn.Module):
        return model.net.predict_proba(X)
    model.net.eval()
    with torch.inference_mode():
        return torch.softmax(model.net(torch.from_numpy(X)), dim=1).numpy()
