"""Benchmark data: MNIST from its four IDX files (or OpenML), synthetic tabular data.

MNIST is read from a directory holding the standard gzipped IDX files; it is never
copied into the repository. The directory is, in order of preference:

1. the ``--mnist-dir`` command-line option,
2. the ``SKMLP_MNIST_DIR`` environment variable,
3. ``../shared/data/mnist`` relative to the repository root, if it exists,

and otherwise ``sklearn.datasets.fetch_openml('mnist_784')`` (first 60,000 rows
for training, last 10,000 for testing, as in the original split).
"""

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MNIST_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist"
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
_IDX_UINT8 = 0x08


def read_idx(path):
    """Read one (optionally gzipped) IDX file of unsigned bytes.

    Parameters
    ----------
    path : str or Path
        File name; read through gzip when it ends in ``.gz``.

    Returns
    -------
    array : ndarray of uint8
        Shape given by the file header (``(n,)`` for labels, ``(n, 28, 28)``
        for images).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    if raw[2] != _IDX_UINT8:
        raise ValueError(f"{path}: IDX type byte 0x{raw[2]:02x}, expected 0x08 (uint8).")
    ndim = raw[3]
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape))
    if len(raw) - offset != expected:
        raise ValueError(
            f"{path}: header promises {expected} values, file holds {len(raw) - offset}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


def resolve_mnist_dir(mnist_dir=None):
    """``(directory, how)``: the MNIST directory to use and how it was chosen.

    ``how`` names the option or variable, never the path (a path of this
    machine has no place in a published page); ``directory`` is None when
    falling back to OpenML.
    """
    for candidate, how in ((mnist_dir, "--mnist-dir"),
                           (os.environ.get("SKMLP_MNIST_DIR"), "$SKMLP_MNIST_DIR")):
        if candidate:
            path = Path(candidate).expanduser()
            missing = [n for n in MNIST_FILES.values() if not (path / n).exists()]
            if missing:
                raise FileNotFoundError(
                    f"MNIST directory {path} lacks {', '.join(missing)}; pass "
                    "--mnist-dir (or SKMLP_MNIST_DIR) pointing at the four IDX files."
                )
            return path, how
    if all((DEFAULT_MNIST_DIR / n).exists() for n in MNIST_FILES.values()):
        return DEFAULT_MNIST_DIR, "../shared/data/mnist (relative to the repository)"
    return None, "openml:mnist_784"


def load_mnist(mnist_dir=None, dtype=np.float64):
    """MNIST as ``(X_train, y_train, X_test, y_test, source)``.

    Pixels are scaled to [0, 1] in ``dtype``; labels are int64. ``source`` says
    where the data came from without naming a path: the option or variable
    that chose the directory (or ``"openml:mnist_784"``) and a SHA-256 prefix
    of the training images as read, so that runs on different copies of the
    data can be told apart.
    """
    path, how = resolve_mnist_dir(mnist_dir)
    if path is not None:
        parts = {k: read_idx(path / name) for k, name in MNIST_FILES.items()}
        X_train = parts["train_images"].reshape(len(parts["train_images"]), -1)
        X_test = parts["test_images"].reshape(len(parts["test_images"]), -1)
        y_train = parts["train_labels"].astype(np.int64)
        y_test = parts["test_labels"].astype(np.int64)
    else:
        from sklearn.datasets import fetch_openml

        X, y = fetch_openml("mnist_784", version=1, return_X_y=True, as_frame=False,
                            parser="liac-arff")
        X = np.asarray(X)
        y = np.asarray(y).astype(np.int64)
        X_train, X_test, y_train, y_test = X[:60000], X[60000:], y[:60000], y[60000:]
    digest = hashlib.sha256(np.ascontiguousarray(X_train, dtype=np.uint8)).hexdigest()
    source = "%s, training images sha256 %s" % (how, digest[:12])
    scale = np.asarray(1.0 / 255.0, dtype=dtype)
    X_train = np.ascontiguousarray(X_train, dtype=dtype) * scale
    X_test = np.ascontiguousarray(X_test, dtype=dtype) * scale
    return X_train, y_train, X_test, y_test, source


def subsample(X, y, n, seed=0):
    """A stratification-free random subset of ``n`` rows (all rows if ``n`` is None)."""
    if n is None or n >= X.shape[0]:
        return X, y
    rows = np.sort(np.random.RandomState(seed).choice(X.shape[0], n, replace=False))
    return np.ascontiguousarray(X[rows]), y[rows]


def make_tabular(n_samples=20000, n_features=50, n_test=5000, dtype=np.float64, seed=0):
    """Synthetic classification data: ``(X_train, y_train, X_test, y_test)``.

    ``make_classification`` with 10 classes and 30 informative features; the
    test set is drawn from the same distribution (a held-out tail).
    """
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples + n_test, n_features=n_features, n_informative=30,
        n_redundant=10, n_classes=10, n_clusters_per_class=2, class_sep=1.0,
        random_state=seed,
    )
    X = X.astype(dtype)
    return (np.ascontiguousarray(X[:n_samples]), y[:n_samples],
            np.ascontiguousarray(X[n_samples:]), y[n_samples:])
