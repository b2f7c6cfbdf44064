"""Array helpers between loading and training: splits, scaling, flattening, one-hot, mini-batches.

They work on NumPy arrays, samples first, and never modify their inputs. Random ones take a
``seed`` (an int, a ``np.random.Generator``, or ``None`` for scratchdl's seeded
``backend.random_generator()``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.data._seed import Seed, rng_from_seed

__all__ = [
    "train_test_split", "train_dev_test_split", "standardize", "scale_images", "flatten_images", "one_hot",
    "minibatches",
]

Split = tuple[np.ndarray, np.ndarray]


def _arrays(x: Any, y: Any, caller: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{caller}: x and y must be arrays of samples, got shapes {x.shape} and {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{caller}: x has {x.shape[0]} samples (shape {x.shape}) but y has {y.shape[0]} (shape {y.shape})"
        )
    return x, y


def _split(x: np.ndarray, y: np.ndarray, sizes: list[int], shuffle: bool, seed: Seed, caller: str) -> list[Split]:
    order = rng_from_seed(seed, caller).permutation(len(x)) if shuffle else np.arange(len(x))
    bounds = np.cumsum(sizes)[:-1]
    return [(x[part], y[part]) for part in np.split(order, bounds)]


def train_dev_test_split(
    x: Any,
    y: Any,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    shuffle: bool = True,
    seed: Seed = None,
) -> tuple[Split, Split, Split]:
    """Split ``(x, y)`` into training, development (validation) and test sets.

    Returns ``((x_train, y_train), (x_dev, y_dev), (x_test, y_test))``. ``fractions`` (three
    non-negative numbers summing to 1) give the shares; the dev and test sizes are rounded and the
    training set takes the rest, so every sample lands in exactly one set. With ``shuffle`` the
    samples are permuted first (the same permutation for ``x`` and ``y``).

    >>> (xa, ya), (xb, yb), (xc, yc) = train_dev_test_split(np.arange(10), np.arange(10), seed=0)
    >>> len(xa), len(xb), len(xc)
    (8, 1, 1)
    """
    caller = "train_dev_test_split"
    x, y = _arrays(x, y, caller)
    shares = np.asarray(fractions, dtype=np.float64)
    if shares.shape != (3,) or np.any(shares < 0) or not np.isclose(shares.sum(), 1.0):
        raise ValueError(f"{caller}: fractions must be three numbers >= 0 summing to 1, got {tuple(fractions)}")
    n = len(x)
    dev, test = (int(round(share * n)) for share in shares[1:])
    if dev + test > n:
        test = n - dev
    train, dev_set, test_set = _split(x, y, [n - dev - test, dev, test], shuffle, seed, caller)
    return train, dev_set, test_set


def train_test_split(
    x: Any, y: Any, test_size: float | int = 0.2, shuffle: bool = True, seed: Seed = None
) -> tuple[Split, Split]:
    """Split ``(x, y)`` into ``((x_train, y_train), (x_test, y_test))``.

    ``test_size`` is a fraction in ``[0, 1]`` (rounded to a count) or a number of samples. (Keras-style
    nested pairs, not scikit-learn's flat ``x_train, x_test, y_train, y_test``.)

    >>> (x_train, y_train), (x_test, y_test) = train_test_split(np.arange(10), np.arange(10), 0.3, seed=0)
    >>> len(x_train), len(x_test)
    (7, 3)
    """
    caller = "train_test_split"
    x, y = _arrays(x, y, caller)
    n = len(x)
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        if not 0 <= test_size <= n:
            raise ValueError(f"{caller}: test_size {test_size} is not a count between 0 and the {n} samples")
        test = int(test_size)
    elif isinstance(test_size, (float, np.floating)) and 0.0 <= test_size <= 1.0:
        test = int(round(test_size * n))
    else:
        raise ValueError(f"{caller}: test_size must be a fraction in [0, 1] or a sample count, got {test_size!r}")
    train, test_set = _split(x, y, [n - test, test], shuffle, seed, caller)
    return train, test_set


def standardize(
    x: Any, mean: Any = None, std: Any = None, axis: int | tuple[int, ...] = 0, epsilon: float = 1e-8
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardize features to zero mean and unit variance: ``((x - mean) / std, mean, std)``.

    Without ``mean``/``std`` they are computed over ``axis`` (the samples) with ``keepdims``, so the
    returned statistics broadcast against ``x``: compute them on the training set and pass them back
    for the dev and test sets. Standard deviations below ``epsilon`` (constant features) become 1.
    Integer inputs become ``floatx()``; float inputs keep their dtype.

    >>> x_train, mean, std = standardize(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> x_train.tolist(), mean.tolist()
    ([[-1.0, -1.0], [1.0, 1.0]], [[2.0, 20.0]])
    """
    array = np.asarray(x)
    dtype = array.dtype if backend.is_floating(array.dtype) else np.dtype(backend.floatx())
    array = array.astype(dtype, copy=False)
    if (mean is None) != (std is None):
        raise ValueError("standardize: pass both mean and std (from the training set), or neither")
    if mean is None:
        mean = array.mean(axis=axis, keepdims=True, dtype=np.float64)
        std = array.std(axis=axis, keepdims=True, dtype=np.float64)
        std = np.where(std < epsilon, 1.0, std)
    mean, std = np.asarray(mean), np.asarray(std)
    try:
        result = ((array - mean) / std).astype(dtype, copy=False)
    except ValueError:
        raise ValueError(
            f"standardize: mean {mean.shape} and std {std.shape} do not broadcast against x {array.shape}"
        ) from None
    if result.shape != array.shape:
        raise ValueError(f"standardize: mean {mean.shape} and std {std.shape} would change x's shape {array.shape}")
    return result, mean, std


def scale_images(x: Any, dtype: Any = None) -> np.ndarray:
    """Scale uint8 pixels 0..255 to floats in [0, 1]: ``x / 255`` as ``dtype`` (default ``floatx()``).

    Integer arrays must hold values 0..255; float arrays are refused (they are usually scaled already).

    >>> scale_images(np.array([0, 255], dtype=np.uint8))
    array([0., 1.], dtype=float32)
    """
    array = np.asarray(x)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"scale_images: expected uint8 pixel values 0..255, got dtype {array.dtype} (already scaled?)")
    if array.dtype != np.uint8 and array.size and (array.min() < 0 or array.max() > 255):
        raise ValueError(
            f"scale_images: expected pixel values 0..255, got {array.dtype} values from {array.min()} to {array.max()}"
        )
    return array.astype(backend.floatx() if dtype is None else dtype) / np.float32(255.0)


