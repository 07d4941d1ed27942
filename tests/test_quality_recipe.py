"""The MNIST recipe's shifted copies (benchmarks/data.py, printed on docs/quality.md)."""

import numpy as np

from benchmarks.data import shifted_copies


def _moved(img, axis, step):
    """np.roll with the wrapped-around line zeroed: the reference for one move."""
    out = np.roll(img, step, axis=axis)
    edge = [slice(None)] * img.ndim
    edge[axis] = 0 if step > 0 else -1
    out[tuple(edge)] = 0
    return out


def test_shifted_copies_are_the_images_moved_by_one_pixel():
    rng = np.random.RandomState(0)
    side, n = 5, 3
    X, y = rng.rand(n, side * side) + 1.0, np.array([4, 7, 9])  # no zero pixel
    X5, y5 = shifted_copies(X, y, side=side)
    assert X5.shape == (5 * n, side * side) and X5.dtype == X.dtype
    np.testing.assert_array_equal(y5, np.tile(y, 5))
    img = X.reshape(n, side, side)
    expected = [img, _moved(img, 1, 1), _moved(img, 1, -1), _moved(img, 2, 1),
                _moved(img, 2, -1)]  # none, down, up, right, left
    for k, e in enumerate(expected):
        np.testing.assert_array_equal(X5[k * n:(k + 1) * n].reshape(n, side, side), e)
    # each move empties exactly one line of side pixels per image and keeps the rest
    assert [int((X5[k * n:(k + 1) * n] == 0).sum()) for k in range(5)] == [0] + [n * side] * 4
    np.testing.assert_array_equal(X, rng.__class__(0).rand(n, side * side) + 1.0)  # unchanged
