"""``Conv1D``: 1-D convolution over sequences (also causal, for autoregressive models)."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.convolutional.base_conv import BaseConv

__all__ = ["Conv1D"]


class Conv1D(BaseConv):
    """1-D convolution layer: ``activation(conv1d(inputs, kernel) + bias)``, as Keras's Conv1D.

    Input ``(batch, steps, channels)`` (or ``(batch, channels, steps)`` with
    ``data_format='channels_first'``); kernel ``(kw, channels // groups, filters)``; output
    ``(batch, out_steps, filters)``.

    Args:
        filters: the number of output channels.
        kernel_size: an int (or a 1-tuple).
        strides: an int (default 1).
        padding: ``'valid'``, ``'same'`` or ``'causal'``: ``(kw - 1) * dilation`` zeros before the
            sequence only, so output step ``t`` depends on inputs ``<= t`` (WaveNet-style).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: an int (default 1).
        groups: grouped convolution.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in
            ``Dense``.

    >>> import numpy as np
    >>> Conv1D(4, 3, padding="causal")(np.ones((2, 10, 3), dtype="float32")).shape
    (2, 10, 4)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(
            rank=1, filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, groups=groups,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )
