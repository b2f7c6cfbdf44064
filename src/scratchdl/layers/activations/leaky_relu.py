"""``LeakyReLU``: ``x`` for positive inputs, ``negative_slope * x`` otherwise."""

from __future__ import annotations

import warnings
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import Layer

__all__ = ["LeakyReLU"]


class LeakyReLU(Layer):
    """Leaky rectified linear unit: ``f(x) = x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the slope for negative inputs (>= 0). The layer's default is 0.3, as in
            Keras 3 (the ``leaky_relu`` function's default is 0.2). The Keras 2 name ``alpha`` is
            accepted with a deprecation warning.

    >>> import numpy as np
    >>> LeakyReLU()(np.array([[-1.0, 2.0]], "float32")).numpy()
    array([[-0.3,  2. ]], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                f"LeakyReLU '{self.name}': negative_slope cannot be None or negative. "
                f"Received: negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """``leaky_relu(inputs, negative_slope)``."""
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's LeakyReLU config."""
        return {**super().get_config(), "negative_slope": self.negative_slope}
