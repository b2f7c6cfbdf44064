"""GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D through the harness with Keras parity:
keepdims, channels_first, masked averages (Keras semantics), ties; errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.layers import (
    Embedding,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
)
from tests.layers.harness import run_layer_test


@pytest.mark.parametrize("layer_cls", [GlobalAveragePooling1D, GlobalMaxPooling1D])
@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 5, 3), (2, 3)),
    ({"keepdims": True}, (2, 5, 3), (2, 1, 3)),
    ({"data_format": "channels_first"}, (2, 3, 5), (2, 3)),
    ({"data_format": "channels_first", "keepdims": True}, (2, 3, 5), (2, 3, 1)),
])
def test_global_pooling1d_harness(layer_cls, kwargs, input_shape, output_shape):
    run_layer_test(layer_cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("layer_cls", [GlobalAveragePooling2D, GlobalMaxPooling2D])
@pytest.mark.parametrize("kwargs, input_shape, output_shape", [
    ({}, (2, 4, 5, 3), (2, 3)),
    ({"keepdims": True}, (2, 4, 5, 3), (2, 1, 1, 3)),
    ({"data_format": "channels_first"}, (2, 3, 4, 5), (2, 3)),
    ({"data_format": "channels_first", "keepdims": True}, (2, 3, 4, 5), (2, 3, 1, 1)),
])
def test_global_pooling2d_harness(layer_cls, kwargs, input_shape, output_shape):
    run_layer_test(layer_cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


@pytest.mark.parametrize("kwargs", [{}, {"keepdims": True}])
def test_global_average_pooling1d_masked_matches_keras(kwargs):
    mask = np.array([[True, True, False, True, False], [False, True, True, True, True]])
    run_layer_test(GlobalAveragePooling1D, kwargs, input_shape=(2, 5, 3),
                   call_kwargs={"mask": mask}, supports_masking=True)


def test_global_average_pooling1d_after_embedding_mask_zero():
    tokens = np.array([[3, 1, 0, 0], [2, 2, 2, 0]])
    embedded = Embedding(5, 2, mask_zero=True)(tokens)
    pooled = GlobalAveragePooling1D()(embedded)
    table = embedded.numpy()
    np.testing.assert_allclose(pooled.numpy(), [table[0, :2].mean(0), table[1, :3].mean(0)], rtol=1e-6)
    assert getattr(pooled, "_keras_mask", None) is None


def test_global_max_pooling_ties_share_the_gradient():
    x = Tensor(np.zeros((1, 2, 2, 1), dtype="float32"), requires_grad=True)
    GlobalMaxPooling2D()(x).sum().backward()
    np.testing.assert_allclose(x.grad.ravel(), [0.25] * 4)


def test_global_pooling_errors():
    with pytest.raises(ValueError, match=r"GlobalAveragePooling2D 'gap': expected a 4-D input "
                                         r"\(batch, height, width, channels\), got shape \(2, 5, 3\)"):
        GlobalAveragePooling2D(name="gap")(np.zeros((2, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match="data_format"):
        GlobalMaxPooling1D(data_format="nwc")
