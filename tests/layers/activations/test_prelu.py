"""PReLU through the layer harness (Keras parity of outputs and gradients, weight shapes, SGD
step), shared axes, regularization and errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import PReLU
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test

CONSTANT = {"module": "keras.initializers", "class_name": "Constant", "config": {"value": 0.25},
            "registered_name": None}


@pytest.mark.parametrize("kwargs, input_shape", [
    ({}, (3, 4)),
    ({"alpha_initializer": CONSTANT}, (2, 3, 4)),
    ({"alpha_initializer": "random_uniform", "shared_axes": [1, 2]}, (2, 3, 4, 5)),
    ({"alpha_initializer": "ones", "shared_axes": 1}, (2, 3, 4)),
    ({"alpha_initializer": CONSTANT, "shared_axes": (2,), "alpha_regularizer": "l2",
      "alpha_constraint": "non_neg"}, (2, 3, 4)),
])
def test_prelu_harness(kwargs, input_shape):
    run_layer_test(PReLU, kwargs, input_shape=input_shape, expected_output_shape=input_shape,
                   expected_num_trainable_weights=1, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_alpha_shape_and_values():
    layer = PReLU(alpha_initializer=CONSTANT, shared_axes=[1, 2])
    x = np.array([[[[-4.0, 2.0]], [[1.0, -8.0]]]], np.float32)  # (1, 2, 1, 2)
    y = layer(x)
    assert layer.alpha.shape == (1, 1, 2)
    np.testing.assert_allclose(y.numpy(), [[[[-1.0, 2.0]], [[1.0, -2.0]]]])
    assert layer.count_params() == 2
    assert [w.path for w in layer.weights] == [f"{layer.name}/alpha"]


def test_regularizer_penalty():
    layer = PReLU(alpha_initializer="ones", alpha_regularizer={"class_name": "L2", "config": {"l2": 0.1}})
    layer(np.ones((2, 3), np.float32))
    (penalty,) = layer.losses
    np.testing.assert_allclose(penalty.item(), 0.1 * 3, rtol=1e-6)


def test_unknown_non_shared_axis_and_mismatched_input():
    with pytest.raises(ValueError, match=r"PReLU '.*': every non-shared axis of the input must have a known size"):
        PReLU()(KerasTensor((None, None, 4)))
    assert PReLU(shared_axes=1)(KerasTensor((None, None, 4))).shape == (None, None, 4)
    layer = PReLU()
    layer(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"PReLU '.*': expected input of rank 3 with sizes \(None, 3, 4\).*"
                                         r"got shape \(2, 3, 5\)"):
        layer(np.ones((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"shared axis 0 is out of range"):
        PReLU(shared_axes=0)(np.ones((2, 3), np.float32))
