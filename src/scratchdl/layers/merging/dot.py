"""``Dot``: per-sample dot product of two inputs along given axes, and its functional form ``dot``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.merging.base_merge import Merge

__all__ = ["Dot", "dot", "batch_dot", "l2_normalize"]

# Keras's ``backend.epsilon()``: caps ``1 / ||x||`` at 1e7 so a zero vector normalizes to 0.
_EPSILON = 1e-7


def l2_normalize(x: Tensor, axis: int) -> Tensor:
    """``x / ||x||_2`` along ``axis``, as Keras's ``normalize``: ``x * min(rsqrt(sum(x**2)), 1/eps)``."""
    inv_norm = ops.reciprocal(ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)))
    return x * ops.minimum(inv_norm, 1.0 / _EPSILON)


def batch_dot(x: Tensor, y: Tensor, axes: Sequence[int], name: str = "batch_dot") -> Tensor:
    """Dot product of each sample of ``x`` with the same sample of ``y``, contracting
    ``x``'s axis ``axes[0]`` with ``y``'s axis ``axes[1]`` (Keras's ``batch_dot``).

    The result has ``x``'s remaining axes followed by ``y``'s remaining non-batch axes; a rank-2
    input contributes no axis, and two rank-2 inputs give shape ``(batch, 1)``.
    """
    x_shape, y_shape = tuple(x.shape), tuple(y.shape)
    x_ndim, y_ndim = len(x_shape), len(y_shape)
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(f"{name}: inputs need rank >= 2, got shapes {x_shape} and {y_shape}")
    if x_shape[0] != y_shape[0]:
        raise ValueError(
            f"{name}: inputs have different batch sizes: shapes {x_shape} and {y_shape}"
        )
    a0, a1 = axes[0] % x_ndim, axes[1] % y_ndim
    if 0 in (a0, a1):
        raise ValueError(f"{name}: cannot contract the batch axis 0 (axes={list(axes)})")
    if x_shape[a0] != y_shape[a1]:
        raise ValueError(
            f"{name}: cannot contract axis {a0} of shape {x_shape} with axis {a1} of shape "
            f"{y_shape} ({x_shape[a0]} != {y_shape[a1]})"
        )
    orig_x_ndim, orig_y_ndim = x_ndim, y_ndim
    # Bring both to rank >= 3: x as (batch, rows..., k), y as (batch, k, cols...).
    if x_ndim == 2:
        x = ops.expand_dims(x, 1)
        a0 += 1
        x_ndim += 1
    if y_ndim == 2:
        y = ops.expand_dims(y, 2)
        y_ndim += 1
    if a0 != x_ndim - 1:
        x = ops.moveaxis(x, a0, -1)
    if a1 != 1:
        y = ops.moveaxis(y, a1, 1)
    x_mid = tuple(x.shape[1:-1])
    y_trail = tuple(y.shape[2:])
    x3 = ops.reshape(x, (x.shape[0], -1, x.shape[-1])) if x_ndim > 3 else x
    y3 = ops.reshape(y, (y.shape[0], y.shape[1], -1)) if y_ndim > 3 else y
    result = ops.matmul(x3, y3)  # (batch, prod(x_mid), prod(y_trail))
    if x_ndim > 3 or y_ndim > 3:
        result = ops.reshape(result, (result.shape[0], *x_mid, *y_trail))
    if orig_x_ndim == 2:
        result = ops.squeeze(result, 1)
    elif orig_y_ndim == 2:
        result = ops.squeeze(result, -1)
    return result


class Dot(Merge):
    """Per-sample dot product of two tensors along ``axes``.

    For inputs of shapes ``(batch, n)`` and ``(batch, n)`` with ``axes=1`` the output is
    ``(batch, 1)``: ``sum_i a[b, i] * c[b, i]``. In general the output keeps the first input's
    other axes followed by the second input's other non-batch axes.

    Args:
        axes: an int (the same axis of both inputs) or a pair of ints (one axis per input).
        normalize: L2-normalize both inputs along their contracted axes first, which makes the
            result the cosine similarity.

    >>> import numpy as np
    >>> Dot(axes=1)([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")]).numpy()
    array([[3.],
           [3.]], dtype=float32)
    """

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    f"{label(self)}: invalid type for argument `axes`: it should be a list or an "
                    f"int. Received: axes={axes!r}"
                )
            if len(axes) != 2:
                raise ValueError(
                    f"{label(self)}: invalid format for argument `axes`: it should contain two "
                    f"elements. Received: axes={axes}"
                )
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(
                    f"{label(self)}: invalid format for argument `axes`: list elements should be "
                    f"integers. Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True
        self._reshape_required = False

    def _resolved_axes(self, shape1: Sequence[Any], shape2: Sequence[Any]) -> list[int]:
        if isinstance(self.axes, int):
            if self.axes < 0:
                return [self.axes % len(shape1), self.axes % len(shape2)]
            return [self.axes, self.axes]
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, (shape1, shape2))]

    def build(self, input_shape: Any) -> None:
        """Validate the shapes: two inputs with equal sizes on the contracted axes."""
        if (not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2
                or not isinstance(input_shape[0], (list, tuple))):
            raise ValueError(
                f"{label(self)}: a `Dot` layer should be called on a list of 2 inputs. "
                f"Received: input_shape={input_shape}"
            )
        shape1, shape2 = tuple(input_shape[0]), tuple(input_shape[1])
        a1, a2 = self._resolved_axes(shape1, shape2)
        if a1 >= len(shape1) or a2 >= len(shape2):
            raise ValueError(
                f"{label(self)}: axes {self.axes} are out of range for input shapes {shape1} and {shape2}"
            )
        if shape1[a1] is not None and shape2[a2] is not None and shape1[a1] != shape2[a2]:
            raise ValueError(
                f"{label(self)}: incompatible input shapes: axis values {shape1[a1]} (at axis "
                f"{a1}) != {shape2[a2]} (at axis {a2}). Full input shapes: {shape1}, {shape2}"
            )

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != 2:
            raise ValueError(
                f"{label(self)}: a `Dot` layer should be called on exactly 2 inputs. "
                f"Received {len(inputs)} inputs"
            )
        x1, x2 = inputs
        axes = self._resolved_axes(x1.shape, x2.shape)
        if self.normalize:
            x1 = l2_normalize(x1, axes[0])
            x2 = l2_normalize(x2, axes[1])
        return batch_dot(x1, x2, axes, name=label(self))

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The first shape without its contracted axis, then the second without batch and axis."""
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(
                f"{label(self)}: a `Dot` layer should be called on a list of 2 inputs. "
                f"Received: input_shape={input_shape}"
            )
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        a1, a2 = self._resolved_axes(shape1, shape2)
        shape1.pop(a1)
        shape2.pop(a2)
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return tuple(output_shape)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> None:
        """Dot drops masks (its output has no position axis to mask)."""
        return None

    def get_config(self) -> dict[str, Any]:
        """Keras's Dot config: the base keys, ``axes`` and ``normalize``."""
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs: Sequence[Any], axes: int | Sequence[int] = -1, **kwargs: Any) -> Any:
    """Functional interface to ``Dot``: ``Dot(axes=axes, **kwargs)(inputs)``.

    Args:
        inputs: a list of two tensors.
        axes: the contracted axis (or one per input).
        **kwargs: ``normalize`` and standard layer keyword arguments.
    """
    return Dot(axes=axes, **kwargs)(inputs)
