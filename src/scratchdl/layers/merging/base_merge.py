"""``Merge``: the base of the elementwise merge layers (Add, Subtract, Multiply, Average, Maximum,
Minimum), after Keras 3's ``keras/src/layers/merging/base_merge.py``.

A merge layer takes a list of tensors. Their shapes must agree after the batch axis up to
broadcasting (a size 1 broadcasts against any size); inputs of lower rank are expanded at axis 1
until every input has the same rank, as Keras does. Masks (``tensor._keras_mask``) combine by
logical OR when every input has one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["Merge"]

Shape = tuple[Any, ...]


def _is_shape_list(input_shape: Any) -> bool:
    return isinstance(input_shape, (list, tuple)) and len(input_shape) > 0 and all(
        s is None or isinstance(s, (list, tuple)) for s in input_shape
    ) and any(isinstance(s, (list, tuple)) for s in input_shape)


def get_mask(tensor: Any) -> Any:
    """The Keras mask riding on ``tensor`` (None when it has none)."""
    return getattr(tensor, "_keras_mask", None)


class Merge(Layer):
    """Generic merge layer for elementwise merge functions (subclasses define ``_merge_function``).

    Args:
        **kwargs: standard layer keyword arguments (``name``, ``dtype``, ``trainable``).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    # ------------------------------------------------------------------ merge functions
    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not define _merge_function")

    def _apply_merge_op_and_or_mask(self, op_fn: Callable[[Any, Any], Tensor],
                                    inputs: Sequence[Tensor]) -> Tensor:
        """Fold ``op_fn`` over ``inputs``, skipping masked positions, as Keras's Maximum/Minimum.

        Where an input is masked its value is replaced by the running output (and vice versa), so
        masked positions never win; the output mask is the OR of the masks (None unless every
        input has one).
        """
        output: Any = None
        output_mask: Any = None
        for x in inputs:
            mask = get_mask(x)
            if mask is not None:
                mask = ops.broadcast_to(ops.expand_dims(mask, -1), x.shape)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            if mask is not None and output_mask is not None:
                output_mask = ops.logical_or(output_mask, mask)
            else:
                output_mask = None
            output = op_fn(output, x)
        if output_mask is not None:
            output._keras_mask = output_mask.any(axis=-1)
        return output

    # ------------------------------------------------------------------ shapes
    def _compute_elemwise_op_output_shape(self, shape1: Shape | None, shape2: Shape | None) -> Shape | None:
        """The broadcast shape of two per-sample shapes (batch axis excluded), right-aligned."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        output_shape = list(shape1[: -len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                output_shape.append(None)
            elif i == 1:
                output_shape.append(j)
            elif j == 1:
                output_shape.append(i)
            elif i != j:
                raise ValueError(
                    f"{label(self)}: inputs have incompatible shapes. Received shapes "
                    f"{tuple(shape1)} and {tuple(shape2)} (batch axis excluded)"
                )
            else:
                output_shape.append(i)
        return tuple(output_shape)

    def _check_shape_list(self, input_shape: Any) -> list[Shape | None]:
        if not _is_shape_list(input_shape):
            raise ValueError(
                f"{label(self)}: a merge layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape} (not a list of shapes)"
            )
        return [None if s is None else tuple(s) for s in input_shape]

    def build(self, input_shape: Any) -> None:
        """Validate the input shapes (merge layers have no weights)."""
        shapes = self._check_shape_list(input_shape)
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{label(self)}: cannot merge tensors with different batch sizes. Received tensors "
                f"with shapes {shapes}"
            )
        self._per_sample_shape(shapes)
        self._reshape_required = None in shapes or len({len(s) for s in shapes}) != 1

    def _per_sample_shape(self, shapes: list[Shape | None]) -> Shape | None:
        output_shape = None if shapes[0] is None else shapes[0][1:]
        for shape in shapes[1:]:
            output_shape = self._compute_elemwise_op_output_shape(
                output_shape, None if shape is None else shape[1:]
            )
        return output_shape

    def compute_output_shape(self, input_shape: Any) -> Shape:
        """The broadcast of the inputs' shapes (batch size kept when the inputs agree on it)."""
        shapes = self._check_shape_list(input_shape)
        output_shape = self._per_sample_shape(shapes)
        batch_sizes = {s[0] for s in shapes if s is not None} - {None}
        batch = next(iter(batch_sizes)) if len(batch_sizes) == 1 else None
        return (batch, *output_shape) if output_shape is not None else (batch,)

    # ------------------------------------------------------------------ call
    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        """Merge the list ``inputs`` (lower-rank inputs are expanded at axis 1 first)."""
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{label(self)}: a merge layer should be called on a list of inputs. "
                f"Received: inputs of type {type(inputs).__name__} (not a list of tensors)"
            )
        inputs = list(inputs)
        if self._reshape_required:
            max_ndim = max(x.ndim for x in inputs)
            reshaped = []
            for x in inputs:
                if x.ndim < max_ndim:
                    x = ops.expand_dims(x, tuple(range(1, 1 + max_ndim - x.ndim)))
                reshaped.append(x)
            inputs = reshaped
        return self._merge_function(inputs)

    def _check_mask_list(self, inputs: Any, previous_mask: Any) -> None:
        """Raise unless ``inputs`` and ``previous_mask`` are lists of the same length."""
        if not isinstance(previous_mask, (list, tuple)):
            raise ValueError(f"{label(self)}: `mask` should be a list. Received: mask={previous_mask}")
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{label(self)}: `inputs` should be a list. Received: inputs={inputs}")
        if len(previous_mask) != len(inputs):
            raise ValueError(
                f"{label(self)}: the lists `inputs` and `mask` should have the same length. Received "
                f"{len(inputs)} inputs and {len(previous_mask)} masks"
            )

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The logical OR of the input masks (None unless every input has one)."""
        if previous_mask is None:
            return None
        self._check_mask_list(inputs, previous_mask)
        if any(m is None for m in previous_mask):
            return None
        output_mask = previous_mask[0]
        for m in previous_mask[1:]:
            output_mask = ops.logical_or(output_mask, m)
        return output_mask

    def get_config(self) -> dict[str, Any]:
        """The base layer config (merge layers take no arguments of their own)."""
        return super().get_config()
