"""Dot through the layer harness (Keras parity of outputs and gradients), normalize, functional
form, masks and errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl.layers import Dot, dot
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test
from tests.layers.merging.masked import masked_parity


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"axes": 1}, [(3, 4), (3, 4)], (3, 1)),
    ({"axes": -1}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
    ({"axes": (2, 1)}, [(2, 3, 4), (2, 4, 5)], (2, 3, 5)),
    ({"axes": [1, 1]}, [(2, 3, 4), (2, 3, 5)], (2, 4, 5)),
    ({"axes": 1}, [(2, 4), (2, 4, 3)], (2, 3)),
    ({"axes": (2, 1)}, [(2, 3, 4), (2, 4)], (2, 3)),
    ({"axes": (1, 2)}, [(2, 3, 4, 2), (2, 5, 3)], (2, 4, 2, 5)),
    ({"axes": (3, 1)}, [(2, 2, 3, 4), (2, 4, 3, 2)], (2, 2, 3, 3, 2)),
    ({"axes": 1, "normalize": True}, [(3, 5), (3, 5)], (3, 1)),
    ({"axes": (2, 2), "normalize": True}, [(2, 3, 4), (2, 5, 4)], (2, 3, 5)),
])
def test_dot_harness(kwargs, input_shape, output_shape):
    run_layer_test(Dot, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_cosine_similarity_with_normalize():
    a = np.array([[3.0, 4.0], [1.0, 0.0]], np.float32)
    b = np.array([[6.0, 8.0], [0.0, 2.0]], np.float32)
    np.testing.assert_allclose(Dot(axes=1, normalize=True)([a, b]).numpy(), [[1.0], [0.0]], atol=1e-6)
    # A zero vector normalizes to zero (1/||x|| capped at 1e7), not NaN.
    zero = np.zeros((1, 2), np.float32)
    assert np.all(np.isfinite(Dot(axes=1, normalize=True)([zero, zero]).numpy()))


def test_dot_drops_masks_as_keras():
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((2, 3, 4)).astype(np.float32) for _ in range(2)]
    masks = [rng.random((2, 3)) < 0.5 for _ in range(2)]
    masked_parity(Dot(axes=-1), keras.layers.Dot(axes=-1), arrays, masks)


def test_functional_form():
    a = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(dot([a, 2 * a], axes=1).numpy(), [[6.0], [6.0]])
    out = dot([KerasTensor((None, 4, 3)), KerasTensor((None, 5, 3))], axes=-1, normalize=True)
    assert out.shape == (None, 4, 5)
    assert out._keras_history[0].normalize is True


def test_errors():
    with pytest.raises(ValueError, match=r"Dot 'd': incompatible input shapes: axis values 3 \(at axis "
                                         r"1\) != 4 \(at axis 1\)"):
        Dot(axes=1, name="d")([np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match=r"a `Dot` layer should be called on a list of 2 inputs"):
        Dot(axes=1)([np.ones((2, 3), np.float32)] * 3)
    with pytest.raises(TypeError, match=r"invalid type for argument `axes`"):
        Dot(axes="1")
    with pytest.raises(ValueError, match=r"it should contain two elements"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match=r"cannot contract the batch axis 0"):
        Dot(axes=0)([np.ones((2, 3), np.float32), np.ones((2, 3), np.float32)])
