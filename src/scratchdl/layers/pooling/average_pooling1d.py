"""``AveragePooling1D``: average pooling over 1-D windows of a sequence."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.pooling.base_pooling import BasePooling

__all__ = ["AveragePooling1D"]


class AveragePooling1D(BasePooling):
    """Average pooling over 1-D windows of a sequence, as Keras's AveragePooling1D (see ``BasePooling``).

    Input ``(batch, steps, channels)`` (channels first with ``data_format='channels_first'``).
    Each window's mean is taken per channel; with ``'same'`` padding it is the mean of the
    window's real (non-padded) steps.

    Args:
        pool_size: an int (the window size).
        strides: an int, or None (default) for ``pool_size`` (non-overlapping windows).
        padding: ``'valid'`` (default) or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import numpy as np
    >>> AveragePooling1D(2)(np.arange(8.0).reshape(1, 4, 2)).numpy()[0]
    array([[1., 2.],
           [5., 6.]], dtype=float32)
    """

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="average", padding=padding,
                         data_format=data_format, name=name, **kwargs)
