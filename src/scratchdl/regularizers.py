"""Weight regularizers with Keras 3's names, arguments and configs.

A regularizer maps a weight to a scalar penalty that joins the training loss. The penalty is
built from scratchdl ops, so it is a differentiable ``Tensor``: its gradient reaches the weight.

>>> from scratchdl import Tensor
>>> float(L2(0.5)(Tensor([1.0, 2.0])))
2.5
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scratchdl import ops
from scratchdl._serialization import deserialize_object, get_object, serialize_object
from scratchdl.autograd.tensor import Tensor, as_tensor

__all__ = [
    "Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
    "orthogonal_regularizer", "get", "serialize", "deserialize",
]


def _validate_float(owner: Any, value: Any, name: str) -> float:
    if (not isinstance(value, (float, int)) or isinstance(value, bool)
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(
            f"{type(owner).__name__}: invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value}"
        )
    return float(value)


class Regularizer:
    """Base class: ``__call__(x)`` returns a scalar penalty tensor for weight ``x``."""

    def __call__(self, x: Any) -> Tensor:
        return Tensor(np.zeros((), dtype=as_tensor(x).dtype))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Create a regularizer from ``get_config()``'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _validate_float(self, 0.0 if l1 is None else l1, "l1")
        self.l2 = _validate_float(self, 0.0 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        x = as_tensor(x)
        penalty = Tensor(np.zeros((), dtype=x.dtype))
        if self.l1 != 0.0:
            penalty = penalty + ops.sum(ops.abs(x)) * self.l1
        if self.l2 != 0.0:
            penalty = penalty + ops.sum(ops.square(x)) * self.l2
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _validate_float(self, 0.01 if l1 is None else l1, "l1")

    def __call__(self, x: Any) -> Tensor:
        return ops.sum(ops.abs(as_tensor(x))) * self.l1

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _validate_float(self, 0.01 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        return ops.sum(ops.square(as_tensor(x))) * self.l2

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2-D weight.

    With the rows (``mode='rows'``) L2-normalized to ``u_i``, the penalty is
    ``factor * 0.5 * sum_{i != j} |u_i . u_j| / (n (n - 1) / 2)`` for ``n`` rows.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _validate_float(self, factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"{type(self).__name__}: invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode}'
            )
        self.mode = mode

    def __call__(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={x.shape}"
            )
        if self.mode == "columns":
            x = ops.transpose(x)
        # x * rsqrt(sum x^2), with the inverse norm capped at 1/epsilon as Keras's normalize does.
        inv_norm = ops.minimum(ops.reciprocal(ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True))), 1e7)
        units = x * inv_norm
        product = ops.matmul(units, ops.transpose(units))
        size = x.shape[0]
        off_diagonal = product * (1.0 - np.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / num_pairs)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras's function-style aliases.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

ALL_OBJECTS_DICT: dict[str, type[Regularizer]] = {
    "Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "regularizer": Regularizer, "l1": L1, "l2": L2, "l1l2": L1L2, "l1_l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def serialize(regularizer: Any) -> dict[str, Any] | None:
    """The Keras-style config dict of ``regularizer`` (``module`` is ``'keras.regularizers'``)."""
    return serialize_object(regularizer, "keras.regularizers")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Regularizer:
    """Rebuild a regularizer from ``serialize``'s dict."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "regularizer", custom_objects)


def get(identifier: Any) -> Any:
    """Return a regularizer for ``identifier``: None, a name (``'l2'``, ``'L1L2'``), a config
    dict, a class (instantiated with defaults), an instance or a callable ``f(x) -> scalar``.

    >>> get("l2").l2
    0.01
    """
    return get_object(identifier, ALL_OBJECTS_DICT, "regularizer", deserialize)
