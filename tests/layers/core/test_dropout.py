"""Dropout: harness in inference mode, and the statistics of its training-mode masks."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor, backend
from scratchdl.layers import Dropout
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs", [{"rate": 0.5}, {"rate": 0.2, "noise_shape": (None, 1, 4), "seed": 3},
                                    {"rate": 0.0}])
def test_dropout_harness(kwargs):
    # Random in training mode, so parity with Keras is checked in inference mode (the identity).
    run_layer_test(Dropout, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True, deterministic=False)


def test_dropout_training_drops_rate_fraction_and_rescales():
    x = np.ones((200, 500), dtype="float32")
    y = Dropout(0.3)(x, training=True).numpy()
    kept = y != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout keeps the expected value
    np.testing.assert_array_equal(Dropout(0.3)(x, training=False).numpy(), x)
    np.testing.assert_array_equal(Dropout(0.3)(x).numpy(), x)  # inference by default


def test_dropout_gradient_uses_the_same_mask():
    x = Tensor(np.random.default_rng(1).standard_normal((50, 40)).astype("float32"), requires_grad=True)
    y = Dropout(0.5)(x, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, (y.numpy() != 0) * 2.0)


def test_dropout_noise_shape_shares_the_mask_along_broadcast_axes():
    y = Dropout(0.5, noise_shape=(None, 1, 6))(np.ones((4, 5, 6), dtype="float32"), training=True).numpy()
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    with pytest.raises(ValueError, match=r"Dropout 'd': noise_shape \(None, 1\) must have one entry per axis"):
        Dropout(0.5, noise_shape=(None, 1), name="d")(np.ones((2, 3, 4), dtype="float32"), training=True)


def test_dropout_seeds_are_reproducible():
    x = np.ones((8, 8), dtype="float32")
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    first = [a(x, training=True).numpy() for _ in range(2)]
    second = [b(x, training=True).numpy() for _ in range(2)]
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])  # a seeded layer still draws new masks per call
    backend.set_random_seed(11)
    c = Dropout(0.5)(x, training=True).numpy()
    backend.set_random_seed(11)
    d = Dropout(0.5)(x, training=True).numpy()
    np.testing.assert_array_equal(c, d)


def test_dropout_rate_one_and_invalid_arguments():
    np.testing.assert_array_equal(Dropout(1.0)(np.ones((2, 2), dtype="float32"), training=True).numpy(), 0)
    for rate in (-0.1, 1.5):
        with pytest.raises(ValueError, match="rate"):
            Dropout(rate)
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(None, 0))
