"""Constrained confusion metrics: the best value of one rate subject to a floor on another.

``SensitivityAtSpecificity(0.9)`` is the highest sensitivity (recall) reachable at any of
``num_thresholds`` evenly spaced thresholds whose specificity is at least 0.9; the other three
swap the roles of sensitivity, specificity, precision and recall. The counts come from the same
confusion-matrix update as AUC (``_confusion_utils``), so results match Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.metrics import _confusion_utils as cu
from scratchdl.metrics._utils import divide_no_nan
from scratchdl.metrics.base import Metric

__all__ = [
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
    "RecallAtPrecision",
]


class _SensitivitySpecificityBase(Metric):
    """Counts tp/fp/tn/fn at ``num_thresholds`` evenly spaced thresholds in ``[0, 1]``."""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': num_thresholds must be an "
                             f"integer > 0, got {num_thresholds}")
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's confusion counts at every threshold.

        Args:
            y_true: labels (cast to bool), same shape as ``y_pred``.
            y_pred: predictions in ``[0, 1]``.
            sample_weight: optional weights broadcastable to ``y_true``.
        """
        cu.update_confusion_matrix(
            {cu.TRUE_POSITIVES: self.true_positives, cu.TRUE_NEGATIVES: self.true_negatives,
             cu.FALSE_POSITIVES: self.false_positives, cu.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id, sample_weight=sample_weight, name=self.name)

    def _rates(self) -> dict[str, np.ndarray]:
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {
            "sensitivity": divide_no_nan(tp, tp + fn),  # = recall
            "specificity": divide_no_nan(tn, tn + fp),
            "precision": divide_no_nan(tp, tp + fp),
        }

    def _max_under_constraint(self, constrained: np.ndarray, dependent: np.ndarray) -> np.ndarray:
        """The largest ``dependent`` over thresholds where ``constrained >= value`` (else 0)."""
        feasible = constrained >= self.value
        return np.asarray(np.max(np.where(feasible, dependent, 0), initial=0), dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype and class_id (subclasses add their own arguments)."""
        return {**super().get_config(), "class_id": self.class_id}


def _check_rate(owner: str, argument: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(f"{owner}: {argument} must be in the range [0, 1], got {value}")


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) among thresholds with specificity >= ``specificity``.

    Args:
        specificity: the required specificity, in ``[0, 1]``.
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: compute the metric for this class (column) only.
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    array(0.5, dtype=float32)
    """

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        _check_rate("SensitivityAtSpecificity", "specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self) -> np.ndarray:
        """The best sensitivity under the specificity floor."""
        rates = self._rates()
        return self._max_under_constraint(rates["specificity"], rates["sensitivity"])

    def get_config(self) -> dict[str, Any]:
        """Adds num_thresholds and specificity."""
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity among thresholds with sensitivity (recall) >= ``sensitivity``.

    Args:
        sensitivity: the required sensitivity, in ``[0, 1]``.
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: compute the metric for this class (column) only.
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = SpecificityAtSensitivity(0.5)
    >>> m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    array(0.6666667, dtype=float32)
    """

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        _check_rate("SpecificityAtSensitivity", "sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self) -> np.ndarray:
        """The best specificity under the sensitivity floor."""
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["specificity"])

    def get_config(self) -> dict[str, Any]:
        """Adds num_thresholds and sensitivity."""
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision among thresholds with recall >= ``recall``.

    Args:
        recall: the required recall, in ``[0, 1]``.
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: compute the metric for this class (column) only.
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = PrecisionAtRecall(0.5)
    >>> m([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    array(0.5, dtype=float32)
    """

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        _check_rate("PrecisionAtRecall", "recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self) -> np.ndarray:
        """The best precision under the recall floor."""
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["precision"])

    def get_config(self) -> dict[str, Any]:
        """Adds num_thresholds and recall."""
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "recall": self.recall}


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall among thresholds with precision >= ``precision``.

    Args:
        precision: the required precision, in ``[0, 1]``.
        num_thresholds: how many evenly spaced thresholds to try (default 200).
        class_id: compute the metric for this class (column) only.
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = RecallAtPrecision(0.8)
    >>> m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    array(0.5, dtype=float32)
    """

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        _check_rate("RecallAtPrecision", "precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def result(self) -> np.ndarray:
        """The best recall under the precision floor."""
        rates = self._rates()
        return self._max_under_constraint(rates["precision"], rates["sensitivity"])

    def get_config(self) -> dict[str, Any]:
        """Adds num_thresholds and precision."""
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "precision": self.precision}
