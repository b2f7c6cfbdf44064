"""Add, Subtract, Multiply, Average, Maximum, Minimum through the layer harness (Keras parity of
outputs and gradients), with broadcasting, rank expansion, masks and their functional forms."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl.layers import (
    Add, Average, Maximum, Minimum, Multiply, Subtract, add, average, maximum, minimum, multiply,
    subtract,
)
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test
from tests.layers.merging.masked import masked_parity

LAYERS = [Add, Subtract, Multiply, Average, Maximum, Minimum]
FUNCTIONS = {Add: add, Subtract: subtract, Multiply: multiply, Average: average,
             Maximum: maximum, Minimum: minimum}


SHAPES = [
    ([(2, 3), (2, 3)], (2, 3)),
    ([(3, 4, 5), (3, 4, 5)], (3, 4, 5)),
    ([(2, 3, 4), (2, 1, 4)], (2, 3, 4)),          # broadcasting a size-1 axis
    ([(2, 3, 4), (2, 4)], (2, 3, 4)),             # lower rank expanded at axis 1
    ([(2, 5), (2, 5), (2, 5)], (2, 5)),           # three inputs (Subtract takes exactly 2)
]


@pytest.mark.parametrize("layer_cls, input_shape, output_shape", [
    (layer_cls, input_shape, output_shape) for layer_cls in LAYERS
    for input_shape, output_shape in SHAPES if layer_cls is not Subtract or len(input_shape) == 2
])
def test_merge_harness(layer_cls, input_shape, output_shape):
    run_layer_test(layer_cls, {}, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


@pytest.mark.parametrize("layer_cls", LAYERS)
@pytest.mark.parametrize("masked", [(True, True), (True, False), (False, True)])
def test_masks_match_keras(layer_cls, masked):
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(-1, 1, (3, 4, 2)).astype(np.float32) for _ in range(2)]
    masks = [rng.random((3, 4)) < 0.5 if m else None for m in masked]
    masked_parity(layer_cls(), getattr(keras.layers, layer_cls.__name__)(), arrays, masks)


@pytest.mark.parametrize("layer_cls", [Add, Multiply, Average, Maximum, Minimum])
def test_three_masked_inputs_match_keras(layer_cls):
    rng = np.random.default_rng(4)
    arrays = [rng.uniform(-1, 1, (2, 5, 3)).astype(np.float32) for _ in range(3)]
    masks = [rng.random((2, 5)) < 0.5 for _ in range(3)]
    masked_parity(layer_cls(), getattr(keras.layers, layer_cls.__name__)(), arrays, masks)


def test_values():
    a = np.array([[1.0, -2.0, 3.0]], np.float32)
    b = np.array([[4.0, 5.0, -6.0]], np.float32)
    np.testing.assert_allclose(Add()([a, b]).numpy(), a + b)
    np.testing.assert_allclose(Subtract()([a, b]).numpy(), a - b)
    np.testing.assert_allclose(Multiply()([a, b]).numpy(), a * b)
    np.testing.assert_allclose(Average()([a, b, b]).numpy(), (a + 2 * b) / 3, rtol=1e-6)
    np.testing.assert_allclose(Maximum()([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(Minimum()([a, b]).numpy(), np.minimum(a, b))


@pytest.mark.parametrize("layer_cls", LAYERS)
def test_functional_form(layer_cls):
    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal((2, 3)).astype(np.float32) for _ in range(2))
    fn = FUNCTIONS[layer_cls]
    np.testing.assert_allclose(fn([a, b]).numpy(), layer_cls()([a, b]).numpy())
    out = fn([KerasTensor((None, 3)), KerasTensor((None, 3))], name=f"merged_{layer_cls.__name__}")
    assert isinstance(out, KerasTensor) and out.shape == (None, 3)
    layer = out._keras_history[0]
    assert isinstance(layer, layer_cls) and layer.name == f"merged_{layer_cls.__name__}"


def test_symbolic_broadcast_shapes():
    assert Add().compute_output_shape([(None, 3, 1), (None, 1, 4)]) == (None, 3, 4)
    assert Add().compute_output_shape([(5, 3), (None, 3)]) == (5, 3)
    assert Maximum().compute_output_shape([(None, None, 4), (None, 7, 4)]) == (None, None, 4)


def test_errors():
    with pytest.raises(ValueError, match=r"Add 'bad_add': inputs have incompatible shapes. "
                                         r"Received shapes \(3,\) and \(4,\)"):
        Add(name="bad_add")([np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match=r"Add '.*': cannot merge tensors with different batch sizes"):
        Add()([np.ones((2, 3), np.float32), np.ones((5, 3), np.float32)])
    with pytest.raises(ValueError, match=r"Subtract '.*': a `Subtract` layer should be called on "
                                         r"exactly 2 inputs"):
        Subtract()([np.ones((2, 3), np.float32)] * 3)
    with pytest.raises(ValueError, match=r"Multiply '.*': a merge layer should be called on a list"):
        Multiply()(np.ones((2, 3), np.float32))
