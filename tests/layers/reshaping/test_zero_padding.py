"""ZeroPadding1D/2D through the harness with Keras parity (int, pair and pair-of-pairs
amounts, channels_first); errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import ZeroPadding1D, ZeroPadding2D
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 4, 3), (2, 6, 3)),
    ({"padding": 3}, (2, 4, 3), (2, 10, 3)),
    ({"padding": (0, 2)}, (2, 4, 3), (2, 6, 3)),
    ({"padding": (2, 1), "data_format": "channels_first"}, (2, 3, 4), (2, 3, 7)),
])
def test_zero_padding1d_harness(kwargs, input_shape, output_shape):
    run_layer_test(ZeroPadding1D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 3, 4, 2), (2, 5, 6, 2)),
    ({"padding": 2}, (2, 3, 4, 2), (2, 7, 8, 2)),
    ({"padding": (1, 0)}, (2, 3, 4, 2), (2, 5, 4, 2)),
    ({"padding": ((0, 2), (3, 1))}, (2, 3, 4, 2), (2, 5, 8, 2)),
    ({"padding": ((1, 0), (0, 2)), "data_format": "channels_first"}, (2, 2, 3, 4), (2, 2, 4, 6)),
])
def test_zero_padding2d_harness(kwargs, input_shape, output_shape):
    run_layer_test(ZeroPadding2D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


def test_zero_padding_values_and_symbolic_shapes():
    y = ZeroPadding2D(((1, 0), (0, 1)))(np.ones((1, 1, 1, 1), dtype="float32")).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[0, 0], [1, 0]])
    assert ZeroPadding2D(1)(KerasTensor((None, None, 5, 3))).shape == (None, None, 7, 3)
    assert ZeroPadding1D(2).get_config()["padding"] == (2, 2)


def test_zero_padding_errors():
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'zp': expected a 4-D input .* got shape \(2, 3, 4\)"):
        ZeroPadding2D(name="zp")(np.zeros((2, 3, 4), dtype="float32"))
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D(((1, 2, 3), (1, 1)))
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding1D(-1)
