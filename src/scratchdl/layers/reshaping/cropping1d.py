"""``Cropping1D``: cut steps off both ends of a sequence."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._spatial import check_rank, standardize_tuple
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["Cropping1D"]


class Cropping1D(Layer):
    """Crops the steps axis: ``y = x[:, left:steps - right, :]``, as Keras's Cropping1D.

    Args:
        cropping: an int (both ends) or ``(left, right)``; together less than the steps.

    >>> import numpy as np
    >>> Cropping1D((1, 2))(np.arange(5.0).reshape(1, 5, 1)).numpy().ravel()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(self, cropping, 2, "cropping", allow_zero=True)
        self.built = True

    def _steps(self, shape: Any) -> Any:
        check_rank(self, shape, 1, "channels_last")
        steps = shape[1]
        if steps is None:
            return None
        if sum(self.cropping) >= steps:
            raise ValueError(
                f"{label(self)}: cropping {self.cropping} removes all {steps} steps of the input "
                f"(shape {tuple(shape)}); it must be smaller than the input length"
            )
        return steps - sum(self.cropping)

    def call(self, inputs: Tensor) -> Tensor:
        """The cropped input."""
        self._steps(inputs.shape)
        return ops.cropping1d(inputs, self.cropping)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, steps - left - right, channels)`` (None stays None)."""
        return (input_shape[0], self._steps(tuple(input_shape)), input_shape[2])

    def get_config(self) -> dict[str, Any]:
        """Keras's Cropping1D config."""
        return {**super().get_config(), "cropping": self.cropping}
