"""``BaseConvTranspose``: the transposed convolution that ``Conv1DTranspose`` and
``Conv2DTranspose`` specialize."""

from __future__ import annotations

from typing import Any

from scratchdl import activations, constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import (
    check_channels,
    check_rank,
    check_strides_dilation,
    known_channels,
    output_shape,
    spatial_axes,
    standardize_padding,
    standardize_tuple,
)
from scratchdl.layers._utils import check_positive_int, label, standardize_data_format
from scratchdl.layers.convolutional.base_conv import add_bias
from scratchdl.layers.layer import Layer

__all__ = ["BaseConvTranspose"]


class BaseConvTranspose(Layer):
    """Abstract N-D transposed convolution ("deconvolution"), as Keras's BaseConvTranspose.

    The gradient of a convolution with respect to its input, used as a forward op: it enlarges
    the input ``strides`` times. The kernel has shape ``(*kernel_size, filters, input_channels)``
    (output channels before input channels). Output length per axis, with
    ``k_eff = (k - 1) * dilation + 1``: ``'same'`` gives ``n * stride``, ``'valid'`` gives
    ``(n - 1) * stride + max(k_eff, stride)``; with ``output_padding = p`` they become
    ``(n - 1) * stride + k_eff % 2 + p`` and ``(n - 1) * stride + k_eff + p``.

    Args:
        rank: the number of spatial dimensions (1 or 2).
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: ints or ``rank`` ints.
        padding: ``'valid'`` or ``'same'``.
        output_padding: None, or an int / ``rank`` ints (each ``< strides``) of extra output
            pixels, to pick one of the several sizes a strided convolution maps to the input's.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in
            ``Dense``.
    """

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        check_positive_int(self, "filters", filters)
        self.filters = filters
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(self, padding)
        self.output_padding = (
            None if output_padding is None
            else standardize_tuple(self, output_padding, rank, "output_padding", allow_zero=True)
        )
        self.data_format = standardize_data_format(data_format, label(self))
        if self.output_padding is not None and any(
                p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(
                f"{label(self)}: each value of `output_padding` must be strictly less than the "
                f"corresponding `strides` value, got output_padding={self.output_padding}, "
                f"strides={self.strides}"
            )
        check_strides_dilation(self, self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _check_input(self, input_shape: tuple[Any, ...]) -> None:
        check_rank(self, input_shape, self.rank, self.data_format)
        if self.built:
            check_channels(self, input_shape, self.data_format, self.kernel.shape[-1])

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The enlarged shape (see the class docstring); unknown sizes stay ``None``."""
        input_shape = tuple(input_shape)
        self._check_input(input_shape)
        extras = self.output_padding or (None,) * self.rank
        spatial = tuple(
            None if n is None else ops.conv_transpose_output_size(n, k, s, self.padding, p, d)
            for n, k, s, p, d in zip(
                (input_shape[a] for a in spatial_axes(self.rank, self.data_format)),
                self.kernel_size, self.strides, extras, self.dilation_rate)
        )
        return output_shape(input_shape[0], spatial, self.filters, self.data_format)

    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` ``(*kernel_size, filters, input_channels)`` and ``bias``
        ``(filters,)``."""
        input_shape = tuple(input_shape)
        self._check_input(input_shape)
        channels = known_channels(self, input_shape, self.data_format)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, channels), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        else:
            self.bias = None

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(conv_transpose(inputs, kernel) + bias)``."""
        self._check_input(tuple(inputs.shape))
        transpose = {1: ops.conv1d_transpose, 2: ops.conv2d_transpose}[self.rank]
        outputs = transpose(inputs, self.kernel, strides=self.strides, padding=self.padding,
                            output_padding=self.output_padding, dilation_rate=self.dilation_rate,
                            data_format=self.data_format)
        outputs = add_bias(outputs, self.bias, self.rank, self.data_format)
        return self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        """Keras's transposed-convolution config."""
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
