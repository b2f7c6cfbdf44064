"""Softmax through the layer harness (Keras parity of outputs, gradients and masks): axes, lists of
axes, boolean and float masks, fully masked rows, errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Softmax
from tests.layers.harness import run_layer_test

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("kwargs, input_shape", [
    ({}, (3, 5)),
    ({"axis": 1}, (2, 4, 3)),
    ({"axis": -2}, (2, 4, 3)),
    ({"axis": [1, 2]}, (2, 3, 4)),
    ({"axis": [-1]}, (2, 3, 4)),
])
def test_softmax_harness(kwargs, input_shape):
    run_layer_test(Softmax, kwargs, input_shape=input_shape, input_range=(-3.0, 3.0),
                   expected_output_shape=input_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=True)


@pytest.mark.parametrize("kwargs, input_shape, mask", [
    ({}, (2, 3, 5), RNG.random((2, 3, 5)) < 0.6),
    ({}, (2, 3, 5), RNG.random((2, 1, 5)) < 0.6),             # broadcast over queries
    ({}, (2, 3, 5), RNG.random((3, 5)) < 0.6),                # fewer dimensions, right-aligned
    ({"axis": 1}, (2, 4, 3), RNG.random((2, 4, 3)) < 0.6),
    ({}, (2, 3, 5), (RNG.random((2, 3, 5)) < 0.6).astype(np.float32)),  # float mask: > 0.5 keeps
    ({"axis": [1, 2]}, (2, 3, 4), RNG.random((2, 3, 4)) < 0.6),
])
def test_masked_softmax_harness(kwargs, input_shape, mask):
    run_layer_test(Softmax, kwargs, input_shape=input_shape, input_range=(-3.0, 3.0),
                   call_kwargs={"mask": mask}, expected_output_shape=input_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_masked_positions_get_zero_and_full_mask_gives_zeros():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], np.float32)
    mask = np.array([[True, False, True], [False, False, False]])
    y = Softmax()(x, mask=mask).numpy()
    e = np.exp([1.0, 3.0])
    np.testing.assert_allclose(y[0], [e[0] / e.sum(), 0.0, e[1] / e.sum()], rtol=1e-6)
    np.testing.assert_array_equal(y[1], [0.0, 0.0, 0.0])


def test_input_mask_is_used_and_kept():
    from scratchdl import Tensor

    x = Tensor(np.zeros((1, 4), np.float32))
    x._keras_mask = Tensor(np.array([[True, True, False, False]]))
    y = Softmax()(x)
    np.testing.assert_allclose(y.numpy(), [[0.5, 0.5, 0.0, 0.0]])
    np.testing.assert_array_equal(y._keras_mask.numpy(), [[True, True, False, False]])


def test_mask_not_broadcastable():
    with pytest.raises(ValueError, match=r"Softmax '.*': the mask must be broadcastable to the inputs.*"
                                         r"inputs.shape=\(2, 3\), mask.shape=\(2, 4\)"):
        Softmax()(np.ones((2, 3), np.float32), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"mask.shape=\(1, 2, 3\)"):
        Softmax()(np.ones((2, 3), np.float32), mask=np.ones((1, 2, 3), bool))
