"""ResNet-50 (He et al., 2015) in exactly Keras 3's ``keras.applications.ResNet50`` layout.

The stem is ``ZeroPadding2D(3)`` + a 7x7/2 ``Conv2D(64)`` + ``BatchNormalization`` + ReLU +
``ZeroPadding2D(1)`` + a 3x3/2 ``MaxPooling2D``; then four stacks of bottleneck residual blocks
(``conv2`` to ``conv5``: 3, 4, 6 and 3 blocks of 64, 128, 256 and 512 bottleneck filters, four
times as many output channels). Each block is 1x1 -> 3x3 -> 1x1 convolutions with a
``BatchNormalization`` (epsilon 1.001e-5) after each, added to the shortcut (a strided 1x1
projection in the first block of a stack, the identity otherwise) and passed through ReLU.

Layer names, order, arguments and weight layouts equal Keras's, so weights move between the two
with ``set_weights(keras_model.get_weights())`` or ``model.load_weights('resnet50.h5')``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import layers
from scratchdl.layers.symbolic import KerasTensor
from scratchdl.models import Input
from scratchdl.models.functional import Functional
from scratchdl.models.graph import is_input_tensor

__all__ = ["ResNet50", "preprocess_input", "residual_block_v1", "stack_residual_blocks_v1"]

_BN_EPSILON = 1.001e-5
_BN_AXIS = 3  # scratchdl's image layers are channels-last, as Keras's default


def residual_block_v1(x: KerasTensor, filters: int, kernel_size: int = 3, stride: int = 1,
                      conv_shortcut: bool = True, name: str | None = None) -> KerasTensor:
    """A ResNet v1 bottleneck block (Keras's ``residual_block_v1``).

    Args:
        x: the block's symbolic input.
        filters: bottleneck width; the block outputs ``4 * filters`` channels.
        kernel_size: the middle convolution's kernel size.
        stride: the stride of the first 1x1 convolution (and of the projection shortcut).
        conv_shortcut: a 1x1 convolution + BN shortcut when True, the identity otherwise.
        name: the block's name prefix (e.g. ``'conv2_block1'``).

    Returns:
        The block's symbolic output.
    """
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_BN_EPSILON,
                                             name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x

    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_BN_EPSILON, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)

    x = layers.Conv2D(filters, kernel_size, padding="SAME", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_BN_EPSILON, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)

    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_BN_EPSILON, name=f"{name}_3_bn")(x)

    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x: KerasTensor, filters: int, blocks: int, stride1: int = 2,
                             name: str | None = None) -> KerasTensor:
    """``blocks`` bottleneck blocks: the first projects (stride ``stride1``), the rest add the identity.

    Args:
        x: the stack's symbolic input.
        filters: bottleneck width of every block.
        blocks: the number of blocks.
        stride1: the stride of the first block.
        name: the stack's name (``'conv2'`` ... ``'conv5'``); blocks are ``<name>_block<i>``.
    """
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def _input_shape(input_shape: Sequence[int | None] | None, include_top: bool) -> tuple[int | None, ...]:
    """Keras's ``obtain_input_shape`` for weights=None, channels-last, default 224, minimum 32."""
    if not input_shape:
        if include_top:
            return (224, 224, 3)
        return (None, None, 3)
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"ResNet50: `input_shape` must be a tuple of three integers, got {input_shape!r}")
    if (shape[0] is not None and shape[0] < 32) or (shape[1] is not None and shape[1] < 32):
        raise ValueError(f"ResNet50: input size must be at least 32x32; received input_shape={shape}")
    if include_top and None in shape:
        raise ValueError(
            "ResNet50: if `include_top` is True, you should specify a static `input_shape`; "
            f"received input_shape={shape}"
        )
    return shape


def _source_inputs(tensor: KerasTensor) -> list[KerasTensor]:
    """The ``Input`` tensors ``tensor`` was computed from (Keras's ``get_source_inputs``)."""
    found: list[KerasTensor] = []
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if is_input_tensor(current):
            found.append(current)
            continue
        layer, node_index, _ = current._keras_history
        stack.extend(reversed(layer._inbound_nodes[node_index].input_tensors))
    return found


