"""Indexing ops: ``x[index]``, take, take_along_axis and one_hot.

Every gather has a scatter as its backward: the output gradient is written back into zeros of the
input's shape at the positions that were read. Basic indexing (ints, slices with any step, None,
Ellipsis) and boolean masks never read an element twice, so a plain assignment does it. Integer
array indices may repeat an element (``x[[0, 0, 2]]``); there every read adds to the gradient,
which ``add.at`` (an unbuffered scatter-add) accumulates correctly where ``g[index] += grad``
would keep only the last write.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import as_array, floatx, get_array_module, is_floating
from scratchdl.ops._helpers import normalize_axis

__all__ = ["getitem", "take", "take_along_axis", "one_hot"]


# --------------------------------------------------------------------------- index conversion
def _index_array(value: Any, op: str) -> Any:
    """An integer or boolean index array from a Tensor, array or (nested) list."""
    array = value.data if isinstance(value, Tensor) else value
    if not hasattr(array, "dtype"):
        array = as_array(array)
        if array.size == 0:  # [] is float64 to NumPy; as an index it means "no element"
            array = array.astype("intp")
    kind = array.dtype.kind
    if kind not in "iub":
        raise TypeError(
            f"{op}: indices must be integers or booleans, got an array of dtype {array.dtype}"
        )
    return array


def _convert_index(index: Any) -> tuple[tuple[Any, ...], bool]:
    """Normalize ``index`` to a tuple of NumPy index items.

    Returns the tuple and whether it holds an integer index array, the only kind of index under
    which an element can be read more than once.
    """
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    repeats = False
    for item in items:
        if item is None or item is Ellipsis or isinstance(item, (slice, int)):
            converted.append(item)  # basic items (a Python bool is a 0-d mask, as in NumPy)
        elif isinstance(item, (Tensor, list, tuple)) or hasattr(item, "shape"):
            array = _index_array(item, "getitem")
            # A 0-d integer array acts like an int: it cannot repeat an element.
            repeats = repeats or (array.dtype.kind != "b" and array.ndim > 0)
            converted.append(array)
        else:
            raise TypeError(
                f"getitem: unsupported index item {item!r} of type {type(item).__name__}; use "
                "ints, slices, None, Ellipsis, integer or boolean arrays/Tensors"
            )
    return tuple(converted), repeats


def _scatter_add(xp: Any, target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` with every repeated position counted (unbuffered)."""
    xp.add.at(target, index, values)


# Below this many rows, ``add.at`` sums rows by index as fast as anything else.
ROW_SUMS_MIN_ROWS = 256


