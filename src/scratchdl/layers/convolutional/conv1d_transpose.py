"""``Conv1DTranspose``: 1-D transposed convolution (learned upsampling)."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.convolutional.base_conv_transpose import BaseConvTranspose

__all__ = ["Conv1DTranspose"]


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution, as Keras's Conv1DTranspose (see ``BaseConvTranspose``).

    Input ``(batch, steps, channels)`` (channels first with ``data_format='channels_first'``); kernel
    ``(kw, filters, channels)``; with ``strides=s`` and ``'same'`` padding every spatial size
    is multiplied by ``s`` (the decoder half of a U-Net).

    Args:
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: an int each.
        padding: ``'valid'`` or ``'same'``.
        output_padding: None or an int (each ``< strides``): extra output pixels.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in
            ``Dense``.

    >>> import numpy as np
    >>> Conv1DTranspose(4, 3, strides=2, padding="same")(np.ones((2, 5, 3), dtype="float32")).shape
    (2, 10, 4)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            rank=1, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )
