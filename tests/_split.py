"""The rows of an estimator's internal early-stopping split, drawn again.

skmlp draws from ``check_random_state(random_state)`` in scikit-learn's order:
the initial weights first (``skmlp._network.initial_weights``), then, only when
dropout is on, the dropout generator's seed (one ``randint``), then the split
with ``train_test_split`` from the same stream, stratified for single-label
classifiers. Tests that compare the internal split with explicit validation
data, or score the held-out rows by hand, redraw it here.
"""

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from skmlp import MLPClassifierNB
from skmlp._network import (
    dropout_rates,
    hidden_activations,
    hidden_sizes,
    initial_weights,
)


def early_stopping_split(est, X, y):
    """``(idx_train, idx_val)`` of a fitted ``est`` trained on ``(X, y)``."""
    rs = check_random_state(est.random_state)
    hidden = hidden_sizes(est)
    acts = hidden_activations(est, len(hidden))
    units = [X.shape[1], *hidden, est.n_outputs_]
    initial_weights(est.weight_init, rs, units, acts, np.float64)
    if any(dropout_rates(est, len(hidden))):
        rs.randint(np.iinfo(np.int64).max)
    y = np.asarray(y)
    single_label = isinstance(est, MLPClassifierNB) and y.ndim == 1
    return train_test_split(np.arange(X.shape[0]), random_state=rs,
                            test_size=est.validation_fraction,
                            stratify=y if single_label else None)
