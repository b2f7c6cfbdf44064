"""``BaseConv``: the N-D convolution layer that ``Conv1D`` and ``Conv2D`` specialize."""

from __future__ import annotations

from typing import Any

from scratchdl import activations, constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import (
    check_channels,
    check_rank,
    check_strides_dilation,
    check_window_fits,
    known_channels,
    output_shape,
    standardize_padding,
    standardize_tuple,
)
from scratchdl.layers._utils import check_positive_int, label, standardize_data_format
from scratchdl.layers.layer import Layer

__all__ = ["BaseConv", "add_bias", "fused_activation"]


def add_bias(outputs: Tensor, bias: Tensor | None, rank: int, data_format: str) -> Tensor:
    """``outputs + bias`` with the bias along the channel axis of either data format."""
    if bias is None:
        return outputs
    if data_format == "channels_first":
        return outputs + ops.reshape(bias, (bias.shape[0],) + (1,) * rank)
    return outputs + bias


def fused_activation(activation: Any) -> str | None:
    """``'relu'`` when ``activation`` is ReLU (which the convolution ops apply in place), else
    None: the layer then applies its activation itself."""
    return "relu" if activation is activations.relu else None


class BaseConv(Layer):
    """Abstract N-D convolution: ``activation(conv(inputs, kernel) + bias)`` (Keras's BaseConv).

    The kernel has shape ``(*kernel_size, input_channels // groups, filters)`` and is
    cross-correlated with the input (``ops.conv1d`` / ``ops.conv2d``). Subclasses fix ``rank``.

    Args:
        rank: the number of spatial dimensions (1 or 2).
        filters: the number of output channels (divisible by ``groups``).
        kernel_size: an int or ``rank`` ints, the window size.
        strides: an int or ``rank`` ints; ``strides > 1`` cannot be combined with
            ``dilation_rate > 1`` (as in Keras).
        padding: ``'valid'`` (none), ``'same'`` (TensorFlow's: output ``ceil(n / stride)``, the
            odd pixel after) or, for ``rank == 1``, ``'causal'`` (output ``t`` sees inputs
            ``<= t`` only).
        data_format: ``'channels_last'`` (default, ``(batch, ..., channels)``) or
            ``'channels_first'`` (``(batch, channels, ...)``).
        dilation_rate: an int or ``rank`` ints, the spacing between kernel taps.
        groups: split the input channels into this many groups, each convolved with its own
            ``filters // groups`` filters; the results are concatenated along the channel axis.
        activation: an activation name or function (None: linear).
        use_bias: whether to add a bias vector of shape ``(filters,)``.
        kernel_initializer, bias_initializer: initializers (``'glorot_uniform'``, ``'zeros'``).
        kernel_regularizer, bias_regularizer: regularizers whose penalties join ``losses``.
        activity_regularizer: a regularizer applied to the output.
        kernel_constraint, bias_constraint: constraints applied after each optimizer update.
    """

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None, dilation_rate: Any = 1,
                 groups: int = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        check_positive_int(self, "filters", filters)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{label(self)}: the number of groups must be a positive int, got groups={groups!r}")
        if filters % groups:
            raise ValueError(
                f"{label(self)}: the number of filters must be evenly divisible by the number of "
                f"groups, got filters={filters}, groups={groups}"
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(self, padding, allow_causal=rank == 1)
        self.data_format = standardize_data_format(data_format, label(self))
        check_strides_dilation(self, self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    # ------------------------------------------------------------------ shapes
    def _check_input(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """Validate an input shape and return the output's spatial sizes."""
        check_rank(self, input_shape, self.rank, self.data_format)
        if self.built:
            check_channels(self, input_shape, self.data_format,
                           self.kernel.shape[-2] * self.groups)
        return check_window_fits(self, input_shape, self.data_format, self.kernel_size,
                                 self.strides, self.padding, self.dilation_rate)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, *out_spatial, filters)`` (channels last); unknown sizes stay ``None``."""
        input_shape = tuple(input_shape)
        return output_shape(input_shape[0], self._check_input(input_shape), self.filters,
                            self.data_format)

    # ------------------------------------------------------------------ weights and call
    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` ``(*kernel_size, channels // groups, filters)`` and ``bias``
        ``(filters,)``."""
        input_shape = tuple(input_shape)
        check_rank(self, input_shape, self.rank, self.data_format)
        channels = known_channels(self, input_shape, self.data_format)
        if channels % self.groups:
            raise ValueError(
                f"{label(self)}: the number of input channels must be evenly divisible by the "
                f"number of groups, got groups={self.groups} and an input with {channels} "
                f"channels (input shape {input_shape})"
            )
        self._check_input(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        else:
            self.bias = None

    def convolution_op(self, inputs: Tensor, kernel: Tensor) -> Tensor:
        """The convolution without bias (``ops.conv1d`` or ``ops.conv2d``)."""
        conv = {1: ops.conv1d, 2: ops.conv2d}[self.rank]
        return conv(inputs, kernel, strides=self.strides, padding=self.padding,
                    dilation_rate=self.dilation_rate, groups=self.groups,
                    data_format=self.data_format)

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(conv(inputs, kernel) + bias)``.

        The bias and a ReLU activation are fused into the convolution op (one output array);
        a subclass that overrides ``convolution_op`` gets its own op, then the bias and the
        activation as separate steps.
        """
        self._check_input(tuple(inputs.shape))
        if type(self).convolution_op is not BaseConv.convolution_op:
            outputs = self.convolution_op(inputs, self.kernel)
            outputs = add_bias(outputs, self.bias, self.rank, self.data_format)
            return self.activation(outputs)
        fused = fused_activation(self.activation)
        conv = {1: ops.conv1d, 2: ops.conv2d}[self.rank]
        outputs = conv(inputs, self.kernel, strides=self.strides, padding=self.padding,
                       dilation_rate=self.dilation_rate, groups=self.groups,
                       data_format=self.data_format, bias=self.bias, activation=fused)
        return outputs if fused else self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        """Keras's convolution config."""
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
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
