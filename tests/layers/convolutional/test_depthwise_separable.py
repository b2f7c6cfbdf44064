"""DepthwiseConv2D/1D and SeparableConv2D/1D through the harness with Keras parity: depth
multipliers, strides, 'same' with even kernels, dilation, channels_first; weight layout and
order; the separable layer equals its depthwise and pointwise halves."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import (
    Conv2D,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from tests.layers.harness import run_layer_test

DEPTHWISE_2D = [
    ({"kernel_size": 3}, (2, 6, 5, 3), (2, 4, 3, 3)),
    ({"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 5, 3), (2, 3, 3, 6)),
    ({"kernel_size": 2, "strides": 2, "padding": "same", "depth_multiplier": 3}, (2, 5, 6, 2), (2, 3, 3, 6)),
    ({"kernel_size": 4, "padding": "same"}, (2, 6, 7, 2), (2, 6, 7, 2)),
    ({"kernel_size": 3, "dilation_rate": 2, "depth_multiplier": 2}, (2, 7, 8, 2), (2, 3, 4, 4)),
    ({"kernel_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first",
      "depth_multiplier": 2}, (2, 3, 5, 5), (2, 6, 3, 3)),
    ({"kernel_size": (3, 1), "use_bias": False, "activation": "relu6"}, (2, 5, 4, 4), (2, 3, 4, 4)),
]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", DEPTHWISE_2D)
def test_depthwise_conv2d_harness(kwargs, input_shape, output_shape):
    run_layer_test(DepthwiseConv2D, kwargs, input_shape=input_shape,
                   expected_output_shape=output_shape,
                   expected_num_trainable_weights=2 if kwargs.get("use_bias", True) else 1,
                   expected_num_non_trainable_weights=0, supports_masking=False, atol=2e-5)


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"kernel_size": 3, "depth_multiplier": 2}, (2, 7, 3), (2, 5, 6)),
    ({"kernel_size": 2, "strides": 2, "padding": "same", "data_format": "channels_first"}, (2, 3, 7), (2, 3, 4)),
])
def test_depthwise_conv1d_harness(kwargs, input_shape, output_shape):
    run_layer_test(DepthwiseConv1D, kwargs, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=0, atol=2e-5)


SEPARABLE_2D = [
    ({"filters": 4, "kernel_size": 3}, (2, 6, 5, 3), (2, 4, 3, 4)),
    ({"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 5, 5, 3), (2, 5, 5, 5)),
    ({"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same"}, (2, 5, 6, 2), (2, 3, 3, 3)),
    ({"filters": 3, "kernel_size": 3, "dilation_rate": 2}, (2, 7, 7, 2), (2, 3, 3, 3)),
    ({"filters": 4, "kernel_size": 3, "data_format": "channels_first", "depth_multiplier": 2},
     (2, 3, 5, 6), (2, 4, 3, 4)),
]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", SEPARABLE_2D)
def test_separable_conv2d_harness(kwargs, input_shape, output_shape):
    run_layer_test(SeparableConv2D, kwargs, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=3,
                   expected_num_non_trainable_weights=0, supports_masking=False, atol=2e-5)


def test_separable_conv1d_harness():
    run_layer_test(SeparableConv1D, {"filters": 4, "kernel_size": 3, "depth_multiplier": 2,
                                     "padding": "same", "strides": 2},
                   input_shape=(2, 7, 3), expected_output_shape=(2, 4, 4),
                   expected_num_trainable_weights=3, expected_num_non_trainable_weights=0, atol=2e-5)


def test_weight_layouts_and_order():
    depthwise = DepthwiseConv2D(3, depth_multiplier=2)
    depthwise.build((None, 8, 8, 5))
    assert [(w.path, w.shape) for w in depthwise.weights] == [
        (f"{depthwise.name}/kernel", (3, 3, 5, 2)), (f"{depthwise.name}/bias", (10,))]
    separable = SeparableConv2D(7, 3, depth_multiplier=2)
    separable.build((None, 8, 8, 5))
    assert [(w.path.split("/")[-1], w.shape) for w in separable.weights] == [
        ("depthwise_kernel", (3, 3, 5, 2)), ("pointwise_kernel", (1, 1, 10, 7)), ("bias", (7,))]
    assert separable.count_params() == 3 * 3 * 5 * 2 + 10 * 7 + 7


def test_separable_equals_depthwise_then_pointwise():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 7, 3))
    separable = SeparableConv2D(4, 3, strides=2, depth_multiplier=2, padding="same", dtype="float64")
    y = separable(x).numpy()
    depthwise_kernel, pointwise_kernel, bias = separable.get_weights()
    depthwise = DepthwiseConv2D(3, strides=2, depth_multiplier=2, padding="same", use_bias=False,
                                dtype="float64")
    depthwise(x)
    depthwise.set_weights([depthwise_kernel])
    pointwise = Conv2D(4, 1, dtype="float64")
    pointwise(depthwise(x))
    pointwise.set_weights([pointwise_kernel, bias + 0.0])
    np.testing.assert_allclose(y, pointwise(depthwise(x)).numpy(), rtol=1e-12, atol=1e-12)


def test_depthwise_errors_name_the_layer():
    layer = DepthwiseConv2D(3, name="dw")
    layer(np.zeros((1, 5, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"DepthwiseConv2D 'dw': expected input with 3 channels "
                                         r"\(axis -1\), got shape \(1, 5, 5, 4\)"):
        layer(np.zeros((1, 5, 5, 4), dtype="float32"))
    with pytest.raises(ValueError, match=r"SeparableConv2D 'sep': kernel_size \(5, 5\) spans"):
        SeparableConv2D(2, 5, name="sep")(np.zeros((1, 4, 4, 1), dtype="float32"))
    with pytest.raises(ValueError, match="depth_multiplier"):
        DepthwiseConv2D(3, depth_multiplier=0)
