"""
Training on a Dask cluster
==========================

When the training data live on a Dask cluster, ``fit`` takes the Dask
arrays (or DataFrames) themselves and trains where the blocks are, without
gathering them into the client: ``solver="lbfgs"`` sums every block's
loss and gradient on the workers, and ``"sgd"``/``"adam"`` train on every
block and average the models every ``dask_sync_batches`` minibatches.
``predict`` on a Dask collection stays lazy. The measured scaling and the
cost model are in :doc:`../scaling_out`.

This example starts a two-worker cluster inside the process (threads), so
that it runs anywhere; a real cluster (worker processes on other machines)
is used the same way, through its ``distributed.Client``.
"""

# %%
# Data and a cluster
# ------------------
# 20,000 training rows in four blocks of 5,000, persisted on the workers.
import warnings

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB

X, y = make_classification(22_000, 20, n_informative=12, n_classes=5, random_state=0)
X = StandardScaler().fit_transform(X)
X_train, y_train, X_test, y_test = X[2000:], y[2000:], X[:2000], y[:2000]

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                       dashboard_address=None)
client = Client(cluster)
X_dask = da.from_array(X_train, chunks=(5000, 20)).persist()
y_dask = da.from_array(y_train, chunks=5000).persist()

# %%
# L-BFGS: the local objective, summed on the workers
# --------------------------------------------------
# Each loss-and-gradient evaluation sends the weights to the workers, runs
# the compiled full-data gradient on every block where it lives and adds the
# partial sums up a tree. The objective is the local one, so the weights
# equal a local fit's up to the order of the additions.
lbfgs = dict(hidden_layer_sizes=(32,), solver="lbfgs", max_iter=40, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 40 iterations, on purpose
    local = MLPClassifierNB(**lbfgs).fit(X_train, y_train)
    on_cluster = MLPClassifierNB(**lbfgs).fit(X_dask, y_dask)
gap = max(np.max(np.abs(a - b)) / np.max(np.abs(a))
          for a, b in zip(local.coefs_ + local.intercepts_,
                          on_cluster.coefs_ + on_cluster.intercepts_))
print(f"lbfgs, largest weight difference from the local fit: {gap:.1e} (relative)")
print(f"test accuracy: local {local.score(X_test, y_test):.3f}, "
      f"cluster {on_cluster.score(X_test, y_test):.3f}")

# %%
# Adam: train on every block, average the models
# ----------------------------------------------
# Every block trains its own copy from the same weights; the client averages
# the copies (weighted by the rows they saw) every ``dask_sync_batches``
# minibatches. Averaging four copies after each step is about one step with
# a four times larger batch, so it makes less progress per epoch than a
# local fit; more epochs or a larger learning rate make up for it.
adam = dict(hidden_layer_sizes=(32,), max_iter=30, learning_rate_init=0.01,
            n_iter_no_change=30, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    local_adam = MLPClassifierNB(**adam).fit(X_train, y_train)
    cluster_adam = MLPClassifierNB(dask_sync_batches=8, **adam).fit(X_dask, y_dask)
print(f"adam, test accuracy: local {local_adam.score(X_test, y_test):.3f}, "
      f"cluster {cluster_adam.score(X_test, y_test):.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.arange(1, len(local_adam.loss_curve_) + 1), local_adam.loss_curve_,
        label="local fit")
ax.plot(np.arange(1, len(cluster_adam.loss_curve_) + 1), cluster_adam.loss_curve_,
        label="on the cluster (4 blocks, averaged every 8 minibatches)")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend()
fig.tight_layout()

# %%
# Predict where the data are
# --------------------------
# On a Dask collection, ``predict_proba`` returns a lazy Dask array, one
# block per input block; computing it gives the local result.
X_test_dask = da.from_array(X_test, chunks=(500, 20))
proba = cluster_adam.predict_proba(X_test_dask)
print(type(proba).__name__, proba.numblocks)
print("equal to the local predict_proba:",
      np.array_equal(proba.compute(), cluster_adam.predict_proba(X_test)))

client.close()
cluster.close()
