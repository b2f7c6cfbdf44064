"""Confusion-matrix counting shared by Precision, Recall, AUC and the count metrics (not public).

For every threshold ``t`` a prediction is positive when ``y_pred > t``. ``update_confusion_matrix``
adds the (weighted) numbers of true/false positives/negatives at every threshold to the given
variables, following ``keras.src.metrics.metrics_utils`` step for step so results match Keras:

* general thresholds: predictions are compared with every threshold at once, a
  ``(thresholds, predictions)`` boolean table;
* evenly spaced thresholds ``[0, 1/(n-1), ..., 1]`` (AUC's default): each prediction falls in
  bucket ``ceil(p * (n - 1)) - 1``, the weighted labels are summed per bucket and a reversed
  cumulative sum gives the count above every threshold, in O(thresholds + predictions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.autograd.tensor import Parameter
from scratchdl.metrics._utils import EPSILON, squeeze_or_expand_to_same_rank, to_numpy

NEG_INF = -1e10  # the threshold used with top_k: every kept prediction is above it

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"
_KEYS = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)


def to_list(value: Any) -> list[Any]:
    """Wrap a scalar in a list; lists, tuples and arrays become lists."""
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, np.ndarray):
        return value.tolist() if value.ndim else [value.item()]
    return [value]


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5,
                          name: str = "metric") -> list[float]:
    """The thresholds as a list, checking that user-given ones lie in ``[0, 1]``."""
    if thresholds is not None:
        invalid = [t for t in to_list(thresholds) if t is None or t < 0 or t > 1]
        if invalid:
            raise ValueError(f"{name}: threshold values must be in [0, 1], got {invalid}")
    return to_list(default_threshold if thresholds is None else thresholds)


def is_evenly_distributed_thresholds(thresholds: Any) -> bool:
    """True when ``thresholds`` is ``[0, 1/(n-1), ..., 1]`` with at least 3 entries."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def filter_top_k(x: np.ndarray, k: int) -> np.ndarray:
    """Keep the ``k`` largest values along the last axis and set the others to ``NEG_INF``."""
    k = min(int(k), x.shape[-1])
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(x.shape, dtype=x.dtype)
    np.put_along_axis(mask, order, 1, axis=-1)
    return x * mask + np.asarray(NEG_INF, dtype=x.dtype) * (1 - mask)


def _add(variable: Parameter, value: np.ndarray) -> None:
    variable.assign(variable.data + value.astype(variable.dtype, copy=False))


