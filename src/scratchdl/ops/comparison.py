"""Comparison and logical ops. They return boolean tensors that are not differentiable."""

from __future__ import annotations

from typing import Any

from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import as_array, get_array_module
from scratchdl.ops._helpers import check_broadcast

__all__ = [
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "isnan", "isfinite",
]


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else as_array(value)


def _compare(name: str, ufunc_name: str, x: Any, y: Any) -> Tensor:
    a, b = _raw(x), _raw(y)
    xp = get_array_module(a, b)
    try:
        return Tensor(getattr(xp, ufunc_name)(a, b))
    except ValueError:
        check_broadcast(name, a, b)
        raise


def equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x == y`` as a boolean tensor."""
    return _compare("equal", "equal", x, y)


def not_equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x != y`` as a boolean tensor."""
    return _compare("not_equal", "not_equal", x, y)


def less(x: Any, y: Any) -> Tensor:
    """Elementwise ``x < y`` as a boolean tensor."""
    return _compare("less", "less", x, y)


def less_equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x <= y`` as a boolean tensor."""
    return _compare("less_equal", "less_equal", x, y)


def greater(x: Any, y: Any) -> Tensor:
    """Elementwise ``x > y`` as a boolean tensor."""
    return _compare("greater", "greater", x, y)


def greater_equal(x: Any, y: Any) -> Tensor:
    """Elementwise ``x >= y`` as a boolean tensor."""
    return _compare("greater_equal", "greater_equal", x, y)


def logical_and(x: Any, y: Any) -> Tensor:
    """Elementwise logical and."""
    return _compare("logical_and", "logical_and", x, y)


def logical_or(x: Any, y: Any) -> Tensor:
    """Elementwise logical or."""
    return _compare("logical_or", "logical_or", x, y)


def logical_not(x: Any) -> Tensor:
    """Elementwise logical not."""
    a = _raw(x)
    return Tensor(get_array_module(a).logical_not(a))


def isnan(x: Any) -> Tensor:
    """Elementwise test for NaN."""
    a = _raw(x)
    return Tensor(get_array_module(a).isnan(a))


def isfinite(x: Any) -> Tensor:
    """Elementwise test for finite values (not inf, not NaN)."""
    a = _raw(x)
    return Tensor(get_array_module(a).isfinite(a))
