"""scikit-learn's callbacks (``sklearn.callback``, scikit-learn 1.9+) in skmlp fits.

ProgressBar needs ``rich`` (in the ``test`` extra): these tests import it rather
than skip, so a missing ``rich`` fails loudly instead of hiding the tests.
"""

import io
import pickle
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmlp._callbacks
from skmlp import MLPClassifierNB, MLPRegressorNB
from skmlp._callbacks import HAS_SKLEARN_CALLBACKS

if HAS_SKLEARN_CALLBACKS:
    from sklearn.callback import ProgressBar, ScoringMonitor, _progressbar


@pytest.fixture(autouse=True)
def needs_sklearn_callback(request):
    if not HAS_SKLEARN_CALLBACKS and "without_sklearn_callback" not in request.node.name:
        pytest.skip("sklearn.callback is new in scikit-learn 1.9; this scikit-learn "
                    "only gets test_set_callbacks_without_sklearn_callback")

rng = np.random.RandomState(0)
X = rng.standard_normal((60, 4))
y = np.array(["ant", "bee", "cat"])[np.argmax(X @ rng.standard_normal((4, 3)), axis=1)]
y_reg = X @ rng.standard_normal(4)
MAX_ITER = 6
# n_iter_no_change above max_iter: every fit runs all its epochs.
PARAMS = dict(hidden_layer_sizes=(5,), max_iter=MAX_ITER, random_state=0,
              learning_rate_init=0.01, n_iter_no_change=50)
SOLVERS = ["sgd", "adam", "lbfgs"]
SUBTASK = {"sgd": "epoch", "adam": "epoch", "lbfgs": "iteration"}


class Recorder:
    """Records every hook call as (hook, task_name, task_id, n_iter_ of the snapshot)."""

    def __init__(self, fail_at_end_of=None):
        self.calls = []
        self.fail_at_end_of = fail_at_end_of

    def setup(self, estimator, context):
        self.calls.append(("setup", context.task_name))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        n_iter = getattr(fitted_estimator, "n_iter_", None)
        self.calls.append(("end", context.task_name, context.task_id, n_iter))
        if (context.task_name, context.task_id) == self.fail_at_end_of:
            raise RuntimeError("callback failure")

    def teardown(self, estimator, context):
        self.calls.append(("teardown", context.task_name))


class StopAfter:
    """Asks to stop at the end of the k-th epoch (or L-BFGS iteration)."""

    def __init__(self, k):
        self.k = k

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        return context.parent is not None and context.task_id == self.k - 1

    def teardown(self, estimator, context):
        pass


def _weights(est):
    return est.coefs_ + est.intercepts_


def _assert_same_weights(a, b):
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)


def _assert_all_bars_complete(out, *titles):
    for title in titles:
        assert re.search(title, out), out
    assert "100%" in out
    assert not re.search(r"\b[0-9]{1,2}%", out), out  # no bar left unfinished


@pytest.fixture(autouse=True)
def stop_leftover_progress_threads():
    """End ProgressBar display threads a broken teardown left running.

    They are not daemon threads: one left alive would hang the whole test
    session at exit instead of failing the test that leaked it.
    """
    yield
    if HAS_SKLEARN_CALLBACKS:
        for run in list(_progressbar._run_queues):
            _progressbar._run_queues.pop(run).put(None)
            _progressbar._run_monitors.pop(run).join()


def _no_monitor_left():
    # ProgressBar's display thread is not a daemon: one left alive (teardown
    # skipped) would keep the interpreter from exiting.
    return not _progressbar._run_monitors and not _progressbar._run_queues


# ------------------------------------------------------------- the task tree
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_hooks_of_a_stochastic_fit_form_one_epoch_task_per_epoch(solver):
    rec = Recorder()
    est = MLPClassifierNB(solver=solver, **dict(PARAMS, max_iter=3)).set_callbacks(rec)
    est.fit(X, y)
    epochs = [c for i in range(3)
              for c in (("begin", "epoch", i), ("end", "epoch", i, i + 1))]
    assert rec.calls == [("setup", "fit"), ("begin", "fit", 0), *epochs,
                         ("end", "fit", 0, 3), ("teardown", "fit")]


