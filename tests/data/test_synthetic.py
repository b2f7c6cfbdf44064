"""Generated 2-D data sets: shapes, balance, geometry, determinism under a seed, and errors."""

import numpy as np
import pytest

from scratchdl import backend
from scratchdl.data import (
    football_boundary, make_blobs, make_circles, make_flower, make_football, make_moons, make_spirals, make_xor,
)

GENERATORS = [make_flower, make_circles, make_moons, make_blobs, make_spirals, make_xor, make_football]


def _linear_accuracy(x, y):
    """Accuracy of a least-squares linear classifier (with bias) on its own training data."""
    design = np.c_[x, np.ones(len(x))]
    w, *_ = np.linalg.lstsq(design, np.where(y == 1, 1.0, -1.0), rcond=None)
    return float(np.mean((design @ w > 0) == (y == 1)))


def _knn_accuracy(x_train, y_train, x_test, y_test, k=5):
    distances = ((x_test[:, None, :] - x_train[None, :, :]) ** 2).sum(-1)
    nearest = y_train[np.argsort(distances, axis=1)[:, :k]]
    return float(np.mean((nearest.mean(1) > 0.5) == y_test))


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize("n", [101, 400])
def test_shapes_and_dtypes(generator, n):
    x, y = generator(n, seed=0)
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("generator", [make_flower, make_circles, make_moons, make_blobs, make_spirals, make_xor])
@pytest.mark.parametrize("n", [100, 101, 203])
def test_classes_are_balanced(generator, n):
    _, y = generator(n, seed=1)
    counts = np.bincount(y)
    assert counts.sum() == n and counts.max() - counts.min() <= 1


