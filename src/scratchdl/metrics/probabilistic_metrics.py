"""Probabilistic metrics: running means of cross-entropies, KL divergence and Poisson deviance.

The per-sample functions follow the Keras losses of the same names (with the PyTorch backend's
formulas): probabilities are clipped to ``[eps, 1 - eps]`` (and renormalized over the class axis
for the categorical forms) before taking logs; ``from_logits=True`` uses the stable
log-sigmoid / log-softmax forms instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.metrics._utils import EPSILON, squeeze_or_expand_to_same_rank, to_numpy
from scratchdl.metrics.reduction_metrics import Mean, MeanMetricWrapper

__all__ = [
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "kl_divergence", "poisson",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Poisson",
]


def _predictions(y_pred: Any) -> np.ndarray:
    y_pred = to_numpy(y_pred)
    return y_pred if np.issubdtype(y_pred.dtype, np.floating) else y_pred.astype(backend.floatx())


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _clipped_log_probabilities(y_pred: np.ndarray, axis: int) -> np.ndarray:
    """log of the probabilities renormalized over ``axis`` and clipped to ``[eps, 1 - eps]``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        output = y_pred / np.sum(y_pred, axis=axis, keepdims=True)
    return np.log(np.clip(output, EPSILON, 1.0 - EPSILON))


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> np.ndarray:
    """``mean(-(t log p + (1 - t) log(1 - p)), axis)`` with ``p`` clipped to ``[eps, 1 - eps]``.

    With ``from_logits`` the stable form ``max(x, 0) - x t + log(1 + exp(-|x|))`` is used.
    Label smoothing moves the labels towards 0.5: ``t (1 - s) + s / 2``.

    >>> binary_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])
    array([0.6931472], dtype=float32)
    """
    y_pred = _predictions(y_pred)
    y_true = to_numpy(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if y_true.shape != y_pred.shape:
        raise ValueError(f"binary_crossentropy: y_true of shape {y_true.shape} and y_pred of "
                         f"shape {y_pred.shape} must be equal")
    if from_logits:
        values = (np.maximum(y_pred, 0) - y_pred * y_true
                  + np.log1p(np.exp(-np.abs(y_pred))))
    else:
        output = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        # PyTorch clamps each log at -100; the clipping above keeps it far from that.
        values = -(y_true * np.log(output) + (1.0 - y_true) * np.log(1.0 - output))
    return np.mean(values, axis=axis)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> np.ndarray:
    """``-sum(t * log p, axis)`` for probability (or one-hot) labels ``t``.

    Probabilities are renormalized over ``axis`` and clipped; with ``from_logits`` ``log p`` is a
    log-softmax. Label smoothing mixes the labels with the uniform distribution.

    >>> categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])
    array([0.6931472], dtype=float32)
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: axis must be an int, got {axis!r}")
    y_pred = _predictions(y_pred)
    y_true = to_numpy(y_true, y_pred.dtype)
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if y_true.shape != y_pred.shape:
        raise ValueError(f"categorical_crossentropy: y_true of shape {y_true.shape} and y_pred "
                         f"of shape {y_pred.shape} must be equal")
    log_prob = _log_softmax(y_pred, axis) if from_logits else \
        _clipped_log_probabilities(y_pred, axis)
    return -np.sum(y_true * log_prob, axis=axis)


def _sparse_ce_and_mask(y_true: Any, y_pred: Any, from_logits: bool, ignore_class: int | None,
                        axis: int) -> tuple[np.ndarray, np.ndarray | None]:
    y_pred = _predictions(y_pred)
    y_true = to_numpy(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = np.squeeze(y_true, axis=axis)
    class_axis = axis % y_pred.ndim
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]
    if y_true.shape != expected:
        raise ValueError(f"sparse_categorical_crossentropy: expected labels of shape {expected} "
                         f"for y_pred of shape {y_pred.shape}, got {y_true.shape}")
    valid = None
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = np.where(valid, y_true, 0)
    labels = y_true.astype(np.int64)
    num_classes = y_pred.shape[class_axis]
    if np.any((labels < 0) | (labels >= num_classes)):
        raise ValueError(f"sparse_categorical_crossentropy: labels must be in [0, {num_classes}), "
                         f"got values from {labels.min()} to {labels.max()}")
    log_prob = _log_softmax(y_pred, class_axis) if from_logits else \
        _clipped_log_probabilities(y_pred, class_axis)
    picked = np.take_along_axis(log_prob, np.expand_dims(labels, class_axis), axis=class_axis)
    values = -np.squeeze(picked, axis=class_axis)
    if valid is not None:
        values = np.where(valid, values, 0.0).astype(values.dtype)
    return values, valid


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None,
                                    axis: int = -1) -> np.ndarray:
    """``-log p[label]`` for integer labels (a trailing size-1 label axis is squeezed).

    Entries whose label is ``ignore_class`` give 0.

    >>> sparse_categorical_crossentropy([1], [[0.5, 0.5]])
    array([0.6931472], dtype=float32)
    """
    return _sparse_ce_and_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


def kl_divergence(y_true: Any, y_pred: Any) -> np.ndarray:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to ``[eps, 1]``.

    >>> kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])
    array([0.], dtype=float32)
    """
    y_pred = _predictions(y_pred)
    y_true = np.clip(to_numpy(y_true, y_pred.dtype), EPSILON, 1)
    y_pred = np.clip(y_pred, EPSILON, 1)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(p - t * log(p + eps), axis=-1)``.

    >>> poisson([[1.0]], [[1.0]])
    array([0.9999999], dtype=float32)
    """
    y_pred = _predictions(y_pred)
    y_true = to_numpy(y_true, y_pred.dtype)
    epsilon = np.asarray(EPSILON, dtype=y_pred.dtype)
    return np.mean(y_pred - y_true * np.log(y_pred + epsilon), axis=-1)


class KLDivergence(MeanMetricWrapper):
    """The running mean of ``kl_divergence``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> KLDivergence()([[0.5, 0.5]], [[0.5, 0.5]])
    array(0., dtype=float32)
    """

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(fn=kl_divergence, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class Poisson(MeanMetricWrapper):
    """The running mean of ``poisson``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> Poisson()([[1.0]], [[1.0]])
    array(0.9999999, dtype=float32)
    """

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(fn=poisson, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class BinaryCrossentropy(MeanMetricWrapper):
    """The running mean of ``binary_crossentropy``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: smoothing in ``[0, 1]`` applied to the labels.

    >>> BinaryCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]])
    array(0.6931472, dtype=float32)
    """

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0) -> None:
        super().__init__(fn=binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, from_logits and label_smoothing."""
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    """The running mean of ``categorical_crossentropy``.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        from_logits: whether ``y_pred`` holds logits.
        label_smoothing: smoothing in ``[0, 1]`` applied to the labels.
        axis: the class axis (default -1).

    >>> CategoricalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]])
    array(0.6931472, dtype=float32)
    """

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0, axis: int = -1) -> None:
        super().__init__(fn=categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, from_logits, label_smoothing and axis."""
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The running mean of ``sparse_categorical_crossentropy``.

    Entries labelled ``ignore_class`` give 0. As in Keras, they are left out of the mean (their
    weight becomes 0) only when a ``sample_weight`` is passed; without one they count as zeros.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        from_logits: whether ``y_pred`` holds logits.
        ignore_class: a label id to leave out.
        axis: the class axis (default -1).

    >>> SparseCategoricalCrossentropy()([1], [[0.5, 0.5]])
    array(0.6931472, dtype=float32)
    """

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, ignore_class: int | None = None,
                 axis: int = -1) -> None:
        super().__init__(fn=sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis
        self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Fold the batch's cross-entropies into the mean, weighting ignored entries by 0."""
        values, valid = _sparse_ce_and_mask(y_true, y_pred, self.from_logits, self.ignore_class,
                                            self.axis)
        if valid is not None and sample_weight is not None:
            # Keras attaches the mask to the values and Mean applies it to the sample weight
            # only when one is given; without weights ignored entries count as zeros.
            mask, weight = squeeze_or_expand_to_same_rank(valid.astype(self.dtype),
                                                          to_numpy(sample_weight, self.dtype))
            if 0 < weight.ndim < mask.ndim:  # a per-sample weight covers all its positions
                weight = weight.reshape(weight.shape + (1,) * (mask.ndim - weight.ndim))
            sample_weight = weight * mask
        Mean.update_state(self, values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, from_logits, ignore_class and axis."""
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}
