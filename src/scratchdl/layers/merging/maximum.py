"""``Maximum``: elementwise maximum of a list of inputs, and its functional form ``maximum``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.merging.base_merge import Merge

__all__ = ["Maximum", "maximum"]


class Maximum(Merge):
    """Elementwise maximum of a list of tensors of the same (or broadcastable) shape.

    With masks (Keras semantics), masked positions never win: at each position the result is the
    largest value among the unmasked inputs; the output mask is the OR of the masks.

    >>> import numpy as np
    >>> Maximum()([np.array([[1.0, 5.0]], "float32"), np.array([[3.0, 2.0]], "float32")]).numpy()
    array([[3., 5.]], dtype=float32)
    """

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        return self._apply_merge_op_and_or_mask(ops.maximum, inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Maximum``: ``Maximum(**kwargs)(inputs)``.

    Args:
        inputs: a list of tensors of the same shape.
        **kwargs: standard layer keyword arguments.
    """
    return Maximum(**kwargs)(inputs)
