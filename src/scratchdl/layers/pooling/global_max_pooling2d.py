"""``GlobalMaxPooling2D``: the maximum over height and width."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.pooling.base_global_pooling import BaseGlobalPooling

__all__ = ["GlobalMaxPooling2D"]


class GlobalMaxPooling2D(BaseGlobalPooling):
    """The maximum over height and width: ``(batch, height, width, channels)`` -> ``(batch, channels)``, as Keras's GlobalMaxPooling2D.

    The gradient is split evenly among tied maxima, as Keras's torch backend does.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1.

    >>> import numpy as np
    >>> GlobalMaxPooling2D()(np.ones((2, 4, 4, 3), dtype="float32")).shape
    (2, 3)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs: Tensor) -> Tensor:
        """The maximum over the spatial axes."""
        self._check_input(tuple(inputs.shape))
        return ops.global_max_pool2d(inputs, keepdims=self.keepdims, data_format=self.data_format)
