"""Activation layer through the harness, for every Keras activation name it accepts."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import activations
from scratchdl.layers import Activation
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test

NAMES = ["relu", "relu6", "leaky_relu", "sigmoid", "softmax", "log_softmax", "tanh", "elu",
         "selu", "celu", "gelu", "softplus", "softsign", "silu", "swish", "hard_sigmoid",
         "hard_silu", "hard_swish", "hard_tanh", "exponential", "mish", "log_sigmoid",
         "tanh_shrink", "soft_shrink", "hard_shrink", "squareplus", "sparse_plus",
         "sparse_sigmoid", "linear"]


@pytest.mark.parametrize("name", NAMES)
def test_activation_harness(name):
    run_layer_test(Activation, {"activation": name}, input_shape=(2, 3, 5),
                   input_range=(-3.0, 3.0), expected_output_shape=(2, 3, 5),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True, atol=2e-5)


def test_activation_config_stores_the_name():
    layer = Activation(activations.silu)
    assert layer.get_config()["activation"] == "silu"
    assert Activation.from_config(layer.get_config()).activation is activations.silu


def test_activation_glu_halves_the_last_axis_eagerly_and_symbolically():
    # Keras's Activation reports the input shape symbolically even for glu; scratchdl infers it.
    layer = Activation("glu")
    x = np.random.default_rng(0).standard_normal((2, 6)).astype("float32")
    y = layer(x).numpy()
    np.testing.assert_allclose(y, x[:, :3] / (1 + np.exp(-x[:, 3:])), rtol=1e-6)
    assert layer(KerasTensor((None, 6))).shape == (None, 3)


def test_activation_unknown_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 'relux'"):
        Activation("relux")
