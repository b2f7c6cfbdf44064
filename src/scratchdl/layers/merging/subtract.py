"""``Subtract``: ``inputs[0] - inputs[1]`` for exactly two inputs, and its functional form."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.merging.base_merge import Merge

__all__ = ["Subtract", "subtract"]


class Subtract(Merge):
    """Elementwise difference ``inputs[0] - inputs[1]`` of exactly two tensors.

    >>> import numpy as np
    >>> Subtract()([np.full((1, 2), 3.0, "float32"), np.ones((1, 2), "float32")]).numpy()
    array([[2., 2.]], dtype=float32)
    """

    def build(self, input_shape: Any) -> None:
        """Validate the shapes: exactly two inputs."""
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"{label(self)}: a `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: input_shape={list(input_shape)}"
            )

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != 2:
            raise ValueError(
                f"{label(self)}: a `Subtract` layer should be called on exactly 2 inputs. "
                f"Received {len(inputs)} inputs"
            )
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """Functional interface to ``Subtract``: ``Subtract(**kwargs)(inputs)``.

    Args:
        inputs: a list of exactly two tensors of the same shape.
        **kwargs: standard layer keyword arguments.
    """
    return Subtract(**kwargs)(inputs)
