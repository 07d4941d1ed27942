"""The same seed gives bitwise-identical models, in this process and in another."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp

from skmlp import MLPClassifierNB, MLPRegressorNB

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)

# Each configuration is built the same way in this process and in the subprocess.
SETUP = textwrap.dedent(
    """
    import numpy as np
    import scipy.sparse as sp
    from skmlp import MLPClassifierNB, MLPRegressorNB

    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 12))
    y_clf = (X[:, :3].sum(axis=1) > 0).astype(int) + (X[:, 3] > 1)
    y_reg = X @ rng.standard_normal(12)
    Xs = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    base = dict(hidden_layer_sizes=(32, 16), max_iter=8, random_state=42)
    CONFIGS = {
        "clf-adam": lambda: MLPClassifierNB(**base).fit(X, y_clf),
        "clf-sgd-sparse": lambda: MLPClassifierNB(solver="sgd", **base).fit(Xs, y_clf),
        "reg-lbfgs": lambda: MLPRegressorNB(solver="lbfgs", **base).fit(X, y_reg),
        "reg-adam-float32": lambda: MLPRegressorNB(**base).fit(
            X.astype(np.float32), y_reg),
        "clf-early-stopping": lambda: MLPClassifierNB(
            early_stopping=True, **dict(base, max_iter=30)).fit(X, y_clf),
    }
    """
)
namespace = {}
exec(SETUP, namespace)
CONFIGS = namespace["CONFIGS"]

RUNNER = SETUP + textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("ignore")
    out = {}
    for name, make in CONFIGS.items():
        est = make()
        for i, w in enumerate(est.coefs_ + est.intercepts_):
            out[f"{name}|{i}"] = w
    np.savez(sys.argv[1], **out)
    """
)


def _weights(est):
    return est.coefs_ + est.intercepts_


@pytest.mark.parametrize("name", CONFIGS)
def test_same_seed_gives_bitwise_identical_weights_in_process(name):
    a, b = CONFIGS[name](), CONFIGS[name]()
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(u, v)
    if hasattr(a, "loss_curve_"):
        assert a.loss_curve_ == b.loss_curve_


@pytest.fixture(scope="module")
def subprocess_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("determinism") / "weights.npz"
    subprocess.run([sys.executable, "-c", RUNNER, str(path)], check=True, timeout=600)
    with np.load(path) as f:
        return {key: f[key] for key in f.files}


@pytest.mark.parametrize("name", CONFIGS)
def test_same_seed_gives_bitwise_identical_weights_in_another_process(
    subprocess_weights, name
):
    est = CONFIGS[name]()
    weights = _weights(est)
    assert sum(k.startswith(name + "|") for k in subprocess_weights) == len(weights)
    for i, w in enumerate(weights):
        other = subprocess_weights[f"{name}|{i}"]
        assert other.dtype == w.dtype
        np.testing.assert_array_equal(other, w)


def test_different_seeds_give_different_weights():
    X = namespace["X"]
    y = namespace["y_clf"]
    a = MLPClassifierNB(hidden_layer_sizes=(8,), max_iter=3, random_state=0).fit(X, y)
    b = MLPClassifierNB(hidden_layer_sizes=(8,), max_iter=3, random_state=1).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


def test_random_state_instance_is_advanced_by_fit():
    # scikit-learn semantics: a RandomState instance is used, not copied, so two
    # fits with the same instance start from different weights.
    X, y = namespace["X"], namespace["y_reg"]
    rs = np.random.RandomState(0)
    est = MLPRegressorNB(hidden_layer_sizes=(8,), max_iter=2, random_state=rs)
    first = est.fit(X, y).coefs_[0].copy()
    second = est.fit(X, y).coefs_[0]
    assert not np.array_equal(first, second)


def test_fit_does_not_depend_on_sparse_matrix_being_csr_or_csc():
    X = namespace["Xs"]
    y = namespace["y_clf"]
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0, solver="sgd")
    a = MLPClassifierNB(**params).fit(sp.csr_matrix(X), y)
    b = MLPClassifierNB(**params).fit(sp.csc_matrix(X), y)
    for u, v in zip(_weights(a), _weights(b)):
        np.testing.assert_array_equal(u, v)
