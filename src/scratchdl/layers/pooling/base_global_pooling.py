"""``BaseGlobalPooling``: reduce every spatial axis at once (the global pooling layers' base)."""

from __future__ import annotations

from typing import Any

from scratchdl.layers._spatial import check_rank
from scratchdl.layers._utils import label, standardize_data_format
from scratchdl.layers.layer import Layer

__all__ = ["BaseGlobalPooling"]


class BaseGlobalPooling(Layer):
    """Pools over all spatial axes: ``(batch, *spatial, channels)`` becomes ``(batch, channels)``,
    or ``(batch, 1, ..., 1, channels)`` with ``keepdims=True`` (Keras's BaseGlobalPooling).

    Args:
        pool_dimensions: the number of spatial dimensions (1 or 2).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with size 1.
    """

    def __init__(self, pool_dimensions: int, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.data_format = standardize_data_format(data_format, label(self))
        self.keepdims = bool(keepdims)
        self.built = True

    def _check_input(self, input_shape: tuple[Any, ...]) -> None:
        check_rank(self, input_shape, self.pool_dimensions, self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, channels)``, or with ``keepdims`` the spatial axes kept as 1."""
        input_shape = tuple(input_shape)
        self._check_input(input_shape)
        ones = (1,) * self.pool_dimensions if self.keepdims else ()
        if self.data_format == "channels_first":
            return (input_shape[0], input_shape[1], *ones)
        return (input_shape[0], *ones, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        """Keras's global pooling config."""
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
