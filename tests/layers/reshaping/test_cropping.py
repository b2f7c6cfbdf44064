"""Cropping1D/2D through the harness with Keras parity (int, pair and pair-of-pairs amounts,
channels_first); errors when cropping removes everything."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Cropping1D, Cropping2D
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 5, 3), (2, 3, 3)),
    ({"cropping": 2}, (2, 6, 3), (2, 2, 3)),
    ({"cropping": (0, 3)}, (2, 6, 3), (2, 3, 3)),
])
def test_cropping1d_harness(kwargs, input_shape, output_shape):
    run_layer_test(Cropping1D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 3, 4, 2), (2, 3, 4, 2)),
    ({"cropping": 1}, (2, 4, 5, 2), (2, 2, 3, 2)),
    ({"cropping": (1, 0)}, (2, 4, 5, 2), (2, 2, 5, 2)),
    ({"cropping": ((0, 2), (3, 1))}, (2, 5, 6, 2), (2, 3, 2, 2)),
    ({"cropping": ((1, 0), (0, 2)), "data_format": "channels_first"}, (2, 2, 4, 5), (2, 2, 3, 3)),
])
def test_cropping2d_harness(kwargs, input_shape, output_shape):
    run_layer_test(Cropping2D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


def test_cropping_values_and_symbolic_shapes():
    x = np.arange(20.0, dtype="float32").reshape(1, 4, 5, 1)
    np.testing.assert_array_equal(Cropping2D(((1, 2), (0, 3)))(x).numpy(), x[:, 1:2, 0:2])
    assert Cropping2D(1)(KerasTensor((None, None, 5, 3))).shape == (None, None, 3, 3)
    assert Cropping1D(1).compute_output_shape((None, None, 4)) == (None, None, 4)


def test_cropping_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Cropping1D 'c1': cropping \(2, 2\) removes all 4 steps.*\(1, 4, 2\)"):
        Cropping1D(2, name="c1")(np.zeros((1, 4, 2), dtype="float32"))
    with pytest.raises(ValueError, match=r"Cropping2D 'c2': cropping \(\(1, 1\), \(2, 3\)\) must be smaller "
                                         r"than the spatial size of the input, got shape \(1, 4, 5, 2\)"):
        Cropping2D(((1, 1), (2, 3)), name="c2")(np.zeros((1, 4, 5, 2), dtype="float32"))
    with pytest.raises(ValueError, match="cropping"):
        Cropping2D((1, 2, 3))
