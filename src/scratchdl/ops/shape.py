"""Shape ops: reshape, transpose, moveaxis, expand_dims, squeeze, broadcast_to, concatenate, stack,
split, tile, repeat and flip (``pad`` lives in ``padding.py`` and is still importable from here).

They move values around without arithmetic, so each backward routes the gradient back to where
every value came from: a reshape or a permutation is undone, a copy (broadcast, tile, repeat)
sums the gradients of its copies, a split is undone by a concatenate and vice versa.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl.autograd.engine import sum_to
from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._helpers import is_int, normalize_axis
from scratchdl.ops.padding import PAD_MODES, Pad, pad  # noqa: F401  (the old import path keeps working)

__all__ = [
    "reshape", "transpose", "moveaxis", "expand_dims", "squeeze", "broadcast_to", "concatenate",
    "stack", "split", "tile", "repeat", "flip",
]

# --------------------------------------------------------------------------------- helpers
def _int_tuple(value: Any, op: str, what: str) -> tuple[int, ...]:
    """An int or a sequence of ints as a tuple of Python ints."""
    items = (value,) if is_int(value) else value
    if isinstance(items, Tensor):
        items = items.numpy().tolist()
    if hasattr(items, "tolist") and not isinstance(items, (tuple, list)):
        items = items.tolist()
        items = (items,) if is_int(items) else items
    if not isinstance(items, (tuple, list)) or not all(is_int(item) for item in items):
        raise TypeError(f"{op}: {what} must be an int or a sequence of ints, got {value!r}")
    return tuple(int(item) for item in items)


def _axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, int or sequence of ints) as sorted non-negative axes (() for 0-d)."""
    if axis is None:
        return tuple(range(ndim))
    axes = normalize_axis(_int_tuple(axis, op, "axis"), ndim, op)
    return axes if ndim else ()


def _one_axis(axis: Any, ndim: int, op: str) -> int:
    """A single int ``axis`` in ``[-ndim, ndim)`` as a non-negative axis."""
    if not is_int(axis):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return int(axis) % ndim


def _ordered_axes(axes: tuple[int, ...], ndim: int, op: str, shape: tuple[int, ...]) -> list[int]:
    """Axes in their given order, made non-negative; repeated or out-of-range axes raise."""
    result = []
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(f"{op}: axis {axis} is out of range for a tensor of shape {shape}")
        result.append(axis % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axes}")
    return result


def _inverse(perm: Sequence[int]) -> tuple[int, ...]:
    return tuple(sorted(range(len(perm)), key=perm.__getitem__))


# --------------------------------------------------------------------------------- functions
class Reshape(Function):
    """Same values in a new shape; the gradient is reshaped back."""

    def __init__(self, shape: Any) -> None:
        self.shape = _int_tuple(shape, "reshape", "shape")

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        return x.reshape(self._resolve(x))

    def _resolve(self, x: Any) -> tuple[int, ...]:
        shape = self.shape
        unknown = [i for i, size in enumerate(shape) if size == -1]
        if len(unknown) > 1 or any(size < -1 for size in shape):
            raise ValueError(
                f"reshape: invalid target shape {shape}: sizes must be non-negative, with at most "
                "one -1"
            )
        known = 1
        for size in shape:
            if size != -1:
                known *= size
        if unknown and known and x.size % known == 0:
            return shape[:unknown[0]] + (x.size // known,) + shape[unknown[0] + 1:]
        if unknown or known != x.size:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
                f"shape {self.shape}" + ("" if unknown else f" ({known} elements)")
            )
        return shape

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape)


class Transpose(Function):
    """Permute the axes; the gradient is permuted back with the inverse permutation."""

    def __init__(self, axes: Any = None) -> None:
        self.axes = None if axes is None else _int_tuple(axes, "transpose", "axes")

    def permutation(self, x: Any) -> tuple[int, ...]:
        """The permutation applied to the axes of ``x``."""
        if self.axes is None:
            return tuple(range(x.ndim))[::-1]
        perm = tuple(a % x.ndim if -x.ndim <= a < x.ndim else -1 for a in self.axes)
        if sorted(perm) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes {self.axes} are not a permutation of the {x.ndim} axes of a "
                f"tensor of shape {x.shape}"
            )
        return perm

    def forward(self, x: Any) -> Any:
        self.perm = self.permutation(x)
        return x.transpose(self.perm)

    def backward(self, grad: Any) -> Any:
        return grad.transpose(_inverse(self.perm))


