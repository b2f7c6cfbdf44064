"""Regression metrics: running means of per-sample errors, RMSE and the R^2 score.

The per-sample functions average over the last axis, like the Keras losses of the same names
(``mean_squared_error(y_true, y_pred) = mean((y_true - y_pred)^2, axis=-1)``); the metric classes
are their weighted running means. ``RootMeanSquaredError`` is the square root of the running
mean of squared errors (not the mean of per-batch roots).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.metrics._utils import EPSILON, squeeze_or_expand_to_same_rank, to_numpy
from scratchdl.metrics.base import Metric
from scratchdl.metrics.reduction_metrics import Mean, MeanMetricWrapper

__all__ = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "cosine_similarity",
    "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity",
    "LogCoshError", "R2Score",
]


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Predictions as floats (integers become ``floatx``), labels cast to them, ranks aligned."""
    y_pred = to_numpy(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(backend.floatx())
    y_true = to_numpy(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((y_true - y_pred)^2, axis=-1)``.

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(|y_true - y_pred|, axis=-1)``.

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
    array([1.5], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)``.

    >>> mean_absolute_percentage_error([[1.0, 2.0]], [[1.5, 2.0]])
    array([25.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    epsilon = np.asarray(EPSILON, dtype=y_pred.dtype)
    diff = np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), epsilon))
    return 100.0 * np.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1)``.

    >>> mean_squared_logarithmic_error([[0.0]], [[np.e - 1]])
    array([0.99999976], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    epsilon = np.asarray(EPSILON, dtype=y_pred.dtype)
    first_log = np.log(np.maximum(y_pred, epsilon) + 1.0)
    second_log = np.log(np.maximum(y_true, epsilon) + 1.0)
    return np.mean(np.square(first_log - second_log), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably as
    ``x + softplus(-2x) - log(2)``.

    >>> log_cosh([[0.0]], [[0.0]])
    array([0.], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    log2 = np.asarray(np.log(2.0), dtype=y_pred.dtype)
    return np.mean(x + np.logaddexp(np.asarray(0, dtype=x.dtype), -2.0 * x) - log2, axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`` (1 for parallel vectors).

    The L2 normalization is ``x * min(1 / ||x||, 1 / eps)``, so a zero vector stays zero.

    >>> cosine_similarity([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.70710677], dtype=float32)
    """
    y_true, y_pred = _pair(y_true, y_pred)

    def l2_normalize(x: np.ndarray) -> np.ndarray:
        square_sum = np.sum(np.square(x), axis=axis, keepdims=True)
        with np.errstate(divide="ignore"):
            inv_norm = 1.0 / np.sqrt(square_sum)
        return x * np.minimum(inv_norm, np.asarray(1.0 / EPSILON, dtype=x.dtype))

    return np.sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=axis)


class MeanSquaredError(MeanMetricWrapper):
    """The running mean of ``mean_squared_error``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> MeanSquaredError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    array(0.25, dtype=float32)
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The running mean of ``mean_absolute_error``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> MeanAbsoluteError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    array(0.25, dtype=float32)
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The running mean of ``mean_absolute_percentage_error``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> MeanAbsolutePercentageError()([[1.0, 2.0]], [[1.5, 2.0]])
    array(25., dtype=float32)
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_absolute_percentage_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The running mean of ``mean_squared_logarithmic_error``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> MeanSquaredLogarithmicError()([[0.0]], [[np.e - 1]])
    array(0.99999976, dtype=float32)
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(fn=mean_squared_logarithmic_error, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class CosineSimilarity(MeanMetricWrapper):
    """The running mean of ``cosine_similarity`` along ``axis``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        axis: the axis holding the vectors (default -1).

    >>> CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    array(0.49999997, dtype=float32)
    """

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(fn=cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype and axis."""
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class LogCoshError(MeanMetricWrapper):
    """The running mean of ``log_cosh``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> LogCoshError()([[0.0, 0.0]], [[0.0, 0.0]])
    array(0., dtype=float32)
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(fn=log_cosh, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """``sqrt(running mean of squared errors)``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> RootMeanSquaredError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    array(0.5, dtype=float32)
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Fold the squared errors of one batch into the running mean."""
        y_true = to_numpy(y_true, self.dtype)
        y_pred = to_numpy(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> np.ndarray:
        """The square root of the running mean."""
        return np.asarray(np.sqrt(super().result()), dtype=self.dtype)


class R2Score(Metric):
    """The coefficient of determination ``1 - SS_res / SS_tot`` per output, then aggregated.

    Args:
        class_aggregation: ``'uniform_average'`` (default), ``'variance_weighted_average'`` or
            None (one score per output).
        num_regressors: with > 0, the adjusted R^2 for that many regressors.
        name: the metric's name.
        dtype: the dtype of the result.

    >>> R2Score()([[1.0], [4.0], [3.0]], [[2.0], [2.0], [2.0]])
    array(-0.2857145, dtype=float32)
    """

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(f"R2Score '{self.name}': invalid class_aggregation "
                             f"{class_aggregation!r}; expected one of {list(valid)}")
        if num_regressors < 0:
            raise ValueError(f"R2Score '{self.name}': num_regressors must be >= 0, got "
                             f"{num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"R2Score '{self.name}': expected 2D inputs of shape (batch_size, "
                             f"output_dim), got y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}")
        shape = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(shape, "zeros", name="squared_sum")
        self.sum = self.add_variable(shape, "zeros", name="sum")
        self.total_mse = self.add_variable(shape, "zeros", name="residual")
        self.count = self.add_variable(shape, "zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate per-output sums of y, y^2, squared residuals and weights."""
        y_true = to_numpy(y_true, self.dtype)
        y_pred = to_numpy(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if y_true.shape != y_pred.shape or y_true.shape[-1] != self.sum.shape[0]:
            raise ValueError(f"R2Score '{self.name}': expected y_true and y_pred of shape "
                             f"(batch_size, {self.sum.shape[0]}), got {y_true.shape} and "
                             f"{y_pred.shape}")
        weight = np.asarray(1, dtype=self.dtype) if sample_weight is None else \
            to_numpy(sample_weight, self.dtype)
        if weight.ndim == 1:
            weight = weight[:, None]  # one weight per sample, shared by the outputs
        weight = np.broadcast_to(weight, y_true.shape)
        weighted_y_true = y_true * weight
        self.sum.assign_add(np.sum(weighted_y_true, axis=0))
        self.squared_sum.assign_add(np.sum(y_true * weighted_y_true, axis=0))
        self.total_mse.assign_add(np.sum((y_true - y_pred) ** 2 * weight, axis=0))
        self.count.assign_add(np.sum(weight, axis=0))
        self.num_samples.assign_add(y_true.size)

    def result(self) -> np.ndarray:
        """The (adjusted) R^2, aggregated over outputs as configured."""
        if not self._built:
            return np.asarray(0.0, dtype=self.dtype)
        total_sum, count = self.sum.data, self.count.data
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = total_sum / count
            total = self.squared_sum.data - total_sum * mean
            raw_scores = 1 - self.total_mse.data / total
        raw_scores = np.where(np.isinf(raw_scores), 0.0, raw_scores).astype(total.dtype)
        if self.class_aggregation == "uniform_average":
            r2_score = np.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            r2_score = np.sum(total * raw_scores) / np.sum(total)
        else:
            r2_score = raw_scores
        if self.num_regressors != 0:
            num_samples = float(self.num_samples.data)
            if self.num_regressors > num_samples - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. "
                              "Falling back to standard R2 score.", stacklevel=2)
            elif self.num_regressors == num_samples - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard "
                              "R2 score.", stacklevel=2)
            else:
                n, p = np.float32(num_samples), np.float32(self.num_regressors)
                r2_score = 1.0 - (1.0 - r2_score) * (n - 1.0) / (n - p - 1.0)
        return np.asarray(r2_score, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, class_aggregation and num_regressors."""
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
