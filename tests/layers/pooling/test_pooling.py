"""MaxPooling1D/2D and AveragePooling1D/2D through the harness with Keras parity: strides,
overlapping windows, 'same' padding with even and odd sizes, channels_first; errors.

Average pooling with 'same' padding that is uneven (one more pixel after than before) is checked
against a NumPy loop and numerical gradients instead of Keras: Keras's torch backend pads those
inputs by *replicating* the edge pixels (``_apply_same_padding(..., mode="replicate")``), so the
copies count in the mean, whereas TensorFlow, JAX (Keras's other backends) and scratchdl average
over the real pixels only. Max pooling is unaffected (a copy of an edge pixel never changes a
window's maximum), so those cases run through the harness for MaxPooling only.
"""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.autograd.gradcheck import gradcheck
from scratchdl.layers import (
    AveragePooling1D,
    AveragePooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test

CASES_2D = [
    ({"pool_size": 2}, (2, 6, 5, 3), (2, 3, 2, 3)),
    ({"pool_size": (3, 2), "strides": 1}, (2, 5, 5, 2), (2, 3, 4, 2)),
    ({"pool_size": 3, "strides": 2}, (2, 7, 8, 2), (2, 3, 3, 2)),
    ({"pool_size": 3, "strides": 1, "padding": "same"}, (2, 5, 6, 2), (2, 5, 6, 2)),  # even pads
    ({"pool_size": 2, "data_format": "channels_first"}, (2, 3, 6, 4), (2, 3, 3, 2)),
    ({"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}, (2, 2, 5, 7), (2, 2, 3, 4)),
]
# 'same' padding with one more pixel after than before (see the module docstring).
UNEVEN_SAME_2D = [
    ({"pool_size": 2, "padding": "same"}, (2, 5, 7, 2), (2, 3, 4, 2)),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 7, 3), (2, 3, 4, 3)),
    ({"pool_size": (2, 4), "strides": (1, 3), "padding": "same"}, (2, 4, 7, 2), (2, 4, 3, 2)),
    ({"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}, (2, 2, 5, 6), (2, 2, 3, 3)),
]


@pytest.mark.parametrize("layer_cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES_2D)
def test_pooling2d_harness(layer_cls, kwargs, input_shape, output_shape):
    run_layer_test(layer_cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


CASES_1D = [
    ({"pool_size": 2}, (2, 7, 3), (2, 3, 3)),
    ({"pool_size": 3, "strides": 1}, (2, 6, 2), (2, 4, 2)),
    ({"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 2), (2, 4, 2)),
    ({"pool_size": 3, "padding": "same", "data_format": "channels_first"}, (2, 3, 7), (2, 3, 3)),
]
UNEVEN_SAME_1D = [
    ({"pool_size": 4, "strides": 2, "padding": "same"}, (2, 7, 2), (2, 4, 2)),
    ({"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}, (2, 3, 6), (2, 3, 3)),
]


@pytest.mark.parametrize("layer_cls", [MaxPooling1D, AveragePooling1D])
@pytest.mark.parametrize("kwargs, input_shape, output_shape", CASES_1D)
def test_pooling1d_harness(layer_cls, kwargs, input_shape, output_shape):
    run_layer_test(layer_cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=False)


@pytest.mark.parametrize("layer_cls, kwargs, input_shape, output_shape",
                         [(MaxPooling2D, *case) for case in UNEVEN_SAME_2D]
                         + [(MaxPooling1D, *case) for case in UNEVEN_SAME_1D])
def test_max_pooling_uneven_same_padding_harness(layer_cls, kwargs, input_shape, output_shape):
    run_layer_test(layer_cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def _average_pool_loop(x, pool, strides, data_format):
    """Mean of the real pixels of every TensorFlow-'same' window, by explicit loops."""
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    spatial = x.shape[1:-1]
    out = [-(-n // s) for n, s in zip(spatial, strides)]
    before = [max((o - 1) * s + k - n, 0) // 2 for o, s, k, n in zip(out, strides, pool, spatial)]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for index in np.ndindex(*out):
        window = tuple(
            slice(max(i * s - b, 0), min(i * s - b + k, n))
            for i, s, b, k, n in zip(index, strides, before, pool, spatial)
        )
        y[(slice(None), *index)] = x[(slice(None), *window)].mean(axis=tuple(range(1, len(out) + 1)))
    return np.moveaxis(y, -1, 1) if data_format == "channels_first" else y


@pytest.mark.parametrize("layer_cls, kwargs, input_shape, output_shape",
                         [(AveragePooling2D, *case) for case in UNEVEN_SAME_2D]
                         + [(AveragePooling1D, *case) for case in UNEVEN_SAME_1D])
def test_average_pooling_uneven_same_padding(layer_cls, kwargs, input_shape, output_shape):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(input_shape)
    layer = layer_cls(**kwargs, dtype="float64")
    y = layer(x)
    assert y.shape == output_shape
    expected = _average_pool_loop(x, layer.pool_size, layer.strides, layer.data_format)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12, atol=1e-12)
    report = gradcheck(lambda t: layer(t), [Tensor(x, requires_grad=True)], eps=1e-6, threshold=1e-8)
    assert report.passed, report


def test_max_pooling_with_ties_sends_the_gradient_to_one_element():
    # Constant input: every window ties. Keras's torch backend also routes each window's
    # gradient to a single element, so the harness's gradient parity covers it too.
    run_layer_test(MaxPooling2D, {"pool_size": 2, "strides": 1},
                   input_data=np.ones((1, 3, 3, 1), dtype="float32"),
                   expected_output_shape=(1, 2, 2, 1))
    from scratchdl import Tensor
    x = Tensor(np.ones((1, 4, 4, 1), dtype="float32"), requires_grad=True)
    MaxPooling2D(2)(x).sum().backward()
    assert x.grad.sum() == 4 and set(np.unique(x.grad)) == {0.0, 1.0}


def test_average_pooling_same_padding_divides_by_real_pixels():
    x = np.arange(9.0, dtype="float32").reshape(1, 3, 3, 1)
    y = AveragePooling2D(2, padding="same")(x).numpy()[0, :, :, 0]
    np.testing.assert_allclose(y, [[2.0, 3.5], [6.5, 8.0]])


def test_pooling_defaults_config_and_symbolic_shapes():
    layer = MaxPooling2D(padding="SAME")
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2)
    assert layer.get_config()["padding"] == "SAME"  # kept as given, as Keras does
    assert layer(KerasTensor((None, None, 9, 4))).shape == (None, None, 5, 4)
    assert MaxPooling1D().compute_output_shape((None, 9, 4)) == (None, 4, 4)
    with pytest.raises(TypeError):
        AveragePooling2D()  # pool_size is required, as in Keras


def test_pooling_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'mp': pool_size \(3, 3\) spans \(3, 3\) pixels, "
                                         r"more than the input's spatial size \(2, 5\).*\(1, 2, 5, 1\)"):
        MaxPooling2D(3, name="mp")(np.zeros((1, 2, 5, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"AveragePooling1D 'ap': expected a 3-D input \(batch, steps, "
                                         r"channels\), got shape \(1, 4\)"):
        AveragePooling1D(2, name="ap")(np.zeros((1, 4), dtype="float32"))
    with pytest.raises(ValueError, match="padding"):
        MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        MaxPooling2D(pool_size=(2, 0))
