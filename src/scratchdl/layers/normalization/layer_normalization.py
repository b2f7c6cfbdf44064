"""``LayerNormalization``: normalize each sample over its feature axes (Keras 3's layer)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["LayerNormalization"]


class LayerNormalization(Layer):
    """Layer normalization: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``, with ``mean`` and
    ``var`` (biased) taken over ``axis`` of each sample separately, so it behaves the same in
    training and inference and for any batch size. ``gamma`` and ``beta`` have the input's shape
    on ``axis`` (one per feature).

    Args:
        axis: the axis or list of axes to normalize over (default the last).
        epsilon: added to the variance.
        center: learn the offset ``beta``.
        scale: learn the scale ``gamma``.
        beta_initializer, gamma_initializer: initializers (``'zeros'``, ``'ones'``).
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: constraints.
        rms_scaling: Keras's deprecated option ``gamma * x / sqrt(var + epsilon)`` (no centering,
            no ``beta``; it divides by the standard deviation, not the root mean square). Kept for
            Keras configs; it warns as Keras does.

    After ``build``, ``axis`` is a sorted list (``-1`` becomes ``[-1]``), as in Keras.

    >>> import numpy as np
    >>> LayerNormalization(epsilon=0.0)(np.array([[1.0, 3.0]], "float32")).numpy()
    array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis: int | Sequence[int] = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None,
                 beta_constraint: Any = None, gamma_constraint: Any = None,
                 rms_scaling: bool = False, **kwargs: Any) -> None:
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly "
                "scales the input by the variance, not the root mean square. To correctly use RMS "
                "Normalization, please use `keras.layers.RMSNormalization` instead.", stacklevel=2,
            )
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axis):
                raise TypeError(
                    f"{label(self)}: expected an int or a list/tuple of ints for the argument "
                    f"'axis', but received: {axis!r}"
                )
            self.axis: int | list[int] = [int(a) for a in axis]
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            self.axis = int(axis)
        else:
            raise TypeError(
                f"{label(self)}: expected an int or a list/tuple of ints for the argument 'axis', "
                f"but received: {axis!r}"
            )
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.autocast = False
        self.gamma: Any = None
        self.beta: Any = None
        self._norm_axes: tuple[int, ...] = ()
        self._param_shape: tuple[int, ...] = ()

    def _resolve_axes(self, input_shape: tuple[Any, ...]) -> tuple[int, ...]:
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if not -rank <= axis < rank:
                raise ValueError(
                    f"{label(self)}: axis {axis} is out of bounds for input shape {input_shape}. "
                    f"Received: axis={self.axis}"
                )
        resolved = sorted(a % rank for a in axes)
        if len(set(resolved)) != len(resolved):
            raise ValueError(f"{label(self)}: repeated axis in axis={self.axis} for input shape {input_shape}")
        return tuple(resolved)

    def build(self, input_shape: Any) -> None:
        """Create ``gamma`` and ``beta`` with the input's shape on ``axis``."""
        input_shape = tuple(input_shape)
        self._norm_axes = self._resolve_axes(input_shape)
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        shape = tuple(input_shape[a] for a in self._norm_axes)
        self._param_shape = shape
        if any(d is None for d in shape):
            raise ValueError(
                f"{label(self)}: the sizes of axis {self.axis} must be known, got input shape {input_shape}"
            )
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True)
        else:
            self.gamma = None
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True)
        else:
            self.beta = None

    def call(self, inputs: Tensor) -> Tensor:
        """Normalize ``inputs`` over ``axis`` (per sample), then scale and shift."""
        shape = tuple(inputs.shape)
        rank = len(shape)
        if not all(-rank <= a < rank for a in self.axis) or tuple(
            shape[a] for a in sorted(a % rank for a in self.axis)
        ) != self._param_shape:
            raise ValueError(
                f"{label(self)}: expected input with sizes {self._param_shape} on axis {self.axis}, "
                f"got shape {shape}"
            )
        axes = tuple(sorted(a % rank for a in self.axis))
        if inputs.dtype not in (np.float32, np.float64):
            inputs = ops.cast(inputs, "float32")  # at least float32 precision, as Keras
        outputs = ops.layer_normalization(inputs, self.gamma, self.beta, axis=axes,
                                          epsilon=self.epsilon, rms_scaling=self.rms_scaling)
        if outputs.dtype != self.compute_dtype:
            outputs = ops.cast(outputs, self.compute_dtype)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape (after checking ``axis`` is in range)."""
        input_shape = tuple(input_shape)
        self._resolve_axes(input_shape)
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Keras's LayerNormalization config."""
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