def sum_rows_by_index(rows: Any, index: Any, count: int) -> Any:
    """``out[..., k, :]`` = the sum of the rows ``rows[..., i, :]`` with ``index[i] == k``.

    ``rows`` is ``(..., n, size)`` and ``index`` ``(n,)`` integers in ``[0, count)``; the result
    is ``(..., count, size)`` (rows no index points to are zero). This is the gradient of a
    gather of whole rows: an embedding table's (``take``), or a recurrent layer's projected
    table (``ops.recurrent``'s lookup path). Three ways, chosen by the sizes:

    * with at least as many rows as results, one product per leading block by a sparse
      ``(count, n)`` matrix of ones: a single pass over the rows (float32, 2048 x 64 into 65:
      0.17 ms, into 1024: 0.22 ms; (4, 2048, 256) into 65: 0.8 ms, where a dense one-hot product
      takes 2.4 ms);
    * with more results than rows, the indices sorted once and each index's run of rows summed
      by ``add.reduceat`` (2048 x 128 into 10,000: 3.6-4.1 ms, the sparse product 4.2-5.2 ms;
      into 1024 it would take 0.96 ms);
    * below ``ROW_SUMS_MIN_ROWS`` rows, and on CuPy, ``add.at``.
    """
    xp = get_array_module(rows)
    n, size = rows.shape[-2:]
    blocks = rows.reshape(math.prod(rows.shape[:-2]), n, size)
    if xp is not np or n < ROW_SUMS_MIN_ROWS:
        sums = xp.zeros((blocks.shape[0], count, size), dtype=rows.dtype)
        for total, block in zip(sums, blocks):
            _scatter_add(xp, total, index, block)
    elif count <= n:
        from scipy.sparse import csr_matrix

        starts = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.bincount(index, minlength=count), out=starts[1:])
        ones = csr_matrix((np.ones(n, dtype=rows.dtype), np.argsort(index, kind="stable"), starts),
                          shape=(count, n))
        sums = np.stack([ones @ block for block in blocks])
    else:
        order = np.argsort(index, kind="stable")
        ordered = index[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        sums = np.zeros((blocks.shape[0], count, size), dtype=rows.dtype)
        for total, block in zip(sums, blocks):
            total[ordered[starts]] = np.add.reduceat(block[order], starts, axis=0)
    return sums.reshape(*rows.shape[:-2], count, size)


# --------------------------------------------------------------------------- functions
class GetItem(Function):
    """x[index]; backward writes (or, for repeatable integer indices, adds) into zeros."""

    def __init__(self, index: tuple[Any, ...], repeats: bool) -> None:
        self.index = index
        self.repeats = repeats

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        try:
            return x[self.index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor of shape {x.shape})") from None

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        result = xp.zeros(self.input_shape, dtype=grad.dtype)
        if self.repeats:
            _scatter_add(xp, result, self.index, grad)
        else:
            result[self.index] = grad
        return result


class Take(Function):
    """np.take(x, indices, axis); backward accumulates repeated indices along ``axis``."""

    def __init__(self, indices: Any, axis: int | None) -> None:
        self.indices = indices
        self.axis = axis

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        xp = get_array_module(x)
        try:
            return xp.take(x, self.indices, axis=self.axis)
        except IndexError as error:
            where = "the flattened tensor" if self.axis is None else f"axis {self.axis}"
            raise IndexError(
                f"take: {error} (indexing {where} of a tensor of shape {x.shape})"
            ) from None

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        indices = self.indices.reshape(-1)
        if self.axis is None:
            result = xp.zeros(math.prod(self.input_shape), dtype=grad.dtype)
            _scatter_add(xp, result, indices, grad.reshape(-1))
            return result.reshape(self.input_shape)
        # Move the gathered axis to the front so each index scatters one contiguous row.
        axis, k = self.axis, self.indices.ndim
        moved = xp.moveaxis(grad, tuple(range(axis, axis + k)), tuple(range(k)))
        rest = moved.shape[k:]
        count = self.input_shape[axis]
        indices = xp.asarray(indices)
        indices = xp.where(indices < 0, indices + count, indices)  # take's negative indices
        rows = moved.reshape(indices.size, math.prod(rest))
        result = sum_rows_by_index(rows, indices, count).reshape((count,) + rest)
        return xp.moveaxis(result, 0, axis)


class TakeAlongAxis(Function):
    """np.take_along_axis(x, indices, axis); backward scatter-adds through the full index."""

    def __init__(self, indices: Any, axis: int | None) -> None:
        self.indices = indices
        self.axis = axis

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        xp = get_array_module(x)
        try:
            return xp.take_along_axis(x, self.indices, axis=self.axis)
        except (IndexError, ValueError) as error:
            raise IndexError(
                f"take_along_axis: {error} (tensor of shape {x.shape}, indices of shape "
                f"{self.indices.shape}, axis {self.axis})"
            ) from None

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        if self.axis is None:  # gathered from the flattened tensor
            result = xp.zeros(math.prod(self.input_shape), dtype=grad.dtype)
            _scatter_add(xp, result, self.indices, grad)
            return result.reshape(self.input_shape)
        # The fancy index take_along_axis uses: `indices` on `axis`, a broadcast arange elsewhere.
        ndim = len(self.input_shape)
        index = []
        for dim in range(ndim):
            if dim == self.axis:
                index.append(self.indices)
            else:
                shape = [1] * ndim
                shape[dim] = self.input_shape[dim]
                index.append(xp.arange(self.input_shape[dim]).reshape(shape))
        result = xp.zeros(self.input_shape, dtype=grad.dtype)
        _scatter_add(xp, result, tuple(index), grad)
        return result


class OneHot(Function):
    """The one-hot encoding of integer labels (not differentiable)."""

    def __init__(self, num_classes: int, dtype: Any, axis: int) -> None:
        self.num_classes = num_classes
        self.dtype = dtype
        self.axis = axis

    def forward(self, indices: Any) -> Any:
        xp = get_array_module(indices)
        encoded = (indices[..., None] == xp.arange(self.num_classes)).astype(self.dtype)
        return encoded if self.axis == -1 else xp.moveaxis(encoded, -1, self.axis)


# --------------------------------------------------------------------------- public functions
def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with NumPy semantics; the gradient scatters back into ``x``'s shape.

    ``index`` may hold ints, slices (any step, negative included), ``None`` (new axis),
    ``Ellipsis``, integer arrays / lists / integer Tensors (advanced indexing: several index
    arrays broadcast together) and boolean masks (arrays or bool Tensors). The gradient is
    ``g = zeros_like(x); g[index] += grad``, where an element read k times receives the sum of
    its k output gradients.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward()
    >>> x.grad
    array([2., 0., 1.], dtype=float32)
    """
    converted, repeats = _convert_index(index)
    return GetItem(converted, repeats)(x)


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Gather elements of ``x`` at ``indices`` along ``axis``, as ``np.take``.

    With ``axis=None`` ``x`` is flattened first. The output has shape
    ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``; negative indices count from the end.
    The gradient of ``x`` adds each output gradient at the index it was read from, so repeated
    indices accumulate (this is the backward of an embedding lookup).

    >>> take(Tensor([[1.0, 2.0], [3.0, 4.0]]), [1, 1], axis=0)
    Tensor([[3., 4.],
            [3., 4.]])
    """
    array = _index_array(indices, "take")
    if array.dtype.kind == "b":
        raise TypeError("take: indices must be integers, got a boolean array")
    ndim = len(x.shape) if hasattr(x, "shape") else as_array(x).ndim
    axis = None if axis is None else normalize_axis(axis, ndim, "take")[0]
    return Take(array, axis)(x)


def take_along_axis(x: Any, indices: Any, axis: int | None) -> Tensor:
    """Gather ``x`` with ``indices`` matched up along ``axis``, as ``np.take_along_axis``.

    ``out[i, j] = x[indices[i, j], j]`` for ``axis=0`` of a 2-D input (and likewise in any
    rank); ``indices`` has ``x``'s number of dimensions and broadcasts against ``x`` on the other
    axes. ``axis=None`` works on the flattened ``x`` with 1-D ``indices``. The gradient
    accumulates repeated indices.

    >>> take_along_axis(Tensor([[10.0, 30.0], [40.0, 20.0]]), [[1], [0]], axis=1)
    Tensor([[30.],
            [40.]])
    """
    array = _index_array(indices, "take_along_axis")
    if array.dtype.kind == "b":
        raise TypeError("take_along_axis: indices must be integers, got a boolean array")
    if axis is None:
        if array.ndim != 1:
            raise ValueError(
                f"take_along_axis: with axis=None indices must be 1-D, got shape {array.shape}"
            )
        return TakeAlongAxis(array, None)(x)
    shape = tuple(x.shape) if hasattr(x, "shape") else as_array(x).shape
    if array.ndim != len(shape):
        raise ValueError(
            f"take_along_axis: indices must have the tensor's {len(shape)} dimensions, got "
            f"indices of shape {array.shape} for a tensor of shape {shape}"
        )
    axis = normalize_axis(axis, len(shape), "take_along_axis")[0]
    return TakeAlongAxis(array, axis)(x)


def one_hot(indices: Any, num_classes: int, dtype: Any = None, *, axis: int = -1) -> Tensor:
    """One-hot encode integer labels: ``out[..., c] = 1 if indices[...] == c else 0``.

    The new axis of length ``num_classes`` is placed at ``axis`` (last by default, as Keras).
    ``dtype`` defaults to ``floatx()``. Labels must lie in ``[0, num_classes)``; float labels are
    accepted when they hold whole numbers. The result is not differentiable.

    >>> one_hot([0, 2], 3)
    Tensor([[1., 0., 0.],
            [0., 0., 1.]])
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive integer, got {num_classes!r}")
    array = indices.data if isinstance(indices, Tensor) else as_array(indices)
    xp = get_array_module(array)
    if is_floating(array.dtype):
        if array.size and not bool(xp.all(array == xp.round(array))):
            raise ValueError("one_hot: float labels must hold whole numbers")
        array = array.astype("int64")
    elif array.dtype.kind not in "iub":
        raise TypeError(f"one_hot: labels must be integers, got dtype {array.dtype}")
    if array.size:
        low, high = array.min(), array.max()
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise ValueError(
                f"one_hot: label {int(bad)} is out of range for num_classes={num_classes} "
                f"(expected labels in [0, {num_classes - 1}])"
            )
    ndim = array.ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"one_hot: axis {axis} is out of range for an output with {ndim} dimensions")
    return OneHot(num_classes, dtype or floatx(), axis % ndim if axis != -1 else -1)(array)
