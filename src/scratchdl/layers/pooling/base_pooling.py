"""``BasePooling``: max or average pooling over sliding windows (the pooling layers' base)."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import (
    check_rank,
    check_window_fits,
    standardize_padding,
    standardize_tuple,
)
from scratchdl.layers._utils import label, standardize_data_format
from scratchdl.layers.layer import Layer

__all__ = ["BasePooling"]

_OPS = {
    ("max", 1): ops.max_pool1d, ("max", 2): ops.max_pool2d,
    ("average", 1): ops.avg_pool1d, ("average", 2): ops.avg_pool2d,
}


class BasePooling(Layer):
    """Pools every ``pool_size`` window of each channel to its maximum or mean (Keras's BasePooling).

    A window at output position ``i`` covers inputs ``i * stride .. i * stride + pool - 1`` per
    spatial axis. ``'valid'`` keeps the windows that fit (output ``floor((n - pool) / stride) + 1``);
    ``'same'`` pads as TensorFlow does (output ``ceil(n / stride)``) and padded pixels never
    count: they never win a max and are left out of an average's divisor.

    Args:
        pool_size: an int or ``pool_dimensions`` ints, the window size.
        strides: an int or ``pool_dimensions`` ints; None (default) means ``pool_size``.
        pool_dimensions: the number of spatial dimensions (1 or 2).
        pool_mode: ``'max'`` or ``'average'``.
        padding: ``'valid'`` or ``'same'`` (case-insensitive; kept as given in the config).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, pool_size: Any, strides: Any, pool_dimensions: int, pool_mode: str = "max",
                 padding: str = "valid", data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        if pool_mode not in ("max", "average"):
            raise ValueError(f"{label(self)}: `pool_mode` must be 'max' or 'average', got {pool_mode!r}")
        self.pool_dimensions = pool_dimensions
        self.pool_size = standardize_tuple(self, pool_size, pool_dimensions, "pool_size")
        self.strides = standardize_tuple(self, pool_size if strides is None else strides,
                                         pool_dimensions, "strides")
        self.pool_mode = pool_mode
        self._padding_mode = standardize_padding(self, padding)
        self.padding = padding
        self.data_format = standardize_data_format(data_format, label(self))
        self.built = True

    def _output_spatial(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        check_rank(self, input_shape, self.pool_dimensions, self.data_format)
        return check_window_fits(self, input_shape, self.data_format, self.pool_size, self.strides,
                                 self._padding_mode, what="pool_size")

    def call(self, inputs: Tensor) -> Tensor:
        """The pooled input."""
        self._output_spatial(tuple(inputs.shape))
        pool = _OPS[(self.pool_mode, self.pool_dimensions)]
        return pool(inputs, pool_size=self.pool_size, strides=self.strides,
                    padding=self._padding_mode, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape with each spatial size replaced by its number of windows."""
        input_shape = tuple(input_shape)
        spatial = self._output_spatial(input_shape)
        if self.data_format == "channels_first":
            return (*input_shape[:2], *spatial)
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        """Keras's pooling config."""
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }
