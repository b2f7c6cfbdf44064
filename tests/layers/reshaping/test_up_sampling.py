"""UpSampling1D/2D through the harness with Keras parity (nearest and bilinear, unequal
factors, channels_first); errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import UpSampling1D, UpSampling2D
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 4, 3), (2, 8, 3)),
    ({"size": 3}, (2, 3, 2), (2, 9, 2)),
    ({"size": 1}, (2, 3, 2), (2, 3, 2)),
])
def test_up_sampling1d_harness(kwargs, input_shape, output_shape):
    run_layer_test(UpSampling1D, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 3, 4, 2), (2, 6, 8, 2)),
    ({"size": 3}, (2, 3, 2, 2), (2, 9, 6, 2)),
    ({"size": (1, 3)}, (2, 3, 4, 2), (2, 3, 12, 2)),
    ({"size": (4, 2), "data_format": "channels_first"}, (2, 2, 3, 3), (2, 2, 12, 6)),
])
def test_up_sampling2d_harness(interpolation, kwargs, input_shape, output_shape):
    run_layer_test(UpSampling2D, {**kwargs, "interpolation": interpolation}, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=False)


def test_up_sampling_values_and_symbolic_shapes():
    x = np.array([[[[1.0], [2.0]]]], dtype="float32")
    np.testing.assert_array_equal(UpSampling2D((1, 2))(x).numpy().ravel(), [1, 1, 2, 2])
    np.testing.assert_allclose(UpSampling2D((1, 2), interpolation="bilinear")(x).numpy().ravel(),
                               [1, 1.25, 1.75, 2])
    assert UpSampling2D(2)(KerasTensor((None, None, 5, 3))).shape == (None, None, 10, 3)
    assert UpSampling2D(interpolation="BILINEAR").interpolation == "bilinear"


def test_up_sampling_errors():
    with pytest.raises(TypeError, match="UpSampling1D.*integer value for `size`"):
        UpSampling1D(2.0)
    with pytest.raises(ValueError, match="positive integer"):
        UpSampling1D(0)
    with pytest.raises(ValueError, match=r"UpSampling2D 'u'.*'nearest' or 'bilinear'.*'bicubic'"):
        UpSampling2D(interpolation="bicubic", name="u")
    with pytest.raises(ValueError, match=r"UpSampling2D 'u2': expected a 4-D input"):
        UpSampling2D(name="u2")(np.zeros((1, 3, 3), dtype="float32"))
