"""Conv1D through the harness with Keras parity, including padding='causal'."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Conv1D
from tests.layers.harness import run_layer_test

CASES = [
    ({"filters": 4, "kernel_size": 3}, (2, 9, 3), (2, 7, 4)),
    ({"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 9, 2), (2, 5, 3)),
    ({"filters": 3, "kernel_size": 3, "padding": "causal"}, (2, 7, 2), (2, 7, 3)),
    ({"filters": 3, "kernel_size": 2, "padding": "causal", "dilation_rate": 3}, (2, 8, 2), (2, 8, 3)),
    ({"filters": 3, "kernel_size": 3, "padding": "causal", "strides": 2}, (2, 7, 2), (2, 4, 3)),
    ({"filters": 4, "kernel_size": 3, "groups": 2, "dilation_rate": 2}, (2, 9, 4), (2, 5, 4)),
    ({"filters": 4, "kernel_size": 3, "data_format": "channels_first", "padding": "causal"},
     (2, 3, 6), (2, 4, 6)),
    ({"filters": 2, "kernel_size": 2, "data_format": "channels_first", "strides": 3}, (2, 3, 10), (2, 2, 3)),
]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES)
def test_conv1d_harness(kwargs, input_shape, output_shape):
    run_layer_test(Conv1D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0,
                   supports_masking=False, atol=2e-5)


def test_causal_conv1d_never_looks_ahead():
    rng = np.random.default_rng(1)
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = rng.standard_normal((1, 10, 2)).astype("float32")
    y = layer(x).numpy()
    x_changed = x.copy()
    x_changed[:, 6:] += 5.0  # the future from step 6 on
    y_changed = layer(x_changed).numpy()
    np.testing.assert_array_equal(y[:, :6], y_changed[:, :6])
    assert not np.allclose(y[:, 6:], y_changed[:, 6:])


def test_conv1d_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Conv1D 'c1': expected a 3-D input \(batch, steps, channels\), "
                                         r"got shape \(2, 5, 5, 1\)"):
        Conv1D(2, 3, name="c1")(np.zeros((2, 5, 5, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv1D 'c2': kernel_size \(4,\) spans \(4,\) pixels.*\(2, 3, 1\)"):
        Conv1D(2, 4, name="c2")(np.zeros((2, 3, 1), dtype="float32"))
