"""``Flatten``: collapse every axis but the batch axis into one."""

from __future__ import annotations

import math
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import check_min_rank, standardize_data_format
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor

__all__ = ["Flatten"]


class Flatten(Layer):
    """Reshapes ``(batch, d1, d2, ...)`` to ``(batch, d1 * d2 * ...)``; ``(batch,)`` becomes
    ``(batch, 1)``.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``. With channels first
            the channel axis is moved last before flattening, so the flattened order matches a
            channels-last model (and weights can be shared between the two layouts).

    >>> import numpy as np
    >>> Flatten()(np.zeros((2, 3, 4), dtype="float32")).shape
    (2, 12)
    """

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, f"{type(self).__name__} '{self.name}'")
        self._channels_first = self.data_format == "channels_first"

    def call(self, inputs: Tensor) -> Tensor:
        """The flattened input."""
        check_min_rank(self, inputs.shape, 1)
        rank = inputs.ndim
        if self._channels_first and rank > 2:
            inputs = ops.transpose(inputs, (0, *range(2, rank), 1))
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, prod(other axes))`` (None when any of them is unknown)."""
        input_shape = tuple(input_shape)
        check_min_rank(self, input_shape, 1)
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> KerasTensor:
        """A symbolic tensor with the input's dtype."""
        return KerasTensor(self.compute_output_shape(args[0].shape), args[0].dtype)

    def get_config(self) -> dict[str, Any]:
        """Keras's Flatten config."""
        return {**super().get_config(), "data_format": self.data_format}
