"""Activations: every function equals Keras's (forward and torch-autograd gradient); lookups."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scratchdl import Tensor, activations
from scratchdl._serialization import register_serializable
from tests.layers.harness import keras, to_numpy

# (name, kwargs): every activation scratchdl provides, with Keras's argument variants.
CASES = [
    ("linear", {}), ("relu", {}), ("relu", {"negative_slope": 0.1}), ("relu", {"max_value": 1.5}),
    ("relu", {"threshold": 0.5}), ("relu", {"max_value": 6.0}),
    ("relu", {"negative_slope": 0.2, "max_value": 2.0, "threshold": -0.5}),
    ("relu", {"negative_slope": 0.3, "threshold": 1.0}), ("relu6", {}), ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.05}), ("sigmoid", {}), ("softmax", {}), ("softmax", {"axis": 1}),
    ("log_softmax", {}), ("log_softmax", {"axis": 0}), ("tanh", {}), ("elu", {}), ("elu", {"alpha": 0.5}),
    ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}), ("gelu", {}), ("gelu", {"approximate": True}),
    ("glu", {}), ("glu", {"axis": 1}), ("softplus", {}), ("softsign", {}), ("silu", {}), ("swish", {}),
    ("hard_sigmoid", {}), ("hard_silu", {}), ("hard_swish", {}), ("hard_tanh", {}), ("exponential", {}),
    ("mish", {}), ("log_sigmoid", {}), ("tanh_shrink", {}), ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}), ("hard_shrink", {}), ("hard_shrink", {"threshold": 0.2}),
    ("threshold", {"threshold": 0.3, "default_value": -1.0}), ("squareplus", {}), ("squareplus", {"b": 1}),
    ("sparse_plus", {}), ("sparse_sigmoid", {}),
]


def _input(shape=(3, 4, 6)) -> np.ndarray:
    x = np.random.default_rng(0).uniform(-4, 4, shape).astype("float32")
    # stay off the kinks (0, +-0.5, +-1, +-3, thresholds) where one-sided gradients differ by convention
    for kink in (0.0, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 6.0):
        for point in (kink, -kink):
            close = np.abs(x - point) < 0.02
            x[close] = point + 0.05
    return x


@pytest.mark.parametrize("name, kwargs", CASES)
def test_activation_equals_keras_forward_and_backward(name, kwargs):
    x = _input()
    ours_x = Tensor(x, requires_grad=True)
    ours = activations.get(name)(ours_x, **kwargs)
    torch_x = torch.from_numpy(x.copy()).requires_grad_(True)
    theirs = keras.activations.get(name)(torch_x, **kwargs)
    np.testing.assert_allclose(ours.numpy(), to_numpy(theirs), rtol=1e-5, atol=1e-6)
    if name == "linear":
        assert ours is ours_x
        return
    direction = np.random.default_rng(1).standard_normal(ours.shape).astype("float32")
    (ours * Tensor(direction)).sum().backward()
    (theirs * torch.from_numpy(direction)).sum().backward()
    np.testing.assert_allclose(ours_x.grad, to_numpy(torch_x.grad), rtol=1e-4, atol=1e-5)


def test_every_name_is_a_keras_name_and_serializes_as_keras():
    from keras.src.activations import ALL_OBJECTS_DICT as KERAS_NAMES

    for name, fn in activations.ALL_OBJECTS_DICT.items():
        assert name in KERAS_NAMES, name
        assert activations.serialize(fn) == keras.activations.serialize(KERAS_NAMES[name]), name
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"


def test_get_none_callables_and_errors():
    assert activations.get(None) is activations.linear
    assert activations.serialize(None) == "linear"

    def my_activation(x):
        return x * 2.0

    assert activations.get(my_activation) is my_activation
    with pytest.raises(ValueError, match="cannot be serialized"):
        activations.serialize(my_activation)
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 'rellu'"):
        activations.get("rellu")


def test_registered_custom_activation_round_trips():
    @register_serializable(package="scratchdl_tests")
    def doubled_tanh(x):
        return activations.tanh(x) * 2.0

    config = activations.serialize(doubled_tanh)
    assert config == {"module": "builtins", "class_name": "function",
                      "config": "scratchdl_tests>doubled_tanh", "registered_name": "function"}
    assert activations.deserialize(config) is doubled_tanh
    assert activations.get("scratchdl_tests>doubled_tanh") is doubled_tanh


def test_integer_inputs_are_computed_in_float():
    y = activations.sigmoid(Tensor(np.array([0, 1])))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), [0.5, 1 / (1 + np.exp(-1))], rtol=1e-6)
    with pytest.raises(ValueError, match="even size"):
        activations.glu(Tensor(np.ones((2, 3), dtype="float32")))
