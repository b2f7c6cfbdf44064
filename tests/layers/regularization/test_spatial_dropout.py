"""SpatialDropout1D/2D through the harness with Keras parity (inference, config), and their
training behaviour: whole channels dropped, survivors scaled, gradients through the mask,
seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.backend import set_random_seed
from scratchdl.layers import SpatialDropout1D, SpatialDropout2D
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("layer_cls, kwargs, input_shape", [
    (SpatialDropout1D, {"rate": 0.3}, (2, 5, 3)),
    (SpatialDropout1D, {"rate": 0.5, "seed": 3}, (2, 4, 6)),
    (SpatialDropout2D, {"rate": 0.3}, (2, 4, 5, 3)),
    (SpatialDropout2D, {"rate": 0.4, "data_format": "channels_first", "seed": 1}, (2, 3, 4, 5)),
])
def test_spatial_dropout_harness(layer_cls, kwargs, input_shape):
    run_layer_test(layer_cls, kwargs, input_shape=input_shape, expected_output_shape=input_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True, deterministic=False)


@pytest.mark.parametrize("layer_cls, shape, data_format, spatial_axes", [
    (SpatialDropout1D, (64, 7, 16), None, (1,)),
    (SpatialDropout2D, (64, 5, 6, 16), "channels_last", (1, 2)),
    (SpatialDropout2D, (64, 16, 5, 6), "channels_first", (2, 3)),
])
def test_spatial_dropout_drops_whole_channels(layer_cls, shape, data_format, spatial_axes):
    set_random_seed(0)
    kwargs = {} if data_format is None else {"data_format": data_format}
    layer = layer_cls(0.25, **kwargs)
    x = Tensor(np.ones(shape, dtype="float32"), requires_grad=True)
    y = layer(x, training=True)
    values = y.numpy()
    assert set(np.unique(values)) <= {0.0, np.float32(1 / 0.75)}
    # Every channel map is constant: all kept or all dropped.
    np.testing.assert_array_equal(values.min(axis=spatial_axes), values.max(axis=spatial_axes))
    dropped = float((values.max(axis=spatial_axes) == 0).mean())
    assert 0.15 < dropped < 0.35  # 1024 draws at rate 0.25
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, values)  # d(x * mask)/dx = mask
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())


def test_spatial_dropout_seed_and_config():
    x = np.ones((4, 3, 8), dtype="float32")
    a = SpatialDropout1D(0.5, seed=11)(x, training=True).numpy()
    b = SpatialDropout1D(0.5, seed=11)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    config = SpatialDropout2D(0.2, seed=4, name="sd").get_config()
    assert config == {"rate": 0.2, "seed": 4, "name": "sd", "dtype": "float32",
                      "data_format": "channels_last"}
    with pytest.raises(ValueError, match=r"SpatialDropout2D 'sd2': expected a 4-D input"):
        SpatialDropout2D(0.2, name="sd2")(np.ones((2, 3, 4), dtype="float32"), training=True)