def flatten_images(x: Any) -> np.ndarray:
    """Flatten each sample to a vector: ``(N, H, W, C)`` -> ``(N, H * W * C)`` (C order).

    The course's ``x.reshape(x.shape[0], -1).T`` without the transpose: samples stay first.

    >>> flatten_images(np.zeros((5, 4, 4, 3))).shape
    (5, 48)
    """
    array = np.asarray(x)
    if array.ndim < 2:
        raise ValueError(f"flatten_images: expected samples of at least 1 dimension, got shape {array.shape}")
    return array.reshape(array.shape[0], -1)


def one_hot(y: Any, num_classes: int | None = None, dtype: Any = None) -> np.ndarray:
    """One-hot encode integer labels: ``(N,)`` -> ``(N, num_classes)`` of ``dtype`` (default ``floatx()``).

    ``scratchdl.utils.to_categorical`` does the work (and the range checks); this casts the result.

    >>> one_hot(np.array([0, 2]), 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    from scratchdl.utils import to_categorical

    return to_categorical(y, num_classes).astype(backend.floatx() if dtype is None else dtype)


def minibatches(
    x: Any, y: Any = None, batch_size: int = 64, shuffle: bool = True, seed: Seed = None
) -> Iterator[tuple[np.ndarray, np.ndarray] | np.ndarray]:
    """Yield mini-batches ``(x_batch, y_batch)`` (``x_batch`` alone when ``y`` is None).

    The course's ``random_mini_batches``, samples first: one permutation of the samples (when
    ``shuffle``), cut into batches of ``batch_size``; the last batch keeps the remainder and may be
    smaller. Each sample appears exactly once per pass.

    >>> [len(b) for b, _ in minibatches(np.arange(10), np.arange(10), batch_size=4, seed=0)]
    [4, 4, 2]
    """
    caller = "minibatches"
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"{caller}: batch_size must be an int >= 1, got {batch_size!r}")
    if y is None:
        xs = np.asarray(x)
        if xs.ndim == 0:
            raise ValueError(f"{caller}: x must be an array of samples, got a scalar")
        ys = None
    else:
        xs, ys = _arrays(x, y, caller)
    n = len(xs)
    order = rng_from_seed(seed, caller).permutation(n) if shuffle else None
    for start in range(0, n, batch_size):
        index = slice(start, start + batch_size) if order is None else order[start : start + batch_size]
        yield xs[index] if ys is None else (xs[index], ys[index])
