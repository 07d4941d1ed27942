"""Safe persistence through skops.io: dump, get_untrusted_types, load(trusted=...).

``joblib.load`` / ``pickle.load`` of a file from someone else can run arbitrary
code; ``skops.io.load`` only builds types the caller trusts. These tests keep
skmlp's fitted state made of NumPy, scikit-learn and builtin types only, so that
the one type a user has to confirm is skmlp's own estimator class, whatever
solver, target type or wrapping produced the model. (Round trips through every
format, skops included, and the version warning: tests/test_persistence.py.)
"""

import io
import json
import zipfile

import numpy as np
import pytest

sio = pytest.importorskip(
    "skops.io", reason="skops is optional: pip install 'skmlp[skops]'"
)

from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skmlp import MLPClassifierNB, MLPRegressorNB, ReduceLROnPlateau  # noqa: E402

rng = np.random.RandomState(0)
X = rng.standard_normal((48, 4))
S = X @ rng.standard_normal((4, 3))
TARGETS = {
    "binary": np.where(S[:, 0] > 0, "pos", "neg"),
    "multiclass": S.argmax(axis=1),
    "multilabel": (S > 0).astype(int),
}
SKMLP_TYPES = {
    f"{c.__module__}.{c.__qualname__}" for c in (MLPClassifierNB, MLPRegressorNB)
}
# Modules whose types a skmlp file may contain.
ALLOWED_ROOTS = {"builtins", "numpy", "sklearn", "skmlp"}
PARAMS = dict(hidden_layer_sizes=(6,), max_iter=8, random_state=0)


def _types_in_file(blob):
    """Every ``module.class`` named in a skops file's schema."""
    schema = json.loads(zipfile.ZipFile(io.BytesIO(blob)).read("schema.json"))
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    return found


def _round_trip(obj, extra_skmlp_types=()):
    blob = sio.dumps(obj)
    untrusted = sio.get_untrusted_types(data=blob)
    types = _types_in_file(blob)
    assert types, "no types found in the skops schema: has its format changed?"
    outside = {t for t in types if t.split(".")[0] not in ALLOWED_ROOTS}
    assert not outside, f"types outside numpy/sklearn/skmlp/builtins: {outside}"
    allowed = SKMLP_TYPES | set(extra_skmlp_types)
    assert set(untrusted) <= allowed, f"untrusted types: {untrusted}"
    assert untrusted, "skmlp's class must be confirmed by the user"
    return sio.loads(blob, trusted=untrusted)


def _assert_same(a, b, X):
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    if hasattr(a, "predict_proba"):
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_classifier_round_trip(kind, solver):
    est = MLPClassifierNB(solver=solver, **PARAMS).fit(X, TARGETS[kind])
    loaded = _round_trip(est)
    assert type(loaded) is MLPClassifierNB
    _assert_same(loaded, est, X)
    np.testing.assert_array_equal(loaded.classes_, est.classes_)
    assert loaded.get_params() == est.get_params()


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("loss, target", [("squared_error", S[:, :2]),
                                          ("poisson", np.exp(0.3 * S[:, 0]))])
def test_regressor_round_trip(loss, target, solver):
    est = MLPRegressorNB(loss=loss, solver=solver, **PARAMS).fit(X, target)
    loaded = _round_trip(est)
    assert type(loaded) is MLPRegressorNB
    _assert_same(loaded, est, X)


def test_pipeline_round_trip():
    pipe = make_pipeline(StandardScaler(), MLPClassifierNB(**PARAMS))
    pipe.fit(X, TARGETS["multiclass"])
    loaded = _round_trip(pipe)
    _assert_same(loaded, pipe, X)


@pytest.mark.parametrize("cls, y", [(MLPClassifierNB, TARGETS["multiclass"]),
                                    (MLPRegressorNB, S[:, 0])])
def test_partial_fit_state_needs_no_other_types(cls, y):
    # Everything partial_fit continues from (optimizer moments, the shuffling
    # stream and order) is made of trusted types; that the loaded copy then
    # takes the same steps is tested for every format in test_persistence.py.
    est = cls(**PARAMS)
    extra = {"classes": np.unique(y)} if cls is MLPClassifierNB else {}
    for _ in range(3):
        est.partial_fit(X, y, **extra)
    _assert_same(_round_trip(est), est, X)


@pytest.mark.parametrize(
    "params",
    [
        {"activation": ["gelu", "silu"], "dropout": [0.2, 0.1],
         "weight_init": "he_normal"},
        {"class_weight": {0: 2.0, 1: 1.0, 2: 0.5}},
        {"learning_rate_schedule": "plateau"},
    ],
    ids=["activations-dropout-init", "class_weight", "schedule"],
)
def test_feature_state_needs_no_other_types(params):
    # Per-layer activations, dropout (its generator's seed), class weights,
    # a schedule's running state and validation data add fitted state; it
    # must stay made of trusted types, and partial_fit must continue from it.
    y = TARGETS["multiclass"]
    est = MLPClassifierNB(hidden_layer_sizes=(6, 5), max_iter=8, random_state=0,
                          **params)
    est.fit(X, y, X_val=X[:12], y_val=y[:12])
    loaded = _round_trip(est)
    _assert_same(loaded, est, X)
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    for a, b in zip(est.coefs_ + est.intercepts_, loaded.coefs_ + loaded.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_a_schedule_object_is_the_one_more_type_to_confirm():
    # A schedule given as an object (not by name) is a skmlp class too.
    schedule = ReduceLROnPlateau(patience=2)
    est = MLPClassifierNB(learning_rate_schedule=schedule, **PARAMS)
    est.fit(X, TARGETS["binary"])
    schedule_type = f"{type(schedule).__module__}.{type(schedule).__qualname__}"
    loaded = _round_trip(est, extra_skmlp_types={schedule_type})
    assert loaded.learning_rate_schedule == schedule
    _assert_same(loaded, est, X)


def test_untrusted_load_is_refused():
    est = MLPClassifierNB(**PARAMS).fit(X, TARGETS["binary"])
    from skops.io.exceptions import UntrustedTypesFoundException

    with pytest.raises(UntrustedTypesFoundException, match="MLPClassifierNB"):
        sio.loads(sio.dumps(est))
