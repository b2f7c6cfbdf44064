"""``UpSampling2D``: enlarge an image by integer factors (nearest or bilinear)."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import check_rank, spatial_axes, standardize_tuple
from scratchdl.layers._utils import label, standardize_data_format
from scratchdl.layers.layer import Layer

__all__ = ["UpSampling2D"]


class UpSampling2D(Layer):
    """Enlarges height and width ``size`` times, as Keras's UpSampling2D.

    ``'nearest'`` repeats pixels (``y[n, i, j, c] = x[n, i // sh, j // sw, c]``); ``'bilinear'``
    interpolates with half-pixel centers (an image resize without antialiasing, as Keras and
    ``torch.nn.functional.interpolate(..., align_corners=False)``).

    Args:
        size: an int or a pair ``(sh, sw)`` of upsampling factors.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` (default) or ``'bilinear'``.

    >>> import numpy as np
    >>> UpSampling2D((1, 2), interpolation="bilinear")(np.array([[[[0.0], [4.0]]]])).numpy().ravel()
    array([0., 1., 3., 4.], dtype=float32)
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, label(self))
        self.size = standardize_tuple(self, size, 2, "size")
        mode = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if mode not in ("nearest", "bilinear"):
            raise ValueError(
                f"{label(self)}: `interpolation` must be 'nearest' or 'bilinear', got "
                f"interpolation={interpolation!r}"
            )
        self.interpolation = mode
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """The enlarged input."""
        check_rank(self, inputs.shape, 2, self.data_format)
        return ops.upsampling2d(inputs, self.size, data_format=self.data_format,
                                interpolation=self.interpolation)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """Height and width multiplied by ``size`` (None stays None)."""
        shape = list(input_shape)
        check_rank(self, shape, 2, self.data_format)
        for axis, factor in zip(spatial_axes(2, self.data_format), self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's UpSampling2D config."""
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
