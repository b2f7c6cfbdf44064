"""Dense through the layer harness, plus its errors, masking and regularization."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor, backend
from scratchdl.layers import Dense
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import keras, run_layer_test, to_numpy, to_torch


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


def test_dense_wrong_last_dimension_names_layer_and_shapes():
    backend.clear_session()
    layer = Dense(3, name="dense_2")
    layer(np.zeros((32, 64), dtype="float32"))
    with pytest.raises(ValueError, match=r"Dense 'dense_2': expected input with last dimension 64, "
                                         r"got shape \(32, 10\)"):
        layer(np.zeros((32, 10), dtype="float32"))
    with pytest.raises(ValueError, match=r"Dense 'dense_2': expected input with last dimension 64, "
                                         r"got shape \(None, 10\)"):
        layer(KerasTensor((None, 10)))


def test_dense_rejects_rank_one_input_and_bad_units():
    with pytest.raises(ValueError, match=r"expected input of rank >= 2, got shape \(5,\)"):
        Dense(2)(np.zeros((5,), dtype="float32"))
    for units in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="units"):
            Dense(units)
    with pytest.raises(ValueError, match="quantization"):
        Dense(2, quantization_config={"mode": "int8"})


def test_dense_build_creates_weights_with_keras_layout():
    layer = Dense(4)
    layer.build((None, 3))
    assert layer.built
    assert [w.path.split("/")[1] for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (3, 4) and layer.bias.shape == (4,)
    assert layer.count_params() == 16
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(4))
    no_bias = Dense(4, use_bias=False)
    no_bias.build((None, 3))
    assert no_bias.bias is None and len(no_bias.weights) == 1


def test_dense_regularizer_losses_and_activity_regularizer_match_keras():
    kwargs = dict(units=3, kernel_regularizer="l2", bias_regularizer="l1",
                  bias_initializer="ones", activity_regularizer="l1")
    layer = Dense(**kwargs)
    keras_layer = keras.layers.Dense(**kwargs)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    keras_layer(to_torch(x))
    layer(x)
    layer.set_weights(keras_layer.get_weights())
    layer(x)
    keras_layer(to_torch(x))
    ours = sorted(float(loss.item()) for loss in layer.losses)
    theirs = sorted(float(to_numpy(loss)) for loss in keras_layer.losses)
    assert len(ours) == 3
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    # the weight penalty is differentiable: d(0.01 * sum(k^2))/dk = 0.02 k
    layer.kernel.regularizer(layer.kernel).backward()
    np.testing.assert_allclose(layer.kernel.grad, 0.02 * layer.kernel.numpy(), rtol=1e-5)


def test_dense_mask_passes_through():
    layer = Dense(2)
    x = Tensor(np.ones((2, 3, 4), dtype="float32"))
    x._keras_mask = Tensor(np.array([[True, True, False], [True, False, False]]))
    y = layer(x)
    np.testing.assert_array_equal(y._keras_mask.numpy(), x._keras_mask.numpy())


def test_dense_frozen_has_no_trainable_weights():
    layer = Dense(2)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