def update_confusion_matrix(variables: dict[str, Parameter], y_true: Any, y_pred: Any,
                            thresholds: Any, top_k: int | None = None,
                            class_id: int | None = None, sample_weight: Any = None,
                            multi_label: bool = False, label_weights: Any = None,
                            thresholds_distributed_evenly: bool = False,
                            name: str = "metric") -> None:
    """Add the confusion counts of one batch to ``variables`` (keys ``'tp'``, ``'fp'``, ...).

    Args:
        variables: the variables to update, each of shape ``(thresholds,)`` (or
            ``(thresholds, labels)`` when ``multi_label``).
        y_true: labels, cast to bool.
        y_pred: predictions in ``[0, 1]``, same shape as ``y_true`` (a trailing size-1 axis on
            either side is squeezed or expanded as in Keras).
        thresholds: the thresholds (a list or array).
        top_k: keep only the ``top_k`` largest predictions of each row as candidates.
        class_id: restrict labels and predictions to this class (column).
        sample_weight: weights broadcastable to ``y_true``.
        multi_label: count each label (column) separately instead of flattening.
        label_weights: per-label weights applied while flattening (not with ``multi_label``).
        thresholds_distributed_evenly: use the bucket algorithm (thresholds must be even).
        name: the metric's name, for error messages.
    """
    if multi_label and label_weights is not None:
        raise ValueError(f"{name}: label_weights must be handled by the caller when multi_label "
                         f"is True")
    invalid = [key for key in variables if key not in _KEYS]
    if invalid or not variables:
        raise ValueError(f"{name}: invalid confusion matrix keys {invalid}; expected some of "
                         f"{list(_KEYS)}")
    dtype = next(iter(variables.values())).dtype
    y_true = to_numpy(y_true).astype(dtype)
    y_pred = to_numpy(y_pred).astype(dtype)

    thresholds_with_epsilon = False
    if thresholds_distributed_evenly:
        # AUC pads its thresholds with -eps and 1 + eps: then the lowest bucket counts too.
        thresholds_with_epsilon = bool(thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    thresholds = np.asarray(thresholds, dtype=dtype)

    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"{name}: y_true of shape {y_true.shape} does not match y_pred of "
                         f"shape {y_pred.shape}")
    if sample_weight is not None:
        sample_weight = to_numpy(sample_weight).astype(dtype)[..., None]
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(f"{name}: with class_id, y_pred must have shape (samples, classes), "
                             f"got {y_pred.shape}")
        if not -y_pred.shape[-1] <= class_id < y_pred.shape[-1]:
            raise ValueError(f"{name}: class_id {class_id} is out of range for y_pred of shape "
                             f"{y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    if sample_weight is not None:
        try:
            sample_weight = np.broadcast_to(sample_weight, y_pred.shape)
        except ValueError:
            raise ValueError(f"{name}: sample_weight of shape {sample_weight.shape} cannot be "
                             f"broadcast to y_pred of shape {y_pred.shape}") from None
    if label_weights is not None:
        label_weights = np.broadcast_to(np.asarray(label_weights, dtype=dtype)[None], y_pred.shape)
    if multi_label and y_pred.ndim != 2:
        raise ValueError(f"{name}: multi_label needs y_pred of shape (samples, labels), got "
                         f"{y_pred.shape}")

    if thresholds_distributed_evenly:
        _update_bucketed(variables, y_true, y_pred, len(thresholds), multi_label,
                         sample_weight, label_weights, thresholds_with_epsilon)
    else:
        _update_general(variables, y_true, y_pred, thresholds, multi_label,
                        sample_weight, label_weights)


def _update_general(variables: dict[str, Parameter], y_true: np.ndarray, y_pred: np.ndarray,
                    thresholds: np.ndarray, multi_label: bool, sample_weight: np.ndarray | None,
                    label_weights: np.ndarray | None) -> None:
    """Compare every prediction with every threshold: a ``(thresholds, ...)`` boolean table."""
    weights = sample_weight
    if label_weights is not None:  # only reached without multi_label
        weights = label_weights if weights is None else weights * label_weights
    if multi_label:  # (T, N, L): count per label, summed over samples
        pred_is_pos = y_pred[None] > thresholds[:, None, None]
        label_is_pos = np.broadcast_to(y_true.astype(bool)[None], pred_is_pos.shape)
    else:  # (T, N*L): everything flattened
        pred_is_pos = y_pred.reshape(1, -1) > thresholds[:, None]
        label_is_pos = np.broadcast_to(y_true.reshape(1, -1).astype(bool), pred_is_pos.shape)
        if weights is not None:
            weights = weights.reshape(-1)
    dtype = next(iter(variables.values())).dtype

    def weighted_count(label: np.ndarray, pred: np.ndarray) -> np.ndarray:
        both = np.logical_and(label, pred)
        if weights is None:
            return np.sum(both, axis=1).astype(dtype)
        return np.sum(np.where(both, weights.astype(dtype), 0), axis=1, dtype=dtype)

    conditions = {
        TRUE_POSITIVES: (label_is_pos, pred_is_pos),
        FALSE_NEGATIVES: (label_is_pos, ~pred_is_pos),
        FALSE_POSITIVES: (~label_is_pos, pred_is_pos),
        TRUE_NEGATIVES: (~label_is_pos, ~pred_is_pos),
    }
    for key, variable in variables.items():
        _add(variable, weighted_count(*conditions[key]))


def _update_bucketed(variables: dict[str, Parameter], y_true: np.ndarray, y_pred: np.ndarray,
                     num_thresholds: int, multi_label: bool, sample_weight: np.ndarray | None,
                     label_weights: np.ndarray | None, thresholds_with_epsilon: bool) -> None:
    """Bucket the predictions by threshold, then a reversed cumulative sum per threshold."""
    dtype = y_pred.dtype
    weights: Any = np.asarray(1.0, dtype=dtype)
    if sample_weight is not None:
        weights = sample_weight if multi_label else sample_weight.reshape(-1)
    if label_weights is not None:
        weights = weights * (label_weights if multi_label else label_weights.reshape(-1))
    weights = np.asarray(weights, dtype=dtype)

    y_pred = np.clip(y_pred, 0.0, 1.0)
    y_true = y_true.astype(bool).astype(dtype)
    if not multi_label:
        y_true = y_true.reshape(-1)
        y_pred = y_pred.reshape(-1)
    true_labels = y_true * weights
    false_labels = (1.0 - y_true) * weights
    true_labels, false_labels = np.broadcast_arrays(true_labels, false_labels)

    # A prediction p is above threshold i/(n-1) exactly when i < p * (n - 1), so it belongs to
    # bucket ceil(p * (n - 1)) - 1 (p = 0 falls in bucket -1, below every threshold).
    buckets = np.ceil(y_pred * (np.asarray(num_thresholds, dtype=dtype) - 1)) - 1
    if thresholds_with_epsilon:
        buckets = np.maximum(buckets, 0)  # the first threshold is -eps: every p is above it
    buckets = buckets.astype(np.int64)

    def bucket_sums(values: np.ndarray) -> np.ndarray:
        # Sum ``values`` per bucket (ids outside [0, n) are dropped, as Keras's segment_sum).
        if multi_label:  # (N, L) -> (L, T): one row of buckets per label
            num_labels = values.shape[1]
            ids = buckets + num_thresholds * np.arange(num_labels)[None, :]
            valid = (buckets >= 0) & (buckets < num_thresholds)
            sums = np.bincount(ids[valid], weights=values[valid],
                               minlength=num_thresholds * num_labels)
            return sums.reshape(num_labels, num_thresholds).astype(dtype)
        valid = (buckets >= 0) & (buckets < num_thresholds)
        return np.bincount(buckets[valid], weights=values[valid],
                           minlength=num_thresholds).astype(dtype)

    def above_threshold(bucketed: np.ndarray) -> np.ndarray:
        # C(t_i) = sum of buckets j >= i: a reversed cumulative sum along the threshold axis.
        counts = np.flip(np.cumsum(np.flip(bucketed, axis=-1), axis=-1, dtype=dtype), axis=-1)
        return counts.T if multi_label else counts

    tp = above_threshold(bucket_sums(true_labels))
    fp = above_threshold(bucket_sums(false_labels))
    if TRUE_POSITIVES in variables:
        _add(variables[TRUE_POSITIVES], tp)
    if FALSE_POSITIVES in variables:
        _add(variables[FALSE_POSITIVES], fp)
    if TRUE_NEGATIVES in variables:
        _add(variables[TRUE_NEGATIVES], np.sum(false_labels, axis=0, dtype=dtype) - fp)
    if FALSE_NEGATIVES in variables:
        _add(variables[FALSE_NEGATIVES], np.sum(true_labels, axis=0, dtype=dtype) - tp)
