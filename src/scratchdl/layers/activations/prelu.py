"""``PReLU``: a leaky ReLU whose negative slope ``alpha`` is learned."""

from __future__ import annotations

from typing import Any

from scratchdl import constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import check_min_rank, label
from scratchdl.layers.layer import Layer

__all__ = ["PReLU"]


class PReLU(Layer):
    """Parametric ReLU: ``f(x) = x`` for ``x >= 0``, ``alpha * x`` otherwise, with a trainable
    ``alpha`` of shape ``input_shape[1:]`` (one slope per element of a sample).

    ``shared_axes`` share one slope along those axes (their size in ``alpha`` is 1): for
    feature maps ``(batch, height, width, channels)``, ``shared_axes=[1, 2]`` learns one slope
    per channel.

    Args:
        alpha_initializer: initializer of ``alpha`` (``'Zeros'``: starts as a plain ReLU).
        alpha_regularizer: regularizer of ``alpha``.
        alpha_constraint: constraint of ``alpha``.
        shared_axes: an axis or list of axes (counted with the batch axis) sharing one slope.

    >>> import numpy as np
    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    >>> layer(np.array([[[-2.0], [3.0]]], "float32")).numpy().ravel()
    array([-2.,  3.], dtype=float32)
    >>> layer.alpha.shape
    (1, 1)
    """

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: int | list[int] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes: list[int] | None = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)

    def build(self, input_shape: Any) -> None:
        """Create ``alpha`` with shape ``input_shape[1:]``, 1 along the shared axes."""
        input_shape = tuple(input_shape)
        check_min_rank(self, input_shape, 2)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(
                    f"{label(self)}: shared axis {axis} is out of range for input shape "
                    f"{input_shape} (axes 1 to {len(input_shape) - 1}; the batch axis 0 cannot be shared)"
                )
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"{label(self)}: every non-shared axis of the input must have a known size, got "
                f"input shape {input_shape} with shared_axes={self.shared_axes}"
            )
        self.alpha = self.add_weight(
            shape=param_shape, name="alpha", initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
        )

    def _check_input(self, shape: tuple[Any, ...]) -> None:
        expected = (None, *self.alpha.shape)
        shared = set(self.shared_axes or [])
        ok = len(shape) == len(expected) and all(
            i in shared or shape[i] is None or shape[i] == expected[i] for i in range(1, len(shape))
        )
        if not ok:
            raise ValueError(
                f"{label(self)}: expected input of rank {len(expected)} with sizes "
                f"{expected} (None: any; shared axes {sorted(shared)} any), got shape {tuple(shape)}"
            )

    def call(self, inputs: Tensor) -> Tensor:
        """``relu(x) - alpha * relu(-x)``."""
        self._check_input(inputs.shape)
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's PReLU config."""
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }
