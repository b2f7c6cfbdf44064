"""Intersection-over-union metrics for segmentation: IoU, BinaryIoU, MeanIoU and one-hot variants.

Every batch is folded into a ``(num_classes, num_classes)`` confusion matrix (rows: true class,
columns: predicted class, entries: summed sample weights). For class ``c``::

    IoU_c = tp_c / (tp_c + fp_c + fn_c) = cm[c, c] / (row_sum_c + column_sum_c - cm[c, c])

The result is the mean IoU over the target classes that occur at all (classes with an empty
denominator are left out of the mean), exactly as Keras computes it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from scratchdl.metrics._utils import EPSILON, to_numpy
from scratchdl.metrics.base import Metric

__all__ = ["IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "confusion_matrix"]


def confusion_matrix(labels: Any, predictions: Any, num_classes: int, weights: Any = None,
                     dtype: Any = "int32") -> np.ndarray:
    """The ``(num_classes, num_classes)`` matrix of (weighted) counts of (label, prediction) pairs.

    Labels and predictions are 1-D integer class ids in ``[0, num_classes)``.

    >>> confusion_matrix([1, 2, 4], [2, 2, 4], num_classes=5)[1:3]
    array([[0, 0, 1, 0, 0],
           [0, 0, 1, 0, 0]], dtype=int32)
    """
    labels = to_numpy(labels).astype(np.int64).reshape(-1)
    predictions = to_numpy(predictions).astype(np.int64).reshape(-1)
    if labels.shape != predictions.shape:
        raise ValueError(f"confusion_matrix: labels of shape {labels.shape} and predictions of "
                         f"shape {predictions.shape} must have the same number of entries")
    values = None if weights is None else np.broadcast_to(to_numpy(weights), labels.shape)
    counts = np.bincount(labels * num_classes + predictions, weights=values,
                         minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(dtype)


class _IoUBase(Metric):
    """Accumulates the confusion matrix of class ids (optionally argmax of one-hot inputs)."""

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        # An integer dtype by default, as Keras: the matrix holds counts.
        super().__init__(name=name, dtype=dtype or "int")
        self._direction = "up"
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(self.num_classes, self.num_classes),
                                          initializer="zeros", dtype=self.dtype,
                                          name="total_confusion_matrix")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's (weighted) class pairs to the confusion matrix.

        Args:
            y_true: class ids (or one-hot / scores along ``axis`` when ``sparse_y_true=False``).
            y_pred: class ids (or scores along ``axis`` when ``sparse_y_pred=False``).
            sample_weight: optional weights broadcastable to the flattened labels. Pairs with a
                label or prediction outside ``[0, num_classes)``, or with the ignored label,
                are dropped.
        """
        y_true = to_numpy(y_true)
        y_pred = to_numpy(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        y_true = y_true.astype(self.dtype).reshape(-1)
        y_pred = y_pred.astype(self.dtype).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{type(self).__name__} '{self.name}': y_true and y_pred must hold "
                             f"the same number of class ids, got {y_true.size} and {y_pred.size}")
        if sample_weight is None:
            weight = np.ones(y_true.shape, dtype=self.dtype)
        else:
            weight = to_numpy(sample_weight)
            if np.issubdtype(weight.dtype, np.floating) and "int" in self.dtype:
                warnings.warn(
                    f"{type(self).__name__} '{self.name}': float sample_weight with an integer "
                    f"dtype is truncated to integers; pass integer weights or a float dtype",
                    stacklevel=2)
            weight = weight.astype(self.dtype).reshape(-1) if weight.ndim > 1 else \
                weight.astype(self.dtype)
            try:
                weight = np.broadcast_to(weight, y_true.shape)
            except ValueError:
                raise ValueError(f"{type(self).__name__} '{self.name}': sample_weight of shape "
                                 f"{weight.shape} cannot be broadcast to the {y_true.size} "
                                 f"labels") from None
        # Out-of-range ids (and the ignored class) get weight 0 so they never count.
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & \
            (y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        y_true = np.where(keep, y_true, 0)
        y_pred = np.where(keep, y_pred, 0)
        weight = np.where(keep, weight, 0)
        self.total_cm.assign_add(
            confusion_matrix(y_true, y_pred, self.num_classes, weights=weight, dtype=self.dtype))

    def reset_state(self) -> None:
        """Zero the confusion matrix."""
        self.total_cm.assign(np.zeros(self.total_cm.shape, dtype=self.total_cm.dtype))


class IoU(_IoUBase):
    """Mean IoU over chosen classes (``target_class_ids``).

    Args:
        num_classes: the number of classes (the confusion matrix is ``num_classes`` square).
        target_class_ids: the classes whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default int32).
        ignore_class: a label id whose pixels are not counted.
        sparse_y_true: labels are class ids (else argmax along ``axis``).
        sparse_y_pred: predictions are class ids (else argmax along ``axis``).
        axis: the class axis for non-sparse inputs.

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m([0, 0, 1, 1], [0, 1, 0, 1])
    array(0.3333333, dtype=float32)
    """

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = [int(i) for i in target_class_ids]
        if max(target_class_ids) >= num_classes or min(target_class_ids) < 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': target class id "
                             f"{max(target_class_ids)} is out of range [0, {num_classes})")
        self.target_class_ids = target_class_ids

    def result(self) -> np.ndarray:
        """The mean IoU of the target classes present so far (float32, 0 before any update)."""
        cm = self.total_cm.data
        sum_over_row = np.sum(cm, axis=0).astype(self.dtype)
        sum_over_col = np.sum(cm, axis=1).astype(self.dtype)
        true_positives = np.diag(cm).astype(self.dtype)
        # row sum + column sum = 2 tp + fp + fn
        denominator = sum_over_row + sum_over_col - true_positives
        ids = np.asarray(self.target_class_ids, dtype=np.int64)
        denominator = denominator[ids].astype(np.float32)
        true_positives = true_positives[ids].astype(np.float32)
        valid = denominator > 1e-9  # a class that never occurs is left out of the mean
        iou = np.where(valid, true_positives / (denominator + np.float32(EPSILON)), 0.0)
        num_valid = np.sum(valid.astype(np.float32))
        return np.asarray(np.sum(iou, axis=self.axis) / (num_valid + np.float32(EPSILON)),
                          dtype=np.float32)

    def get_config(self) -> dict[str, Any]:
        """Every constructor argument."""
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1.

    Args:
        target_class_ids: which of the classes 0 and 1 to average (default both).
        threshold: the decision threshold (default 0.5; ``y_pred >= threshold`` is class 1).
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default int32).

    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    array(0.33333334, dtype=float32)
    """

    def __init__(self, target_class_ids: Any = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Threshold the predictions, then count as IoU does."""
        y_pred = to_numpy(y_pred, np.float32) >= self.threshold
        super().update_state(to_numpy(y_true), y_pred.astype(self.dtype), sample_weight)

    def get_config(self) -> dict[str, Any]:
        """target_class_ids, threshold, name and dtype."""
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """Mean IoU over all ``num_classes`` classes (those that occur).

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default int32).
        ignore_class: a label id whose pixels are not counted.
        sparse_y_true: labels are class ids (else argmax along ``axis``).
        sparse_y_pred: predictions are class ids (else argmax along ``axis``).
        axis: the class axis for non-sparse inputs.

    >>> m = MeanIoU(num_classes=2)
    >>> m([0, 0, 1, 1], [0, 1, 0, 1])
    array(0.33333334, dtype=float32)
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        """Every constructor argument."""
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU over chosen classes for one-hot labels (argmax along ``axis``).

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoU is averaged.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default int32).
        ignore_class: a label id whose pixels are not counted.
        sparse_y_pred: predictions are class ids (default False: scores, argmax taken).
        axis: the class axis.

    >>> m = OneHotIoU(num_classes=2, target_class_ids=[1])
    >>> m([[1, 0], [0, 1], [0, 1]], [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    array(0.49999994, dtype=float32)
    """

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        """Every constructor argument."""
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """Mean IoU over all classes for one-hot labels (argmax along ``axis``).

    Args:
        num_classes: the number of classes.
        name: the metric's name.
        dtype: the dtype of the confusion matrix (default int32).
        ignore_class: a label id whose pixels are not counted.
        sparse_y_pred: predictions are class ids (default False: scores, argmax taken).
        axis: the class axis.

    >>> m = OneHotMeanIoU(num_classes=2)
    >>> m([[1, 0], [0, 1], [0, 1]], [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    array(0.5, dtype=float32)
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        """Every constructor argument."""
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
