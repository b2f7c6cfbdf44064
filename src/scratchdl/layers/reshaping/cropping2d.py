"""``Cropping2D``: cut rows and columns off the borders of an image."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import check_rank, spatial_axes
from scratchdl.layers._utils import label, standardize_data_format
from scratchdl.layers.layer import Layer
from scratchdl.layers.reshaping.zero_padding2d import pairs_2d

__all__ = ["Cropping2D"]


class Cropping2D(Layer):
    """Crops height and width: ``y = x[:, top:h - bottom, left:w - right, :]``, as Keras's
    Cropping2D (a U-Net's skip connections crop encoder maps to the decoder's size).

    Args:
        cropping: ``p`` (all sides), ``(ph, pw)`` (symmetric) or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import numpy as np
    >>> Cropping2D(((1, 2), (0, 3)))(np.ones((1, 5, 6, 3), dtype="float32")).shape
    (1, 2, 3, 3)
    """

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, label(self))
        self.cropping = pairs_2d(self, cropping, "cropping")
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """Height and width shrink by their croppings (None stays None)."""
        shape = list(input_shape)
        check_rank(self, shape, 2, self.data_format)
        for axis, amounts in zip(spatial_axes(2, self.data_format), self.cropping):
            if shape[axis] is None:
                continue
            if sum(amounts) >= shape[axis]:
                raise ValueError(
                    f"{label(self)}: cropping {self.cropping} must be smaller than the spatial "
                    f"size of the input, got shape {tuple(input_shape)}"
                )
            shape[axis] -= sum(amounts)
        return tuple(shape)

    def call(self, inputs: Tensor) -> Tensor:
        """The cropped input."""
        self.compute_output_shape(inputs.shape)
        return ops.cropping2d(inputs, self.cropping, data_format=self.data_format)

    def get_config(self) -> dict[str, Any]:
        """Keras's Cropping2D config."""
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
