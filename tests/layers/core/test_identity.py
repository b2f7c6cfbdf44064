"""Identity layer through the harness; it passes masks and any structure through."""

from __future__ import annotations

import numpy as np

from scratchdl import Tensor
from scratchdl.layers import Identity
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


def test_identity_harness():
    run_layer_test(Identity, {}, input_shape=(3, 4, 2), expected_output_shape=(3, 4, 2),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_identity_keeps_mask_dtype_and_structure():
    x = Tensor(np.arange(6, dtype="int64").reshape(2, 3))
    x._keras_mask = Tensor(np.array([[True, False, True], [True, True, False]]))
    y = Identity()(x)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y._keras_mask.numpy(), x._keras_mask.numpy())
    symbolic = Identity()(KerasTensor((None, 3), dtype="int32"))
    assert symbolic.shape == (None, 3) and symbolic.dtype == np.int32
    pair = Identity()([np.ones((1, 2), dtype="float32"), np.zeros((1, 3), dtype="float32")])
    assert [t.shape for t in pair] == [(1, 2), (1, 3)]
