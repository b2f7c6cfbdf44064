"""``Softmax``: the softmax activation layer, with Keras's mask support."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["Softmax"]


def large_negative_number(dtype: Any) -> float:
    """The logit masked positions get: -1e9 (-3e4 in float16, whose range ends at 65504); also
    what MultiHeadAttention writes over masked scores on its Softmax path."""
    return -3e4 if np.dtype(dtype) == np.float16 else -1e9


class Softmax(Layer):
    """Softmax along ``axis``: ``exp(x - max(x)) / sum(exp(x - max(x)))``.

    With a mask (True or > 0.5 keeps a position; broadcastable to the input, right-aligned), masked
    logits are replaced by -1e9 before the softmax and the masked outputs are set to 0, as Keras
    does (so a fully masked row is all zeros rather than uniform).

    Args:
        axis: the axis, or a list of axes, to normalize over.

    >>> import numpy as np
    >>> Softmax()(np.array([[1.0, 2.0, 1.0]], "float32")).numpy().round(4)
    array([[0.2119, 0.5761, 0.2119]], dtype=float32)
    """

    def __init__(self, axis: int | list[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def _check_mask(self, inputs: Tensor, mask: Tensor) -> None:
        if mask.ndim > inputs.ndim or any(
            m != 1 and m != i for m, i in zip(mask.shape[::-1], inputs.shape[::-1])
        ):
            raise ValueError(
                f"{label(self)}: the mask must be broadcastable to the inputs (each mask dimension "
                f"1 or equal to the input's, and no more dimensions). Received: inputs.shape="
                f"{tuple(inputs.shape)}, mask.shape={tuple(mask.shape)}"
            )

    def call(self, inputs: Tensor, mask: Any = None) -> Tensor:
        """The softmax of ``inputs`` along ``axis``, ignoring masked positions."""
        if mask is not None:
            mask = mask if isinstance(mask, Tensor) else Tensor(np.asarray(mask))
            self._check_mask(inputs, mask)
            if mask.dtype != np.bool_:
                mask = ops.greater(mask, 0.5)
            inputs = ops.where(mask, inputs, large_negative_number(inputs.dtype))
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            axis = tuple(self.axis)
            outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=axis, keepdims=True))
        else:
            axis = self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis
            outputs = ops.softmax(inputs, axis=axis)
        if mask is not None:
            # A fully masked row would otherwise come out uniform.
            outputs = ops.where(mask, outputs, 0.0)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's Softmax config."""
        return {**super().get_config(), "axis": self.axis}
