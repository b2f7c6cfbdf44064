"""ELU through the layer harness (Keras parity of outputs and gradients) and its values."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import ELU
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs", [{}, {"alpha": 0.5}, {"alpha": 2.0}])
def test_elu_harness(kwargs):
    run_layer_test(ELU, kwargs, input_shape=(3, 5), input_range=(-3.0, 3.0),
                   expected_output_shape=(3, 5), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def test_values_and_config():
    x = np.array([[-1.0, 0.0, 2.0]], np.float32)
    np.testing.assert_allclose(ELU(alpha=2.0)(x).numpy(), [[2.0 * (np.exp(-1.0) - 1), 0.0, 2.0]], rtol=1e-6)
    assert ELU(alpha=0.7).get_config()["alpha"] == 0.7
