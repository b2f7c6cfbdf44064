"""Splits, scaling, flattening, one-hot and mini-batches."""

import numpy as np
import pytest

from scratchdl import backend
from scratchdl.data import (
    flatten_images, minibatches, one_hot, scale_images, standardize, train_dev_test_split, train_test_split,
)


def _data(n):
    x = np.arange(n * 3).reshape(n, 3)
    return x, x[:, 0] * 10  # y identifies its row of x


def _check_aligned(x, y):
    np.testing.assert_array_equal(x[:, 0] * 10, y)


@pytest.mark.parametrize("n", [1, 7, 10, 101])
def test_train_dev_test_split_uses_every_sample_once(n):
    x, y = _data(n)
    parts = train_dev_test_split(x, y, seed=0)
    for part_x, part_y in parts:
        _check_aligned(part_x, part_y)
    rows = np.concatenate([part_x[:, 0] for part_x, _ in parts])
    np.testing.assert_array_equal(np.sort(rows), x[:, 0])
    sizes = [len(part_x) for part_x, _ in parts]
    assert sizes[1] == round(0.1 * n) and sizes[2] == round(0.1 * n) and sum(sizes) == n


def test_train_dev_test_split_options():
    x, y = _data(20)
    (xa, ya), (xb, yb), (xc, yc) = train_dev_test_split(x, y, fractions=(0.5, 0.25, 0.25), shuffle=False)
    np.testing.assert_array_equal(xa, x[:10])
    np.testing.assert_array_equal(xb, x[10:15])
    np.testing.assert_array_equal(xc, x[15:])
    first = train_dev_test_split(x, y, seed=3)
    second = train_dev_test_split(x, y, seed=3)
    for (a, _), (b, _) in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0][0], x[:16])  # shuffled
    (xa, _), (xb, _), (xc, _) = train_dev_test_split(x, y, fractions=(0.0, 0.0, 1.0), seed=0)
    assert (len(xa), len(xb), len(xc)) == (0, 0, 20)


def test_train_dev_test_split_errors():
    x, y = _data(10)
    with pytest.raises(ValueError, match=r"train_dev_test_split: fractions must be three numbers >= 0 summing to 1, got \(0.8, 0.3, 0.1\)"):
        train_dev_test_split(x, y, fractions=(0.8, 0.3, 0.1))
    with pytest.raises(ValueError, match="fractions must be three numbers"):
        train_dev_test_split(x, y, fractions=(0.8, 0.2))
    with pytest.raises(ValueError, match=r"train_dev_test_split: x has 10 samples \(shape \(10, 3\)\) but y has 9 \(shape \(9,\)\)"):
        train_dev_test_split(x, y[:9])


def test_train_test_split():
    x, y = _data(10)
    (x_train, y_train), (x_test, y_test) = train_test_split(x, y, 0.3, seed=0)
    assert len(x_train) == 7 and len(x_test) == 3
    _check_aligned(x_train, y_train)
    _check_aligned(x_test, y_test)
    np.testing.assert_array_equal(np.sort(np.r_[x_train[:, 0], x_test[:, 0]]), x[:, 0])
    (x_train, _), (x_test, _) = train_test_split(x, y, test_size=4, shuffle=False)
    np.testing.assert_array_equal(x_test, x[6:])
    with pytest.raises(ValueError, match="train_test_split: test_size 11 is not a count between 0 and the 10 samples"):
        train_test_split(x, y, test_size=11)
    with pytest.raises(ValueError, match=r"train_test_split: test_size must be a fraction in \[0, 1\] or a sample count, got 1.5"):
        train_test_split(x, y, test_size=1.5)


def test_standardize():
    rng = np.random.default_rng(0)
    x_train = rng.normal(5.0, 3.0, (200, 4)).astype(np.float32)
    x_train[:, 2] = 7.0  # a constant feature
    z, mean, std = standardize(x_train)
    assert z.dtype == np.float32 and mean.shape == (1, 4) and std.shape == (1, 4)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z[:, [0, 1, 3]].std(0), 1.0, rtol=1e-5)
    assert std[0, 2] == 1.0 and np.all(z[:, 2] == 0)
    x_test = rng.normal(5.0, 3.0, (10, 4))
    z_test, mean2, std2 = standardize(x_test, mean, std)
    np.testing.assert_allclose(z_test, (x_test - mean) / std)
    assert mean2 is mean or np.array_equal(mean2, mean)
    images = np.arange(2 * 2 * 2 * 3, dtype=np.uint8).reshape(2, 2, 2, 3)
    z, mean, _ = standardize(images, axis=(0, 1, 2))  # per channel
    assert z.dtype == np.float32 and mean.shape == (1, 1, 1, 3)
    with pytest.raises(ValueError, match="standardize: pass both mean and std"):
        standardize(x_train, mean=mean)
    with pytest.raises(ValueError, match=r"standardize: mean \(1, 1, 1, 3\) and std \(1, 1, 1, 3\) do not broadcast against x \(200, 4\)"):
        standardize(x_train, mean, mean)


