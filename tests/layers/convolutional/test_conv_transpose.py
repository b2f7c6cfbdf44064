"""Conv2DTranspose and Conv1DTranspose through the harness with Keras parity: strides, 'same' and
'valid', output_padding, dilation, channels_first; Conv2DTranspose undoes a strided Conv2D's
shape; errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Conv1DTranspose, Conv2D, Conv2DTranspose
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test

CASES_2D = [
    ({"filters": 4, "kernel_size": 3}, (2, 4, 5, 3), (2, 6, 7, 4)),
    ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 3, 2), (2, 8, 6, 3)),
    ({"filters": 3, "kernel_size": 2, "strides": 2}, (2, 3, 4, 2), (2, 6, 8, 3)),
    ({"filters": 3, "kernel_size": 4, "strides": (2, 3), "padding": "same"}, (2, 3, 3, 2), (2, 6, 9, 3)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 3, 4, 3), (2, 8, 10, 2)),
    ({"filters": 2, "kernel_size": 3, "strides": 3, "padding": "same", "output_padding": (1, 2)},
     (2, 3, 2, 3), (2, 8, 6, 2)),
    ({"filters": 2, "kernel_size": 1, "strides": 3}, (2, 2, 3, 2), (2, 6, 9, 2)),
    ({"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 4, 5, 2), (2, 4, 5, 3)),
    ({"filters": 3, "kernel_size": (2, 3), "dilation_rate": (2, 1)}, (2, 4, 4, 2), (2, 6, 6, 3)),
    ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
      "data_format": "channels_first"}, (2, 2, 3, 4), (2, 3, 6, 8)),
    ({"filters": 3, "kernel_size": 2, "use_bias": False, "activation": "tanh"}, (2, 3, 3, 2), (2, 4, 4, 3)),
]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES_2D)
def test_conv2d_transpose_harness(kwargs, input_shape, output_shape):
    run_layer_test(Conv2DTranspose, kwargs, input_shape=input_shape,
                   expected_output_shape=output_shape,
                   expected_num_trainable_weights=2 if kwargs.get("use_bias", True) else 1,
                   expected_num_non_trainable_weights=0, supports_masking=False, atol=2e-5)


CASES_1D = [
    ({"filters": 3, "kernel_size": 3}, (2, 5, 2), (2, 7, 3)),
    ({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 5, 2), (2, 10, 3)),
    ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 4, 3), (2, 10, 2)),
    ({"filters": 2, "kernel_size": 3, "dilation_rate": 2, "data_format": "channels_first"}, (2, 3, 4), (2, 2, 8)),
]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES_1D)
def test_conv1d_transpose_harness(kwargs, input_shape, output_shape):
    run_layer_test(Conv1DTranspose, kwargs, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=0, supports_masking=False, atol=2e-5)


def test_conv2d_transpose_kernel_layout_and_inverse_shapes():
    layer = Conv2DTranspose(5, 3, strides=2, padding="same")
    y = layer(np.ones((1, 4, 4, 2), dtype="float32"))
    assert layer.kernel.shape == (3, 3, 5, 2)  # (kh, kw, filters, input channels)
    down = Conv2D(2, 3, strides=2, padding="same")(y)
    assert down.shape == (1, 4, 4, 2)
    assert layer(KerasTensor((None, None, 7, 2))).shape == (None, None, 14, 5)


def test_conv2d_transpose_is_the_input_gradient_of_conv2d():
    # <conv2d(x, k), y> == <x, conv2d_transpose(y, k)> for the same kernel (adjointness).
    rng = np.random.default_rng(3)
    conv = Conv2D(4, 3, strides=2, use_bias=False, dtype="float64")
    x = rng.standard_normal((2, 7, 7, 3))
    forward = conv(x).numpy()
    kernel = conv.kernel.numpy()  # (3, 3, 3, 4): (kh, kw, in, out)
    transpose = Conv2DTranspose(3, 3, strides=2, use_bias=False, output_padding=0, dtype="float64")
    g = rng.standard_normal(forward.shape)
    transpose(g)
    transpose.set_weights([kernel])  # (kh, kw, filters=3, in=4) of the transpose
    back = transpose(g).numpy()
    np.testing.assert_allclose(np.sum(forward * g), np.sum(x * back), rtol=1e-10)


def test_conv_transpose_errors():
    with pytest.raises(ValueError, match="output_padding.*strictly less than.*strides"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
    layer = Conv2DTranspose(2, 3, name="up")
    layer(np.zeros((1, 3, 3, 4), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'up': expected input with 4 channels "
                                         r"\(axis -1\), got shape \(1, 3, 3, 2\)"):
        layer(np.zeros((1, 3, 3, 2), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv1DTranspose 'u1': expected a 3-D input"):
        Conv1DTranspose(2, 3, name="u1")(np.zeros((1, 3, 3, 2), dtype="float32"))
