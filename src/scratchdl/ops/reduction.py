"""Reductions: sum, mean, var, std, max, min, prod, logsumexp over an ``axis`` with ``keepdims``;
argmax/argmin (not differentiable) and cumsum.

``axis`` is an int, a tuple of ints (negative values count from the end) or None (every axis).
Each backward first reinserts the reduced axes as length-1 axes so the upstream gradient
broadcasts against the input. A 0-d tensor accepts ``axis`` 0 or -1 (as PyTorch does) and reduces
over nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._helpers import is_int, normalize_axis

__all__ = [
    "sum", "mean", "var", "std", "max", "min", "argmax", "argmin", "prod", "logsumexp", "cumsum",
]


def _reduction_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None, int or tuple of ints) as a sorted tuple of non-negative axes."""
    items = () if axis is None else ((axis,) if is_int(axis) else axis)
    if not isinstance(items, (tuple, list)) or not all(is_int(item) for item in items):
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}")
    if ndim == 0:
        for item in items:
            if item not in (0, -1):
                raise ValueError(f"{op}: axis {item} is out of range for a 0-d tensor")
        return ()
    return normalize_axis(None if axis is None else tuple(int(i) for i in items), ndim, op)


def _single_axis(axis: Any, ndim: int, op: str) -> int | None:
    """An int ``axis`` as a non-negative axis (None stays None; 0-d tensors give None)."""
    if axis is None:
        return None
    if not is_int(axis):
        raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
    axes = _reduction_axes(axis, ndim, op)
    return axes[0] if axes else None


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    count = 1
    for axis in axes:
        count *= shape[axis]
    return count


def _expand_reduced(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Reinsert the reduced axes (as length 1) so ``grad`` broadcasts against the input."""
    if keepdims or not axes:
        return grad
    return get_array_module(grad).expand_dims(grad, axes)


def _drop_reduced(value: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Remove the length-1 reduced axes of a ``keepdims=True`` result unless ``keepdims``."""
    if keepdims or not axes:
        return value
    return get_array_module(value).squeeze(value, axis=axes)


class _Reduction(Function):
    """Holds ``axis``/``keepdims`` and resolves them against the input in ``forward``."""

    op_name = "reduction"

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, bool(keepdims)

    def _setup(self, x: Any, nonempty: bool = False) -> None:
        self.axes = _reduction_axes(self.axis, x.ndim, self.op_name)
        self.input_shape = x.shape
        self.count = _count(x.shape, self.axes)
        if nonempty and self.count == 0:
            raise ValueError(
                f"{self.op_name}: cannot reduce over zero elements (input shape {x.shape}, "
                f"axis {self.axis})"
            )

    def _grad_in(self, grad: Any) -> Any:
        return _expand_reduced(grad, self.axes, self.keepdims)


class Sum(_Reduction):
    """Sum over axes; the gradient is broadcast back over them."""

    op_name = "sum"

    def forward(self, x: Any) -> Any:
        self._setup(x)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        return get_array_module(grad).broadcast_to(self._grad_in(grad), self.input_shape)


class Mean(_Reduction):
    """Mean over axes; the gradient is spread evenly over the reduced elements."""

    op_name = "mean"

    def forward(self, x: Any) -> Any:
        self._setup(x)
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        grad = self._grad_in(grad) / self.count
        return get_array_module(grad).broadcast_to(grad, self.input_shape)


class Var(_Reduction):
    """Population variance mean((x - mean(x))**2) over axes."""

    op_name = "var"

    def forward(self, x: Any) -> Any:
        self._setup(x)
        centered = x - x.mean(axis=self.axes, keepdims=True)
        self.save_for_backward(centered)
        return (centered * centered).mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        (centered,) = self.saved
        # The term through mean(x) vanishes because the centered values sum to zero.
        return self._grad_in(grad) * centered * (2.0 / self.count)


class Std(_Reduction):
    """Population standard deviation sqrt(var(x)) over axes."""

    op_name = "std"

    def forward(self, x: Any) -> Any:
        self._setup(x)
        xp = get_array_module(x)
        centered = x - x.mean(axis=self.axes, keepdims=True)
        std = xp.sqrt((centered * centered).mean(axis=self.axes, keepdims=True))
        self.save_for_backward(centered, std)
        return _drop_reduced(std, self.axes, self.keepdims)

    def backward(self, grad: Any) -> Any:
        centered, std = self.saved
        xp = get_array_module(grad)
        # d std / dx = (x - mean) / (n std); where std is 0 (constant data) the gradient is taken
        # as 0, the smallest subgradient, instead of 0/0.
        safe = xp.where(std > 0, std * self.count, 1)
        return xp.where(std > 0, self._grad_in(grad) * centered / safe, 0)


class _Extreme(_Reduction):
    """max/min: the gradient is split evenly among the elements equal to the extreme."""

    def compute(self, x: Any) -> Any:
        raise NotImplementedError

    def forward(self, x: Any) -> Any:
        self._setup(x, nonempty=True)
        extreme = self.compute(x)
        winners = x == extreme
        self.save_for_backward(winners)
        return _drop_reduced(extreme, self.axes, self.keepdims)

    def backward(self, grad: Any) -> Any:
        (winners,) = self.saved
        xp = get_array_module(grad)
        ties = xp.maximum(winners.sum(axis=self.axes, keepdims=True), 1)
        return winners * (self._grad_in(grad) / ties)


class Max(_Extreme):
    """Maximum over axes (ties share the gradient)."""

    op_name = "max"

    def compute(self, x: Any) -> Any:
        return x.max(axis=self.axes, keepdims=True)


class Min(_Extreme):
    """Minimum over axes (ties share the gradient)."""

    op_name = "min"

    def compute(self, x: Any) -> Any:
        return x.min(axis=self.axes, keepdims=True)


class _ArgExtreme(Function):
    """argmax/argmin along one axis; integer output, so never differentiated."""

    op_name = "argmax"

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, bool(keepdims)

    def forward(self, x: Any) -> Any:
        axis = _single_axis(self.axis, x.ndim, self.op_name)
        if x.size == 0:
            raise ValueError(f"{self.op_name}: the input of shape {x.shape} has no elements")
        xp = get_array_module(x)
        return getattr(xp, self.op_name)(x, axis=axis, keepdims=self.keepdims)


class ArgMax(_ArgExtreme):
    """Index of the maximum along an axis (the first one at ties)."""

    op_name = "argmax"


class ArgMin(_ArgExtreme):
    """Index of the minimum along an axis (the first one at ties)."""

    op_name = "argmin"


class Prod(_Reduction):
    """Product over axes; the gradient is the product of the *other* elements (no division)."""

    op_name = "prod"

    def forward(self, x: Any) -> Any:
        self._setup(x)
        self.save_for_backward(x)
        return x.prod(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        xp = get_array_module(x)
        if x.size == 0:
            return xp.zeros_like(x)
        # Move the reduced axes last and flatten them: each row is one product. The product of
        # all elements but x_i is (product before i) * (product after i), two exclusive cumprods,
        # so zeros need no special case (dividing out / x_i would fail at x_i = 0).
        kept = [a for a in range(x.ndim) if a not in self.axes]
        perm = kept + list(self.axes)
        moved = x.transpose(perm)
        rows = moved.reshape(moved.shape[:len(kept)] + (self.count,))
        ones = xp.ones(rows.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
        after = xp.cumprod(xp.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (before * after).reshape(moved.shape)
        inverse = tuple(sorted(range(x.ndim), key=perm.__getitem__))
        return self._grad_in(grad) * others.transpose(inverse)


class LogSumExp(_Reduction):
    """log(sum(exp(x))) over axes, computed as m + log(sum(exp(x - m))) with m = max(x)."""

    op_name = "logsumexp"

    def forward(self, x: Any) -> Any:
        self._setup(x, nonempty=True)
        xp = get_array_module(x)
        shift = x.max(axis=self.axes, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)  # all -inf rows give -inf, not nan
        exps = xp.exp(x - shift)
        total = exps.sum(axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for all -inf
            out = xp.log(total) + shift
        # d/dx_i = softmax(x)_i over the reduced axes. It is kept from the forward pass rather
        # than recomputed as exp(x - out): in float32 the rounding of a large ``out`` would
        # show in every gradient.
        self.save_for_backward(exps / xp.where(total > 0, total, 1))
        return _drop_reduced(out, self.axes, self.keepdims)

    def backward(self, grad: Any) -> Any:
        (softmax,) = self.saved
        return self._grad_in(grad) * softmax


class CumSum(Function):
    """Running sum along one axis (of the flattened input when axis is None)."""

    def __init__(self, axis: Any) -> None:
        self.axis = axis

    def forward(self, x: Any) -> Any:
        axis = _single_axis(self.axis, x.ndim, "cumsum")
        self.input_shape = x.shape
        work = x.reshape(-1) if axis is None else x
        self.work_axis = 0 if axis is None else axis
        out = get_array_module(x).cumsum(work, axis=self.work_axis)
        # A 0-d input with an explicit axis keeps its shape, as in PyTorch.
        return out.reshape(()) if x.ndim == 0 and self.axis is not None else out

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        axis = self.work_axis
        work = grad.reshape(-1) if grad.ndim == 0 else grad
        # Element i feeds every output j >= i: the adjoint is a cumsum from the end.
        reverse = xp.flip(xp.cumsum(xp.flip(work, axis=axis), axis=axis), axis=axis)
        return reverse.reshape(self.input_shape)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Sum of ``x`` over ``axis`` (all axes when None); d/dx_i = 1.

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    Tensor([4., 6.])
    """
    return Sum(axis, keepdims)(x)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean of ``x`` over ``axis``; d/dx_i = 1/n for each of the n reduced elements.

    >>> mean(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([1.5, 3.5])
    """
    return Mean(axis, keepdims)(x)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population variance (ddof 0, as Keras) of ``x`` over ``axis``.

    ``var = mean((x - mean(x))**2)``; d var/dx_i = 2 (x_i - mean(x)) / n.

    >>> var(Tensor([1.0, 2.0, 3.0, 4.0]))
    Tensor(1.25)
    """
    return Var(axis, keepdims)(x)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation (ddof 0, as Keras): ``sqrt(var(x, axis))``.

    d std/dx_i = (x_i - mean(x)) / (n std), taken as 0 where std is 0.

    >>> std(Tensor([1.0, 3.0]))
    Tensor(1.)
    """
    return Std(axis, keepdims)(x)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Maximum of ``x`` over ``axis``.

    The gradient goes to the maximal elements, split evenly among ties (as PyTorch's ``amax``):
    with k equal maxima each receives 1/k.

    >>> max(Tensor([[1.0, 5.0], [7.0, 2.0]]), axis=1)
    Tensor([5., 7.])
    """
    return Max(axis, keepdims)(x)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Minimum of ``x`` over ``axis``; ties share the gradient evenly, as in :func:`max`.

    >>> min(Tensor([[1.0, 5.0], [7.0, 2.0]]), axis=0)
    Tensor([1., 2.])
    """
    return Min(axis, keepdims)(x)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest element along ``axis`` (of the flattened tensor when None).

    Returns an integer tensor (not differentiable); at ties the first index wins.

    >>> argmax(Tensor([[1.0, 5.0], [7.0, 2.0]]), axis=1)
    Tensor([1, 0], dtype=int64)
    """
    return ArgMax(axis, keepdims)(x)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest element along ``axis`` (of the flattened tensor when None).

    Returns an integer tensor (not differentiable); at ties the first index wins.

    >>> argmin(Tensor([[1.0, 5.0], [7.0, 2.0]]), axis=0)
    Tensor([0, 1], dtype=int64)
    """
    return ArgMin(axis, keepdims)(x)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product of ``x`` over ``axis``.

    d prod/dx_i is the product of the other reduced elements, computed from prefix and suffix
    products, so it is exact when some elements are zero (one zero: only that element gets a
    non-zero gradient; two or more: every gradient is 0).

    >>> prod(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([ 2., 12.])
    """
    return Prod(axis, keepdims)(x)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, without overflow.

    Computed as ``m + log(sum(exp(x - m)))`` with ``m = max(x)``; the gradient is
    ``softmax(x)`` over the reduced axes, ``exp(x - logsumexp(x))``.

    >>> logsumexp(Tensor([1000.0, 1000.0]))
    Tensor(1000.6932)
    """
    return LogSumExp(axis, keepdims)(x)


def cumsum(x: Any, axis: int | None = None) -> Tensor:
    """Cumulative sum along ``axis``; with ``axis=None`` the tensor is flattened first.

    ``out_j = sum_{i <= j} x_i``; the gradient is the cumulative sum of the upstream gradient
    taken from the end: ``dx_i = sum_{j >= i} g_j``.

    >>> cumsum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([[1., 3.],
            [3., 7.]])
    """
    return CumSum(axis)(x)
