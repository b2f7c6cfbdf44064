"""Correlation metrics: running means of the Pearson and concordance correlations along an axis.

Each sample's correlation is computed along ``axis`` (its features), then averaged over samples
like any ``MeanMetricWrapper``. Standard deviations and variances are population ones (ddof 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.metrics._utils import EPSILON, squeeze_or_expand_to_same_rank, to_numpy
from scratchdl.metrics.reduction_metrics import MeanMetricWrapper

__all__ = ["pearson_correlation", "concordance_correlation", "PearsonCorrelation",
           "ConcordanceCorrelation"]


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    y_pred = to_numpy(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(backend.floatx())
    return squeeze_or_expand_to_same_rank(to_numpy(y_true, y_pred.dtype), y_pred)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """``mean(z(y_true) * z(y_pred), axis)`` with ``z`` the standardized values along ``axis``.

    >>> pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])
    array([0.99339914], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true_norm = y_true - np.mean(y_true, axis=axis, keepdims=True)
    y_pred_norm = y_pred - np.mean(y_pred, axis=axis, keepdims=True)
    y_true_norm = y_true_norm / np.std(y_true_norm, axis=axis, keepdims=True)
    y_pred_norm = y_pred_norm / np.std(y_pred_norm, axis=axis, keepdims=True)
    return np.mean(y_true_norm * y_pred_norm, axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """Lin's concordance correlation along ``axis``, with Keras 3's exact formula::

        mean(2 (t - mean(p)) (p - mean(p)) / (var(t) + var(p) + (mean(t) - mean(p))^2 + eps))

    (Keras centres ``y_true`` on the mean of ``y_pred`` in the covariance term; this is kept so
    values match Keras.)

    >>> concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    array([0.99999994], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_true_mean = np.mean(y_true, axis=axis, keepdims=True)
    y_pred_mean = np.mean(y_pred, axis=axis, keepdims=True)
    y_true_var = np.var(y_true - y_true_mean, axis=axis, keepdims=True)
    y_pred_var = np.var(y_pred - y_pred_mean, axis=axis, keepdims=True)
    covar = (y_true - y_pred_mean) * (y_pred - y_pred_mean)
    norm = y_true_var + y_pred_var + np.square(y_true_mean - y_pred_mean)
    return np.mean(2 * covar / (norm + np.asarray(EPSILON, dtype=norm.dtype)), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The running mean of ``pearson_correlation``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        axis: the axis along which each correlation is computed (default -1).

    >>> PearsonCorrelation()([[1.0, 2.0, 3.0]], [[3.0, 2.0, 1.0]])
    array(-0.9999998, dtype=float32)
    """

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype and axis."""
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """The running mean of ``concordance_correlation``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        axis: the axis along which each correlation is computed (default -1).

    >>> ConcordanceCorrelation()([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    array(0.99999994, dtype=float32)
    """

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype and axis."""
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
