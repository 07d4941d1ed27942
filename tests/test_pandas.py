"""pandas input: feature names, string labels, Series and DataFrame targets."""

import numpy as np
import pandas as pd
import pytest

from skmlp import MLPClassifierNB, MLPRegressorNB

rng = np.random.RandomState(0)
ARR = rng.standard_normal((60, 4))
DF = pd.DataFrame(ARR, columns=["age", "height", "weight", "score"])
LABELS = pd.Series(np.array(["cat", "dog", "bird"])[
    (ARR[:, 0] > 0).astype(int) + (ARR[:, 1] > 0.5)], name="animal")
PARAMS = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0)


def test_dataframe_sets_feature_names_in():
    est = MLPClassifierNB(**PARAMS).fit(DF, LABELS)
    np.testing.assert_array_equal(est.feature_names_in_, DF.columns.to_numpy())
    assert est.n_features_in_ == 4


def test_numpy_input_sets_no_feature_names():
    est = MLPClassifierNB(**PARAMS).fit(ARR, LABELS)
    assert not hasattr(est, "feature_names_in_")


def test_string_labels_are_predicted_as_strings():
    est = MLPClassifierNB(**PARAMS).fit(DF, LABELS)
    np.testing.assert_array_equal(est.classes_, ["bird", "cat", "dog"])
    pred = est.predict(DF)
    assert set(pred) <= {"bird", "cat", "dog"}
    proba = est.predict_proba(DF)
    np.testing.assert_array_equal(pred, est.classes_[proba.argmax(axis=1)])


def test_binary_string_labels():
    y = pd.Series(np.where(ARR[:, 0] > 0, "yes", "no"))
    est = MLPClassifierNB(**PARAMS).fit(DF, y)
    np.testing.assert_array_equal(est.classes_, ["no", "yes"])
    assert est.predict_proba(DF).shape == (60, 2)
    assert set(est.predict(DF)) <= {"no", "yes"}


def test_dataframe_model_equals_numpy_model():
    a = MLPClassifierNB(**PARAMS).fit(DF, LABELS)
    b = MLPClassifierNB(**PARAMS).fit(ARR, LABELS.to_numpy())
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a.predict_proba(DF), b.predict_proba(ARR))


def test_predict_with_reordered_columns_raises():
    est = MLPClassifierNB(**PARAMS).fit(DF, LABELS)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(DF[["height", "age", "weight", "score"]])


def test_predict_with_numpy_after_dataframe_fit_warns():
    est = MLPClassifierNB(**PARAMS).fit(DF, LABELS)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        pred = est.predict(ARR)
    np.testing.assert_array_equal(pred, est.predict(DF))


def test_float32_dataframe_gives_float32_model():
    est = MLPRegressorNB(**PARAMS).fit(DF.astype(np.float32), ARR[:, 0])
    assert est.coefs_[0].dtype == np.float32
    assert est.predict(DF.astype(np.float32)).dtype == np.float32


def test_dataframe_targets_for_multioutput_regression():
    Y = pd.DataFrame({"a": ARR[:, 0] + ARR[:, 1], "b": ARR[:, 2] * 2})
    est = MLPRegressorNB(**PARAMS).fit(DF, Y)
    assert est.n_outputs_ == 2
    assert est.predict(DF).shape == (60, 2)


def test_dataframe_multilabel_targets():
    Y = pd.DataFrame({"x": (ARR[:, 0] > 0).astype(int), "y": (ARR[:, 1] > 0).astype(int)})
    est = MLPClassifierNB(**PARAMS).fit(DF, Y)
    assert est.predict(DF).shape == (60, 2)


def test_categorical_labels():
    y = LABELS.astype("category")
    est = MLPClassifierNB(**PARAMS).fit(DF, y)
    np.testing.assert_array_equal(est.classes_, ["bird", "cat", "dog"])
    ref = MLPClassifierNB(**PARAMS).fit(DF, LABELS)
    np.testing.assert_array_equal(est.predict(DF), ref.predict(DF))


def test_mixed_dtype_dataframe_is_converted():
    df = DF.copy()
    df["age"] = (df["age"] * 10).round().astype(int)
    est = MLPRegressorNB(**PARAMS).fit(df, ARR[:, 0])
    assert est.coefs_[0].dtype == np.float64
    ref = MLPRegressorNB(**PARAMS).fit(df.to_numpy(float), ARR[:, 0])
    np.testing.assert_array_equal(est.predict(df), ref.predict(df.to_numpy(float)))
