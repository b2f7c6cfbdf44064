"""``Add``: elementwise sum of a list of inputs, and its functional form ``add``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.merging.base_merge import Merge

__all__ = ["Add", "add"]


class Add(Merge):
    """Elementwise sum of a list of tensors of the same (or broadcastable) shape.

    >>> import numpy as np
    >>> Add()([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")]).numpy()[0]
    array([2., 2., 2.], dtype=float32)
    """

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Add``: ``Add(**kwargs)(inputs)``.

    Args:
        inputs: a list of tensors (or symbolic tensors) of the same shape.
        **kwargs: standard layer keyword arguments.
    """
    return Add(**kwargs)(inputs)
