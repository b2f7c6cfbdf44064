"""ReLU through the layer harness (Keras parity of outputs and gradients), values and errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import ReLU
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs", [
    {},
    {"max_value": 0.5},
    {"max_value": 6.0},
    {"negative_slope": 0.1},
    {"threshold": 0.3},
    {"negative_slope": 0.2, "threshold": 0.25},
    {"max_value": 0.6, "negative_slope": 0.05, "threshold": 0.1},
    {"max_value": 0.7, "negative_slope": 0.3},
])
def test_relu_harness(kwargs):
    run_layer_test(ReLU, kwargs, input_shape=(3, 4, 5), expected_output_shape=(3, 4, 5),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_relu6_range_inputs():
    run_layer_test(ReLU, {"max_value": 6.0}, input_shape=(4, 7), input_range=(-8.0, 8.0),
                   expected_output_shape=(4, 7), supports_masking=True)


def test_values():
    x = np.array([[-2.0, 0.1, 0.5, 3.0]], np.float32)
    np.testing.assert_allclose(ReLU()(x).numpy(), [[0.0, 0.1, 0.5, 3.0]])
    np.testing.assert_allclose(ReLU(max_value=1.0)(x).numpy(), [[0.0, 0.1, 0.5, 1.0]])
    np.testing.assert_allclose(ReLU(threshold=0.2)(x).numpy(), [[0.0, 0.0, 0.5, 3.0]])
    np.testing.assert_allclose(ReLU(negative_slope=0.5, threshold=0.2)(x).numpy(),
                               [[-1.1, -0.05, 0.5, 3.0]], rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"max_value": -1.0}, "max_value cannot be negative"),
    ({"negative_slope": -0.1}, "negative_slope cannot be None or negative"),
    ({"negative_slope": None}, "negative_slope cannot be None or negative"),
    ({"threshold": -0.5}, "threshold cannot be None or negative"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"ReLU '.*': {message}"):
        ReLU(**kwargs)