def ResNet50(
    include_top: bool = True,
    weights: str | os.PathLike[str] | None = None,
    input_tensor: KerasTensor | None = None,
    input_shape: Sequence[int | None] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet50",
) -> Functional:
    """Instantiate ResNet-50 as a functional model, layer for layer as ``keras.applications.ResNet50``.

    Args:
        include_top: end with ``GlobalAveragePooling2D`` ('avg_pool') and a ``Dense(classes)``
            classifier ('predictions').
        weights: ``None`` (random initialization) or the path of a local weights file that
            ``model.load_weights`` reads (e.g. Keras's ``resnet50_weights_tf_dim_ordering_tf_
            kernels.h5``). ``'imagenet'`` is refused: the ImageNet weights cannot be downloaded
            here (the machine is offline); pass the local file's path instead.
        input_tensor: an optional symbolic tensor (from ``Input``) to use as the image input.
        input_shape: the image shape ``(height, width, 3)``; at least 32x32. Defaults to
            ``(224, 224, 3)`` with ``include_top`` and ``(None, None, 3)`` without.
        pooling: without the top, ``None`` (the 4-D feature map), ``'avg'`` or ``'max'``
            (global pooling to a 2-D tensor).
        classes: the number of classes of the top classifier.
        classifier_activation: the top layer's activation (``None`` for logits).
        name: the model's name.

    Returns:
        A ``Functional`` model with 25,636,712 parameters for 1000 classes.

    >>> model = ResNet50(input_shape=(64, 64, 3), classes=6)    # doctest: +SKIP
    >>> model.output_shape                                       # doctest: +SKIP
    (None, 6)
    """
    if isinstance(weights, str) and weights == "imagenet":
        raise ValueError(
            "ResNet50: weights='imagenet' cannot be used: the ImageNet ResNet-50 weights are not "
            "obtainable offline and scratchdl downloads nothing. Build the model with "
            "weights=None and call `model.load_weights(path)` with a local Keras .h5 file (e.g. "
            "'resnet50_weights_tf_dim_ordering_tf_kernels.h5'), or pass that path as `weights`."
        )
    if weights is not None and not (isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights)):
        raise ValueError(
            "ResNet50: the `weights` argument should be either None (random initialization) or "
            f"the path to an existing weights file to be loaded; received weights={weights!r}"
        )
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"ResNet50: `pooling` must be None, 'avg' or 'max', got {pooling!r}")

    shape = _input_shape(input_shape, include_top)
    if input_tensor is None:
        img_input = Input(shape=shape)
    elif isinstance(input_tensor, KerasTensor):
        img_input = input_tensor
    else:
        raise TypeError(
            "ResNet50: `input_tensor` must be a symbolic tensor (from scratchdl.Input), got "
            f"{type(input_tensor).__name__}"
        )

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=_BN_AXIS, epsilon=_BN_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)

    x = stack_residual_blocks_v1(x, 64, 3, stride1=1, name="conv2")
    x = stack_residual_blocks_v1(x, 128, 4, name="conv3")
    x = stack_residual_blocks_v1(x, 256, 6, name="conv4")
    x = stack_residual_blocks_v1(x, 512, 3, name="conv5")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)

    inputs: Any = img_input if input_tensor is None else _source_inputs(input_tensor)
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    model = Functional(inputs, x, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model


def preprocess_input(x: Any, data_format: str | None = None) -> np.ndarray:
    """Keras's ResNet-50 preprocessing ('caffe' mode): RGB -> BGR, minus the ImageNet channel means.

    Args:
        x: images with values in [0, 255], channels last (``(..., 3)``) unless
            ``data_format='channels_first'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Returns:
        A new float array (the input's float dtype, float32 for integer input).

    >>> preprocess_input(np.array([[255.0, 0.0, 0.0]], dtype="float32"))
    array([[-103.939, -116.779,  131.32 ]], dtype=float32)
    """
    array = np.asarray(x)
    if array.dtype.kind != "f":
        array = array.astype("float32")
    channels_first = (data_format or "channels_last") == "channels_first"
    axis = (1 if array.ndim == 4 else 0) if channels_first else -1
    if array.shape[axis] != 3:
        raise ValueError(
            f"preprocess_input: expected 3 colour channels on axis {axis}, got shape {array.shape}"
        )
    array = np.flip(array, axis=axis)
    mean_shape = [1] * array.ndim
    mean_shape[axis] = 3
    mean = np.array([103.939, 116.779, 123.68], dtype=array.dtype).reshape(mean_shape)
    return np.ascontiguousarray(array - mean)
