"""Small helpers shared by the op modules (not public)."""

from __future__ import annotations

from numbers import Integral
from typing import Any

from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module


def shape_of(value: Any) -> tuple[int, ...]:
    """Shape of a tensor, array or scalar."""
    return tuple(getattr(value, "shape", ()))


def is_int(value: Any) -> bool:
    """True for a Python or NumPy integer (bools excluded)."""
    return isinstance(value, Integral) and not isinstance(value, bool)


def normalize_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Return ``axis`` (None, int or tuple) as a sorted tuple of non-negative axes.

    Raises a ValueError naming ``op`` when an axis is out of range or repeated.
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if ndim == 0:
        # A 0-d tensor has no axes; 0 and -1 name "the tensor itself", as in PyTorch.
        if any(item not in (0, -1) for item in axes):
            raise ValueError(f"{op}: axis {axis} is out of range for a 0-d tensor")
        return ()
    result = []
    for item in axes:
        if not -ndim <= item < ndim:
            raise ValueError(f"{op}: axis {item} is out of range for a tensor with {ndim} dimensions")
        result.append(item % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def check_broadcast(op: str, *values: Any) -> None:
    """Raise a clear ValueError when the shapes of ``values`` do not broadcast together."""
    import numpy as np

    shapes = [shape_of(v) for v in values]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {' and '.join(str(s) for s in shapes)} cannot be broadcast together"
        ) from None


__all__ = ["Tensor", "shape_of", "is_int", "normalize_axis", "check_broadcast"]


def in_place(ufunc: Any, target: Any, value: Any) -> Any:
    """``ufunc(target, value)`` written into ``target`` when NumPy's promotion of the two keeps
    ``target``'s dtype, else into a new array (so a higher-precision ``value`` still promotes).

    For the ops that build their result in a fresh array of their own, one pass after another,
    without a new array (and its page faults) per step.
    """
    if get_array_module(target).result_type(target, value) == target.dtype:
        return ufunc(target, value, out=target)
    return ufunc(target, value)
