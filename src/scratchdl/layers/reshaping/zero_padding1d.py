"""``ZeroPadding1D``: add zeros before and after a sequence."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import check_rank, spatial_axes, standardize_tuple
from scratchdl.layers._utils import label, standardize_data_format
from scratchdl.layers.layer import Layer

__all__ = ["ZeroPadding1D"]


class ZeroPadding1D(Layer):
    """Pads the steps axis with zeros: ``(batch, steps, channels)`` ->
    ``(batch, left + steps + right, channels)``, as Keras's ZeroPadding1D.

    Args:
        padding: an int (both sides) or ``(left, right)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``
            (``(batch, channels, steps)``).

    >>> import numpy as np
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1), dtype="float32")).numpy().ravel()
    array([0., 1., 1., 0., 0.], dtype=float32)
    """

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, label(self))
        self.padding = standardize_tuple(self, padding, 2, "padding", allow_zero=True)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """The padded input."""
        check_rank(self, inputs.shape, 1, self.data_format)
        return ops.zero_padding1d(inputs, self.padding, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The steps axis grows by ``left + right`` (None stays None)."""
        shape = list(input_shape)
        check_rank(self, shape, 1, self.data_format)
        (axis,) = spatial_axes(1, self.data_format)
        if shape[axis] is not None:
            shape[axis] += sum(self.padding)
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's ZeroPadding1D config."""
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
