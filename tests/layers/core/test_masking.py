"""Masking through the harness; the mask it computes and carries."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.layers import Dense, Masking
from tests.layers.harness import run_layer_test


def _padded(mask_value: float) -> np.ndarray:
    x = np.random.default_rng(0).uniform(-1, 1, (3, 5, 4)).astype("float32")
    x[0, 3:] = mask_value
    x[2, 1] = mask_value
    x[1, 2, :2] = mask_value  # only part of the features: not masked
    return x


@pytest.mark.parametrize("mask_value", [0.0, -1.0])
def test_masking_harness(mask_value):
    run_layer_test(Masking, {"mask_value": mask_value}, input_data=_padded(mask_value),
                   expected_output_shape=(3, 5, 4), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def test_masking_zeroes_masked_steps_and_sets_the_mask():
    x = _padded(-1.0)
    y = Masking(-1.0)(x)
    expected_mask = np.any(x != -1.0, axis=-1)
    np.testing.assert_array_equal(y._keras_mask.numpy(), expected_mask)
    np.testing.assert_array_equal(y.numpy(), np.where(expected_mask[..., None], x, 0.0))
    # the mask rides along to the next layer
    np.testing.assert_array_equal(Dense(2)(y)._keras_mask.numpy(), expected_mask)


def test_masking_gradient_is_zero_on_masked_steps():
    x = Tensor(_padded(0.0), requires_grad=True)
    Masking()(x).sum().backward()
    mask = np.any(x.numpy() != 0.0, axis=-1)
    np.testing.assert_array_equal(x.grad, np.broadcast_to(mask[..., None], x.shape).astype("float32"))
