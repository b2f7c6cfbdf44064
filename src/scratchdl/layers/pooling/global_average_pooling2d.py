"""``GlobalAveragePooling2D``: the mean over height and width."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.pooling.base_global_pooling import BaseGlobalPooling

__all__ = ["GlobalAveragePooling2D"]


class GlobalAveragePooling2D(BaseGlobalPooling):
    """The mean over height and width: ``(batch, height, width, channels)`` -> ``(batch, channels)``, as Keras's GlobalAveragePooling2D.

    ``y[n, c] = sum_{i, j} x[n, i, j, c] / (height * width)`` (the classifier head of ResNets and MobileNets).

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1.

    >>> import numpy as np
    >>> GlobalAveragePooling2D(keepdims=True)(np.ones((2, 4, 4, 3), dtype="float32")).shape
    (2, 1, 1, 3)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_dimensions=2, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs: Tensor) -> Tensor:
        """The mean over the spatial axes."""
        self._check_input(tuple(inputs.shape))
        return ops.global_avg_pool2d(inputs, keepdims=self.keepdims, data_format=self.data_format)
