"""Model-level Keras parity for the vision building blocks of the specialization's CNNs.

Each builder makes the same functional model with ``keras`` or ``scratchdl`` (same API, same layer
names): a ResNet identity block and convolutional block (Conv2D, BatchNormalization, Add,
Activation/ReLU), MobileNetV2 inverted-residual blocks (1x1 Conv2D, DepthwiseConv2D, ReLU(6.),
BatchNormalization, Add; the strided one with ZeroPadding2D as Keras's MobileNetV2 pads), and a
U-Net down/up step (Conv2D, MaxPooling2D, Conv2DTranspose, Concatenate). For each:

* parameter counts, weight names/shapes/order and the ``summary()`` text equal Keras's;
* Keras's weights, moved away from their initial values (so biases, BN scales and moving
  statistics all matter), are copied with ``set_weights(keras_model.get_weights())``;
* outputs agree in inference mode (BN moving statistics) and in training mode (batch statistics);
* the gradients of a scalar loss ``sum(output * w)`` with respect to the input and to every
  trainable weight equal what torch autograd gives through the Keras model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import torch

import scratchdl as sd
from scratchdl import Tensor

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------- builders
def _resnet_branch(lib: Any, x: Any, filters: tuple[int, int, int], stage: str, strides: int) -> Any:
    f1, f2, f3 = filters
    L = lib.layers
    h = L.Conv2D(f1, 1, strides=strides, name=f"{stage}_2a")(x)
    h = L.BatchNormalization(axis=3, name=f"{stage}_bn2a")(h)
    h = L.Activation("relu", name=f"{stage}_relu2a")(h)
    h = L.Conv2D(f2, 3, padding="same", name=f"{stage}_2b")(h)
    h = L.BatchNormalization(axis=3, name=f"{stage}_bn2b")(h)
    h = L.ReLU(name=f"{stage}_relu2b")(h)
    h = L.Conv2D(f3, 1, name=f"{stage}_2c")(h)
    return L.BatchNormalization(axis=3, name=f"{stage}_bn2c")(h)


def resnet_identity_block(lib: Any) -> Any:
    """ResNet-50's identity block: three convolutions, the input added back, ReLU."""
    x = lib.Input((6, 6, 8), name="x")
    h = _resnet_branch(lib, x, (4, 4, 8), "id", strides=1)
    out = lib.layers.Add(name="id_add")([h, x])
    return lib.Model(x, lib.layers.Activation("relu", name="id_out")(out), name="identity_block")


def resnet_convolutional_block(lib: Any) -> Any:
    """ResNet-50's convolutional block: a strided main path and a strided 1x1 projection shortcut."""
    x = lib.Input((7, 7, 6), name="x")
    h = _resnet_branch(lib, x, (4, 4, 12), "cv", strides=2)
    shortcut = lib.layers.Conv2D(12, 1, strides=2, name="cv_1")(x)
    shortcut = lib.layers.BatchNormalization(axis=3, name="cv_bn1")(shortcut)
    out = lib.layers.Add(name="cv_add")([h, shortcut])
    return lib.Model(x, lib.layers.Activation("relu", name="cv_out")(out), name="conv_block")


def _inverted_residual(lib: Any, x: Any, in_channels: int, out_channels: int, expansion: int,
                       stride: int, prefix: str) -> Any:
    """MobileNetV2's ``_inverted_res_block`` (keras/src/applications/mobilenet_v2.py)."""
    L = lib.layers
    h = L.Conv2D(expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}_expand")(x)
    h = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name=f"{prefix}_expand_BN")(h)
    h = L.ReLU(6.0, name=f"{prefix}_expand_relu")(h)
    if stride == 2:
        h = L.ZeroPadding2D(((0, 1), (0, 1)), name=f"{prefix}_pad")(h)
    h = L.DepthwiseConv2D(3, strides=stride, use_bias=False, padding="same" if stride == 1 else "valid",
                          name=f"{prefix}_depthwise")(h)
    h = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name=f"{prefix}_depthwise_BN")(h)
    h = L.ReLU(6.0, name=f"{prefix}_depthwise_relu")(h)
    h = L.Conv2D(out_channels, 1, padding="same", use_bias=False, name=f"{prefix}_project")(h)
    h = L.BatchNormalization(epsilon=1e-3, momentum=0.999, name=f"{prefix}_project_BN")(h)
    if in_channels == out_channels and stride == 1:
        return L.Add(name=f"{prefix}_add")([x, h])
    return h


def mobilenet_v2_blocks(lib: Any) -> Any:
    """A residual inverted block (stride 1, Add) followed by a strided one (ZeroPadding2D)."""
    x = lib.Input((8, 8, 4), name="x")
    h = _inverted_residual(lib, x, 4, 4, expansion=6, stride=1, prefix="block_1")
    h = _inverted_residual(lib, h, 4, 6, expansion=6, stride=2, prefix="block_2")
    return lib.Model(x, h, name="mobilenet_v2_blocks")


