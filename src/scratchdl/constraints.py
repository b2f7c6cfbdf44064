"""Weight constraints with Keras 3's names, arguments and configs.

A constraint is applied by the optimizer to a weight's raw array right after each update and
returns the projected array (it is not part of the autograd graph).

>>> import numpy as np
>>> NonNeg()(np.array([-1.0, 2.0]))
array([0., 2.])
"""

from __future__ import annotations

from typing import Any

from scratchdl._serialization import deserialize_object, get_object, serialize_object
from scratchdl.backend import get_array_module

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm",
    "non_neg", "unit_norm", "get", "serialize", "deserialize",
]

_EPSILON = 1e-7  # Keras's backend.epsilon()


def _raw(w: Any) -> Any:
    data = getattr(w, "data", w)
    xp = get_array_module(data)
    return xp.asarray(data)


def _norms(w: Any, axis: Any) -> Any:
    xp = get_array_module(w)
    if isinstance(axis, list):  # Keras configs store several axes as a list (e.g. [0, 1, 2])
        axis = tuple(axis)
    return xp.sqrt(xp.sum(xp.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: ``__call__(w)`` returns the projected array (the identity here)."""

    def __call__(self, w: Any) -> Any:
        return _raw(w)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Create a constraint from ``get_config()``'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale slices along ``axis`` whose L2 norm exceeds ``max_value`` down to it.

    ``w * clip(norm, 0, max_value) / (epsilon + norm)``. For a Dense kernel ``(in, out)`` the
    default ``axis=0`` constrains each unit's incoming weight vector.
    """

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        w = _raw(w)
        xp = get_array_module(w)
        norms = _norms(w, self.axis)
        desired = xp.clip(norms, 0, self.max_value)
        return (w * (desired / (_EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Pull slice norms along ``axis`` into ``[min_value, max_value]``.

    ``desired = rate * clip(norm, min, max) + (1 - rate) * norm``; ``w * desired / (eps + norm)``.
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Any = 0) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        w = _raw(w)
        xp = get_array_module(w)
        norms = _norms(w, self.axis)
        desired = self.rate * xp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return (w * (desired / (_EPSILON + norms))).astype(w.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """Set negative entries to zero."""

    def __call__(self, w: Any) -> Any:
        w = _raw(w)
        return get_array_module(w).maximum(w, 0).astype(w.dtype, copy=False)


class UnitNorm(Constraint):
    """Scale slices along ``axis`` to unit L2 norm: ``w / (epsilon + norm)``."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        w = _raw(w)
        return (w / (_EPSILON + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

ALL_OBJECTS_DICT: dict[str, type[Constraint]] = {
    "Constraint": Constraint, "MaxNorm": MaxNorm, "MinMaxNorm": MinMaxNorm, "NonNeg": NonNeg,
    "UnitNorm": UnitNorm, "constraint": Constraint, "max_norm": MaxNorm,
    "min_max_norm": MinMaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
}


def serialize(constraint: Any) -> dict[str, Any] | None:
    """The Keras-style config dict of ``constraint`` (``module`` is ``'keras.constraints'``)."""
    return serialize_object(constraint, "keras.constraints")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Constraint:
    """Rebuild a constraint from ``serialize``'s dict."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "constraint", custom_objects)


def get(identifier: Any) -> Any:
    """Return a constraint for ``identifier``: None, a name (``'max_norm'``, ``'NonNeg'``), a
    config dict, a class (instantiated with defaults), an instance or a callable on arrays.

    >>> type(get("non_neg")).__name__
    'NonNeg'
    """
    return get_object(identifier, ALL_OBJECTS_DICT, "constraint", deserialize)
