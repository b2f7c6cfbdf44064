"""Hinge metrics: running means of the hinge, squared hinge and categorical hinge losses.

Binary labels given as 0/1 are first mapped to -1/+1 (only when every label is 0 or 1, as Keras
does); labels already in -1/+1 are used as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.metrics._utils import to_numpy
from scratchdl.metrics.reduction_metrics import MeanMetricWrapper

__all__ = ["hinge", "squared_hinge", "categorical_hinge", "Hinge", "SquaredHinge",
           "CategoricalHinge"]


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_pred = to_numpy(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(backend.floatx())
    return to_numpy(y_true, y_pred.dtype), y_pred


def _to_signed_labels(y_true: np.ndarray) -> np.ndarray:
    """0/1 labels become -1/+1; any other labels are returned unchanged."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)`` with labels in -1/+1.

    >>> hinge([[0.0, 1.0]], [[0.5, 0.5]])
    array([1.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return np.mean(np.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(max(1 - y_true * y_pred, 0)^2, axis=-1)`` with labels in -1/+1.

    >>> squared_hinge([[0.0, 1.0]], [[0.5, 0.5]])
    array([1.25], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = _to_signed_labels(y_true)
    return np.mean(np.square(np.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``max(max((1 - t) * p) - sum(t * p) + 1, 0)`` over the last axis, for one-hot ``t``.

    >>> categorical_hinge([[0.0, 1.0]], [[0.2, 0.8]])
    array([0.39999998], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    positive = np.sum(y_true * y_pred, axis=-1)
    negative = np.max((1.0 - y_true) * y_pred, axis=-1)
    return np.maximum(negative - positive + 1.0, np.asarray(0.0, dtype=y_pred.dtype))


class Hinge(MeanMetricWrapper):
    """The running mean of ``hinge``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> Hinge()([[0.0, 1.0]], [[0.5, 0.5]])
    array(1., dtype=float32)
    """

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(fn=hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class SquaredHinge(MeanMetricWrapper):
    """The running mean of ``squared_hinge``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> SquaredHinge()([[0.0, 1.0]], [[0.5, 0.5]])
    array(1.25, dtype=float32)
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(fn=squared_hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class CategoricalHinge(MeanMetricWrapper):
    """The running mean of ``categorical_hinge``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> CategoricalHinge()([[0.0, 1.0]], [[0.2, 0.8]])
    array(0.39999998, dtype=float32)
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(fn=categorical_hinge, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}
