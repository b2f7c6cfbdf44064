"""Rescaling through the harness (scalar and per-channel scale), integer inputs, configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scratchdl.layers import Rescaling
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs", [{"scale": 1 / 255.0}, {"scale": 2.0, "offset": -1.0}])
def test_rescaling_harness(kwargs):
    run_layer_test(Rescaling, kwargs, input_shape=(2, 4, 4, 3), expected_output_shape=(2, 4, 4, 3),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_rescaling_per_channel_arrays_round_trip_through_json():
    scale = np.array([0.5, 2.0, -1.0])
    layer = Rescaling(scale, offset=np.array([1.0, 0.0, 0.5]))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["scale"] == {"class_name": "__numpy__", "config": {"value": [0.5, 2.0, -1.0], "dtype": "float64"}}
    revived = Rescaling.from_config(config)
    x = np.random.default_rng(0).uniform(0, 255, (2, 2, 3)).astype("float32")
    np.testing.assert_allclose(revived(x).numpy(), x * scale + np.array([1.0, 0.0, 0.5]), rtol=1e-6)
    run_layer_test(Rescaling, {"scale": scale}, input_shape=(2, 3, 3),
                   expected_output_shape=(2, 3, 3), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("dtype", ["uint8", "int32"])
def test_rescaling_casts_integer_pixels(dtype):
    x = np.array([[0, 51, 255]], dtype=dtype)
    y = Rescaling(1 / 255.0)(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [[0.0, 0.2, 1.0]], rtol=1e-6)
