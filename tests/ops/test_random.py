"""Dropout and random tensors: statistics, scaling, reproducibility, errors; and scratchdl.utils."""

import numpy as np
import pytest
import torch

from scratchdl import Tensor, backend, ops, utils
from scratchdl.ops.random import Dropout
from tests.ops.harness import Arg, OpCase, op_tests

# The dropout backward, through the harness with a fixed mask (the mask is the only randomness).
_MASK = np.random.default_rng(1).choice([0.0, 2.0], size=(4, 5))
CASES = [
    OpCase("dropout_fixed_mask", lambda x: Dropout(_MASK)(x), [Arg((4, 5))],
           numpy_fn=lambda x: x * _MASK, torch_fn=lambda x: x * torch.from_numpy(_MASK).to(x.dtype)),
]
test_dropout_backward = op_tests(CASES)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_dropout_mask_statistics_and_scaling(rate):
    backend.set_random_seed(0)
    mask = ops.dropout_mask((200, 500), rate)
    assert mask.dtype == np.float32 and mask.shape == (200, 500)
    values = np.unique(mask)
    np.testing.assert_allclose(values, [0.0, 1.0 / (1.0 - rate)], rtol=1e-6)
    dropped = np.mean(mask == 0)
    # 100,000 Bernoulli draws: the standard error is below 0.0016, so 0.01 is over 6 sigma.
    assert abs(dropped - rate) < 0.01
    assert abs(mask.mean() - 1.0) < 0.03


def test_dropout_scales_kept_values_and_backward_uses_the_same_mask():
    backend.set_random_seed(3)
    x = Tensor(np.random.default_rng(0).uniform(1.0, 2.0, size=(50, 40)).astype(np.float32),
               requires_grad=True)
    y = ops.dropout(x, 0.25)
    assert y.dtype == np.float32
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], x.data[kept] / 0.75, rtol=1e-6)
    upstream = np.random.default_rng(1).normal(size=x.shape).astype(np.float32)
    (y * Tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad, np.where(kept, upstream / 0.75, 0.0), rtol=1e-6)
    assert x.grad.dtype == np.float32


def test_dropout_is_reproducible_under_set_random_seed():
    x = Tensor(np.ones((10, 10)))
    backend.set_random_seed(42)
    first = ops.dropout(x, 0.5).data
    second = ops.dropout(x, 0.5).data
    backend.set_random_seed(42)
    np.testing.assert_array_equal(ops.dropout(x, 0.5).data, first)
    np.testing.assert_array_equal(ops.dropout(x, 0.5).data, second)
    assert not np.array_equal(first, second)
    utils.set_random_seed(42)  # the utils re-export seeds the same generator
    np.testing.assert_array_equal(ops.dropout(x, 0.5).data, first)


def test_dropout_is_identity_when_not_training_or_rate_zero():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert ops.dropout(x, 0.5, training=False) is x
    assert ops.dropout(x, 0.0) is x
    y = ops.dropout(np.ones(3), 0.5, training=False)
    assert isinstance(y, Tensor)
    np.testing.assert_array_equal(y.data, np.ones(3))


def test_dropout_noise_shape_shares_the_mask_along_broadcast_axes():
    backend.set_random_seed(5)
    x = Tensor(np.ones((8, 6, 4)))
    y = ops.dropout(x, 0.5, noise_shape=(None, 1, None)).data
    assert y.shape == x.shape
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    assert 0 < np.mean(y == 0) < 1
    with pytest.raises(ValueError, match=r"dropout: noise_shape \(8, 1\) must have one entry per axis"):
        ops.dropout(x, 0.5, noise_shape=(8, 1))
    with pytest.raises(ValueError, match=r"does not broadcast to the input shape \(8, 6, 4\)"):
        ops.dropout(x, 0.5, noise_shape=(8, 3, 4))


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_dropout_rate_out_of_range_is_an_error(rate):
    with pytest.raises(ValueError, match=r"dropout: rate must be in \[0, 1\), got"):
        ops.dropout(Tensor(np.ones(3)), rate)
    with pytest.raises(ValueError, match=r"dropout_mask: rate must be in \[0, 1\)"):
        ops.dropout_mask((3,), rate)
    with pytest.raises(ValueError, match=r"dropout: rate must be in"):
        ops.dropout(Tensor(np.ones(3)), rate, training=False)