def unet_step(lib: Any) -> Any:
    """One U-Net level: two convolutions, max-pool down, two convolutions, transposed convolution
    up, concatenation with the skip connection, two convolutions, a 1x1 sigmoid head."""
    L = lib.layers
    x = lib.Input((8, 8, 3), name="x")
    skip = L.Conv2D(4, 3, padding="same", activation="relu", name="down_conv1")(x)
    skip = L.Conv2D(4, 3, padding="same", activation="relu", name="down_conv2")(skip)
    h = L.MaxPooling2D(2, name="down_pool")(skip)
    h = L.Conv2D(8, 3, padding="same", activation="relu", name="bottom_conv1")(h)
    h = L.Conv2D(8, 3, padding="same", activation="relu", name="bottom_conv2")(h)
    up = L.Conv2DTranspose(4, 3, strides=2, padding="same", name="up_transpose")(h)
    h = L.Concatenate(axis=3, name="up_concat")([up, skip])
    h = L.Conv2D(4, 3, padding="same", activation="relu", name="up_conv1")(h)
    h = L.Conv2D(4, 3, padding="same", activation="relu", name="up_conv2")(h)
    return lib.Model(x, L.Conv2D(1, 1, activation="sigmoid", name="head")(h), name="unet_step")


BUILDERS = [resnet_identity_block, resnet_convolutional_block, mobilenet_v2_blocks, unet_step]


# ---------------------------------------------------------------------------------- helpers
def _pair(builder: Callable[[Any], Any]) -> tuple[Any, Any]:
    keras.backend.clear_session()
    sd.backend.clear_session()
    return builder(keras), builder(sd)


def _randomize_keras_weights(model: Any, rng: np.random.Generator) -> None:
    """Move every weight away from its initial value; BN scales and variances stay positive."""
    values = []
    for weight in model.weights:
        name = weight.path.split("/")[-1]
        shape = tuple(weight.shape)
        if name in ("gamma", "moving_variance"):
            values.append(rng.uniform(0.5, 1.5, shape))
        elif name in ("beta", "bias", "moving_mean"):
            values.append(rng.uniform(-0.3, 0.3, shape))
        else:
            values.append(np.asarray(weight.numpy()) * rng.uniform(0.8, 1.2, shape))
    model.set_weights([v.astype("float32") for v in values])


def _summary(model: Any) -> str:
    chunks: list[str] = []
    model.summary(print_fn=lambda text, **_: chunks.append(text))
    return "".join(chunks)


# ---------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_structure_and_summary_equal_keras(builder: Callable[[Any], Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    keras_model, model = _pair(builder)
    assert model.count_params() == keras_model.count_params()
    assert [(w.path, tuple(w.shape)) for w in model.weights] == [
        (w.path, tuple(w.shape)) for w in keras_model.weights]
    assert len(model.trainable_weights) == len(keras_model.trainable_weights)
    assert len(model.non_trainable_weights) == len(keras_model.non_trainable_weights)
    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    assert model.output_shape == keras_model.output_shape
    text = _summary(model)
    assert text == _summary(keras_model)
    assert f"Total params: {keras_model.count_params():,}" in text


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_outputs_and_gradients_equal_keras(builder: Callable[[Any], Any], training: bool) -> None:
    rng = np.random.default_rng(len(builder.__name__) + 10 * training)
    keras_model, model = _pair(builder)
    _randomize_keras_weights(keras_model, rng)
    model.set_weights(keras_model.get_weights())
    batch = 4
    x = rng.uniform(-1, 1, (batch, *keras_model.input_shape[1:])).astype("float32")

    ours_in = Tensor(x.copy(), requires_grad=True)
    ours = model(ours_in, training=training)
    theirs_in = torch.from_numpy(x.copy()).requires_grad_(True)
    theirs = keras_model(theirs_in, training=training)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=1e-4, rtol=1e-4)

    direction = rng.standard_normal(tuple(ours.shape)).astype("float32")
    (ours * Tensor(direction)).sum().backward()
    (theirs * torch.from_numpy(direction)).sum().backward()
    scale = max(1.0, float(np.abs(theirs_in.grad.numpy()).max()))
    np.testing.assert_allclose(ours_in.grad, theirs_in.grad.numpy(), atol=1e-4 * scale, rtol=1e-4)
    for mine, keras_weight in zip(model.trainable_weights, keras_model.trainable_weights):
        expected = keras_weight.value.grad.numpy()
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(mine.grad, expected, atol=1e-4 * scale, rtol=1e-4,
                                   err_msg=f"gradient of {mine.path}")

    if training:  # both updated their BN moving statistics from the same batch statistics
        for mine, keras_weight in zip(model.non_trainable_weights, keras_model.non_trainable_weights):
            np.testing.assert_allclose(mine.numpy(), keras_weight.numpy(), atol=1e-5, rtol=1e-5,
                                       err_msg=mine.path)


def test_predict_equals_keras_predict() -> None:
    keras_model, model = _pair(unet_step)
    rng = np.random.default_rng(5)
    _randomize_keras_weights(keras_model, rng)
    model.set_weights(keras_model.get_weights())
    x = rng.uniform(0, 1, (6, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, batch_size=4, verbose=0),
                               keras_model.predict(x, batch_size=4, verbose=0), atol=1e-5)
