"""Accuracy metrics: how often predictions match the labels.

Each metric is the running mean (``MeanMetricWrapper``) of a per-sample match function that is
also public (``binary_accuracy``, ``categorical_accuracy``, ...), with Keras 3's rules for label
shapes: a trailing size-1 axis on the labels is squeezed, one-hot labels are reduced with argmax,
and the top-k metrics count a label as found when its score is at least the k-th largest score.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.metrics._utils import squeeze_or_expand_to_same_rank, to_numpy
from scratchdl.metrics.reduction_metrics import MeanMetricWrapper

__all__ = [
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
]


def accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where ``y_true == y_pred`` (labels cast to the predictions' dtype), else 0.0.

    >>> accuracy([[1], [2], [3]], [[0], [2], [3]])
    array([[0.],
           [1.],
           [1.]], dtype=float32)
    """
    y_pred = to_numpy(y_pred)
    y_true = to_numpy(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return np.equal(y_true, y_pred).astype(backend.floatx())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """1.0 where ``(y_pred > threshold) == y_true``, else 0.0.

    >>> binary_accuracy([1, 1, 0, 0], [0.98, 1.0, 0.0, 0.6])
    array([1., 1., 1., 0.], dtype=float32)
    """
    y_pred = to_numpy(y_pred)
    y_true = to_numpy(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    # Keras turns the threshold into a float32 scalar before comparing.
    predicted = (y_pred > np.float32(threshold)).astype(y_true.dtype)
    return np.equal(y_true, predicted).astype(backend.floatx())


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` over the last axis, else 0.0.

    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    array([0., 1.], dtype=float32)
    """
    y_true = np.argmax(to_numpy(y_true), axis=-1)
    y_pred = to_numpy(y_pred)
    y_true = y_true.astype(y_pred.dtype)
    original_shape = y_true.shape
    reshape_matches = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
        reshape_matches = True
    predicted = np.argmax(y_pred, axis=-1).astype(y_true.dtype)
    matches = np.equal(y_true, predicted).astype(backend.floatx())
    if reshape_matches:
        matches = matches.reshape(original_shape)
    return matches


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1.0 where the integer label equals ``argmax(y_pred)`` over the last axis, else 0.0.

    Labels may carry a trailing size-1 axis: ``(batch,)`` and ``(batch, 1)`` both work.

    >>> sparse_categorical_accuracy([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    array([0., 1.], dtype=float32)
    """
    y_pred = to_numpy(y_pred)
    y_true = to_numpy(y_true, y_pred.dtype)
    original_shape = y_true.shape
    reshape_matches = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
        reshape_matches = True
    predicted = np.argmax(y_pred, axis=-1).astype(y_true.dtype)
    matches = np.equal(y_true, predicted).astype(backend.floatx())
    if reshape_matches:
        matches = matches.reshape(original_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches[..., 0]
    return matches


def _in_top_k(targets: np.ndarray, predictions: np.ndarray, k: int, name: str) -> np.ndarray:
    """Whether each target's score is at least the k-th largest score of its row (ties count)."""
    if predictions.ndim != 2:
        raise ValueError(f"{name}: expected predictions of shape (batch, classes), got "
                         f"{predictions.shape}")
    if targets.shape != predictions.shape[:1]:
        raise ValueError(f"{name}: expected {predictions.shape[0]} labels for predictions of "
                         f"shape {predictions.shape}, got labels of shape {targets.shape}")
    num_classes = predictions.shape[-1]
    if np.any((targets < 0) | (targets >= num_classes)):
        raise ValueError(f"{name}: labels must be in [0, {num_classes}), got values from "
                         f"{targets.min()} to {targets.max()}")
    k = min(int(k), num_classes)  # k >= classes: every label is in the top k
    kth_largest = np.partition(predictions, num_classes - k, axis=-1)[:, num_classes - k]
    target_scores = np.take_along_axis(predictions, targets[:, None], axis=-1)[:, 0]
    return target_scores >= kth_largest


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    """1.0 where the one-hot label's class is among the ``k`` highest scores, else 0.0.

    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    array([0., 1.], dtype=float32)
    """
    y_pred = to_numpy(y_pred)
    y_true = np.argmax(to_numpy(y_true, y_pred.dtype), axis=-1)
    original_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    y_true = y_true.reshape(-1)
    matches = _in_top_k(y_true.astype(np.int64), y_pred, k, "top_k_categorical_accuracy")
    return matches.astype(backend.floatx()).reshape(original_shape)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5,
                                      from_sorted_ids: bool = False) -> np.ndarray:
    """1.0 where the integer label is among the ``k`` highest scores, else 0.0.

    With ``from_sorted_ids=True``, ``y_pred`` holds class ids sorted from the highest score to
    the lowest (shape ``(batch, N)`` with ``N >= k``) and a label matches when it is one of the
    first ``k`` ids.

    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    array([0., 1.], dtype=float32)
    """
    y_pred = to_numpy(y_pred)
    y_true = to_numpy(y_true)
    y_true = y_true.astype(y_pred.dtype if from_sorted_ids else np.int32)
    original_shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    y_true = y_true.reshape(-1)
    if from_sorted_ids:
        matches = np.any(y_true[:, None] == y_pred[:, :k], axis=1)
    else:
        matches = _in_top_k(y_true.astype(np.int64), y_pred, k,
                            "sparse_top_k_categorical_accuracy")
    return matches.astype(backend.floatx()).reshape(original_shape)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels (exact equality).

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = Accuracy()
    >>> m([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    array(0.75, dtype=float32)
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often thresholded predictions (``y_pred > threshold``) match binary labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        threshold: predictions above it count as 1 (default 0.5).

    >>> m = BinaryAccuracy()
    >>> m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    array(0.75, dtype=float32)
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype and threshold."""
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches the argmax of one-hot labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = CategoricalAccuracy()
    >>> m([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    array(0.3, dtype=float32)
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches integer labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = SparseCategoricalAccuracy()
    >>> m([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    array(0.5, dtype=float32)
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    Args:
        k: how many top predictions to look at (default 5).
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    array(0.5, dtype=float32)
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype and k."""
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` highest predictions.

    Args:
        k: how many top predictions to look at (default 5).
        name: the metric's name.
        dtype: the dtype of the result.
        from_sorted_ids: when True, ``y_pred`` holds class ids sorted by decreasing score.

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    array(0.5, dtype=float32)
    """

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None, from_sorted_ids: bool = False) -> None:
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, k (and from_sorted_ids when set)."""
        config: dict[str, Any] = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
