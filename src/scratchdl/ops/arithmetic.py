"""Arithmetic ops: add, subtract, multiply, divide, power and other elementwise algebra.

Binary ops broadcast as NumPy does; their backward returns gradients with the broadcast shape and
the engine sums them back to each input's shape. Python scalars are "weak": ``x * 2.0`` keeps
``x``'s dtype.
"""

from __future__ import annotations

import math
from typing import Any

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._helpers import check_broadcast

__all__ = [
    "add", "subtract", "multiply", "divide", "floor_divide", "power", "negative", "abs",
    "sign", "square", "sqrt", "reciprocal", "maximum", "minimum", "clip", "where", "cast",
]


class _Binary(Function):
    """Runs the NumPy expression and turns a broadcast failure into a clear error."""

    op_name = "binary op"

    def compute(self, x: Any, y: Any) -> Any:
        raise NotImplementedError

    def forward(self, x: Any, y: Any) -> Any:
        try:
            return self.compute(x, y)
        except ValueError:
            check_broadcast(self.op_name, x, y)
            raise


# ``x + b`` with ``b`` a vector along x's short last axis (a convolution's bias over 8 channels):
# NumPy's inner loop would run over only those few values. Viewed as rows of ``k`` times as many
# values, with ``b`` tiled ``k`` times, the same sums run in long inner loops. Measured on 2M
# float32 values: 8 channels 2.2 -> 1.2 ms, 3 channels 4.4 -> 1.3 ms; from 32 on no gain.
SHORT_LAST_AXIS_BELOW = 32
SHORT_LAST_AXIS_MIN_SIZE = 1 << 15
_WIDE_ROW = 512  # values per row of the wide view


