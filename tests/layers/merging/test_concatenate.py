"""Concatenate through the layer harness (Keras parity), masks, functional form and errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl.layers import Concatenate, concatenate
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test
from tests.layers.merging.masked import masked_parity


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, [(2, 3), (2, 4)], (2, 7)),
    ({"axis": 1}, [(2, 3, 4), (2, 5, 4)], (2, 8, 4)),
    ({"axis": -2}, [(2, 1, 4), (2, 2, 4), (2, 3, 4)], (2, 6, 4)),
    ({"axis": 0}, [(2, 3), (4, 3)], (6, 3)),
    ({"axis": 2}, [(2, 3, 1, 2), (2, 3, 4, 2)], (2, 3, 5, 2)),
])
def test_concatenate_harness(kwargs, input_shape, output_shape):
    run_layer_test(Concatenate, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


@pytest.mark.parametrize("axis, shapes, masks", [
    (-1, [(2, 4, 3), (2, 4, 2)], [(2, 4), (2, 4)]),
    (-1, [(2, 4, 3), (2, 4, 2)], [(2, 4), None]),
    (1, [(2, 3, 2), (2, 4, 2)], [(2, 3), (2, 4)]),
    (1, [(2, 3, 2), (2, 4, 2)], [None, (2, 4)]),
])
def test_masks_match_keras(axis, shapes, masks):
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    mask_arrays = [None if m is None else rng.random(m) < 0.5 for m in masks]
    masked_parity(Concatenate(axis=axis), keras.layers.Concatenate(axis=axis), arrays, mask_arrays)


def test_functional_form_and_symbolic_unknown_sizes():
    a = np.ones((2, 3), np.float32)
    b = np.zeros((2, 2), np.float32)
    np.testing.assert_array_equal(concatenate([a, b]).numpy(), np.concatenate([a, b], axis=-1))
    out = concatenate([KerasTensor((None, None, 3)), KerasTensor((None, 4, 3))], axis=1)
    assert out.shape == (None, None, 3)
    assert concatenate([KerasTensor((None, 2, 3)), KerasTensor((None, 4, 3))], axis=1).shape == (None, 6, 3)


def test_errors():
    with pytest.raises(ValueError, match=r"Concatenate 'cat': a `Concatenate` layer requires inputs "
                                         r"with matching shapes except for the concatenation axis"):
        Concatenate(name="cat")([np.ones((2, 3, 4), np.float32), np.ones((2, 5, 5), np.float32)])
    with pytest.raises(ValueError, match=r"requires inputs with matching shapes"):
        Concatenate()([np.ones((2, 3), np.float32), np.ones((2, 3, 1), np.float32)])
    with pytest.raises(ValueError, match=r"axis 3 is out of range for inputs of rank 2"):
        Concatenate(axis=3)([np.ones((2, 3), np.float32), np.ones((2, 3), np.float32)])
    with pytest.raises(ValueError, match=r"should be called on a list of at least 1 input"):
        Concatenate()(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"axis must be an int"):
        Concatenate(axis="last")
