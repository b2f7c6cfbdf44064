"""LeakyReLU through the layer harness (Keras parity), its Keras 3 default and the alpha alias."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import LeakyReLU
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.1}, {"negative_slope": 0.0},
                                    {"negative_slope": 1.5}])
def test_leaky_relu_harness(kwargs):
    run_layer_test(LeakyReLU, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


def test_default_slope_is_keras_3_layer_default():
    assert LeakyReLU().negative_slope == 0.3
    np.testing.assert_allclose(LeakyReLU()(np.array([[-2.0, 2.0]], np.float32)).numpy(), [[-0.6, 2.0]],
                               rtol=1e-6)


def test_deprecated_alpha_alias():
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        layer = LeakyReLU(alpha=0.5)
    assert layer.negative_slope == 0.5
    assert layer.get_config()["negative_slope"] == 0.5


def test_negative_slope_must_be_non_negative():
    with pytest.raises(ValueError, match=r"LeakyReLU '.*': negative_slope cannot be None or negative"):
        LeakyReLU(negative_slope=-0.2)
