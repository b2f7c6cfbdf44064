"""``MaxPooling2D``: max pooling over 2-D windows of an image."""

from __future__ import annotations

from typing import Any

from scratchdl.layers.pooling.base_pooling import BasePooling

__all__ = ["MaxPooling2D"]


class MaxPooling2D(BasePooling):
    """Max pooling over 2-D windows of an image, as Keras's MaxPooling2D (see ``BasePooling``).

    Input ``(batch, height, width, channels)`` (channels first with
    ``data_format='channels_first'``). Each window's maximum is taken per channel; the gradient
    goes to the window's first maximum (row-major order).

    Args:
        pool_size: an int or a pair (the window size).
        strides: an int or a pair, or None (default) for ``pool_size`` (non-overlapping windows).
        padding: ``'valid'`` (default) or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import numpy as np
    >>> MaxPooling2D()(np.ones((2, 5, 5, 3), dtype="float32")).shape
    (2, 2, 2, 3)
    """

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, pool_dimensions=2, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
