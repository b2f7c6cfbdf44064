"""``Multiply``: elementwise product of a list of inputs, and its functional form ``multiply``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.merging.base_merge import Merge, get_mask

__all__ = ["Multiply", "multiply"]


class Multiply(Merge):
    """Elementwise product of a list of tensors of the same (or broadcastable) shape.

    With masks on every input (Keras semantics), masked positions count as 1 in the product, and
    positions masked in all inputs give 0; the output mask is the OR of the masks.

    >>> import numpy as np
    >>> Multiply()([np.full((1, 2), 3.0, "float32"), np.full((1, 2), 2.0, "float32")]).numpy()
    array([[6., 6.]], dtype=float32)
    """

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        masks = [get_mask(x) for x in inputs]
        has_output_mask = all(m is not None for m in masks)
        output: Any = None
        output_mask: Any = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = ops.broadcast_to(ops.expand_dims(mask, -1), x.shape)
                # A masked position is neutral in the product.
                x = ops.where(mask, x, 1.0)
                if has_output_mask:
                    output_mask = mask if output_mask is None else ops.logical_or(output_mask, mask)
            output = x if output is None else ops.multiply(output, x)
        if has_output_mask:
            # Positions masked everywhere are 0, as standard masking makes them.
            output = ops.where(output_mask, output, 0.0)
            output._keras_mask = output_mask.any(axis=-1)
        return output


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Multiply``: ``Multiply(**kwargs)(inputs)``.

    Args:
        inputs: a list of tensors of the same shape.
        **kwargs: standard layer keyword arguments.
    """
    return Multiply(**kwargs)(inputs)
