"""Permute through the harness (1-based dims) and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Permute
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("dims, input_shape, output_shape", [
    ((1,), (2, 3), (2, 3)), ((2, 1), (2, 3, 4), (2, 4, 3)), ((3, 1, 2), (2, 3, 4, 5), (2, 5, 3, 4)),
    ((2, 3, 1), (1, 2, 3, 4), (1, 3, 4, 2)),
])
def test_permute_harness(dims, input_shape, output_shape):
    run_layer_test(Permute, {"dims": dims}, input_shape=input_shape,
                   expected_output_shape=output_shape, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=False)


def test_permute_errors():
    with pytest.raises(ValueError, match="must be consecutive and start from 1"):
        Permute((0, 1))
    with pytest.raises(ValueError, match=r"Permute 'p': expected input of rank 3 for dims \(2, 1\), "
                                         r"got shape \(2, 3\)"):
        Permute((2, 1), name="p")(np.zeros((2, 3), dtype="float32"))
