"""``Concatenate``: join a list of inputs along one axis, and its functional form ``concatenate``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.layers._utils import label
from scratchdl.layers.merging.base_merge import Merge

__all__ = ["Concatenate", "concatenate"]


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis``; all other sizes must match.

    With masks, the output mask is the input masks (all-True for unmasked inputs, broadcast over a
    trailing feature axis) concatenated along ``axis`` and reduced with ``any`` over the last axis,
    as Keras does.

    Args:
        axis: the concatenation axis (counted with the batch axis; default the last).

    >>> import numpy as np
    >>> Concatenate()([np.ones((2, 3), "float32"), np.zeros((2, 4), "float32")]).shape
    (2, 7)
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"{label(self)}: axis must be an int, got {axis!r}")
        self.axis = axis
        self.supports_masking = True
        self._reshape_required = False

    def build(self, input_shape: Any) -> None:
        """Validate the shapes: same rank, equal sizes (where known) except along ``axis``."""
        if (not isinstance(input_shape, (list, tuple)) or len(input_shape) < 1
                or not isinstance(input_shape[0], (list, tuple))):
            raise ValueError(
                f"{label(self)}: a `Concatenate` layer should be called on a list of at least 1 "
                f"input. Received: input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        ranks = {len(s) for s in shapes}
        problem = len(ranks) != 1
        if not problem:
            (rank,) = ranks
            if not -rank <= self.axis < rank:
                raise ValueError(
                    f"{label(self)}: axis {self.axis} is out of range for inputs of rank {rank}. "
                    f"Received: input_shape={shapes}"
                )
            concat_axis = self.axis % rank
            for dim in range(rank):
                if dim == concat_axis:
                    continue
                if len({s[dim] for s in shapes} - {None}) > 1:
                    problem = True
        if problem:
            raise ValueError(
                f"{label(self)}: a `Concatenate` layer requires inputs with matching shapes except "
                f"for the concatenation axis {self.axis}. Received: input_shape={shapes}"
            )

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        return ops.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The first input's shape with the sizes along ``axis`` summed (None if any is unknown)."""
        if (not isinstance(input_shape, (list, tuple)) or not input_shape
                or not isinstance(input_shape[0], (list, tuple))):
            raise ValueError(
                f"{label(self)}: a `Concatenate` layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape}"
            )
        output_shape = list(input_shape[0])
        for shape in input_shape[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        return tuple(output_shape)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The concatenated masks, reduced with ``any`` over the last axis (see the class doc)."""
        if previous_mask is None:
            return None
        self._check_mask_list(inputs, previous_mask)
        if all(m is None for m in previous_mask):
            return None
        masks = []
        for x, mask in zip(inputs, previous_mask):
            if mask is None:
                masks.append(Tensor(get_array_module(x.data).ones(x.shape, dtype=bool)))
            elif mask.ndim < x.ndim:
                masks.append(ops.broadcast_to(ops.expand_dims(mask, -1), x.shape))
            else:
                masks.append(mask)
        return ops.concatenate(masks, axis=self.axis).any(axis=-1)

    def get_config(self) -> dict[str, Any]:
        """Keras's Concatenate config: the base keys and ``axis``."""
        return {**super().get_config(), "axis": self.axis}


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """Functional interface to ``Concatenate``: ``Concatenate(axis=axis, **kwargs)(inputs)``.

    Args:
        inputs: a list of tensors with equal sizes except along ``axis``.
        axis: the concatenation axis.
        **kwargs: standard layer keyword arguments.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
