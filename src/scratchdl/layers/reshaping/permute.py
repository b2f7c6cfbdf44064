"""``Permute``: reorder the non-batch axes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor

__all__ = ["Permute"]


class Permute(Layer):
    """Permutes the axes of each sample; ``dims`` is 1-based (axis 0 is the batch).

    Args:
        dims: a permutation of ``1..rank-1``; ``(2, 1)`` swaps the two axes of a
            ``(batch, a, b)`` input giving ``(batch, b, a)``.

    >>> import numpy as np
    >>> Permute((2, 1))(np.zeros((4, 2, 3), dtype="float32")).shape
    (4, 3, 2)
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"{label(self)}: invalid permutation argument `dims`. The set of indices in "
                f"`dims` must be consecutive and start from 1. Received dims={dims}"
            )
        self.built = True

    def _check_rank(self, shape: tuple[Any, ...]) -> None:
        if len(shape) != len(self.dims) + 1:
            raise ValueError(
                f"{label(self)}: expected input of rank {len(self.dims) + 1} for dims "
                f"{self.dims}, got shape {tuple(shape)}"
            )

    def call(self, inputs: Tensor) -> Tensor:
        """``transpose(inputs, (0, *dims))``."""
        self._check_rank(inputs.shape)
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape with the non-batch axes reordered."""
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> KerasTensor:
        """A symbolic tensor with the input's dtype."""
        return KerasTensor(self.compute_output_shape(args[0].shape), args[0].dtype)

    def get_config(self) -> dict[str, Any]:
        """Keras's Permute config."""
        return {**super().get_config(), "dims": self.dims}
