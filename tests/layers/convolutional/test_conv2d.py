"""Conv2D through the harness with Keras parity: strides, 'same' with even kernels, dilation,
groups, channels_first, activations and regularizers; errors that name the layer."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Conv2D
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test

CASES = [
    # (init kwargs, input shape, output shape)
    ({"filters": 4, "kernel_size": 3}, (2, 7, 6, 3), (2, 5, 4, 4)),
    ({"filters": 5, "kernel_size": (3, 2), "strides": 2}, (2, 9, 8, 3), (2, 4, 4, 5)),
    ({"filters": 4, "kernel_size": 4, "padding": "same"}, (2, 6, 7, 2), (2, 6, 7, 4)),
    ({"filters": 4, "kernel_size": 2, "strides": (2, 3), "padding": "same"}, (2, 7, 8, 3), (2, 4, 3, 4)),
    ({"filters": 3, "kernel_size": 3, "dilation_rate": 2}, (2, 9, 8, 2), (2, 5, 4, 3)),
    ({"filters": 4, "kernel_size": 3, "dilation_rate": (2, 1), "padding": "same"}, (2, 7, 6, 3), (2, 7, 6, 4)),
    ({"filters": 6, "kernel_size": 3, "groups": 2}, (2, 6, 6, 4), (2, 4, 4, 6)),
    ({"filters": 6, "kernel_size": 3, "groups": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 6), (2, 4, 4, 6)),
    ({"filters": 6, "kernel_size": 3, "groups": 3, "padding": "same"}, (2, 5, 6, 3), (2, 5, 6, 6)),  # depthwise
    ({"filters": 4, "kernel_size": 3, "data_format": "channels_first"}, (2, 3, 7, 6), (2, 4, 5, 4)),
    ({"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "data_format": "channels_first",
      "groups": 2}, (2, 4, 5, 5), (2, 4, 3, 3)),
    ({"filters": 3, "kernel_size": 1, "use_bias": False}, (2, 4, 4, 5), (2, 4, 4, 3)),
    ({"filters": 4, "kernel_size": 3, "activation": "relu", "bias_initializer": "ones"}, (2, 5, 5, 2), (2, 3, 3, 4)),
]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES)
def test_conv2d_harness(kwargs, input_shape, output_shape):
    run_layer_test(Conv2D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=2 if kwargs.get("use_bias", True) else 1,
                   expected_num_non_trainable_weights=0, supports_masking=False, atol=2e-5)


def test_conv2d_regularizers_and_constraints():
    run_layer_test(Conv2D, {"filters": 3, "kernel_size": 2, "kernel_regularizer": "l2",
                            "bias_regularizer": "l1", "activity_regularizer": "l2",
                            "kernel_constraint": "max_norm", "bias_constraint": "non_neg"},
                   input_shape=(2, 4, 4, 2), expected_output_shape=(2, 3, 3, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0, atol=2e-5)
    layer = Conv2D(3, 2, kernel_regularizer="l2", activity_regularizer="l2")
    layer(np.ones((2, 4, 4, 2), dtype="float32"))
    assert len(layer.losses) == 2


def test_conv2d_matches_a_loop_over_output_pixels():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 4))
    layer = Conv2D(6, (3, 2), strides=(2, 1), groups=2, dtype="float64", bias_initializer="ones")
    y = layer(x).numpy()
    kernel, bias = (w.numpy() for w in layer.weights)
    expected = np.zeros(y.shape)
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            for o in range(6):
                g = o // 3
                window = x[:, 2 * i:2 * i + 3, j:j + 2, 2 * g:2 * g + 2]
                expected[:, i, j, o] = np.einsum("nabc,abc->n", window, kernel[..., o]) + bias[o]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_symbolic_unknown_sizes():
    layer = Conv2D(8, 3, strides=2, padding="same")
    assert layer(KerasTensor((None, None, 9, 3))).shape == (None, None, 5, 8)
    assert layer.compute_output_shape((None, 10, None, 3)) == (None, 5, None, 8)


def test_conv2d_errors_name_the_layer_and_shapes():
    layer = Conv2D(4, 3, name="conv2d_1")
    layer(np.zeros((8, 32, 32, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d_1': expected input with 3 channels "
                                         r"\(axis -1\), got shape \(8, 32, 32, 4\)"):
        layer(np.zeros((8, 32, 32, 4), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d_1': expected a 4-D input \(batch, height, "
                                         r"width, channels\), got shape \(8, 32, 3\)"):
        layer(np.zeros((8, 32, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'big': kernel_size \(5, 5\) spans \(5, 5\) pixels, "
                                         r"more than the input's spatial size \(3, 4\) .*\(2, 3, 4, 1\)"):
        Conv2D(2, 5, name="big")(np.zeros((2, 3, 4, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'dil'.*dilation_rate \(3, 3\) spans \(7, 7\)"):
        Conv2D(2, 3, dilation_rate=3, name="dil")(np.zeros((1, 6, 6, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'cf': expected input with 3 channels \(axis 1\)"):
        cf = Conv2D(2, 1, data_format="channels_first", name="cf")
        cf(np.zeros((1, 3, 4, 4), dtype="float32"))
        cf(np.zeros((1, 4, 4, 4), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'g'.*divisible by the number of groups.*5 channels"):
        Conv2D(4, 3, groups=2, name="g")(np.zeros((1, 5, 5, 5), dtype="float32"))
    with pytest.raises(ValueError, match="filters must be evenly divisible"):
        Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="strides > 1.*dilation_rate > 1"):
        Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"`kernel_size` must be a positive int"):
        Conv2D(4, (3, 0))
    with pytest.raises(ValueError, match="padding"):
        Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="filters"):
        Conv2D(0, 3)
