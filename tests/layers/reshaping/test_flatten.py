"""Flatten through the harness (both data formats, ranks 1 to 5)."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Flatten
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("input_shape, output_shape", [
    ((3,), (3, 1)), ((2, 5), (2, 5)), ((2, 3, 4), (2, 12)), ((2, 3, 4, 5), (2, 60)),
    ((1, 2, 3, 2, 2), (1, 24)),
])
def test_flatten_harness(data_format, input_shape, output_shape):
    run_layer_test(Flatten, {"data_format": data_format}, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=False)


def test_flatten_channels_first_moves_channels_last_first():
    x = np.arange(24, dtype="float32").reshape(2, 3, 2, 2)  # (batch, channels, h, w)
    np.testing.assert_array_equal(Flatten("channels_first")(x).numpy(),
                                  x.transpose(0, 2, 3, 1).reshape(2, -1))
    assert Flatten()(KerasTensor((None, 3, None))).shape == (None, None)
    with pytest.raises(ValueError, match="data_format"):
        Flatten("nchw")