def test_hooks_of_an_lbfgs_fit_form_one_task_per_iteration():
    rec = Recorder()
    est = MLPRegressorNB(solver="lbfgs", **dict(PARAMS, max_iter=3)).set_callbacks(rec)
    est.fit(X, y_reg)
    assert est.n_iter_ == 3
    # Each iteration's task is open from its start; the one opened after the
    # last iteration is closed without a model (nothing ran in it).
    iters = [c for i in range(3) for c in (("begin", "iteration", i),
                                           ("end", "iteration", i, i + 1))]
    assert rec.calls == [("setup", "fit"), ("begin", "fit", 0), *iters,
                         ("begin", "iteration", 3), ("end", "iteration", 3, None),
                         ("end", "fit", 0, 3), ("teardown", "fit")]


def test_partial_fit_is_one_task_with_one_epoch():
    rec = Recorder()
    est = MLPClassifierNB(**PARAMS).set_callbacks(rec)
    for _ in range(2):
        est.partial_fit(X, y, classes=["ant", "bee", "cat"])
    one_call = [("setup", "partial_fit"), ("begin", "partial_fit", 0),
                ("begin", "epoch", 0), ("end", "epoch", 0, 1),
                ("end", "partial_fit", 0, 1), ("teardown", "partial_fit")]
    assert rec.calls == one_call * 2


@pytest.mark.parametrize("solver", SOLVERS)
def test_callbacks_do_not_change_the_fitted_model(solver):
    plain = MLPClassifierNB(solver=solver, **PARAMS).fit(X, y)
    watched = MLPClassifierNB(solver=solver, **PARAMS).set_callbacks(Recorder()).fit(X, y)
    _assert_same_weights(plain, watched)
    assert watched.n_iter_ == plain.n_iter_


class Keeper:
    """Keeps the fitted model handed over at the end of each task."""

    def __init__(self):
        self.models = {}

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.models[context.task_name, context.task_id] = fitted_estimator

    def teardown(self, estimator, context):
        pass


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_model_of_an_epoch_keeps_its_weights_after_the_fit(solver):
    keeper = Keeper()
    est = MLPClassifierNB(solver=solver, **PARAMS).set_callbacks(keeper).fit(X, y)
    first = keeper.models[SUBTASK[solver], 0]
    # Later epochs update the training weights in place; the first epoch's
    # model must still be the model after one epoch.
    _assert_same_weights(first, MLPClassifierNB(solver=solver, **dict(PARAMS, max_iter=1))
                         .fit(X, y))
    assert first.n_iter_ == 1 and est.n_iter_ == MAX_ITER
    if solver != "lbfgs":
        assert len(first.loss_curve_) == 1
    _assert_same_weights(keeper.models["fit", 0], est)


# -------------------------------------------------------------- ProgressBar
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("Est, target", [(MLPClassifierNB, y), (MLPRegressorNB, y_reg)],
                         ids=["classifier", "regressor"])
def test_progressbar_runs_in_a_fit(Est, target, solver, capsys):
    est = Est(solver=solver, **PARAMS).set_callbacks(ProgressBar())
    assert est.fit(X, target) is est
    _assert_all_bars_complete(capsys.readouterr().out, rf"{Est.__name__} - fit")
    assert _no_monitor_left()
    assert np.all(np.isfinite(np.asarray(est.predict(X), dtype=float)
                              if Est is MLPRegressorNB else est.predict_proba(X)))


@pytest.mark.parametrize(
    "n_jobs", [1, pytest.param(2, marks=pytest.mark.slow)])  # 2: loky workers
def test_progressbar_on_a_grid_search_reaches_skmlp(n_jobs, capsys):
    grid = {"alpha": [1e-4, 1e-2]}
    search = GridSearchCV(MLPClassifierNB(**PARAMS), grid, cv=2, n_jobs=n_jobs,
                          error_score="raise")
    search.set_callbacks(ProgressBar())
    search.fit(X, y)
    out = capsys.readouterr().out
    # One bar per skmlp fit, nested under the search's tasks (the default
    # ProgressBar() reaches one level down).
    fold_bars = re.findall(r"candidate-split-evaluation \| MLPClassifierNB - fit", out)
    assert len(fold_bars) == 4
    _assert_all_bars_complete(out, r"GridSearchCV - fit",
                              r"refit-with-best-params \| MLPClassifierNB - fit")
    assert _no_monitor_left()
    plain = GridSearchCV(MLPClassifierNB(**PARAMS), grid, cv=2).fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  plain.cv_results_["mean_test_score"])


