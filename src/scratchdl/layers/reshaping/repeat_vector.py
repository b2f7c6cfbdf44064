"""``RepeatVector``: repeat a vector ``n`` times along a new time axis."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["RepeatVector"]


class RepeatVector(Layer):
    """Turns ``(batch, features)`` into ``(batch, n, features)`` by repetition.

    Args:
        n: the number of repetitions (a positive int).

    >>> import numpy as np
    >>> RepeatVector(3)(np.zeros((2, 4), dtype="float32")).shape
    (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"{label(self)}: expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"{label(self)}: argument `n` should be a positive integer. Received: n={n}")
        self.n = n
        self.built = True

    def _check_rank(self, shape: tuple[Any, ...]) -> None:
        if len(shape) != 2:
            raise ValueError(
                f"{label(self)}: expected input of rank 2 (batch, features), got shape {tuple(shape)}"
            )

    def call(self, inputs: Tensor) -> Tensor:
        """The input repeated ``n`` times along axis 1."""
        self._check_rank(inputs.shape)
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, n, features)``."""
        input_shape = tuple(input_shape)
        self._check_rank(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict[str, Any]:
        """Keras's RepeatVector config."""
        return {**super().get_config(), "n": self.n}
