"""Benchmark data: MNIST (IDX files or OpenML, never copied in) and synthetic tabular."""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

DEFAULT_MNIST_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "mnist"
MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def load_mnist(mnist_dir=None, dtype=np.float64):
    """``(X, y, X_test, y_test, source)``, pixels in [0, 1]; ``source`` names no path."""
    path, how = next(((Path(d).expanduser(), how) for d, how in (
        (mnist_dir, "--mnist-dir"), (os.environ.get("SKMLP_MNIST_DIR"), "$SKMLP_MNIST_DIR"))
        if d), (DEFAULT_MNIST_DIR, "../shared/data/mnist (relative to the repository)"))
    if not all((path / n).exists() for n in MNIST_FILES):
        if path != DEFAULT_MNIST_DIR:
            raise FileNotFoundError(f"{path} lacks some of {', '.join(MNIST_FILES)}")
        path, how = None, "openml:mnist_784"
    if path is not None:
        arrays = []
        for name in MNIST_FILES:  # IDX: 0 0 8 (unsigned bytes), the rank, the shape, the bytes
            with gzip.open(path / name, "rb") as f:
                raw = f.read()
            if raw[:3] != b"\x00\x00\x08":
                raise ValueError(f"{path / name} is not an IDX file of unsigned bytes.")
            shape = tuple(np.frombuffer(raw, ">u4", raw[3], 4))
            arrays.append(np.frombuffer(raw, np.uint8, offset=4 + 4 * raw[3]).reshape(shape))
        X, y, Xt, yt = arrays
        X, Xt = X.reshape(len(X), -1), Xt.reshape(len(Xt), -1)
    else:
        from sklearn.datasets import fetch_openml

        X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False,
                            parser="liac-arff")
        X, Xt, y, yt = X[:60000], X[60000:], y[:60000], y[60000:]
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.uint8)).hexdigest()
    scale = np.asarray(1.0 / 255.0, dtype=dtype)
    return (np.ascontiguousarray(X, dtype=dtype) * scale, np.asarray(y).astype(np.int64),
            np.ascontiguousarray(Xt, dtype=dtype) * scale, np.asarray(yt).astype(np.int64),
            "%s, training images sha256 %s" % (how, digest[:12]))


def shifted_copies(X, y, side=28):
    """The rows and four copies moved by one pixel (down, up, right, left), zero-filled.

    Square images of ``side`` x ``side`` pixels, one per row; returns ``(X5, y5)`` with
    five times the rows: the originals first, then each move in that order.
    """
    img = np.asarray(X).reshape(-1, side, side)
    padded = np.pad(img, ((0, 0), (1, 1), (1, 1)))  # a zero border of one pixel
    corners = [(1, 1), (0, 1), (2, 1), (1, 0), (1, 2)]  # none, down, up, right, left
    X5 = np.concatenate([padded[:, r:r + side, c:c + side].reshape(len(img), -1)
                         for r, c in corners])
    return X5, np.tile(np.asarray(y), len(corners))


def subsample(X, y, n, seed=0):
    """A random subset of ``n`` rows in their order (all rows if ``n`` is None)."""
    if n is None or n >= X.shape[0]:
        return X, y
    rows = np.sort(np.random.RandomState(seed).choice(X.shape[0], n, replace=False))
    return np.ascontiguousarray(X[rows]), y[rows]


def make_tabular(n_samples=20000, n_features=50, n_test=5000, dtype=np.float64, seed=0):
    """``(X, y, X_test, y_test)``: 10 classes, the test set the tail of the same draw."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n_samples + n_test, n_features=n_features,
                               n_informative=30, n_redundant=10, n_classes=10,
                               n_clusters_per_class=2, class_sep=1.0, random_state=seed)
    X = X.astype(dtype)
    return (np.ascontiguousarray(X[:n_samples]), y[:n_samples],
            np.ascontiguousarray(X[n_samples:]), y[n_samples:])