def test_progressbar_on_a_pipeline_reaches_skmlp(capsys):
    pipe = make_pipeline(StandardScaler(), MLPRegressorNB(**PARAMS))
    pipe.set_callbacks(ProgressBar())
    pipe.fit(X, y_reg)
    _assert_all_bars_complete(capsys.readouterr().out, r"Pipeline - fit",
                              r"fit-final-estimator \| MLPRegressorNB - fit")


def test_progressbar_on_the_inner_estimator_of_a_search_is_refused():
    # scikit-learn's rule for auto-propagated callbacks: set them on the search.
    inner = MLPClassifierNB(**PARAMS).set_callbacks(ProgressBar())
    search = GridSearchCV(inner, {"alpha": [1e-4]}, cv=2, error_score="raise")
    with pytest.raises(TypeError, match="Register them directly on the meta-estimator"):
        search.fit(X, y)
    assert _no_monitor_left()


# ----------------------------------------------------------- ScoringMonitor
def _rows(monitor):
    return monitor.get_logs().data


@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_logs_one_row_per_epoch(solver):
    mon = ScoringMonitor(scoring="accuracy")
    est = MLPClassifierNB(solver=solver, **PARAMS).set_callbacks(mon).fit(X, y)
    rows = _rows(mon)
    per_epoch = [r for r in rows if r["task_name"] == SUBTASK[solver]]
    assert est.n_iter_ == MAX_ITER
    assert [r["task_id"] for r in per_epoch] == list(range(est.n_iter_))
    # Each row scores the model as it was after that epoch: a fit stopped there.
    for k in (1, est.n_iter_):
        alone = MLPClassifierNB(solver=solver, **dict(PARAMS, max_iter=k)).fit(X, y)
        assert per_epoch[k - 1]["accuracy"] == alone.score(X, y)
    # ... and one row for the whole fit: the final model.
    (root,) = [r for r in rows if r["task_name"] == "fit"]
    assert root["accuracy"] == est.score(X, y)
    assert len(rows) == est.n_iter_ + 1


def test_scoring_monitor_epoch_rows_keep_their_own_weights_under_early_stopping():
    # Epoch rows score that epoch's weights; the final row the restored best ones.
    mon = ScoringMonitor(scoring="neg_log_loss")
    est = MLPClassifierNB(early_stopping=True, validation_fraction=0.2,
                          **dict(PARAMS, max_iter=12, learning_rate_init=0.2))
    est.set_callbacks(mon).fit(X, y)
    rows = _rows(mon)
    per_epoch = [r["neg_log_loss"] for r in rows if r["task_name"] == "epoch"]
    assert len(per_epoch) == est.n_iter_
    assert len(set(per_epoch)) == len(per_epoch)  # every epoch its own model
    (root,) = [r for r in rows if r["task_name"] == "fit"]
    best_epoch = int(np.argmax(est.validation_scores_))
    assert root["neg_log_loss"] == per_epoch[best_epoch]


def test_scoring_monitor_gets_the_users_dataframe_and_sample_weight():
    Xdf = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    sw = np.linspace(0.2, 2.0, X.shape[0])
    mon = ScoringMonitor(scoring="accuracy")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = MLPClassifierNB(**dict(PARAMS, max_iter=2)).set_callbacks(mon)
        est.fit(Xdf, y, sample_weight=sw)
    # Scored on the user's DataFrame, not the validated array: no
    # "X does not have valid feature names" at every epoch.
    assert not [w for w in caught if "feature names" in str(w.message)]
    (root,) = [r for r in _rows(mon) if r["task_name"] == "fit"]
    assert root["accuracy"] == accuracy_score(y, est.predict(Xdf), sample_weight=sw)


