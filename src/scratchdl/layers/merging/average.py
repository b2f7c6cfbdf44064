"""``Average``: elementwise mean of a list of inputs, and its functional form ``average``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.merging.base_merge import Merge

__all__ = ["Average", "average"]


class Average(Merge):
    """Elementwise mean ``(x_1 + ... + x_n) / n`` of a list of tensors of the same shape.

    >>> import numpy as np
    >>> Average()([np.zeros((1, 2), "float32"), np.full((1, 2), 4.0, "float32")]).numpy()
    array([[2., 2.]], dtype=float32)
    """

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output / len(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Average``: ``Average(**kwargs)(inputs)``.

    Args:
        inputs: a list of tensors of the same shape.
        **kwargs: standard layer keyword arguments.
    """
    return Average(**kwargs)(inputs)
