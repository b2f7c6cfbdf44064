"""``ZeroPadding2D``: add rows and columns of zeros around an image."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import check_rank, spatial_axes, standardize_tuple
from scratchdl.layers._utils import label, standardize_data_format
from scratchdl.layers.layer import Layer

__all__ = ["ZeroPadding2D", "pairs_2d"]


def pairs_2d(layer: Layer, value: Any, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's 2-D amounts: ``p``, ``(ph, pw)`` (symmetric) or ``((top, bottom), (left, right))``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = ((value, value), (value, value))
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(
            f"{label(layer)}: `{name}` must be an int, a pair of ints (symmetric height, width) or "
            f"a pair of pairs ((top, bottom), (left, right)), got {name}={value!r}"
        )
    height = standardize_tuple(layer, value[0], 2, f"1st entry of {name}", allow_zero=True)
    width = standardize_tuple(layer, value[1], 2, f"2nd entry of {name}", allow_zero=True)
    return height, width  # type: ignore[return-value]


class ZeroPadding2D(Layer):
    """Pads height and width with zeros: ``(batch, h, w, channels)`` ->
    ``(batch, top + h + bottom, left + w + right, channels)``, as Keras's ZeroPadding2D.

    Args:
        padding: ``p`` (all sides), ``(ph, pw)`` (symmetric) or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import numpy as np
    >>> ZeroPadding2D(((1, 0), (2, 1)))(np.ones((1, 2, 2, 3), dtype="float32")).shape
    (1, 3, 5, 3)
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, label(self))
        self.padding = pairs_2d(self, padding, "padding")
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """The padded input."""
        check_rank(self, inputs.shape, 2, self.data_format)
        return ops.zero_padding2d(inputs, self.padding, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """Height and width grow by their paddings (None stays None)."""
        shape = list(input_shape)
        check_rank(self, shape, 2, self.data_format)
        for axis, amounts in zip(spatial_axes(2, self.data_format), self.padding):
            if shape[axis] is not None:
                shape[axis] += sum(amounts)
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's ZeroPadding2D config."""
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
