"""
Hidden-layer features in a pipeline
===================================

A trained network's hidden layers re-describe the input in terms that suit
its task: the last hidden layer is the representation the output layer
separates linearly. ``transform`` returns those activations, so a fitted
skmlp estimator is also a scikit-learn transformer and can sit in the middle
of a ``Pipeline`` as a learned feature extractor. scikit-learn's own MLPs
have no such method (issues #8291 and #9468 asked for it).

This example fits an MLP on the digits, feeds its 16 hidden features to a
nearest-neighbours classifier, and draws a two-unit bottleneck next to PCA.
"""

# %%
# Data
# ----
# The 8x8 digits bundled with scikit-learn: 1,797 images, 64 pixel features.
# The test set is held out from everything below.
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0)

# %%
# An MLP in the middle of a pipeline
# ----------------------------------
# ``Pipeline.fit`` fits each step on the output of the previous one: the MLP
# is trained on the labels (it is a classifier), then its ``transform`` turns
# the scaled pixels into the 16 activations of its last hidden layer, and the
# nearest-neighbours classifier is fitted on those. At predict time the
# pipeline runs the scaler, the MLP's ``transform`` and the neighbours' vote.
mlp = MLPClassifierNB(hidden_layer_sizes=(64, 16), max_iter=300, random_state=0)
pipe = make_pipeline(StandardScaler(), mlp, KNeighborsClassifier(n_neighbors=5))
pipe.fit(X_train, y_train)

pixels_knn = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5))
pixels_knn.fit(X_train, y_train)
mlp_alone = pipe[:-1]  # the fitted scaler and MLP; scored by the MLP's predict

print(f"{'model':<38} {'features':>8} {'test accuracy':>14}")
for name, model, n in [
    ("5-NN on scaled pixels", pixels_knn, X.shape[1]),
    ("5-NN on the MLP's hidden features", pipe, 16),
    ("the MLP's own output layer", mlp_alone, 16),
]:
    print(f"{name:<38} {n:>8} {model.score(X_test, y_test):>14.4f}")

# %%
# Neighbours are found in a space four times smaller, one where the network
# has pulled each digit's images together, and the vote becomes about as good
# as the network's own output layer. The features of the *training* rows are
# the ones the network was fitted on, so a model stacked on them sees them at
# their most optimistic: judge such a pipeline on held-out data (or
# cross-validate the whole pipeline), as here.
#
# Feature names and DataFrames
# ----------------------------
# The hidden units are named after the estimator, as scikit-learn names
# ``PCA``'s components, and ``set_output`` returns them as a DataFrame.
features = pipe[:-1]  # the scaler and the MLP: a transformer
print(features.get_feature_names_out())
mlp.set_output(transform="pandas")
print(features.transform(X_test[:4]).iloc[:, :4].round(2).to_string())
mlp.set_output(transform="default")

# %%
# A two-unit bottleneck next to PCA
# ---------------------------------
# With a last hidden layer of two units, the learned features can be drawn.
# PCA keeps the two directions of largest variance, whatever the labels; the
# network's two units are whatever helps its output layer tell the ten digits
# apart. The two units are linear (``"identity"``: a saturating ``tanh``
# bottleneck this narrow trains poorly), after a ReLU layer of 64. Both maps
# are shown on the test images, which neither model saw.
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

bottleneck = make_pipeline(
    StandardScaler(),
    MLPClassifierNB(hidden_layer_sizes=(64, 2), activation=["relu", "identity"],
                    learning_rate_init=0.01, max_iter=300, random_state=0),
).fit(X_train, y_train)
pca = make_pipeline(StandardScaler(), PCA(n_components=2)).fit(X_train)

fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
for ax, model, title in [
    (axes[0], pca, "PCA: two directions of largest variance"),
    (axes[1], bottleneck, "MLP: its two-unit last hidden layer"),
]:
    Z = model.transform(X_test)
    sc = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=12, alpha=0.8)
    ax.set_title(title)
    ax.set_xlabel(model.get_feature_names_out()[0])
    ax.set_ylabel(model.get_feature_names_out()[1])
fig.colorbar(sc, ax=axes, ticks=np.arange(10), label="digit")
plt.show()

print(f"test accuracy of the two-unit network: {bottleneck.score(X_test, y_test):.4f}")

# %%
# The digits that PCA smears over each other are pulled apart by the
# network, most classes along an arm of their own: the last hidden layer is the space
# in which the output layer draws its ten straight boundaries, and two
# dimensions already hold most of what it needs. ``transform`` computes it
# with the same compiled code as ``predict`` (the network stopped before its
# output layer, dropout off), so it costs no extra compilation, and it works
# on sparse matrices and on Dask collections as ``predict`` does.
