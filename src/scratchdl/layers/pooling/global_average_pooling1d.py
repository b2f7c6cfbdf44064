"""``GlobalAveragePooling1D``: the mean over the steps of a sequence (mask-aware)."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.layers.pooling.base_global_pooling import BaseGlobalPooling

__all__ = ["GlobalAveragePooling1D"]


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps: ``(batch, steps, channels)`` -> ``(batch, channels)``, as Keras's
    GlobalAveragePooling1D.

    With a mask ``(batch, steps)`` (e.g. from ``Embedding(mask_zero=True)``) only the unmasked
    steps count: ``y[n, c] = sum_t m[n, t] * x[n, t, c] / sum_t m[n, t]``. The output carries no
    mask.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``
            (``(batch, channels, steps)``).
        keepdims: keep the steps axis with size 1.

    >>> import numpy as np
    >>> GlobalAveragePooling1D()(np.arange(6.0).reshape(1, 3, 2)).numpy()
    array([[2., 3.]], dtype=float32)
    """

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_dimensions=1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        """The (masked) mean over the steps axis."""
        self._check_input(tuple(inputs.shape))
        if mask is None:
            return ops.global_avg_pool1d(inputs, keepdims=self.keepdims, data_format=self.data_format)
        steps_axis = 1 if self.data_format == "channels_last" else 2
        raw = mask.data if isinstance(mask, Tensor) else mask
        keep = get_array_module(inputs.data).asarray(raw).astype(bool)
        keep = keep[:, :, None] if self.data_format == "channels_last" else keep[:, None, :]
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=steps_axis, keepdims=self.keepdims)
        count = keep.astype(inputs.dtype).sum(axis=steps_axis, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> None:
        """Pooling removes the steps axis, and with it the mask."""
        return