class MoveAxis(Transpose):
    """Move axes to new positions, keeping the order of the others (a permutation)."""

    def __init__(self, source: Any, destination: Any) -> None:
        self.source = _int_tuple(source, "moveaxis", "source")
        self.destination = _int_tuple(destination, "moveaxis", "destination")

    def permutation(self, x: Any) -> tuple[int, ...]:
        if len(self.source) != len(self.destination):
            raise ValueError(
                f"moveaxis: source {self.source} and destination {self.destination} must name the "
                "same number of axes"
            )
        source = _ordered_axes(self.source, x.ndim, "moveaxis", x.shape)
        destination = _ordered_axes(self.destination, x.ndim, "moveaxis", x.shape)
        order = [a for a in range(x.ndim) if a not in source]
        for dest, src in sorted(zip(destination, source)):
            order.insert(dest, src)
        return tuple(order)


class ExpandDims(Function):
    """Insert length-1 axes; the gradient is reshaped back."""

    def __init__(self, axis: Any) -> None:
        self.axis = _int_tuple(axis, "expand_dims", "axis")

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        out_ndim = x.ndim + len(self.axis)
        for axis in self.axis:
            if not -out_ndim <= axis < out_ndim:
                raise ValueError(
                    f"expand_dims: axis {axis} is out of range for a result with {out_ndim} "
                    f"dimensions (input shape {x.shape})"
                )
        axes = normalize_axis(self.axis, out_ndim, "expand_dims")
        return get_array_module(x).expand_dims(x, axes)

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape)


class Squeeze(Function):
    """Remove length-1 axes; the gradient is reshaped back."""

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        if self.axis is None:
            axes = tuple(a for a, size in enumerate(x.shape) if size == 1)
        else:
            axes = _axes(self.axis, x.ndim, "squeeze")
            for axis in axes:
                if x.shape[axis] != 1:
                    raise ValueError(
                        f"squeeze: cannot squeeze axis {axis} of a tensor of shape {x.shape}: "
                        f"its length is {x.shape[axis]}, not 1"
                    )
        return get_array_module(x).squeeze(x, axis=axes)

    def backward(self, grad: Any) -> Any:
        return grad.reshape(self.input_shape)


class BroadcastTo(Function):
    """Broadcast to a larger shape; the gradient is summed back with the engine's ``sum_to``."""

    def __init__(self, shape: Any) -> None:
        self.shape = _int_tuple(shape, "broadcast_to", "shape")

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        try:
            return get_array_module(x).broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast a tensor of shape {x.shape} to shape {self.shape}"
            ) from None

    def backward(self, grad: Any) -> Any:
        return sum_to(grad, self.input_shape)


