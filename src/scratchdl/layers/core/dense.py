"""``Dense``: the fully connected layer ``activation(inputs @ kernel + bias)``."""

from __future__ import annotations

from typing import Any

from scratchdl import activations, constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import check_axis_size, check_min_rank, label
from scratchdl.layers.layer import Layer

__all__ = ["Dense"]


class Dense(Layer):
    """A densely connected layer: ``output = activation(inputs @ kernel + bias)``.

    The kernel has shape ``(input_dim, units)`` and contracts the last axis of the input, so an
    input of shape ``(batch, ..., input_dim)`` gives ``(batch, ..., units)`` (the same weights at
    every leading position, as in Keras).

    Args:
        units: the output size (a positive int).
        activation: an activation name or function (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: initializers (``'glorot_uniform'``, ``'zeros'``).
        kernel_regularizer, bias_regularizer: regularizers whose penalties join ``losses``.
        activity_regularizer: a regularizer applied to the output.
        kernel_constraint, bias_constraint: constraints applied after each optimizer update.
        quantization_config: must be None (scratchdl does not quantize); kept for Keras configs.

    >>> import numpy as np
    >>> Dense(4)(np.ones((2, 3), dtype="float32")).shape
    (2, 4)
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, quantization_config: Any = None,
                 **kwargs: Any) -> None:
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"{type(self).__name__}: received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units}"
            )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if quantization_config is not None:
            raise ValueError(f"{label(self)}: quantization is not supported; quantization_config must be None")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.quantization_config = None
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` (input_dim, units) and ``bias`` (units,)."""
        input_shape = tuple(input_shape)
        check_min_rank(self, input_shape, 2)
        if input_shape[-1] is None:
            raise ValueError(f"{label(self)}: the last dimension of the input must be known, got shape {input_shape}")
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        else:
            self.bias = None

    def _check_input(self, shape: tuple[Any, ...]) -> None:
        check_min_rank(self, shape, 2)
        check_axis_size(self, shape, -1, self.kernel.shape[0])

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """``activation(inputs @ kernel + bias)``."""
        self._check_input(inputs.shape)
        if self.activation is activations.relu:  # fused: one op, ReLU applied in place
            return ops.linear(inputs, self.kernel, self.bias, activation="relu")
        return self.activation(ops.linear(inputs, self.kernel, self.bias))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape with the last axis replaced by ``units``."""
        input_shape = tuple(input_shape)
        if self.built:
            self._check_input(input_shape)
        else:
            check_min_rank(self, input_shape, 2)
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        """Keras's Dense config."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