def test_dropout_rejects_non_numeric_rate_and_integer_input():
    with pytest.raises(TypeError, match="dropout: rate must be a number"):
        ops.dropout(Tensor(np.ones(3)), "0.5")
    with pytest.raises(TypeError, match="dropout: expected a floating-point tensor"):
        ops.dropout(Tensor(np.ones(3, dtype=np.int64)), 0.5)


def test_random_normal_statistics_dtype_and_reproducibility():
    backend.set_random_seed(7)
    x = ops.random_normal((400, 250), mean=2.0, stddev=0.5)
    assert isinstance(x, Tensor) and x.dtype == np.float32 and x.shape == (400, 250)
    assert not x.requires_grad
    assert abs(float(x.data.mean()) - 2.0) < 0.005
    assert abs(float(x.data.std()) - 0.5) < 0.005
    backend.set_random_seed(7)
    np.testing.assert_array_equal(ops.random_normal((400, 250), mean=2.0, stddev=0.5).data, x.data)
    assert ops.random_normal(3, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(ops.random_normal((2, 2), seed=1).data,
                                  ops.random_normal((2, 2), seed=1).data)


def test_random_uniform_range_dtype_and_reproducibility():
    backend.set_random_seed(11)
    x = ops.random_uniform((300, 300), minval=-3.0, maxval=5.0)
    assert x.dtype == np.float32
    assert x.data.min() >= -3.0 and x.data.max() < 5.0
    assert abs(float(x.data.mean()) - 1.0) < 0.05
    assert abs(float(x.data.var()) - 64 / 12) < 0.1
    backend.set_random_seed(11)
    np.testing.assert_array_equal(ops.random_uniform((300, 300), -3.0, 5.0).data, x.data)
    assert ops.random_uniform((2,), dtype=np.float64).dtype == np.float64


def test_random_argument_errors():
    with pytest.raises(TypeError, match="random_uniform: only floating-point dtypes"):
        ops.random_uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="random_normal: stddev must be non-negative"):
        ops.random_normal((2,), stddev=-1.0)
    with pytest.raises(ValueError, match=r"random_uniform: maxval \(0.0\) must not be below minval \(1.0\)"):
        ops.random_uniform((2,), minval=1.0, maxval=0.0)
    with pytest.raises(ValueError, match="random_normal: shape must not have negative dimensions"):
        ops.random_normal((2, -1))
    with pytest.raises(TypeError, match="dropout_mask: shape must be an int or a sequence of ints"):
        ops.dropout_mask("ab", 0.5)


# ------------------------------------------------------------------------------- utils
def test_to_categorical_matches_keras():
    import keras

    for labels, num_classes in [([0, 2, 1, 2], None), (np.array([[1], [0], [3]]), 5),
                                (np.array([[0, 1], [2, 0]]), 3), (np.array(2), 4)]:
        ours = utils.to_categorical(labels, num_classes)
        theirs = keras.utils.to_categorical(labels, num_classes)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def test_to_categorical_errors():
    with pytest.raises(ValueError, match=r"to_categorical: label 3 is out of range for 3 classes"):
        utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"label -1 is out of range"):
        utils.to_categorical([0, -1], num_classes=3)
    with pytest.raises(ValueError, match="non-integer"):
        utils.to_categorical([0.5, 1.0])


def test_normalize_matches_keras():
    import keras

    x = np.random.default_rng(0).normal(size=(4, 5))
    x[1] = 0.0  # a zero vector stays zero
    for kwargs in [{}, {"order": 1}, {"axis": 1, "order": 2}, {"axis": -1, "order": 3}]:
        np.testing.assert_allclose(utils.normalize(x, **kwargs), keras.utils.normalize(x, **kwargs),
                                   rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(utils.normalize(x, axis=0), axis=0), 1.0, rtol=1e-12)


def test_set_random_seed_is_the_backend_function():
    assert utils.set_random_seed is backend.set_random_seed
