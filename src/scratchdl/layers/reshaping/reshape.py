"""``Reshape``: give each sample a new shape (one entry may be -1)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor

__all__ = ["Reshape"]


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: the new per-sample shape; at most one entry may be -1, inferred from the
            sample size.

    >>> import numpy as np
    >>> Reshape((-1, 2))(np.zeros((3, 2, 4), dtype="float32")).shape
    (3, 4, 2)
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if any(not isinstance(d, int) or isinstance(d, bool) or d < -1 for d in target_shape):
            raise ValueError(
                f"{label(self)}: each dimension in `target_shape` must be a non-negative integer, or `-1` for a "
                f"single unknown dimension. Received: target_shape={target_shape}."
            )
        if target_shape.count(-1) > 1:
            raise ValueError(
                f"{label(self)}: there can be at most one `-1` dimension in `target_shape`. Received: "
                f"target_shape={target_shape}."
            )
        self.target_shape = target_shape
        self.built = True

    def _resolve(self, sample_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        """``target_shape`` with the -1 resolved for ``sample_shape`` (None if unknown)."""
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample_shape)
        if -1 not in self.target_shape:
            if math.prod(self.target_shape) != size:
                raise ValueError(
                    f"{label(self)}: the total size of the tensor must be unchanged: cannot "
                    f"reshape samples of shape {sample_shape} (size {size}) to target_shape "
                    f"{self.target_shape}"
                )
            return self.target_shape
        known = math.prod(d for d in self.target_shape if d != -1)
        if known == 0 or size % known:
            raise ValueError(
                f"{label(self)}: cannot reshape samples of shape {sample_shape} (size {size}) to "
                f"target_shape {self.target_shape}: the size is not divisible by {known}"
            )
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs`` reshaped to ``(batch, *target_shape)``."""
        return ops.reshape(inputs, (inputs.shape[0], *self._resolve(tuple(inputs.shape[1:]))))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, *target_shape)`` with -1 resolved when the sample shape is known."""
        input_shape = tuple(input_shape)
        return (input_shape[0], *self._resolve(input_shape[1:]))

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> KerasTensor:
        """A symbolic tensor with the input's dtype."""
        return KerasTensor(self.compute_output_shape(args[0].shape), args[0].dtype)

    def get_config(self) -> dict[str, Any]:
        """Keras's Reshape config."""
        return {**super().get_config(), "target_shape": self.target_shape}
