"""``BaseSeparableConv``: depthwise then pointwise convolution (``SeparableConv1D/2D``)."""

from __future__ import annotations

from typing import Any

from scratchdl import activations, constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import (
    check_channels,
    check_rank,
    check_window_fits,
    known_channels,
    output_shape,
    standardize_padding,
    standardize_tuple,
)
from scratchdl.layers._utils import check_positive_int, label, standardize_data_format
from scratchdl.layers.convolutional.base_conv import fused_activation
from scratchdl.layers.layer import Layer

__all__ = ["BaseSeparableConv"]


class BaseSeparableConv(Layer):
    """Abstract depthwise-separable convolution, as Keras's BaseSeparableConv.

    First a depthwise convolution (every channel with its own ``depth_multiplier`` filters,
    ``depthwise_kernel`` of shape ``(*kernel_size, channels, depth_multiplier)``, with the
    layer's strides, padding and dilation), then a pointwise ``1x1`` convolution mixing the
    ``channels * depth_multiplier`` results into ``filters`` outputs (``pointwise_kernel`` of
    shape ``(1, ..., 1, channels * depth_multiplier, filters)``), then the bias ``(filters,)``.
    Weights in Keras's order: ``depthwise_kernel``, ``pointwise_kernel``, ``bias``.

    Args:
        rank: the number of spatial dimensions (1 or 2).
        depth_multiplier: depthwise filters per input channel.
        filters: the number of output channels.
        kernel_size, strides, dilation_rate: ints or ``rank`` ints (of the depthwise step).
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        activation: an activation name or function (None: linear).
        use_bias: whether to add a bias.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer:
            regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.
    """

    def __init__(self, rank: int, depth_multiplier: int, filters: int, kernel_size: Any,
                 strides: Any = 1, padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        check_positive_int(self, "depth_multiplier", depth_multiplier)
        check_positive_int(self, "filters", filters)
        self.depth_multiplier = depth_multiplier
        self.filters = filters
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(self, padding)
        self.data_format = standardize_data_format(data_format, label(self))
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _check_input(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        check_rank(self, input_shape, self.rank, self.data_format)
        if self.built:
            check_channels(self, input_shape, self.data_format, self.depthwise_kernel.shape[-2])
        return check_window_fits(self, input_shape, self.data_format, self.kernel_size,
                                 self.strides, self.padding, self.dilation_rate)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, *out_spatial, filters)`` (channels last)."""
        input_shape = tuple(input_shape)
        spatial = self._check_input(input_shape)
        return output_shape(input_shape[0], spatial, self.filters, self.data_format)

    def build(self, input_shape: Any) -> None:
        """Create ``depthwise_kernel``, ``pointwise_kernel`` and ``bias``, in that order."""
        input_shape = tuple(input_shape)
        self._check_input(input_shape)
        channels = known_channels(self, input_shape, self.data_format)
        self.depthwise_kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        else:
            self.bias = None

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(pointwise(depthwise(inputs)) + bias)``."""
        self._check_input(tuple(inputs.shape))
        depthwise = {1: ops.depthwise_conv1d, 2: ops.depthwise_conv2d}[self.rank]
        pointwise = {1: ops.conv1d, 2: ops.conv2d}[self.rank]
        outputs = depthwise(inputs, self.depthwise_kernel, strides=self.strides,
                            padding=self.padding, dilation_rate=self.dilation_rate,
                            data_format=self.data_format)
        fused = fused_activation(self.activation)  # bias and ReLU applied in the pointwise op
        outputs = pointwise(outputs, self.pointwise_kernel, data_format=self.data_format,
                            bias=self.bias, activation=fused)
        return outputs if fused else self.activation(outputs)

    def get_config(self) -> dict[str, Any]:
        """Keras's separable-convolution config."""
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
