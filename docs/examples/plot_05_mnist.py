"""
The 784-300-100-10 network on MNIST
===================================

The classic first deep network: MNIST's 28x28 grey-scale digits flattened to
784 inputs, two ReLU hidden layers of 300 and 100 neurons, and a softmax over
the 10 digits. Inputs are standardised first (``StandardScaler``): gradient
descent works best when every feature has a similar scale.

The example reads MNIST's four original files (``train-images-idx3-ubyte.gz``,
``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
``t10k-labels-idx1-ubyte.gz``) from the folder named by the environment
variable ``SKMLP_MNIST_DIR``. Without it, it says so and stops. To keep the
documentation build quick it trains on 10,000 of the 60,000 training images
for 5 epochs; the recipe for the full data is at the end.
"""

# %%
# Reading the IDX files
# ---------------------
# An IDX file is a big-endian header (two zero bytes, a type code, the number
# of dimensions, one 4-byte size per dimension) followed by the raw values.
import gzip
import os
import time
import warnings

import numpy as np

FILES = {
    "X_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "X_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big")
                  for i in range(ndim))
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return values.reshape(shape)


def load_mnist(folder):
    """MNIST as float64 rows of 784 pixels, or None if the files are missing."""
    if not folder or not all(os.path.isfile(os.path.join(folder, name))
                             for name in FILES.values()):
        return None
    data = {key: read_idx(os.path.join(folder, name)) for key, name in FILES.items()}
    for key in ("X_train", "X_test"):
        data[key] = data[key].reshape(len(data[key]), -1).astype(np.float64)
    return data


# %%
# The model
# ---------
# ``hidden_layer_sizes=(300, 100)`` gives the 784-300-100-10 network (the input
# and output sizes come from the data); everything else is scikit-learn's
# default: ReLU, Adam with learning rate 0.001, batches of 200, ``alpha=1e-4``.
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmlp import MLPClassifierNB


def make_model(epochs):
    return make_pipeline(
        StandardScaler(),
        MLPClassifierNB(hidden_layer_sizes=(300, 100), max_iter=epochs,
                        random_state=0),
    )


# %%
# Training and evaluation
# -----------------------
import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning


def run(data, n_train=10_000, epochs=5):
    X, y = data["X_train"][:n_train], data["y_train"][:n_train]
    model = make_model(epochs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # A fixed, small number of epochs is the point here: stopping at
        # max_iter is expected, so its ConvergenceWarning is silenced.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - start
    mlp = model[-1]
    # In a fresh environment this time includes compiling skmlp's kernels.
    print(f"trained on {n_train} images for {mlp.n_iter_} epochs in {seconds:.1f} s")
    print("weight shapes:", [W.shape for W in mlp.coefs_])
    accuracy = model.score(data["X_test"], data["y_test"])
    print(f"test accuracy on the 10,000 test images: {accuracy:.4f}")

    pred = model.predict(data["X_test"])
    wrong = np.flatnonzero(pred != data["y_test"])[:10]
    fig, axes = plt.subplots(1, len(wrong), figsize=(1.3 * len(wrong), 1.9))
    for ax, i in zip(np.atleast_1d(axes), wrong):
        ax.imshow(data["X_test"][i].reshape(28, 28), cmap="gray_r")
        ax.set_title(f"{pred[i]} (is {data['y_test'][i]})", fontsize=9)
        ax.axis("off")
    fig.suptitle("misclassified test digits: predicted (true)", fontsize=10)
    fig.tight_layout()
    return model


# %%
# Run it, if the data is there
# ----------------------------
data = load_mnist(os.environ.get("SKMLP_MNIST_DIR"))
if data is None:
    print("MNIST not found: set SKMLP_MNIST_DIR to a folder holding "
          + ", ".join(FILES.values()) + ". Skipping this example.")
else:
    model = run(data)

# %%
# The full recipe
# ---------------
# ``run(data, n_train=60_000, epochs=20)`` trains on all the images. The
# benchmark page (:doc:`/benchmarks`, "Time per epoch across epochs") reports
# the test accuracy after 10 such epochs and the time each epoch takes, next
# to scikit-learn's ``MLPClassifier`` on the same data.
