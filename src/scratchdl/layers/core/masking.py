"""``Masking``: mark time steps whose features all equal ``mask_value`` as padding."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import Layer

__all__ = ["Masking"]


class Masking(Layer):
    """Masks every position (e.g. time step) whose features along the last axis all equal
    ``mask_value``: those positions are set to 0 in the output, and the output carries the mask
    ``any(inputs != mask_value, axis=-1)`` for downstream layers (RNNs, pooling, losses).

    Args:
        mask_value: the padding value.

    >>> import numpy as np
    >>> y = Masking()(np.array([[[1.0], [0.0]]], dtype="float32"))
    >>> y._keras_mask
    Tensor([[ True, False]], dtype=bool)
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Tensor:
        """``any(inputs != mask_value, axis=-1)``."""
        return ops.not_equal(inputs, self.mask_value).any(axis=-1)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs`` with the masked positions set to 0."""
        keep = ops.not_equal(inputs, self.mask_value).any(axis=-1, keepdims=True)
        return ops.where(keep, inputs, 0.0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's Masking config."""
        return {**super().get_config(), "mask_value": self.mask_value}
