"""RepeatVector through the harness and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.layers import RepeatVector
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("n, input_shape", [(1, (2, 3)), (4, (3, 5))])
def test_repeat_vector_harness(n, input_shape):
    run_layer_test(RepeatVector, {"n": n}, input_shape=input_shape,
                   expected_output_shape=(input_shape[0], n, input_shape[1]),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


def test_repeat_vector_gradient_sums_the_copies_and_errors():
    x = Tensor(np.ones((2, 3), dtype="float32"), requires_grad=True)
    RepeatVector(5)(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 5.0))
    with pytest.raises(ValueError, match=r"RepeatVector 'rv': expected input of rank 2 \(batch, features\), "
                                         r"got shape \(2, 3, 4\)"):
        RepeatVector(2, name="rv")(np.zeros((2, 3, 4), dtype="float32"))
    with pytest.raises(TypeError, match="integer"):
        RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive"):
        RepeatVector(0)
