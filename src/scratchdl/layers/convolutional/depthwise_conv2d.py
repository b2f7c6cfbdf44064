"""``DepthwiseConv2D``: 2-D convolution of every channel with its own filters."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv

__all__ = ["DepthwiseConv2D"]


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution, as Keras's DepthwiseConv2D (see ``BaseDepthwiseConv``).

    Input ``(batch, height, width, channels)``; kernel ``(kh, kw, channels, depth_multiplier)``; output channel
    ``c * depth_multiplier + m`` is input channel ``c`` convolved with ``kernel[..., c, m]``.
    Costs ``channels`` times less than a full convolution (MobileNet's building block).

    Args:
        kernel_size, strides, dilation_rate: an int or a pair each.
        padding: ``'valid'`` or ``'same'``.
        depth_multiplier: filters per input channel (default 1).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        activation, use_bias: as in ``Dense``.
        depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
        activity_regularizer, depthwise_constraint, bias_constraint: for the kernel and bias.

    >>> import numpy as np
    >>> DepthwiseConv2D(3, depth_multiplier=2)(np.ones((2, 5, 5, 3), dtype="float32")).shape
    (2, 3, 3, 6)
    """

    def __init__(self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = (1, 1), activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            rank=2, depth_multiplier=depth_multiplier, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs,
        )
