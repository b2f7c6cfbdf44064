"""``SeparableConv2D``: 2-D depthwise convolution followed by a pointwise (1x1) one."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.convolutional.base_separable_conv import BaseSeparableConv

__all__ = ["SeparableConv2D"]


class SeparableConv2D(BaseSeparableConv):
    """2-D depthwise-separable convolution, as Keras's SeparableConv2D.

    Input ``(batch, height, width, channels)``; ``depthwise_kernel`` ``(kh, kw, channels, depth_multiplier)``
    filters every channel on its own, then ``pointwise_kernel``
    ``(1, 1, channels * depth_multiplier, filters)`` mixes the channels; weights in the order
    ``depthwise_kernel``, ``pointwise_kernel``, ``bias`` (see ``BaseSeparableConv``).

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int or a pair each (of the depthwise step).
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        depth_multiplier: depthwise filters per input channel (default 1).
        activation, use_bias: as in ``Dense``.
        depthwise_initializer, pointwise_initializer, bias_initializer, depthwise_regularizer,
        pointwise_regularizer, bias_regularizer, activity_regularizer, depthwise_constraint,
        pointwise_constraint, bias_constraint: for the two kernels and the bias.

    >>> import numpy as np
    >>> SeparableConv2D(8, 3, padding="same")(np.ones((2, 5, 5, 3), dtype="float32")).shape
    (2, 5, 5, 8)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = (1, 1),
                 depth_multiplier: int = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            rank=2, depth_multiplier=depth_multiplier, filters=filters, kernel_size=kernel_size,
            strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint, **kwargs,
        )
