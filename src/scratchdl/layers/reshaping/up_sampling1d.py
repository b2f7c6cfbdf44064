"""``UpSampling1D``: repeat every step of a sequence."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import check_rank
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["UpSampling1D"]


class UpSampling1D(Layer):
    """Repeats every step ``size`` times: ``y[n, t, c] = x[n, t // size, c]``, as Keras's
    UpSampling1D (``(batch, steps, channels)`` -> ``(batch, steps * size, channels)``).

    Args:
        size: a positive int, the upsampling factor.

    >>> import numpy as np
    >>> UpSampling1D(2)(np.array([[[1.0], [2.0]]])).numpy().ravel()
    array([1., 1., 2., 2.], dtype=float32)
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"{label(self)}: expected an integer value for `size`, got {type(size).__name__} {size!r}")
        if size <= 0:
            raise ValueError(f"{label(self)}: argument `size` should be a positive integer, got size={size}")
        self.size = size
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """The upsampled input."""
        check_rank(self, inputs.shape, 1, "channels_last")
        return ops.upsampling1d(inputs, self.size)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, steps * size, channels)`` (None stays None)."""
        check_rank(self, tuple(input_shape), 1, "channels_last")
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self) -> dict[str, Any]:
        """Keras's UpSampling1D config."""
        return {**super().get_config(), "size": self.size}
