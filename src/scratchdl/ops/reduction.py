"""Reductions: sum, mean and friends over an ``axis`` (int, tuple or None) with ``keepdims``."""

from __future__ import annotations

from typing import Any

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._helpers import normalize_axis

__all__ = ["sum", "mean"]


def _expand_reduced(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Reinsert the reduced axes (as length 1) so ``grad`` broadcasts against the input."""
    if keepdims or not axes:
        return grad
    return get_array_module(grad).expand_dims(grad, axes)


class Sum(Function):
    """Sum over axes; the gradient is broadcast back over them."""

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = normalize_axis(self.axis, x.ndim, "sum")
        self.input_shape = x.shape
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        grad = _expand_reduced(grad, self.axes, self.keepdims)
        return get_array_module(grad).broadcast_to(grad, self.input_shape)


class Mean(Function):
    """Mean over axes; the gradient is spread evenly over the reduced elements."""

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: Any) -> Any:
        self.axes = normalize_axis(self.axis, x.ndim, "mean")
        self.input_shape = x.shape
        count = 1
        for axis in self.axes:
            count *= x.shape[axis]
        self.count = count
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Any) -> Any:
        grad = _expand_reduced(grad, self.axes, self.keepdims) / self.count
        return get_array_module(grad).broadcast_to(grad, self.input_shape)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras's name
    """Sum of ``x`` over ``axis`` (all axes when None).

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    Tensor([4., 6.])
    """
    return Sum(axis, keepdims)(x)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean of ``x`` over ``axis``; d/dx_i = 1/n for each of the n reduced elements."""
    return Mean(axis, keepdims)(x)
