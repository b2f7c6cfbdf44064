"""Generated 2-D data sets: the course's planar "flower" and "football field", and scikit-learn's toys.

Every generator returns ``(x, y)`` samples first, as Keras wants: ``x`` of shape ``(n_samples, 2)``
(``n_features`` for blobs) in ``floatx()``, ``y`` int64 class labels of shape ``(n_samples,)``. The
course's generators return features first, ``(2, m)`` and ``(1, m)``: transpose if you follow the
notebooks literally.

Randomness comes from ``seed``: an int gives a fresh ``np.random.Generator(seed)`` (the same set on
every call), a ``Generator`` is used as it is, and ``None`` draws from scratchdl's one seeded
generator ``backend.random_generator()``, so ``scratchdl.utils.set_random_seed(n)`` fixes them too.
Classes are balanced exactly (as evenly as ``n_samples`` allows), except for the football set,
whose classes are split by a curved boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.data._seed import Seed, rng_from_seed

__all__ = [
    "make_flower", "make_circles", "make_moons", "make_blobs", "make_spirals", "make_xor", "make_football",
    "football_boundary",
]


def _count(n_samples: Any, caller: str, minimum: int = 1) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"{caller}: n_samples must be an int >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _non_negative(value: Any, name: str, caller: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value < 0:
        raise ValueError(f"{caller}: {name} must be a number >= 0, got {value!r}")
    return float(value)


def _class_sizes(n_samples: int, n_classes: int) -> np.ndarray:
    """As equal as possible; the first ``n_samples % n_classes`` classes get one more."""
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    return sizes


def _positions(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels ``0, 0, ..., 1, 1, ...`` and each sample's position in [0, 1] along its class."""
    labels = np.repeat(np.arange(sizes.size), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    index = np.arange(labels.size) - starts[labels]
    span = np.maximum(sizes - 1, 1)[labels]
    return labels, index / span


def _finish(x: np.ndarray, y: np.ndarray, shuffle: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if shuffle:
        order = rng.permutation(y.size)
        x, y = x[order], y[order]
    return x.astype(backend.floatx()), y.astype(np.int64)


def make_flower(
    n_samples: int = 400, noise: float = 0.2, radius: float = 4.0, shuffle: bool = True, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """The course's planar "flower" (``load_planar_dataset``): two classes of petals, labels 0/1.

    For class ``j`` the angle runs over ``[3.12 j, 3.12 (j + 1)]`` plus ``noise`` Gaussian jitter, the
    radius is ``radius * sin(4 t)`` plus jitter, and the point is ``(r sin t, r cos t)``. Each class
    owns alternate petals, so no straight line separates them (logistic regression gets ~47%)
    while a one-hidden-layer tanh network reaches ~90%.

    >>> x, y = make_flower(seed=1)
    >>> x.shape, y.shape, int(y.sum())
    ((400, 2), (400,), 200)
    """
    caller = "make_flower"
    n = _count(n_samples, caller, 2)
    noise = _non_negative(noise, "noise", caller)
    rng = rng_from_seed(seed, caller)
    labels, position = _positions(_class_sizes(n, 2))
    theta = 3.12 * (labels + position) + rng.standard_normal(n) * noise
    r = radius * np.sin(4.0 * theta) + rng.standard_normal(n) * noise
    x = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    return _finish(x, labels, shuffle, rng)


def make_circles(
    n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, shuffle: bool = True, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A unit circle (label 0) around a smaller circle of radius ``factor`` (label 1), as scikit-learn's.

    Points are evenly spaced in angle, then ``noise`` Gaussian noise is added to each coordinate.

    >>> x, y = make_circles(10, seed=0)
    >>> x.shape, y.tolist().count(1)
    ((10, 2), 5)
    """
    caller = "make_circles"
    n = _count(n_samples, caller, 2)
    noise = _non_negative(noise, "noise", caller)
    if not 0.0 <= factor < 1.0:
        raise ValueError(f"{caller}: factor must be in [0, 1), got {factor!r}")
    rng = rng_from_seed(seed, caller)
    outer, inner = n // 2, n - n // 2
    angles = np.concatenate([
        np.linspace(0.0, 2.0 * np.pi, outer, endpoint=False), np.linspace(0.0, 2.0 * np.pi, inner, endpoint=False)
    ])
    labels = np.repeat([0, 1], [outer, inner])
    radii = np.where(labels == 0, 1.0, factor)
    x = np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
    x = x + rng.standard_normal(x.shape) * noise
    return _finish(x, labels, shuffle, rng)


def make_moons(
    n_samples: int = 100, noise: float = 0.0, shuffle: bool = True, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    Label 0 is the upper arc ``(cos t, sin t)``, label 1 the lower one ``(1 - cos t, 0.5 - sin t)``,
    ``t`` in ``[0, pi]``; then ``noise`` Gaussian noise on each coordinate.

    >>> x, y = make_moons(8, seed=0)
    >>> x.shape, int(y.sum())
    ((8, 2), 4)
    """
    caller = "make_moons"
    n = _count(n_samples, caller, 2)
    noise = _non_negative(noise, "noise", caller)
    rng = rng_from_seed(seed, caller)
    labels, position = _positions(np.array([n // 2, n - n // 2]))
    t = np.pi * position
    x = np.where(
        (labels == 0)[:, None],
        np.stack([np.cos(t), np.sin(t)], axis=1),
        np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1),
    )
    x = x + rng.standard_normal(x.shape) * noise
    return _finish(x, labels, shuffle, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] | np.ndarray = 3,
    n_features: int = 2,
    cluster_std: float | Sequence[float] = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian blobs, as scikit-learn's ``make_blobs``: label ``k`` around center ``k``.

    ``centers`` is a number of centers (drawn uniformly in ``center_box`` per feature) or an array
    ``(n_centers, n_features)``; ``cluster_std`` is one standard deviation or one per center.

    >>> x, y = make_blobs(9, centers=[[0, 0], [5, 5], [-5, 5]], seed=0)
    >>> x.shape, np.bincount(y).tolist()
    ((9, 2), [3, 3, 3])
    """
    caller = "make_blobs"
    rng = rng_from_seed(seed, caller)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        if centers < 1 or n_features < 1:
            raise ValueError(f"{caller}: centers and n_features must be >= 1, got {centers} and {n_features}")
        low, high = center_box
        center_array = rng.uniform(low, high, size=(int(centers), int(n_features)))
    else:
        center_array = np.asarray(centers, dtype=np.float64)
        if center_array.ndim != 2 or center_array.shape[0] < 1:
            raise ValueError(
                f"{caller}: centers must be an int or an array (n_centers, n_features), got shape {center_array.shape}"
            )
    k = center_array.shape[0]
    n = _count(n_samples, caller, k)
    std = np.asarray(cluster_std, dtype=np.float64).reshape(-1)
    if std.size == 1:
        std = np.repeat(std, k)
    if std.size != k or np.ndim(cluster_std) > 1 or np.any(std < 0):
        raise ValueError(f"{caller}: cluster_std must be >= 0, one value or one per center ({k}), got {cluster_std!r}")
    labels = np.repeat(np.arange(k), _class_sizes(n, k))
    x = center_array[labels] + rng.standard_normal((n, center_array.shape[1])) * std[labels][:, None]
    return _finish(x, labels, shuffle, rng)


def make_spirals(
    n_samples: int = 300,
    n_classes: int = 2,
    noise: float = 0.2,
    turns: float = 1.0,
    shuffle: bool = True,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n spiral set).

    Along arm ``k`` the radius grows from 0 to 1 while the angle turns ``turns`` full circles, offset
    by ``2 pi k / n_classes``; ``noise`` is Gaussian jitter on the angle (in radians).

    >>> x, y = make_spirals(300, n_classes=3, seed=0)
    >>> x.shape, np.bincount(y).tolist()
    ((300, 2), [100, 100, 100])
    """
    caller = "make_spirals"
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"{caller}: n_classes must be an int >= 2, got {n_classes!r}")
    n = _count(n_samples, caller, int(n_classes))
    noise = _non_negative(noise, "noise", caller)
    rng = rng_from_seed(seed, caller)
    labels, position = _positions(_class_sizes(n, int(n_classes)))
    theta = 2.0 * np.pi * (turns * position + labels / n_classes) + rng.standard_normal(n) * noise
    x = position[:, None] * np.stack([np.sin(theta), np.cos(theta)], axis=1)
    return _finish(x, labels, shuffle, rng)


def make_xor(
    n_samples: int = 200, noise: float = 0.0, shuffle: bool = True, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points in the square ``[-1, 1]^2``, label 1 where the two coordinates differ in sign.

    Each class fills its two quadrants evenly (label 0: ``++`` and ``--``; label 1: ``+-`` and
    ``-+``); ``noise`` Gaussian noise is added after labelling, so points may cross the axes.

    >>> x, y = make_xor(8, seed=0)
    >>> bool(np.all((x[:, 0] * x[:, 1] < 0) == (y == 1)))
    True
    """
    caller = "make_xor"
    n = _count(n_samples, caller, 4)
    noise = _non_negative(noise, "noise", caller)
    rng = rng_from_seed(seed, caller)
    quadrant = np.repeat(np.arange(4), _class_sizes(n, 4))  # 0: ++, 1: +-, 2: --, 3: -+
    signs = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]], dtype=np.float64)[quadrant]
    # Magnitudes in (0, 1]: 1 - uniform[0, 1) keeps every clean point off the axes.
    x = signs * (1.0 - rng.random((n, 2))) + rng.standard_normal((n, 2)) * noise
    return _finish(x, quadrant % 2, shuffle, rng)


def football_boundary(x0: np.ndarray) -> np.ndarray:
    """The height of :func:`make_football`'s class boundary at horizontal position ``x0``."""
    return 0.35 * np.sin(5.0 * x0 + 0.5) - 0.15 * x0


def make_football(
    n_samples: int = 211, label_noise: float = 0.05, noise: float = 0.0, shuffle: bool = True, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A "football field" set for the regularization study (the course's ``data.mat``, generated).

    The French goalkeeper kicks the ball; each point is where a player headed it, label 1 if a French
    player did, 0 for the other team. Positions are uniform on the field ``[-0.75, 0.75]^2``; the
    French own the region below the wavy line ``0.35 sin(5 x + 0.5) - 0.15 x``
    (:func:`football_boundary`). Then ``round(label_noise * n_samples)`` labels are flipped (balls
    won in the other side's zone), and ``noise`` Gaussian jitter moves the positions.

    The flipped labels are what an unregularized deep network memorises: with few samples it bends
    its boundary around them and does worse on a fresh set (another seed) than with L2 or dropout.
    With the course's ReLU network [2, 20, 3, 1] (30,000 gradient-descent steps at 0.3; 211 training
    and 200 test points, mean of 3 seeds) we measured 95% train / 91% test without regularization,
    94% / 92% with L2 (lambda 0.7) and 95% / 93% with dropout (keep 0.86).

    >>> x, y = make_football(seed=0)
    >>> x.shape, y.shape
    ((211, 2), (211,))
    """
    caller = "make_football"
    n = _count(n_samples, caller, 2)
    label_noise = _non_negative(label_noise, "label_noise", caller)
    if label_noise > 0.5:
        raise ValueError(f"{caller}: label_noise must be in [0, 0.5], got {label_noise}")
    noise = _non_negative(noise, "noise", caller)
    rng = rng_from_seed(seed, caller)
    x = rng.uniform(-0.75, 0.75, size=(n, 2))
    labels = (x[:, 1] < football_boundary(x[:, 0])).astype(np.int64)
    flipped = rng.choice(n, size=int(round(label_noise * n)), replace=False)
    labels[flipped] = 1 - labels[flipped]
    x = x + rng.standard_normal((n, 2)) * noise
    return _finish(x, labels, shuffle, rng)