@pytest.mark.parametrize("generator", GENERATORS)
def test_determinism(generator):
    x1, y1 = generator(seed=7)
    x2, y2 = generator(seed=7)
    x3, _ = generator(seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    # seed=None draws from the framework's generator, so set_random_seed makes it reproducible
    backend.set_random_seed(123)
    x4, y4 = generator()
    backend.set_random_seed(123)
    x5, y5 = generator()
    np.testing.assert_array_equal(x4, x5)
    np.testing.assert_array_equal(y4, y5)
    # a Generator is used as it is (consumed, so two draws differ)
    rng = np.random.default_rng(0)
    assert not np.array_equal(generator(seed=rng)[0], generator(seed=rng)[0])


@pytest.mark.parametrize("generator", GENERATORS)
def test_shuffle_false_keeps_classes_in_blocks(generator):
    _, y = generator(200, shuffle=False, seed=0)
    if generator is make_football:
        assert len(np.unique(y)) == 2
    elif generator is make_xor:
        assert np.all(np.diff(y[:50]) == 0)  # first quadrant block
    else:
        assert np.all(np.diff(y) >= 0)
    _, shuffled = generator(200, seed=0)
    assert np.any(np.diff(shuffled) < 0)


def test_flower_is_not_linearly_separable_but_is_learnable():
    x, y = make_flower(seed=0)
    assert _linear_accuracy(x, y) < 0.7
    x_test, y_test = make_flower(seed=1)
    assert _knn_accuracy(x, y, x_test, y_test) > 0.8
    assert np.abs(x).max() < 4.0 + 4 * 0.2 * 4  # radius 4 plus a few noise standard deviations


def test_flower_geometry_without_noise():
    x, y = make_flower(400, noise=0.0, shuffle=False, seed=0)
    theta = 3.12 * (y + np.r_[np.linspace(0, 1, 200), np.linspace(0, 1, 200)])
    r = 4.0 * np.sin(4.0 * theta)
    np.testing.assert_allclose(x, np.c_[r * np.sin(theta), r * np.cos(theta)], atol=1e-5)


def test_circles_geometry():
    x, y = make_circles(100, factor=0.5, seed=0)
    radii = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(radii[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radii[y == 1], 0.5, atol=1e-6)
    assert _linear_accuracy(x, y) < 0.7


def test_moons_geometry_matches_the_arcs():
    x, y = make_moons(50, shuffle=False, seed=0)
    upper, lower = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(lower - [1.0, 0.5], axis=1), 1.0, atol=1e-6)
    assert np.all(upper[:, 1] >= -1e-6) and np.all(lower[:, 1] <= 0.5 + 1e-6)
    noisy, _ = make_moons(2000, noise=0.1, shuffle=False, seed=0)
    clean, _ = make_moons(2000, shuffle=False)
    assert abs(np.std(noisy - clean) - 0.1) < 0.01


def test_blobs_centers_and_std():
    centers = np.array([[0.0, 0.0], [10.0, 10.0], [-10.0, 10.0]])
    x, y = make_blobs(3000, centers=centers, cluster_std=[0.5, 1.0, 2.0], seed=0)
    for k in range(3):
        np.testing.assert_allclose(x[y == k].mean(0), centers[k], atol=0.15)
        np.testing.assert_allclose(x[y == k].std(axis=0), [0.5, 1.0, 2.0][k], rtol=0.1)
    x, y = make_blobs(60, centers=4, n_features=3, center_box=(-1, 1), cluster_std=0.0, seed=0)
    assert x.shape == (60, 3) and len(np.unique(x, axis=0)) == 4 and np.abs(x).max() <= 1


def test_spirals_geometry():
    x, y = make_spirals(301, n_classes=3, seed=0)
    assert np.bincount(y).tolist() == [101, 100, 100]
    assert np.linalg.norm(x, axis=1).max() <= 1.0 + 1e-6
    assert _linear_accuracy(x, (y == 0).astype(int)) < 0.8


def test_xor_labels_and_separability():
    x, y = make_xor(400, seed=0)
    assert np.all(np.abs(x) <= 1.0) and np.all(x != 0)
    np.testing.assert_array_equal(y == 1, x[:, 0] * x[:, 1] < 0)
    assert _linear_accuracy(x, y) < 0.7
    quadrants = np.bincount((x[:, 0] > 0) * 2 + (x[:, 1] > 0))
    assert quadrants.tolist() == [100, 100, 100, 100]


def test_football_boundary_and_label_noise():
    x, y = make_football(211, label_noise=0.1, seed=0)
    assert np.all(np.abs(x) <= 0.75)
    clean = (x[:, 1] < football_boundary(x[:, 0])).astype(int)
    assert int(np.sum(clean != y)) == round(0.1 * 211)  # exactly the flipped labels
    assert 0.3 < y.mean() < 0.7
    xd, yd = make_football(seed=0)  # default: 5% of the labels flipped
    assert int(np.sum((xd[:, 1] < football_boundary(xd[:, 0])) != yd)) == round(0.05 * 211)
    x0, y0 = make_football(500, label_noise=0.0, seed=0)
    np.testing.assert_array_equal(y0, x0[:, 1] < football_boundary(x0[:, 0]))


def test_football_needs_a_curved_boundary():
    x, y = make_football(2000, label_noise=0.0, seed=0)
    linear = _linear_accuracy(x, y)
    x_test, y_test = make_football(1000, label_noise=0.0, seed=1)
    assert linear < 0.9 < _knn_accuracy(x, y, x_test, y_test)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_flower(1), "make_flower: n_samples must be an int >= 2, got 1"),
        (lambda: make_moons(10.5), "make_moons: n_samples must be an int >= 2, got 10.5"),
        (lambda: make_circles(noise=-1), "make_circles: noise must be a number >= 0, got -1"),
        (lambda: make_circles(factor=1.5), r"make_circles: factor must be in \[0, 1\), got 1.5"),
        (lambda: make_xor(3), "make_xor: n_samples must be an int >= 4, got 3"),
        (lambda: make_spirals(n_classes=1), "make_spirals: n_classes must be an int >= 2, got 1"),
        (lambda: make_blobs(centers=[1, 2]), r"make_blobs: centers must be an int or an array \(n_centers, n_features\), got shape \(2,\)"),
        (lambda: make_blobs(centers=2, cluster_std=[1, 2, 3]), "make_blobs: cluster_std must be >= 0, one value or one per center"),
        (lambda: make_blobs(centers=2, cluster_std=-1), "make_blobs: cluster_std must be >= 0"),
        (lambda: make_football(label_noise=0.7), r"make_football: label_noise must be in \[0, 0.5\], got 0.7"),
        (lambda: make_flower(seed=-3), "make_flower: seed must be a non-negative int, a numpy Generator or None, got -3"),
        (lambda: make_flower(seed="a"), "make_flower: seed must be"),
    ],
)
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
