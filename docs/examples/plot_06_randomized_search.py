"""
Randomized search over layers, neurons, learning rate and alpha
===============================================================

An MLP has many knobs and no formula for setting them. Random search tries
a fixed number of random combinations, each scored by cross-validation; for
the same budget it explores each knob more finely than a grid does, because
no two candidates share a value of a continuous parameter. skmlp's estimators
are scikit-learn estimators, so ``RandomizedSearchCV`` works unchanged.

The search space:

* **layers and neurons** as ``hidden_layer_sizes`` tuples (one, two or three
  hidden layers of various widths);
* **learning rate** ``learning_rate_init``, log-uniform between 1e-4 and 1e-1;
* **L2 penalty** ``alpha``, log-uniform between 1e-6 and 1.
"""

# %%
# Data and pipeline
# -----------------
# The scaler sits inside the pipeline so that every cross-validation fold is
# standardised with statistics from its own training part only.
import warnings

import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0)

pipe = Pipeline([
    ("scale", StandardScaler()),
    ("mlp", MLPClassifierNB(max_iter=60, random_state=0)),
])
space = {
    "mlp__hidden_layer_sizes": [(32,), (64,), (128,), (64, 32), (128, 64),
                                (64, 64, 32)],
    "mlp__learning_rate_init": loguniform(1e-4, 1e-1),
    "mlp__alpha": loguniform(1e-6, 1e0),
}

# %%
# The search
# ----------
# Fifteen candidates, three folds each. ``n_jobs=2`` would run the fits in two
# worker processes, which load skmlp's compiled kernels from the on-disk cache;
# the documentation build runs them in one process. ``max_iter=60`` caps each
# fit: candidates with a small learning rate stop there before converging,
# which is part of what the search measures, so their ConvergenceWarning is
# silenced.
search = RandomizedSearchCV(pipe, space, n_iter=15, cv=3, n_jobs=1,
                            random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

results = search.cv_results_
order = np.argsort(results["rank_test_score"])
print(f"{'rank':>4} {'CV accuracy':>12} {'fit s':>6}  hidden layers   "
      f"learning rate   alpha")
for i in order:
    p = results["params"][i]
    print(f"{results['rank_test_score'][i]:>4} "
          f"{results['mean_test_score'][i]:>8.4f} ±{results['std_test_score'][i]:.3f}"
          f" {results['mean_fit_time'][i]:>6.2f}  {str(p['mlp__hidden_layer_sizes']):<15} "
          f"{p['mlp__learning_rate_init']:>13.2e} {p['mlp__alpha']:>8.1e}")

# %%
# The best candidate, refitted on the whole training set
# ------------------------------------------------------
# ``refit=True`` (the default) trains the best parameters on all of
# ``X_train``; the held-out test set was never seen by the search.
best = search.best_params_
print(f"best: hidden_layer_sizes={best['mlp__hidden_layer_sizes']}, "
      f"learning_rate_init={best['mlp__learning_rate_init']:.2e}, "
      f"alpha={best['mlp__alpha']:.1e}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.4f}")

# %%
# How the learning rate mattered
# ------------------------------
# Each candidate's cross-validated accuracy against its learning rate, sized
# by the number of hidden neurons.
import matplotlib.pyplot as plt

lr = np.array([p["mlp__learning_rate_init"] for p in results["params"]])
neurons = np.array([sum(p["mlp__hidden_layer_sizes"]) for p in results["params"]])
fig, ax = plt.subplots(figsize=(7, 4))
sc = ax.scatter(lr, results["mean_test_score"], s=neurons, alpha=0.6,
                c=np.log10([p["mlp__alpha"] for p in results["params"]]))
ax.set_xscale("log")
ax.set_xlabel("learning_rate_init")
ax.set_ylabel("mean CV accuracy")
fig.colorbar(sc, label="log10(alpha)")
ax.set_title("15 random candidates (marker size: hidden neurons)")
fig.tight_layout()
