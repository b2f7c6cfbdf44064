"""Lambda through the harness; configs hold function names only, never code."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scratchdl import Tensor, ops
from scratchdl._serialization import register_serializable
from scratchdl.layers import Lambda
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import keras, run_layer_test


# Written with operators only, so the same function runs on scratchdl Tensors and torch tensors;
# registered under the same name in both frameworks so the configs agree.
@keras.saving.register_keras_serializable(package="scratchdl_tests")
@register_serializable(package="scratchdl_tests")
def scaled_square(x, factor=1.0):
    return x * x * factor + 0.5


@keras.saving.register_keras_serializable(package="scratchdl_tests")
@register_serializable(package="scratchdl_tests")
def first_half(x):
    return x[:, : x.shape[1] // 2]


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"function": scaled_square}, (2, 3), (2, 3)),
    ({"function": scaled_square, "arguments": {"factor": 3.0}}, (2, 4, 3), (2, 4, 3)),
    ({"function": first_half, "output_shape": (2,)}, (3, 4), (3, 2)),
    ({"function": first_half}, (3, 6, 2), (3, 3, 2)),
])
def test_lambda_harness(kwargs, input_shape, output_shape):
    run_layer_test(Lambda, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


def test_lambda_config_stores_the_registered_name_and_round_trips():
    layer = Lambda(scaled_square, arguments={"factor": 2.0})
    config = layer.get_config()
    assert config["function"] == {"module": "builtins", "class_name": "function",
                                  "config": "scratchdl_tests>scaled_square", "registered_name": "function"}
    revived = Lambda.from_config(json.loads(json.dumps(config)))
    assert revived.function is scaled_square and revived.arguments == {"factor": 2.0}
    x = np.arange(4, dtype="float32").reshape(2, 2)
    np.testing.assert_allclose(revived(x).numpy(), x * x * 2.0 + 0.5)


def test_lambda_with_a_python_lambda_cannot_be_deserialized():
    layer = Lambda(lambda x: x + 1.0)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["function"]["class_name"] == "__lambda__"
    assert "code" not in json.dumps(config["function"]["config"])
    np.testing.assert_array_equal(layer(np.zeros((1, 2), dtype="float32")).numpy(), [[1.0, 1.0]])
    with pytest.raises(ValueError, match="never stores or runs code from a config"):
        Lambda.from_config(config)


def test_lambda_unregistered_function_error_and_custom_objects():
    def local_fn(x):
        return x * 3.0

    config = Lambda(local_fn).get_config()
    with pytest.raises(ValueError, match="no function is registered under that name"):
        Lambda.from_config(config)
    revived = Lambda.from_config(config, custom_objects={"local_fn": local_fn})
    assert revived.function is local_fn


def test_lambda_mask_training_and_symbolic_inference():
    def keep_mask(x, mask=None, training=None):
        return x * (2.0 if training else 1.0)

    layer = Lambda(keep_mask, mask=lambda inputs, mask: ops.not_equal(inputs, 0).any(axis=-1))
    assert layer.supports_masking
    x = np.array([[[1.0], [0.0]]], dtype="float32")
    y = layer(x, training=True)
    np.testing.assert_array_equal(y.numpy(), 2 * x)
    np.testing.assert_array_equal(y._keras_mask.numpy(), [[True, False]])
    assert Lambda(lambda t: ops.sum(t, axis=1))(KerasTensor((None, 5, 3))).shape == (None, 3)
    assert Lambda(lambda t: t[0], output_shape=lambda s: s[1:])(KerasTensor((4, 5))).shape == (5,)
    two = Lambda(lambda t: [t, t * 2.0], output_shape=[(3,), (3,)])(KerasTensor((None, 3)))
    assert [t.shape for t in two] == [(None, 3), (None, 3)]
    with pytest.raises(TypeError, match="function must be callable"):
        Lambda(3)
    assert isinstance(layer(Tensor(x)), Tensor)
