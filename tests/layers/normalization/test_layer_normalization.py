"""LayerNormalization through the layer harness (Keras parity of outputs and gradients), axes
lists, rms_scaling, masks passing through, float64 inputs, errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.layers import LayerNormalization
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test

RNG = np.random.default_rng(31)


@pytest.mark.parametrize("kwargs, input_shape", [
    ({}, (3, 4)),
    ({}, (2, 3, 5)),
    ({"axis": [1, 2]}, (2, 3, 4)),
    ({"axis": [-2, -1], "epsilon": 1e-5}, (2, 3, 4)),
    ({"axis": (1, 2, 3)}, (2, 2, 3, 2)),
    ({"center": False}, (3, 6)),
    ({"scale": False, "beta_initializer": "ones"}, (3, 6)),
    ({"center": False, "scale": False}, (3, 6)),
    # Random initial weights inside the constraint's set (see the BatchNormalization tests).
    ({"gamma_initializer": "random_normal",
      "beta_initializer": {"class_name": "RandomUniform", "config": {"minval": 0.1, "maxval": 0.5}},
      "gamma_regularizer": "l2", "beta_constraint": "non_neg"}, (4, 5)),
])
def test_layer_normalization_harness(kwargs, input_shape):
    n_trainable = int(kwargs.get("center", True)) + int(kwargs.get("scale", True))
    run_layer_test(LayerNormalization, kwargs, input_shape=input_shape, input_range=(-2.0, 2.0),
                   expected_output_shape=input_shape, expected_num_trainable_weights=n_trainable,
                   expected_num_non_trainable_weights=0, supports_masking=True, grad_atol=1e-4)


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
@pytest.mark.parametrize("kwargs, input_shape", [({"rms_scaling": True}, (3, 5)),
                                                 ({"rms_scaling": True, "axis": [1, 2]}, (2, 3, 4))])
def test_rms_scaling_harness(kwargs, input_shape):
    run_layer_test(LayerNormalization, kwargs, input_shape=input_shape, input_range=(-2.0, 2.0),
                   expected_output_shape=input_shape, expected_num_trainable_weights=1,
                   expected_num_non_trainable_weights=0, grad_atol=1e-4)


def test_rms_scaling_warns_and_has_no_beta():
    with pytest.warns(UserWarning, match="rms_scaling=True"):
        layer = LayerNormalization(rms_scaling=True, epsilon=0.0)
    x = np.array([[1.0, 3.0]], np.float32)
    np.testing.assert_allclose(layer(x).numpy(), x / 1.0)  # std of (1, 3) is 1, no centering
    assert [w.path.split("/")[-1] for w in layer.weights] == ["gamma"]


def test_non_trailing_axis_against_formula():
    # Keras's torch path hands axis=1 of a 3-D input to F.layer_norm, which normalizes the last
    # axis instead; the formula is the reference here.
    x = RNG.uniform(-2, 2, (2, 3, 4)).astype(np.float32)
    layer = LayerNormalization(axis=1, gamma_initializer="random_uniform", beta_initializer="random_uniform")
    y = layer(x).numpy()
    gamma, beta = layer.gamma.numpy()[None, :, None], layer.beta.numpy()[None, :, None]
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-5, atol=1e-6)


def test_axis_becomes_a_list_after_build_and_config_round_trips():
    layer = LayerNormalization()
    assert layer.get_config()["axis"] == -1
    layer(np.ones((2, 3), np.float32))
    assert layer.axis == [-1]
    config = layer.get_config()
    assert LayerNormalization.from_config(config).get_config() == config


def test_mask_passes_through_and_float64_input_gives_float32():
    x = Tensor(RNG.standard_normal((2, 3, 4)))
    x._keras_mask = Tensor(np.array([[True, False, True], [True, True, False]]))
    y = LayerNormalization()(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y._keras_mask.numpy(), x._keras_mask.numpy())
    np.testing.assert_allclose(y.numpy().mean(axis=-1), 0.0, atol=1e-6)


def test_errors():
    layer = LayerNormalization(name="ln")
    layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"LayerNormalization 'ln': expected input with sizes \(4,\) on "
                                         r"axis \[-1\], got shape \(2, 5\)"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"axis 2 is out of bounds for input shape \(None, 4\)"):
        LayerNormalization(axis=2)(KerasTensor((None, 4)))
    with pytest.raises(TypeError, match=r"expected an int or a list/tuple of ints"):
        LayerNormalization(axis="last")