class Concatenate(Function):
    """Join tensors along an existing axis; the gradient is split back into the pieces."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: Any) -> Any:
        if not xs:
            raise ValueError("concatenate: needs at least one tensor")
        shapes = [x.shape for x in xs]
        if any(x.ndim == 0 for x in xs):
            raise ValueError(f"concatenate: 0-d tensors cannot be concatenated (shapes {shapes})")
        if len({x.ndim for x in xs}) != 1:
            raise ValueError(
                f"concatenate: all tensors must have the same number of dimensions, got shapes "
                f"{', '.join(map(str, shapes))}"
            )
        axis = _one_axis(self.axis, xs[0].ndim, "concatenate")
        rest = {s[:axis] + s[axis + 1:] for s in shapes}
        if len(rest) != 1:
            raise ValueError(
                f"concatenate: all tensors must have the same shape except along axis {self.axis}, "
                f"got shapes {', '.join(map(str, shapes))}"
            )
        self.work_axis = axis
        self.boundaries = np.cumsum([s[axis] for s in shapes])[:-1].tolist()
        return get_array_module(*xs).concatenate(xs, axis=axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return tuple(get_array_module(grad).split(grad, self.boundaries, axis=self.work_axis))


class Stack(Function):
    """Join equal-shaped tensors along a new axis; the gradient is unstacked."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: Any) -> Any:
        if not xs:
            raise ValueError("stack: needs at least one tensor")
        shapes = [x.shape for x in xs]
        if len(set(shapes)) != 1:
            raise ValueError(
                "stack: all tensors must have the same shape, got shapes "
                f"{', '.join(map(str, shapes))}"
            )
        self.work_axis = _one_axis(self.axis, xs[0].ndim + 1, "stack")
        return get_array_module(*xs).stack(xs, axis=self.work_axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        return tuple(get_array_module(grad).moveaxis(grad, self.work_axis, 0))


class Split(Function):
    """Split into several outputs along an axis; the gradients are concatenated back."""

    def __init__(self, indices_or_sections: Any, axis: int) -> None:
        self.indices_or_sections = indices_or_sections
        self.axis = axis

    def forward(self, x: Any) -> tuple[Any, ...]:
        if x.ndim == 0:
            raise ValueError("split: a 0-d tensor cannot be split")
        axis = _one_axis(self.axis, x.ndim, "split")
        length = x.shape[axis]
        spec = self.indices_or_sections
        if is_int(spec):
            if spec <= 0 or length % spec:
                raise ValueError(
                    f"split: a tensor of shape {x.shape} (length {length} along axis {self.axis}) "
                    f"cannot be split into {spec} equal sections"
                )
            spec = int(spec)
        else:
            spec = list(_int_tuple(spec, "split", "indices_or_sections"))
        self.work_axis = axis
        return tuple(get_array_module(x).split(x, spec, axis=axis))

    def backward(self, *grads: Any) -> Any:
        return get_array_module(*grads).concatenate(grads, axis=self.work_axis)


class Tile(Function):
    """Repeat the whole tensor along each axis; the gradient sums the copies."""

    def __init__(self, repeats: Any) -> None:
        self.repeats = _int_tuple(repeats, "tile", "repeats")
        if any(r < 0 for r in self.repeats):
            raise ValueError(f"tile: repeats must be non-negative, got {self.repeats}")

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        ndim = max(x.ndim, len(self.repeats))
        self.reps = (1,) * (ndim - len(self.repeats)) + self.repeats
        self.padded_shape = (1,) * (ndim - x.ndim) + x.shape
        return get_array_module(x).tile(x, self.repeats)

    def backward(self, grad: Any) -> Any:
        # Output axis k of length r*s splits as (r, s) with the copy index r outermost;
        # summing every copy axis leaves the input's shape.
        split = tuple(n for pair in zip(self.reps, self.padded_shape) for n in pair)
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(self.input_shape)


class Repeat(Function):
    """Repeat each element along an axis; the gradient sums each element's run of copies."""

    def __init__(self, repeats: Any, axis: int | None) -> None:
        self.repeats = repeats.data if isinstance(repeats, Tensor) else repeats
        self.axis = axis

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.input_shape = x.shape
        work = x.reshape(-1) if self.axis is None else x
        axis = 0 if self.axis is None else _one_axis(self.axis, x.ndim, "repeat")
        length = work.shape[axis]
        counts = np.asarray(self.repeats.get() if hasattr(self.repeats, "get") else self.repeats)
        if counts.size == 0:
            counts = counts.astype(np.int64)  # np.asarray([]) is float64
        if counts.dtype.kind not in "iu" or counts.ndim > 1:
            raise TypeError(
                f"repeat: repeats must be an int or a 1-d sequence of ints, got {self.repeats!r}"
            )
        if (counts < 0).any():
            raise ValueError(f"repeat: repeats must be non-negative, got {counts.tolist()}")
        if counts.size == 1:
            counts = counts.reshape(())
        elif counts.size != length:
            raise ValueError(
                f"repeat: repeats has {counts.size} entries but axis {self.axis} of the tensor of "
                f"shape {x.shape} has length {length}"
            )
        self.counts, self.work_axis, self.work_shape = counts, axis, work.shape
        return xp.repeat(work, xp.asarray(counts) if counts.ndim else int(counts), axis=axis)

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        axis, counts = self.work_axis, self.counts
        if counts.ndim == 0:
            # Copies of element i sit next to each other: split the axis into (n, r), sum r.
            shape = self.work_shape
            split = shape[:axis] + (shape[axis], int(counts)) + shape[axis + 1:]
            return grad.reshape(split).sum(axis=axis + 1).reshape(self.input_shape)
        # Uneven runs: add.reduceat sums each run from its start. Elements repeated 0 times get
        # 0 (reduceat would return the next run's first value for an empty run).
        starts = np.cumsum(counts) - counts
        present = counts > 0
        result = xp.zeros(self.work_shape, dtype=grad.dtype)
        if present.any():
            sums = xp.add.reduceat(grad, xp.asarray(starts[present]), axis=axis)
            index = (slice(None),) * axis + (xp.asarray(present),)
            result[index] = sums
        return result.reshape(self.input_shape)


class Flip(Function):
    """Reverse the order along axes; the gradient is flipped back."""

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        self.axes = _axes(self.axis, x.ndim, "flip")
        return get_array_module(x).flip(x, axis=self.axes)

    def backward(self, grad: Any) -> Any:
        return get_array_module(grad).flip(grad, axis=self.axes)


# --------------------------------------------------------------------------------- public API
def reshape(x: Any, shape: Any) -> Tensor:
    """Give ``x`` a new shape with the same number of elements (one size may be ``-1``).

    The gradient is the upstream gradient reshaped to ``x``'s shape.

    >>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), (2, -1)).shape
    (2, 2)
    """
    return Reshape(shape)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes of ``x``: output axis ``i`` is input axis ``axes[i]`` (reversed if None).

    The gradient is transposed back with the inverse permutation.

    >>> transpose(Tensor(np.zeros((2, 3, 4))), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return Transpose(axes)(x)


def moveaxis(x: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Move axis ``source`` of ``x`` to position ``destination`` (ints or equal-length sequences).

    The other axes keep their order; the gradient moves the axes back.

    >>> moveaxis(Tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    return MoveAxis(source, destination)(x)


def expand_dims(x: Any, axis: int | Sequence[int]) -> Tensor:
    """Insert length-1 axes at the positions ``axis`` of the result (int or tuple).

    >>> expand_dims(Tensor([1.0, 2.0]), (0, 2)).shape
    (1, 2, 1)
    """
    return ExpandDims(axis)(x)


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove length-1 axes: those in ``axis`` (each must have length 1), or all when None.

    >>> squeeze(Tensor(np.zeros((1, 3, 1))), axis=0).shape
    (3, 1)
    """
    return Squeeze(axis)(x)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Broadcast ``x`` to ``shape`` with NumPy's rules (a read-only view of ``x``'s data).

    The gradient sums the upstream gradient over the broadcast axes (``sum_to``).

    >>> broadcast_to(Tensor([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    return BroadcastTo(shape)(x)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join ``tensors`` along an existing ``axis``; the other sizes must agree.

    The gradient is split back into pieces of the input sizes along ``axis``.

    >>> concatenate([Tensor(np.zeros((2, 3))), Tensor(np.zeros((1, 3)))]).shape
    (3, 3)
    """
    return Concatenate(axis)(*tensors)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join equal-shaped ``tensors`` along a new ``axis`` of the result.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1).shape
    (2, 2)
    """
    return Stack(axis)(*tensors)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> tuple[Tensor, ...]:
    """Split ``x`` along ``axis`` into a tuple of tensors, as ``np.split``.

    An int ``n`` gives ``n`` equal parts (the axis length must divide by ``n``); a sequence of
    indices gives the parts between them. The gradient concatenates the parts' gradients (zeros
    for parts that were not used).

    >>> [part.shape for part in split(Tensor(np.zeros((5, 2))), [2, 3])]
    [(2, 2), (1, 2), (2, 2)]
    """
    return Split(indices_or_sections, axis)(x)


def tile(x: Any, repeats: int | Sequence[int]) -> Tensor:
    """Repeat the whole of ``x`` ``repeats[k]`` times along axis ``k``, as ``np.tile``.

    Shorter ``repeats`` apply to the last axes; longer ones add leading axes. The gradient of
    each input element is the sum over its copies.

    >>> tile(Tensor([1.0, 2.0]), 2)
    Tensor([1., 2., 1., 2.])
    """
    return Tile(repeats)(x)


def repeat(x: Any, repeats: int | Sequence[int], axis: int | None = None) -> Tensor:
    """Repeat each element of ``x`` along ``axis`` (of the flattened tensor when None).

    ``repeats`` is one count for every element or one count per element along ``axis``. The
    gradient of an element is the sum of the gradients of its copies.

    >>> repeat(Tensor([1.0, 2.0]), [1, 2])
    Tensor([1., 2., 2.])
    """
    return Repeat(repeats, axis)(x)


def flip(x: Any, axis: int | Sequence[int] | None = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes when None).

    >>> flip(Tensor([1.0, 2.0, 3.0]))
    Tensor([3., 2., 1.])
    """
    return Flip(axis)(x)