@pytest.mark.slow
def test_scoring_monitor_on_the_inner_estimator_of_a_parallel_search():
    mon = ScoringMonitor(scoring="accuracy")
    inner = MLPClassifierNB(**dict(PARAMS, max_iter=3)).set_callbacks(mon)
    GridSearchCV(inner, {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=2,
                 error_score="raise").fit(X, y)
    # Rows come back from the workers: (2 candidates x 2 folds + refit) fits,
    # each with 3 epoch rows and one row for the fit.
    rows = _rows(mon)
    assert len(rows) == 5 * (3 + 1)
    assert sum(r["task_name"] == "epoch" for r in rows) == 5 * 3


# ------------------------------------------------------------- stop requests
@pytest.mark.parametrize("solver", SOLVERS)
def test_stop_request_ends_training_after_epoch_k(solver):
    k = 3
    est = MLPClassifierNB(solver=solver, **dict(PARAMS, max_iter=20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the callback's decision: no warning
        est.set_callbacks(StopAfter(k)).fit(X, y)
    assert est.n_iter_ == k
    if solver != "lbfgs":
        assert len(est.loss_curve_) == k
    # A consistent model: exactly the one a fit of k epochs gives.
    _assert_same_weights(est, MLPClassifierNB(solver=solver, **dict(PARAMS, max_iter=k))
                         .fit(X, y))
    assert set(est.predict(X)) <= set(est.classes_)


def test_stop_request_under_early_stopping_keeps_the_best_weights():
    k = 4
    params = dict(PARAMS, max_iter=20, early_stopping=True, validation_fraction=0.2)
    est = MLPClassifierNB(**params).set_callbacks(StopAfter(k)).fit(X, y)
    assert est.n_iter_ == len(est.validation_scores_) == k
    _assert_same_weights(est, MLPClassifierNB(**dict(params, max_iter=k)).fit(X, y))


def test_stop_request_still_completes_the_progressbar(capsys):
    est = MLPClassifierNB(**dict(PARAMS, max_iter=50))
    est.set_callbacks(StopAfter(2), ProgressBar()).fit(X, y)
    assert est.n_iter_ == 2
    _assert_all_bars_complete(capsys.readouterr().out, r"MLPClassifierNB - fit")


# ---------------------------------------------------- failures and rollback
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_failing_fit_tears_down_and_keeps_the_users_callbacks(solver):
    rec = Recorder(fail_at_end_of=(SUBTASK[solver], 1))
    mon = ScoringMonitor(scoring="accuracy")
    est = MLPClassifierNB(solver=solver, **PARAMS).set_callbacks(rec, ProgressBar(), mon)
    with pytest.raises(RuntimeError, match="callback failure"):
        est.fit(X, y)
    assert rec.calls[-1] == ("teardown", "fit")
    assert _no_monitor_left()
    # Rolled back to unfitted, with the very callback objects the user set.
    with pytest.raises(NotFittedError):
        est.predict(X)
    assert est._skl_callbacks[0] is rec and est._skl_callbacks[2] is mon
    assert not hasattr(est, "_callback_fit_ctx")
    rec.fail_at_end_of = None
    est.fit(X, y)  # and it fits again, logging where the user looks
    assert sum(r["task_name"] == "fit" for r in _rows(mon)) == 1


# ------------------------------------------------- clone, pickle and joblib
def _roundtrips(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return pickle.loads(pickle.dumps(est)), joblib.load(buffer)


def test_callbacks_survive_clone_pickle_and_joblib_as_in_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    callbacks = (Recorder(), ScoringMonitor(scoring="accuracy"))
    est = MLPClassifierNB(**PARAMS).set_callbacks(*callbacks)
    reference = LogisticRegression().set_callbacks(*callbacks)
    # clone passes the very callback objects on, as for scikit-learn's estimators
    assert clone(est)._skl_callbacks is est._skl_callbacks
    est.fit(X, y)
    reference.fit(X, y)

    def callback_attributes(e):
        return {k for k in vars(e) if "callback" in k}

    assert callback_attributes(est) == callback_attributes(reference) == {"_skl_callbacks"}
    for restored in _roundtrips(est):
        assert [type(c) for c in restored._skl_callbacks] == [Recorder, ScoringMonitor]
        np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
        restored.fit(X, y)  # the restored callbacks work
        assert restored._skl_callbacks[0].calls[-1] == ("teardown", "fit")
    plain = MLPClassifierNB(**PARAMS).fit(X, y)
    assert callback_attributes(plain) == set()
    assert callback_attributes(_roundtrips(plain)[1]) == set()


# ---------------------------------------- a scikit-learn without callbacks
@pytest.mark.parametrize("Est", [MLPClassifierNB, MLPRegressorNB])
def test_set_callbacks_without_sklearn_callback(Est, monkeypatch):
    # What skmlp does when `import sklearn.callback` failed (scikit-learn < 1.9).
    monkeypatch.setattr(skmlp._callbacks, "HAS_SKLEARN_CALLBACKS", False)
    est = Est(**PARAMS)
    with pytest.raises(ImportError, match=r"scikit-learn>=1\.9"):
        est.set_callbacks(Recorder())
    assert not hasattr(est, "_skl_callbacks")
    target = y if Est is MLPClassifierNB else y_reg
    _assert_same_weights(est.fit(X, target), Est(**PARAMS).fit(X, target))