def _add_along_short_last_axis(x: Any, y: Any) -> Any:
    """``x + y`` through wide rows when ``y`` is a vector along ``x``'s short last axis (either
    order), else None. The sums are the same; only NumPy's loop shape changes."""
    x_size, y_size = getattr(x, "size", 1), getattr(y, "size", 1)
    if x_size < SHORT_LAST_AXIS_MIN_SIZE and y_size < SHORT_LAST_AXIS_MIN_SIZE:
        return None  # the common small case, decided in two lookups
    if y_size > x_size:
        x, y = y, x
    shape = getattr(x, "shape", ())
    if (
        not shape
        or not 0 < getattr(y, "ndim", 0) <= len(shape)
        or y.shape[-1] != shape[-1]
        or y.size != shape[-1]
        or not 2 <= shape[-1] < SHORT_LAST_AXIS_BELOW
        or x.size < SHORT_LAST_AXIS_MIN_SIZE
        or not x.flags.c_contiguous
    ):
        return None
    width = y.size
    repeats = math.gcd(x.size // width, _WIDE_ROW // width)
    if repeats < 2:
        return None
    xp = get_array_module(x, y)
    wide = x.reshape(-1, width * repeats) + xp.tile(y.reshape(width), repeats)
    return wide.reshape(shape)


class Add(_Binary):
    """x + y."""

    op_name = "add"

    def compute(self, x: Any, y: Any) -> Any:
        fast = _add_along_short_last_axis(x, y)
        return x + y if fast is None else fast

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, grad


class Subtract(_Binary):
    """x - y."""

    op_name = "subtract"

    def compute(self, x: Any, y: Any) -> Any:
        return x - y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        return grad, (-grad if self.needs_input_grad[1] else None)


class Multiply(_Binary):
    """x * y."""

    op_name = "multiply"

    def compute(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return x * y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        return (grad * y if need_x else None), (grad * x if need_y else None)


class Divide(_Binary):
    """x / y."""

    op_name = "divide"

    def compute(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return x / y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        grad_x = grad / y
        grad_y = -grad_x * x / y if need_y else None
        return (grad_x if need_x else None), grad_y


class FloorDivide(_Binary):
    """x // y (piecewise constant: its gradient is zero almost everywhere)."""

    op_name = "floor_divide"

    def compute(self, x: Any, y: Any) -> Any:
        return x // y

    def backward(self, grad: Any) -> tuple[Any, Any]:
        zeros = get_array_module(grad).zeros_like(grad)
        return zeros, zeros


class Power(_Binary):
    """x ** y."""

    op_name = "power"

    def compute(self, x: Any, y: Any) -> Any:
        out = x ** y
        self.save_for_backward(x, y, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y, out = self.saved
        xp = get_array_module(grad)
        need_x, need_y = self.needs_input_grad
        grad_x = grad * y * x ** (y - 1) if need_x else None
        grad_y = None
        if need_y:
            # d/dy x**y = x**y log x, taken as 0 where x == 0 (the limit for y > 0).
            safe = xp.where(x > 0, x, 1)
            grad_y = grad * out * xp.log(safe)
        return grad_x, grad_y


class Negative(Function):
    """-x."""

    def forward(self, x: Any) -> Any:
        return -x

    def backward(self, grad: Any) -> Any:
        return -grad


class Abs(Function):
    """|x| (its gradient at 0 is taken as 0, as NumPy's sign)."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return get_array_module(x).abs(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * get_array_module(x).sign(x)


class Sign(Function):
    """sign(x) (gradient zero)."""

    def forward(self, x: Any) -> Any:
        return get_array_module(x).sign(x)

    def backward(self, grad: Any) -> Any:
        return get_array_module(grad).zeros_like(grad)


class Square(Function):
    """x ** 2."""

    def forward(self, x: Any) -> Any:
        self.save_for_backward(x)
        return x * x

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * 2 * x


class Sqrt(Function):
    """sqrt(x)."""

    def forward(self, x: Any) -> Any:
        out = get_array_module(x).sqrt(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad / (2 * out)


class Reciprocal(Function):
    """1 / x."""

    def forward(self, x: Any) -> Any:
        out = 1 / x
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return -grad * out * out


class Maximum(_Binary):
    """Elementwise max(x, y); at ties the gradient goes to x, as in Keras."""

    op_name = "maximum"

    def compute(self, x: Any, y: Any) -> Any:
        xp = get_array_module(x, y)
        self.save_for_backward(xp.asarray(x) >= y)
        return xp.maximum(x, y)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        (x_wins,) = self.saved
        return grad * x_wins, grad * ~x_wins


class Minimum(_Binary):
    """Elementwise min(x, y); at ties the gradient goes to x."""

    op_name = "minimum"

    def compute(self, x: Any, y: Any) -> Any:
        xp = get_array_module(x, y)
        self.save_for_backward(xp.asarray(x) <= y)
        return xp.minimum(x, y)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        (x_wins,) = self.saved
        return grad * x_wins, grad * ~x_wins


class Clip(Function):
    """Limit x to [low, high]; the gradient passes where low <= x <= high."""

    def __init__(self, low: Any, high: Any) -> None:
        self.low, self.high = low, high

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        inside = xp.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        self.save_for_backward(inside)
        return xp.clip(x, self.low, self.high).astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> Any:
        (inside,) = self.saved
        return grad * inside


class Where(Function):
    """condition ? x : y."""

    def __init__(self, condition: Any) -> None:
        self.condition = condition

    def forward(self, x: Any, y: Any) -> Any:
        xp = get_array_module(x, y)
        try:
            return xp.where(self.condition, x, y)
        except ValueError:
            check_broadcast("where", self.condition, x, y)
            raise

    def backward(self, grad: Any) -> tuple[Any, Any]:
        zeros = get_array_module(grad).zeros_like(grad)
        need_x, need_y = self.needs_input_grad
        return (
            get_array_module(grad).where(self.condition, grad, zeros) if need_x else None,
            get_array_module(grad).where(self.condition, zeros, grad) if need_y else None,
        )


class Cast(Function):
    """Change the dtype; the gradient is cast back to the input dtype."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def forward(self, x: Any) -> Any:
        self.input_dtype = x.dtype
        return x.astype(self.dtype)

    def backward(self, grad: Any) -> Any:
        return grad.astype(self.input_dtype)


def add(x: Any, y: Any) -> Tensor:
    """Elementwise ``x + y`` with broadcasting.

    >>> add(Tensor([1.0, 2.0]), 1.0)
    Tensor([2., 3.])
    """
    return Add()(x, y)


def subtract(x: Any, y: Any) -> Tensor:
    """Elementwise ``x - y`` with broadcasting."""
    return Subtract()(x, y)


def multiply(x: Any, y: Any) -> Tensor:
    """Elementwise ``x * y`` with broadcasting; d/dx = y, d/dy = x."""
    return Multiply()(x, y)


def divide(x: Any, y: Any) -> Tensor:
    """Elementwise ``x / y``; d/dx = 1/y, d/dy = -x/y**2."""
    return Divide()(x, y)


def floor_divide(x: Any, y: Any) -> Tensor:
    """Elementwise ``x // y``; piecewise constant, so its gradient is zero."""
    return FloorDivide()(x, y)


def power(x: Any, y: Any) -> Tensor:
    """Elementwise ``x ** y``; d/dx = y x**(y-1), d/dy = x**y log x."""
    return Power()(x, y)


def negative(x: Any) -> Tensor:
    """Elementwise ``-x``."""
    return Negative()(x)


def abs(x: Any) -> Tensor:  # noqa: A001 - Keras's name
    """Elementwise ``|x|``; d/dx = sign(x) (0 at 0)."""
    return Abs()(x)


def sign(x: Any) -> Tensor:
    """Elementwise sign (-1, 0 or 1); its gradient is zero."""
    return Sign()(x)


def square(x: Any) -> Tensor:
    """Elementwise ``x ** 2``; d/dx = 2x."""
    return Square()(x)


def sqrt(x: Any) -> Tensor:
    """Elementwise square root; d/dx = 1 / (2 sqrt(x))."""
    return Sqrt()(x)


def reciprocal(x: Any) -> Tensor:
    """Elementwise ``1 / x``; d/dx = -1/x**2."""
    return Reciprocal()(x)


def maximum(x: Any, y: Any) -> Tensor:
    """Elementwise maximum with broadcasting; at ties the gradient goes to ``x``.

    >>> maximum(Tensor([1.0, 5.0]), 3.0)
    Tensor([3., 5.])
    """
    return Maximum()(x, y)


def minimum(x: Any, y: Any) -> Tensor:
    """Elementwise minimum with broadcasting; at ties the gradient goes to ``x``."""
    return Minimum()(x, y)


def clip(x: Any, min_value: Any = None, max_value: Any = None) -> Tensor:
    """Limit ``x`` to ``[min_value, max_value]`` (either may be None).

    The gradient is 1 inside the interval (bounds included) and 0 outside.
    """
    if min_value is None and max_value is None:
        raise ValueError("clip: give min_value, max_value or both")
    return Clip(min_value, max_value)(x)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Choose ``x`` where ``condition`` is true and ``y`` elsewhere (broadcasting all three).

    ``condition`` is not differentiable; the gradient flows to the chosen branch.
    """
    condition = condition.data if isinstance(condition, Tensor) else condition
    return Where(get_array_module(condition).asarray(condition, dtype=bool))(x, y)


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert ``x`` to ``dtype``; differentiable between float dtypes."""
    return Cast(dtype)(x)