def test_scale_images():
    x = np.array([[0, 51], [204, 255]], dtype=np.uint8)
    scaled = scale_images(x)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, [[0.0, 0.2], [0.8, 1.0]], rtol=1e-6)
    assert scale_images(x, dtype="float64").dtype == np.float64
    assert scale_images(np.array([3, 255], dtype=np.int64)).tolist() == pytest.approx([3 / 255, 1.0])
    with pytest.raises(TypeError, match="scale_images: expected uint8 pixel values 0..255, got dtype float32"):
        scale_images(scaled)
    with pytest.raises(ValueError, match="scale_images: expected pixel values 0..255, got int64 values from -1 to 300"):
        scale_images(np.array([-1, 300]))


def test_flatten_images_matches_the_course_order():
    x = np.random.default_rng(0).integers(0, 256, (5, 4, 3, 2))
    flat = flatten_images(x)
    assert flat.shape == (5, 24)
    np.testing.assert_array_equal(flat, x.reshape(x.shape[0], -1).T.T)  # the course's layout, transposed back
    np.testing.assert_array_equal(flat[1, :2], x[1, 0, 0, :])
    with pytest.raises(ValueError, match=r"flatten_images: expected samples of at least 1 dimension, got shape \(5,\)"):
        flatten_images(np.zeros(5))


def test_one_hot():
    encoded = one_hot(np.array([2, 0, 1]))
    assert encoded.dtype == np.float32 and encoded.tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    assert one_hot([1], num_classes=4, dtype="int64").tolist() == [[0, 1, 0, 0]]
    with pytest.raises(ValueError, match="label 5 is out of range for 3 classes"):
        one_hot([5], num_classes=3)


@pytest.mark.parametrize("n, batch_size", [(10, 4), (128, 64), (1, 64), (65, 64)])
def test_minibatches_cover_every_sample_once(n, batch_size):
    x, y = _data(n)
    batches = list(minibatches(x, y, batch_size=batch_size, seed=0))
    sizes = [len(bx) for bx, _ in batches]
    expected = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    assert sizes == expected  # the last batch keeps the remainder, and there is no empty batch
    for bx, by in batches:
        _check_aligned(bx, by)
    rows = np.concatenate([bx[:, 0] for bx, _ in batches])
    np.testing.assert_array_equal(np.sort(rows), x[:, 0])


def test_minibatches_shuffle_and_seed():
    x, y = _data(50)
    ordered = np.concatenate([bx for bx, _ in minibatches(x, y, 16, shuffle=False)])
    np.testing.assert_array_equal(ordered, x)
    a = np.concatenate([bx for bx, _ in minibatches(x, y, 16, seed=4)])
    b = np.concatenate([bx for bx, _ in minibatches(x, y, 16, seed=4)])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, x)
    backend.set_random_seed(9)
    c = np.concatenate([bx for bx, _ in minibatches(x, y, 16)])
    backend.set_random_seed(9)
    d = np.concatenate([bx for bx, _ in minibatches(x, y, 16)])
    np.testing.assert_array_equal(c, d)
    only_x = list(minibatches(x, batch_size=20, seed=0))
    assert [len(b) for b in only_x] == [20, 20, 10] and isinstance(only_x[0], np.ndarray)


def test_minibatches_errors():
    x, y = _data(5)
    with pytest.raises(ValueError, match="minibatches: batch_size must be an int >= 1, got 0"):
        next(minibatches(x, y, batch_size=0))
    with pytest.raises(ValueError, match=r"minibatches: x has 5 samples \(shape \(5, 3\)\) but y has 4"):
        next(minibatches(x, y[:4]))
    with pytest.raises(ValueError, match="minibatches: seed must be a non-negative int"):
        next(minibatches(x, y, seed=-1))
