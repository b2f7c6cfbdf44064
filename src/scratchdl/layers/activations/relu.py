"""``ReLU``: the rectified linear unit layer, with Keras's max_value, negative_slope and threshold."""

from __future__ import annotations

from typing import Any

from scratchdl import activations
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import Layer

__all__ = ["ReLU"]


class ReLU(Layer):
    """Rectified linear unit:

        f(x) = max_value                          for x >= max_value
        f(x) = x                                  for threshold <= x < max_value
        f(x) = negative_slope * (x - threshold)   otherwise

    Args:
        max_value: the cap of the output (None: no cap); must be >= 0.
        negative_slope: the slope below ``threshold``; must be >= 0.
        threshold: the input value below which the output is damped; must be >= 0.

    >>> import numpy as np
    >>> ReLU(max_value=2.0)(np.array([[-1.0, 1.0, 3.0]], "float32")).numpy()
    array([[0., 1., 2.]], dtype=float32)
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                f"ReLU '{self.name}': max_value cannot be negative. Received: max_value={max_value}"
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                f"ReLU '{self.name}': negative_slope cannot be None or negative. "
                f"Received: negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                f"ReLU '{self.name}': threshold cannot be None or negative. Received: threshold={threshold}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """The thresholded, capped, leaky ReLU of ``inputs``."""
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's ReLU config."""
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}
