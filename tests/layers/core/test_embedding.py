"""Embedding through the harness (integer inputs, mask_zero), its gradient and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.layers import Dense, Dropout, Embedding
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"input_dim": 10, "output_dim": 4}, (3, 5), (3, 5, 4)),
    ({"input_dim": 7, "output_dim": 3, "mask_zero": True}, (4, 6), (4, 6, 3)),
    ({"input_dim": 5, "output_dim": 2, "embeddings_initializer": "glorot_normal",
      "embeddings_regularizer": "l2", "embeddings_constraint": "unit_norm"}, (2, 3, 2), (2, 3, 2, 2)),
])
@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_embedding_harness(kwargs, input_shape, output_shape, dtype):
    run_layer_test(Embedding, kwargs, input_shape=input_shape, input_dtype=dtype,
                   input_range=(0, kwargs["input_dim"]), expected_output_shape=output_shape,
                   expected_num_trainable_weights=1, expected_num_non_trainable_weights=0,
                   supports_masking=kwargs.get("mask_zero", False), learning_rate=0.5)


def test_embedding_gradient_accumulates_repeated_indices():
    layer = Embedding(4, 2, embeddings_initializer="ones")
    indices = np.array([[1, 1, 3], [1, 0, 3]])
    layer(indices).sum().backward()
    np.testing.assert_array_equal(layer.embeddings.grad, [[1, 1], [3, 3], [0, 0], [2, 2]])


def test_mask_zero_propagates_through_later_layers():
    indices = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    embedded = Embedding(5, 3, mask_zero=True)(indices)
    expected = indices != 0
    np.testing.assert_array_equal(embedded._keras_mask.numpy(), expected)
    hidden = Dense(2)(embedded)
    dropped = Dropout(0.5)(hidden, training=True)
    np.testing.assert_array_equal(hidden._keras_mask.numpy(), expected)
    np.testing.assert_array_equal(dropped._keras_mask.numpy(), expected)
    assert getattr(Embedding(5, 3)(indices), "_keras_mask", None) is None


def test_embedding_symbolic_output_is_float_and_weights_argument_sets_the_table():
    table = np.arange(6, dtype="float32").reshape(3, 2)
    layer = Embedding(3, 2, weights=[table])
    assert layer.built
    np.testing.assert_array_equal(layer(np.array([2, 0])).numpy(), table[[2, 0]])
    symbolic = Embedding(3, 2)(KerasTensor((None, 4), dtype="int32"))
    assert symbolic.shape == (None, 4, 2) and symbolic.dtype == np.float32


def test_embedding_errors_name_the_layer():
    layer = Embedding(5, 2, name="emb")
    with pytest.raises(ValueError, match=r"Embedding 'emb': indices must lie in \[0, 5\) .*from 0 to 7"):
        layer(np.array([[0, 7]]))
    with pytest.raises(ValueError, match="input_dim"):
        Embedding(0, 2)
    with pytest.raises(ValueError, match="output_dim"):
        Embedding(3, -2)
    with pytest.raises(TypeError, match=r"Embedding 'emb': expected integer indices"):
        layer(Tensor(np.array([[True, False]])))
