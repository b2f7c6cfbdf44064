"""Dense through the layer harness, plus its errors, masking and regularization."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import backend
from scratchdl.layers import Dense
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({"units": 4}, (2, 3), (2, 4)),
    ({"units": 5, "activation": "relu", "use_bias": False}, (3, 7), (3, 5)),
    ({"units": 3, "activation": "tanh"}, (2, 4, 6), (2, 4, 3)),
    ({"units": 2, "activation": "softmax"}, (2, 3, 4, 5), (2, 3, 4, 2)),
    ({"units": 6, "kernel_initializer": "he_normal", "bias_initializer": "ones",
      "kernel_regularizer": "l2", "bias_regularizer": {"class_name": "L1", "config": {"l1": 0.1}},
      "kernel_constraint": "max_norm", "bias_constraint": "non_neg"}, (4, 5), (4, 6)),
])
def test_dense_harness(kwargs, input_shape, output_shape):
    n_weights = 2 if kwargs.get("use_bias", True) else 1
    run_layer_test(Dense, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0,
                   supports_masking=True)
