"""BatchNormalization through the layer harness (Keras parity of outputs and gradients in training
and inference), plus: moving statistics after training calls equal Keras's, frozen layers run in
inference mode, masked statistics, renormalization, lists of axes, errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from scratchdl import Tensor
from scratchdl.layers import BatchNormalization
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.harness import run_layer_test, to_torch

RNG = np.random.default_rng(21)
POSITIVE = {"class_name": "RandomUniform", "config": {"minval": 0.5, "maxval": 1.5}}


@pytest.mark.parametrize("kwargs, input_shape", [
    ({}, (6, 3)),
    ({}, (3, 4, 5)),
    ({"axis": 1}, (4, 3, 5)),
    ({"axis": 1}, (2, 3, 4, 4)),
    ({"axis": -1, "momentum": 0.9, "epsilon": 1e-2}, (2, 3, 4, 3)),
    ({"axis": 2, "center": False}, (3, 4, 2, 5)),
    ({"scale": False, "beta_initializer": "ones"}, (5, 4)),
    ({"center": False, "scale": False}, (5, 4)),
    # Random initial weights inside the constraints' sets (a start outside them would let the
    # first projection raise the loss of the harness's SGD check).
    ({"gamma_initializer": POSITIVE, "beta_initializer": "random_normal",
      "moving_variance_initializer": {"class_name": "Constant", "config": {"value": 2.0}},
      "gamma_regularizer": "l2", "beta_regularizer": "l1", "gamma_constraint": "non_neg",
      "beta_constraint": "max_norm"}, (6, 4)),
])
def test_batch_normalization_harness(kwargs, input_shape):
    n_trainable = int(kwargs.get("center", True)) + int(kwargs.get("scale", True))
    run_layer_test(BatchNormalization, kwargs, input_shape=input_shape, input_range=(-2.0, 2.0),
                   expected_output_shape=input_shape, expected_num_trainable_weights=n_trainable,
                   expected_num_non_trainable_weights=2, supports_masking=True, grad_atol=2e-4)


@pytest.mark.parametrize("kwargs, input_shape", [
    ({"renorm": True}, (6, 3)),
    ({"renorm": True, "renorm_clipping": {"rmax": 1.2, "rmin": 0.9, "dmax": 0.05},
      "renorm_momentum": 0.5, "momentum": 0.8}, (3, 4, 5)),
    ({"renorm": True, "axis": 1, "scale": False}, (4, 3, 5)),
])
def test_renorm_harness(kwargs, input_shape):
    n_trainable = 1 if kwargs.get("scale") is False else 2
    run_layer_test(BatchNormalization, kwargs, input_shape=input_shape, input_range=(-2.0, 2.0),
                   expected_output_shape=input_shape, expected_num_trainable_weights=n_trainable,
                   expected_num_non_trainable_weights=5, supports_masking=True, grad_atol=2e-4)


@pytest.mark.parametrize("input_shape, mask_shape", [((4, 5, 3), (4, 5)), ((2, 3, 4, 2), (2, 3, 4))])
def test_masked_harness(input_shape, mask_shape):
    mask = RNG.random(mask_shape) < 0.6
    run_layer_test(BatchNormalization, {}, input_shape=input_shape, input_range=(-2.0, 2.0),
                   call_kwargs={"mask": mask}, expected_output_shape=input_shape,
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=2,
                   grad_atol=2e-4)


def _pair(kwargs, x, keras_kwargs=None):
    ours = BatchNormalization(**kwargs)
    theirs = keras.layers.BatchNormalization(**(kwargs if keras_kwargs is None else keras_kwargs))
    ours(x, training=False)
    theirs(to_torch(x), training=False)
    weights = [w + RNG.uniform(0.1, 0.5, w.shape).astype(w.dtype) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


def _assert_same_weights(ours, theirs, atol=1e-6):
    for a, b in zip(ours.weights, theirs.weights):
        assert a.path.split("/")[-1] == b.path.split("/")[-1]
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=atol, err_msg=a.path)


@pytest.mark.parametrize("axis, shape, masked", [
    (-1, (8, 3), False), (-1, (4, 5, 3), False), (1, (4, 3, 5), False), (1, (2, 3, 4, 4), False),
    (-1, (4, 5, 3), True), (1, (2, 3, 4, 4), True),
])
def test_training_updates_moving_statistics_as_keras(axis, shape, masked):
    x = RNG.uniform(-2, 3, shape).astype(np.float32)
    mask = RNG.random(shape[:-1]) < 0.6 if masked else None
    ours, theirs = _pair({"axis": axis, "momentum": 0.8}, x)
    old_mean = ours.moving_mean.numpy().copy()
    for step in range(3):
        batch = x * (1 + step)
        kw = {} if mask is None else {"mask": mask}
        y_ours = ours(batch, training=True, **kw)
        y_theirs = theirs(to_torch(batch), training=True, **to_torch(kw))
        np.testing.assert_allclose(y_ours.numpy(), y_theirs.detach().numpy(), rtol=1e-5, atol=1e-5)
        _assert_same_weights(ours, theirs)
    assert not np.allclose(ours.moving_mean.numpy(), old_mean)
    # moving = moving * momentum + batch * (1 - momentum), with the biased batch variance.
    ref = BatchNormalization(axis=axis, momentum=0.8)
    ref(x, training=False)
    before_mean, before_var = ref.moving_mean.numpy().copy(), ref.moving_variance.numpy().copy()
    ref(x, training=True)
    kept = axis % x.ndim
    red = tuple(i for i in range(x.ndim) if i != kept)
    np.testing.assert_allclose(ref.moving_mean.numpy(), 0.8 * before_mean + 0.2 * x.mean(axis=red), rtol=1e-5)
    np.testing.assert_allclose(ref.moving_variance.numpy(), 0.8 * before_var + 0.2 * x.var(axis=red),
                               rtol=1e-5)


@pytest.mark.parametrize("training", [None, False])
def test_inference_uses_moving_statistics(training):
    x = RNG.uniform(-2, 2, (5, 4)).astype(np.float32)
    ours, theirs = _pair({}, x)
    gamma, beta, mean, var = ours.get_weights()
    y = ours(x, training=training).numpy()
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3) * gamma + beta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y, theirs(to_torch(x), training=training).detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ours.moving_mean.numpy(), mean)


@pytest.mark.parametrize("axis, shape", [(-1, (6, 3)), (1, (4, 3, 5))])
def test_frozen_layer_runs_in_inference_mode_as_keras(axis, shape):
    x = RNG.uniform(-2, 2, shape).astype(np.float32)
    ours, theirs = _pair({"axis": axis}, x)
    ours.trainable = False
    theirs.trainable = False
    before = ours.get_weights()
    xt = Tensor(x.copy(), requires_grad=True)
    y = ours(xt, training=True)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    y_keras = theirs(tx, training=True)
    np.testing.assert_allclose(y.numpy(), y_keras.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.numpy(), ours(x, training=False).numpy(), rtol=1e-6)
    for a, b in zip(before, ours.get_weights()):
        np.testing.assert_array_equal(a, b)
    _assert_same_weights(ours, theirs)
    assert ours.trainable_weights == [] and len(ours.non_trainable_weights) == 4
    # The input gradient is the inference one: scale / sqrt(moving_variance + eps).
    w = RNG.standard_normal(shape).astype(np.float32)
    (y * Tensor(w)).sum().backward()
    (y_keras * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    # Unfreezing restores training behaviour.
    ours.trainable = True
    ours(x, training=True)
    assert not np.allclose(ours.moving_mean.numpy(), before[2])


def test_list_of_axes():
    x = RNG.uniform(-2, 2, (4, 3, 2, 5)).astype(np.float32)
    layer = BatchNormalization(axis=[1, 3], momentum=0.5, epsilon=1e-3)
    y = layer(x, training=True).numpy()
    assert layer.gamma.shape == (3, 5) and layer.moving_mean.shape == (3, 5)
    mean = x.mean(axis=(0, 2), keepdims=True)
    var = x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.5 * mean.reshape(3, 5), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.5 + 0.5 * var.reshape(3, 5), rtol=1e-5)
    y_inf = layer(x, training=False).numpy()
    mm, mv = layer.moving_mean.numpy()[None, :, None, :], layer.moving_variance.numpy()[None, :, None, :]
    np.testing.assert_allclose(y_inf, (x - mm) / np.sqrt(mv + 1e-3), rtol=1e-5, atol=1e-5)
    config = layer.get_config()
    assert config["axis"] == [1, 3]
    assert BatchNormalization.from_config(config).get_config() == config


def test_symbolic_and_compute_output_shape():
    layer = BatchNormalization(axis=1)
    out = layer(KerasTensor((None, 3, None)))
    assert out.shape == (None, 3, None)
    assert layer.moving_variance.shape == (3,)
    with pytest.raises(ValueError, match=r"axis 3 is out of bounds for input shape \(None, 4\)"):
        BatchNormalization(axis=3).compute_output_shape((None, 4))


def test_errors():
    layer = BatchNormalization(name="bn")
    layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn': expected input of rank 2 with size 4 "
                                         r"on axis -1, got shape \(2, 5\)"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"the mask provided should be one dimension less than the inputs"):
        BatchNormalization()(np.ones((2, 3, 4), np.float32), mask=np.ones((2, 3, 4), bool), training=True)
    with pytest.raises(ValueError, match=r"size of axis 1 must be known"):
        BatchNormalization(axis=1)(KerasTensor((None, None, 3)))
    with pytest.raises(ValueError, match=r"synchronized=True is only supported with the TensorFlow"):
        BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match=r"invalid keys for `renorm_clipping`"):
        BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 1.0})
    with pytest.raises(ValueError, match=r"rmax should be greater than rmin"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0})
    with pytest.raises(TypeError, match=r"axis must be an int or a non-empty list of ints"):
        BatchNormalization(axis=[1.5])
