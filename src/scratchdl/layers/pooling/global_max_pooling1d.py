"""``GlobalMaxPooling1D``: the maximum over the steps of a sequence."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.pooling.base_global_pooling import BaseGlobalPooling

__all__ = ["GlobalMaxPooling1D"]


class GlobalMaxPooling1D(BaseGlobalPooling):
    """The maximum over the steps of a sequence: ``(batch, steps, channels)`` -> ``(batch, channels)``, as Keras's GlobalMaxPooling1D.

    The gradient is split evenly among tied maxima, as Keras's torch backend does.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1.

    >>> import numpy as np
    >>> GlobalMaxPooling1D()(np.arange(6.0).reshape(1, 3, 2)).numpy()
    array([[4., 5.]], dtype=float32)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs: Tensor) -> Tensor:
        """The maximum over the spatial axes."""
        self._check_input(tuple(inputs.shape))
        return ops.global_max_pool1d(inputs, keepdims=self.keepdims, data_format=self.data_format)
