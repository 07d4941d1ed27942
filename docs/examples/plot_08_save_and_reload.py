"""
A pipeline saved and reloaded
=============================

A trained model is only useful if it can be stored and loaded elsewhere. A
fitted skmlp estimator holds only NumPy arrays and plain Python values (no
compiled code), so it is saved like any scikit-learn estimator, with
``joblib`` or ``pickle``, and the loaded copy predicts exactly as the original.
The file is about the size of scikit-learn's for the same network: the
weights, plus the optimizer's state so that training can continue.
"""

# %%
# Train a pipeline
# ----------------
import os
import tempfile
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0)
model = make_pipeline(
    StandardScaler(),
    MLPClassifierNB(hidden_layer_sizes=(64,), max_iter=50, random_state=0),
)
with warnings.catch_warnings():
    # 50 epochs are enough for this demonstration; stopping at max_iter is
    # expected, so its ConvergenceWarning is silenced.
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.4f}")

# %%
# Save, reload, compare
# ---------------------
# The file goes into a temporary directory that is removed afterwards. The
# reloaded pipeline gives bit-for-bit the same probabilities.
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "digits_mlp.joblib")
    joblib.dump(model, path)
    size_kib = os.path.getsize(path) / 1024
    loaded = joblib.load(path)

same = np.array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
print(f"saved {size_kib:.0f} KiB; reloaded predictions identical: {same}")
print("reloaded:", loaded)

# %%
# The reloaded model is a complete estimator: it can keep training
# (``partial_fit`` or ``warm_start``) and be refitted or cloned like any other.
# Since its state is plain arrays, the compiled kernels come from skmlp in the
# loading process (from its on-disk cache, or compiled on first use).
loaded[-1].partial_fit(loaded[0].transform(X_train), y_train)
print(f"one more epoch on the reloaded model: {len(loaded[-1].loss_curve_)} epochs "
      f"in its loss_curve_, test accuracy {loaded.score(X_test, y_test):.4f}")

# %%
# .. warning::
#
#    ``joblib.load`` and ``pickle.load`` can run arbitrary code stored in the
#    file. Load only files you created or trust, exactly as for any other
#    scikit-learn model.
