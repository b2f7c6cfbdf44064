"""TimeDistributed: Dense and Conv2D over time through the layer harness with Keras parity; one
folded call (no loop over steps); masks passed through; config and errors as Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import layers
from tests.layers.harness import run_layer_test

RNG = np.random.default_rng(5)


def test_time_distributed_dense() -> None:
    run_layer_test(layers.TimeDistributed, {"layer": layers.Dense(4, activation="tanh")},
                   keras_kwargs={"layer": keras.layers.Dense(4, activation="tanh")},
                   input_shape=(3, 5, 6), expected_output_shape=(3, 5, 4),
                   expected_num_trainable_weights=2, config_ignore=("layer",),
                   supports_masking=True)


def test_time_distributed_dense_on_4d_steps() -> None:
    run_layer_test(layers.TimeDistributed, {"layer": layers.Dense(2)},
                   keras_kwargs={"layer": keras.layers.Dense(2)}, input_shape=(2, 3, 4, 5),
                   expected_output_shape=(2, 3, 4, 2), config_ignore=("layer",))


def test_time_distributed_conv2d() -> None:
    run_layer_test(layers.TimeDistributed, {"layer": layers.Conv2D(3, 2, padding="same")},
                   keras_kwargs={"layer": keras.layers.Conv2D(3, 2, padding="same")},
                   input_shape=(2, 3, 5, 5, 2), expected_output_shape=(2, 3, 5, 5, 3),
                   config_ignore=("layer",), atol=1e-5)


def test_time_distributed_calls_the_layer_once_on_folded_steps() -> None:
    calls = []

    class Recorder(layers.Dense):
        def call(self, inputs, training=None):  # type: ignore[no-untyped-def]
            calls.append(inputs.shape)
            return super().call(inputs, training=training)

    wrapper = layers.TimeDistributed(Recorder(2))
    x = RNG.standard_normal((3, 7, 4)).astype(np.float32)
    y = wrapper(x)
    assert calls == [(21, 4)]
    dense = wrapper.layer
    expected = x @ dense.kernel.numpy() + dense.bias.numpy()
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-6)


def test_time_distributed_keeps_the_mask_and_names_weights_as_keras() -> None:
    wrapper = layers.TimeDistributed(layers.Dense(2, name="head"), name="td")
    x = layers.Embedding(10, 4, mask_zero=True)(np.array([[1, 2, 0], [3, 0, 0]]))
    y = wrapper(x)
    np.testing.assert_array_equal(y._keras_mask.numpy(), [[True, True, False], [True, False, False]])
    keras_wrapper = keras.layers.TimeDistributed(keras.layers.Dense(2, name="head"), name="td")
    keras_wrapper.build((2, 3, 4))
    assert [w.path for w in wrapper.weights] == [w.path for w in keras_wrapper.weights]


def test_time_distributed_config_and_errors() -> None:
    wrapper = layers.TimeDistributed(layers.Dense(3, name="d"))
    keras_wrapper = keras.layers.TimeDistributed(keras.layers.Dense(3, name="d"))
    config = wrapper.get_config()
    assert set(config) == set(keras_wrapper.get_config())
    assert config["layer"]["config"]["units"] == 3
    revived = layers.TimeDistributed.from_config(config)
    assert isinstance(revived.layer, layers.Dense) and revived.get_config() == config
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(3))(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="incompatible with the input shape"):
        layers.TimeDistributed(layers.Dense(3))(np.zeros((2, 4, 5), np.float32),
                                                mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="Layer` instance"):
        layers.TimeDistributed("dense")
