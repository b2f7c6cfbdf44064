"""``Identity``: a placeholder layer that returns its input unchanged."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor, map_structure

__all__ = ["Identity"]


class Identity(Layer):
    """Returns its input (any structure of tensors) unchanged; masks pass through.

    >>> import numpy as np
    >>> Identity()(np.ones((1, 2), dtype="float32")).shape
    (1, 2)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        """``inputs``."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Symbolic tensors with the inputs' shapes and dtypes."""
        return map_structure(lambda t: KerasTensor(t.shape, t.dtype), args[0])
