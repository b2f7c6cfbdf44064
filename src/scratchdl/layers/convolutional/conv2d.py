"""``Conv2D``: 2-D convolution over images."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.convolutional.base_conv import BaseConv

__all__ = ["Conv2D"]


class Conv2D(BaseConv):
    """2-D convolution layer: ``activation(conv2d(inputs, kernel) + bias)``, as Keras's Conv2D.

    Input ``(batch, height, width, channels)`` (or ``(batch, channels, height, width)`` with
    ``data_format='channels_first'``); kernel ``(kh, kw, channels // groups, filters)``; output
    ``(batch, out_h, out_w, filters)`` with ``out = floor((n - (k - 1) * d - 1) / s) + 1`` for
    ``'valid'`` and ``ceil(n / s)`` for ``'same'``.

    Args:
        filters: the number of output channels.
        kernel_size: an int or a pair ``(kh, kw)``.
        strides: an int or a pair (default 1).
        padding: ``'valid'`` or ``'same'`` (TensorFlow's, the odd pixel at the bottom/right).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: an int or a pair (default 1).
        groups: grouped convolution (``groups = channels`` is depthwise with one filter each).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in
            ``Dense``.

    >>> import numpy as np
    >>> Conv2D(8, 3, strides=2, padding="same")(np.ones((2, 5, 5, 3), dtype="float32")).shape
    (2, 3, 3, 8)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = (1, 1), groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            rank=2, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, groups=groups,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )
