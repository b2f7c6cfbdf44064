"""``ELU``: the exponential linear unit layer."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import Layer

__all__ = ["ELU"]


class ELU(Layer):
    """Exponential linear unit: ``f(x) = x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: the saturation value for large negative inputs is ``-alpha``.

    >>> import numpy as np
    >>> ELU()(np.array([[0.0, 2.0]], "float32")).numpy()
    array([[0., 2.]], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """``elu(inputs, alpha)``."""
        return ops.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's ELU config."""
        return {**super().get_config(), "alpha": self.alpha}
