"""F-scores: ``FBetaScore`` and ``F1Score`` for multi-class / multi-label predictions.

Inputs have shape ``(batch, classes)``. Predictions become 0/1 by ``y_pred > threshold``, or, with
``threshold=None``, by marking each row's maximum (so the score is that of the argmax class).
Per class the metric accumulates (weighted) true positives, false positives, false negatives and
the label total, then::

    precision = tp / (tp + fp + eps)        recall = tp / (tp + fn + eps)
    F_beta    = (1 + beta^2) * precision * recall / (beta^2 * precision + recall + eps)

``average=None`` returns one score per class, ``'macro'`` their mean, ``'weighted'`` their mean
weighted by the label totals, and ``'micro'`` the score of the counts summed over classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.metrics._utils import EPSILON, to_numpy
from scratchdl.metrics.base import Metric

__all__ = ["FBetaScore", "F1Score"]

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score: the weighted harmonic mean of precision and recall.

    Args:
        average: ``None`` (one score per class), ``'micro'``, ``'macro'`` or ``'weighted'``.
        beta: the weight of recall relative to precision (a float > 0; default 1.0).
        threshold: predictions above it count as positive (a float in ``(0, 1]``); None marks
            the largest prediction of each row.
        name: the metric's name.
        dtype: the dtype of the computation and result.

    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...   [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    array([0.3846154 , 0.90909094, 0.8333332 ], dtype=float32)
    """

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        owner = f"{type(self).__name__} '{self.name}'"
        if average not in _AVERAGES:
            raise ValueError(f"{owner}: invalid average {average!r}; expected one of "
                             f"{list(_AVERAGES)}")
        if not isinstance(beta, float):
            raise ValueError(f"{owner}: beta must be a Python float, got {beta!r} of type "
                             f"{type(beta).__name__}")
        if beta <= 0.0:
            raise ValueError(f"{owner}: beta must be > 0, got {beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"{owner}: threshold must be a Python float, got {threshold!r} "
                                 f"of type {type(threshold).__name__}")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(f"{owner}: threshold must satisfy 0 < threshold <= 1, got "
                                 f"{threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis: int | None = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected 2D inputs of shape "
                             f"(batch_size, output_dim), got y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}")
        self._num_classes = int(y_pred_shape[-1])
        shape = () if self.average == "micro" else (self._num_classes,)
        self.true_positives = self.add_variable(shape, "zeros", self.dtype, name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", self.dtype,
                                                 name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", self.dtype,
                                                 name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, "zeros", self.dtype,
                                                      name="intermediate_weights")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate per-class counts from one batch.

        Args:
            y_true: 0/1 labels of shape ``(batch, classes)``.
            y_pred: scores of shape ``(batch, classes)``.
            sample_weight: optional per-sample weights of shape ``(batch,)``.
        """
        y_true = to_numpy(y_true, self.dtype)
        y_pred = to_numpy(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        expected = (y_pred.shape[0] if y_pred.ndim else 0, self._num_classes)
        if y_true.shape != y_pred.shape or y_pred.shape != expected:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected y_true and y_pred of "
                             f"shape (batch_size, {self._num_classes}), got y_true.shape="
                             f"{y_true.shape} and y_pred.shape={y_pred.shape}")
        if self.threshold is None:
            row_max = np.max(y_pred, axis=-1, keepdims=True)
            # A row of zeros must not become all ones: |x| > 1e-9 rather than x != 0.
            predicted = (y_pred >= row_max) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        y_pred = predicted.astype(self.dtype)
        weight = None
        if sample_weight is not None:
            weight = to_numpy(sample_weight, self.dtype)
            if weight.ndim > 1 or (weight.ndim == 1 and weight.shape[0] not in (1, len(y_true))):
                raise ValueError(f"{type(self).__name__} '{self.name}': sample_weight must have "
                                 f"shape ({len(y_true)},), got {weight.shape}")
            weight = weight[..., None] if weight.ndim == 1 else weight

        def weighted_sum(values: np.ndarray) -> np.ndarray:
            if weight is not None:
                values = values * weight
            return np.sum(values, axis=self.axis)

        self.true_positives.assign_add(weighted_sum(y_pred * y_true))
        self.false_positives.assign_add(weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self) -> np.ndarray:
        """The F-beta score(s), averaged as configured (0 before any update)."""
        if not self._built:
            return np.asarray(0.0, dtype=self.dtype) if self.average else np.zeros(
                (0,), dtype=self.dtype)
        tp = self.true_positives.data
        precision = tp / (tp + self.false_positives.data + EPSILON)
        recall = tp / (tp + self.false_negatives.data + EPSILON)
        beta_squared = self.beta**2
        mean = precision * recall / (beta_squared * precision + recall + EPSILON)
        f_score = mean * (1 + beta_squared)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            weights = weights / (np.sum(weights) + EPSILON)
            f_score = np.sum(f_score * weights)
        elif self.average is not None:  # micro (already one number) or macro
            f_score = np.mean(f_score)
        return np.asarray(f_score, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, average, beta and threshold."""
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score: the harmonic mean of precision and recall (``FBetaScore`` with beta 1).

    Args:
        average: ``None`` (one score per class), ``'micro'``, ``'macro'`` or ``'weighted'``.
        threshold: predictions above it count as positive (a float in ``(0, 1]``); None marks
            the largest prediction of each row.
        name: the metric's name.
        dtype: the dtype of the computation and result.

    >>> m = F1Score(threshold=0.5)
    >>> m([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...   [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    array([0.49999997, 0.79999995, 0.66666657], dtype=float32)
    """

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, average and threshold."""
        config = super().get_config()
        del config["beta"]
        return config
