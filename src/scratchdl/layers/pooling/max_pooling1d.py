"""``MaxPooling1D``: max pooling over 1-D windows of a sequence."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.pooling.base_pooling import BasePooling

__all__ = ["MaxPooling1D"]


class MaxPooling1D(BasePooling):
    """Max pooling over 1-D windows of a sequence, as Keras's MaxPooling1D (see ``BasePooling``).

    Input ``(batch, steps, channels)`` (channels first with ``data_format='channels_first'``).
    Each window's maximum is taken per channel; the gradient goes to the window's first maximum.

    Args:
        pool_size: an int (the window size).
        strides: an int, or None (default) for ``pool_size`` (non-overlapping windows).
        padding: ``'valid'`` (default) or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import numpy as np
    >>> MaxPooling1D()(np.arange(8.0).reshape(1, 4, 2)).numpy()[0]
    array([[2., 3.],
           [6., 7.]], dtype=float32)
    """

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
