"""Reshape through the harness (with and without -1) and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Reshape
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("target, input_shape, output_shape", [
    ((6,), (2, 2, 3), (2, 6)), ((3, 2), (2, 6), (2, 3, 2)), ((-1, 2), (3, 2, 4), (3, 4, 2)),
    ((2, -1, 1), (2, 12), (2, 2, 6, 1)), ((1, 1, 5), (4, 5), (4, 1, 1, 5)),
])
def test_reshape_harness(target, input_shape, output_shape):
    run_layer_test(Reshape, {"target_shape": target}, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=False)


def test_reshape_symbolic_unknown_sizes_and_errors():
    assert Reshape((-1, 2))(KerasTensor((None, None, 4))).shape == (None, None, 2)
    assert Reshape((-1, 2))(KerasTensor((None, 3, 4))).shape == (None, 6, 2)
    with pytest.raises(ValueError, match=r"Reshape 'r': the total size of the tensor must be "
                                         r"unchanged: cannot reshape samples of shape \(2, 3\)"):
        Reshape((4,), name="r")(np.zeros((1, 2, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"not divisible by 4"):
        Reshape((-1, 4))(np.zeros((1, 6), dtype="float32"))
    with pytest.raises(ValueError, match="at most one `-1`"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match="non-negative integer"):
        Reshape((-2, 3))
