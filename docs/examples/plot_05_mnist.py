"""
The 784-300-100-10 network on MNIST
===================================

The classic first deep network: MNIST's 28x28 grey-scale digits flattened to
784 inputs, two ReLU hidden layers of 300 and 100 neurons, and a softmax over
the 10 digits. Inputs are standardised first (``StandardScaler``): gradient
descent works best when every feature has a similar scale.

Where the data comes from, in this order:

1. MNIST's four original files (``train-images-idx3-ubyte.gz``,
   ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
   ``t10k-labels-idx1-ubyte.gz``) in the folder named by the environment
   variable ``SKMLP_MNIST_DIR``;
2. otherwise OpenML, through scikit-learn's
   :func:`~sklearn.datasets.fetch_openml` (downloaded once, then cached in
   ``~/scikit_learn_data``);
3. otherwise (no network) the example prints how to get the files and runs the
   same code on scikit-learn's bundled 8x8 digits, so that the page still
   shows the model at work; its output says which data it used.

To keep the documentation build quick it trains on 10,000 of the 60,000
training images for 5 epochs; the recipe for the full data is at the end.
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
    data["source"] = "the IDX files in $SKMLP_MNIST_DIR"
    return data


# %%
# Downloading it with scikit-learn
# --------------------------------
# OpenML's ``mnist_784`` holds the same 70,000 images in the same order: the
# first 60,000 are the training set, the last 10,000 the test set. Its labels
# are strings ("0" to "9"); the IDX files' are integers. Without a network
# (the documentation may be built off-line) the download fails and
# ``fetch_mnist`` returns None.
from sklearn.datasets import fetch_openml


def fetch_mnist():
    try:
        with warnings.catch_warnings():
            # its "network error ... Retrying" warning: the failure is reported below
            warnings.simplefilter("ignore", UserWarning)
            X, y = fetch_openml("mnist_784", version=1, return_X_y=True,
                                as_frame=False, parser="liac-arff",
                                n_retries=1, delay=0.1)  # off-line: fail fast
    except OSError as exc:  # no network, a proxy, OpenML down: say why
        print(f"fetch_openml('mnist_784') failed: {type(exc).__name__}: {exc}")
        return None
    X, y = X.astype(np.float64), y.astype(np.uint8)
    return {"X_train": X[:60_000], "y_train": y[:60_000],
            "X_test": X[60_000:], "y_test": y[60_000:],
            "source": "OpenML's mnist_784 (fetch_openml)"}


HOW_TO_GET_MNIST = f"""\
MNIST is not available here, so the code below runs on scikit-learn's bundled
8x8 digits instead (1,797 images; the numbers and the figure are theirs).
To run it on MNIST, either:
  - with network access, do nothing: fetch_openml("mnist_784") downloads it
    once and caches it in ~/scikit_learn_data; or
  - put the four original files
      {FILES["X_train"]}, {FILES["y_train"]},
      {FILES["X_test"]}, {FILES["y_test"]}
    (for example from https://ossci-datasets.s3.amazonaws.com/mnist/, the
    mirror torchvision uses) into one folder, and set
      export SKMLP_MNIST_DIR=/path/to/that/folder
    before running this example or building the documentation."""


def load_digits_instead():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test,
            "y_test": y_test, "source": "scikit-learn's 8x8 digits (not MNIST)"}


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
    n_train = len(X)
    print(f"data: {data['source']}")
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
    print(f"test accuracy on the {len(data['y_test']):,} test images: {accuracy:.4f}")

    pred = model.predict(data["X_test"])
    wrong = np.flatnonzero(pred != data["y_test"])[:10]
    side = int(np.sqrt(data["X_test"].shape[1]))  # 28 for MNIST, 8 for digits
    fig, axes = plt.subplots(1, len(wrong), figsize=(1.3 * len(wrong), 1.9))
    for ax, i in zip(np.atleast_1d(axes), wrong):
        ax.imshow(data["X_test"][i].reshape(side, side), cmap="gray_r")
        ax.set_title(f"{pred[i]} (is {data['y_test'][i]})", fontsize=9)
        ax.axis("off")
    fig.suptitle("misclassified test digits: predicted (true)", fontsize=10)
    fig.tight_layout()
    return model


# %%
# Run it
# ------
# On MNIST when it can be had (the files, else OpenML), else on the digits.
data = load_mnist(os.environ.get("SKMLP_MNIST_DIR"))
if data is None:
    data = fetch_mnist()
if data is None:
    print(HOW_TO_GET_MNIST)
    data = load_digits_instead()
model = run(data)

# %%
# The full recipe
# ---------------
# ``run(data, n_train=60_000, epochs=20)`` trains on all the images. The
# benchmark page (:doc:`/benchmarks`, "Time per epoch across epochs") reports
# the test accuracy after 10 such epochs and the time each epoch takes, next
# to scikit-learn's ``MLPClassifier`` on the same data.
