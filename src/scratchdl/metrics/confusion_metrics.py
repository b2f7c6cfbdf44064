"""Metrics built on confusion-matrix counts: TruePositives ... FalseNegatives, Precision, Recall
and AUC.

All of them count, at one or more thresholds, how many (weighted) predictions are true/false
positives/negatives (``_confusion_utils.update_confusion_matrix``); a prediction is positive when
it is strictly above the threshold. ``AUC`` approximates the area under the ROC or PR curve with
a Riemann sum over ``num_thresholds`` evenly spaced thresholds, with Keras's exact formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.metrics import _confusion_utils as cu
from scratchdl.metrics._utils import EPSILON, divide_no_nan, to_numpy
from scratchdl.metrics.base import Metric

__all__ = [
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall",
    "AUC",
]


def _plain(value: Any) -> Any:
    """NumPy arrays and scalars as Python lists and numbers, so configs stay JSON-friendly."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell at one or more thresholds."""

    def __init__(self, confusion_matrix_cond: str, thresholds: Any = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._confusion_matrix_cond = confusion_matrix_cond
        self.init_thresholds = thresholds
        self.thresholds = cu.parse_init_thresholds(thresholds, 0.5, self.name)
        self._thresholds_distributed_evenly = cu.is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                             name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's (weighted) count at every threshold."""
        cu.update_confusion_matrix(
            {self._confusion_matrix_cond: self.accumulator}, y_true, y_pred,
            thresholds=self.thresholds, sample_weight=sample_weight,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly, name=self.name)

    def result(self) -> np.ndarray:
        """The count (a scalar for one threshold, else one count per threshold)."""
        counts = self.accumulator.data
        return np.asarray(counts[0] if len(self.thresholds) == 1 else counts, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype and the thresholds as given."""
        return {**super().get_config(), "thresholds": _plain(self.init_thresholds)}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives: label true and ``y_pred > threshold``.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5).
        name: the metric's name.
        dtype: the dtype of the result.

    >>> TruePositives()([0, 1, 1, 1], [1, 0, 1, 1])
    array(2., dtype=float32)
    """

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(cu.TRUE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives: label false and ``y_pred > threshold``.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5).
        name: the metric's name.
        dtype: the dtype of the result.

    >>> FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1])
    array(2., dtype=float32)
    """

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(cu.FALSE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives: label false and ``y_pred <= threshold``.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5).
        name: the metric's name.
        dtype: the dtype of the result.

    >>> TrueNegatives()([0, 1, 0, 0], [1, 1, 0, 0])
    array(2., dtype=float32)
    """

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(cu.TRUE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives: label true and ``y_pred <= threshold``.

    Args:
        thresholds: a float or list of floats in ``[0, 1]`` (default 0.5).
        name: the metric's name.
        dtype: the dtype of the result.

    >>> FalseNegatives()([0, 1, 1, 1], [0, 1, 0, 0])
    array(2., dtype=float32)
    """

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(cu.FALSE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class _PrecisionRecallBase(Metric):
    """Shared state of Precision and Recall: true positives plus one other count."""

    _other: str = cu.FALSE_POSITIVES
    _other_name: str = "false_positives"

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default_threshold = 0.5 if top_k is None else cu.NEG_INF
        self.thresholds = cu.parse_init_thresholds(thresholds, default_threshold, self.name)
        self._thresholds_distributed_evenly = cu.is_evenly_distributed_thresholds(self.thresholds)
        self.true_positives = self.add_variable(shape=(len(self.thresholds),),
                                                initializer="zeros", name="true_positives")
        other = self.add_variable(shape=(len(self.thresholds),), initializer="zeros",
                                  name=self._other_name)
        setattr(self, self._other_name, other)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's true positives and the other count at every threshold.

        Args:
            y_true: labels (cast to bool), same shape as ``y_pred``.
            y_pred: predictions in ``[0, 1]``.
            sample_weight: optional weights broadcastable to ``y_true``.
        """
        cu.update_confusion_matrix(
            {cu.TRUE_POSITIVES: self.true_positives,
             self._other: getattr(self, self._other_name)},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight, name=self.name)

    def result(self) -> np.ndarray:
        """``tp / (tp + other)`` (0 when empty); a scalar for one threshold."""
        tp = self.true_positives.data
        value = divide_no_nan(tp, tp + getattr(self, self._other_name).data)
        return np.asarray(value[0] if len(self.thresholds) == 1 else value, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, thresholds, top_k and class_id."""
        return {**super().get_config(), "thresholds": _plain(self.init_thresholds),
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecallBase):
    """Precision: ``true_positives / (true_positives + false_positives)``.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a prediction is positive when it
            is above the threshold (default 0.5, or "any kept prediction" with ``top_k``).
        top_k: only the ``top_k`` highest predictions of each row can be positive.
        class_id: compute the metric for this class (column) only.
        name: the metric's name.
        dtype: the dtype of the result.

    >>> Precision()([0, 1, 1, 1], [1, 0, 1, 1])
    array(0.6666667, dtype=float32)
    """

    _other = cu.FALSE_POSITIVES
    _other_name = "false_positives"


class Recall(_PrecisionRecallBase):
    """Recall: ``true_positives / (true_positives + false_negatives)``.

    Args:
        thresholds: a float or list of floats in ``[0, 1]``; a prediction is positive when it
            is above the threshold (default 0.5, or "any kept prediction" with ``top_k``).
        top_k: only the ``top_k`` highest predictions of each row can be positive.
        class_id: compute the metric for this class (column) only.
        name: the metric's name.
        dtype: the dtype of the result.

    >>> Recall()([0, 1, 1, 1], [1, 0, 1, 1])
    array(0.6666667, dtype=float32)
    """

    _other = cu.FALSE_NEGATIVES
    _other_name = "false_negatives"


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """A numerically stable logistic function."""
    exp_neg_abs = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + exp_neg_abs), exp_neg_abs / (1 + exp_neg_abs)).astype(x.dtype)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at evenly spaced thresholds.

    The curve is sampled at ``num_thresholds`` thresholds (``-eps``, ``1/(n-1)``, ...,
    ``1 + eps``); the area is a Riemann sum between consecutive points: the trapezoid rule
    (``'interpolation'``), or the smaller / larger height (``'minoring'`` / ``'majoring'``). For
    the PR curve, ``'interpolation'`` uses Davis & Goadrich's (2006) interpolation of the true and
    false positives rather than of precision.

    Args:
        num_thresholds: how many thresholds to use (> 1; default 200).
        curve: ``'ROC'`` (default), ``'PR'`` or ``'PRGAIN'``.
        summation_method: ``'interpolation'`` (default), ``'minoring'`` or ``'majoring'``.
        name: the metric's name.
        dtype: the dtype of the result.
        thresholds: explicit thresholds in ``[0, 1]`` (then ``num_thresholds`` is their count
            plus 2 for the end points).
        multi_label: treat each column as a separate label and average the per-label AUCs
            (``y_pred`` of shape ``(samples, labels)``); otherwise everything is flattened.
        num_labels: the number of labels with ``multi_label`` (else taken from the first batch).
        label_weights: per-label weights: in the flattened count, or in the average of the
            per-label AUCs with ``multi_label``.
        from_logits: apply a sigmoid to the predictions first.

    >>> m = AUC(num_thresholds=3)
    >>> m([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    array(0.75, dtype=float32)
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        curve_key = str(curve).lower()
        if curve_key not in _CURVES:
            raise ValueError(f"AUC '{self.name}': invalid curve {curve!r}; expected one of "
                             f"'ROC', 'PR', 'PRGAIN'")
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(f"AUC '{self.name}': invalid summation_method {summation_method!r}; "
                             f"expected one of {list(_SUMMATIONS)}")
        self.curve = _CURVES[curve_key]
        self.summation_method = str(summation_method).lower()

        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in cu.to_list(thresholds))
            self.num_thresholds = len(inner) + 2
            self._thresholds_distributed_evenly = cu.is_evenly_distributed_thresholds(
                np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC '{self.name}': num_thresholds must be an integer > 1, got "
                                 f"{num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        # End points just below 0 and just above 1 absorb floating point imprecision.
        self._thresholds = np.array([0.0 - EPSILON] + inner + [1.0 + EPSILON])

        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = (None if label_weights is None
                              else np.asarray(to_numpy(label_weights), dtype=self.dtype))
        self._from_logits = bool(from_logits)
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError(f"AUC '{self.name}': num_labels is only used with "
                                 f"multi_label=True")
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds used, including the two end points."""
        return list(self._thresholds)

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"AUC '{self.name}': y_pred must have rank 2 when "
                                 f"multi_label=True, got shape {tuple(shape)}")
            self._num_labels = int(shape[1])
            variable_shape: tuple[int, ...] = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(variable_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(variable_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, "zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add this batch's confusion counts at every threshold.

        Args:
            y_true: labels (cast to bool), same shape as ``y_pred``.
            y_pred: probabilities in ``[0, 1]`` (logits with ``from_logits=True``).
            sample_weight: optional weights broadcastable to ``y_true``.
        """
        y_pred = to_numpy(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = _sigmoid(y_pred.astype(np.result_type(y_pred.dtype, np.float32)))
        cu.update_confusion_matrix(
            {cu.TRUE_POSITIVES: self.true_positives, cu.TRUE_NEGATIVES: self.true_negatives,
             cu.FALSE_POSITIVES: self.false_positives, cu.FALSE_NEGATIVES: self.false_negatives},
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights, name=self.name)

    def _average_over_labels(self, by_label: np.ndarray) -> np.ndarray:
        if self.label_weights is None:
            return np.mean(by_label)
        return divide_no_nan(np.sum(by_label * self.label_weights), np.sum(self.label_weights))

    def interpolate_pr_auc(self) -> np.ndarray:
        """PR-AUC with Davis & Goadrich's interpolation between thresholds.

        Between thresholds i and i+1 the true positives grow linearly with the predicted
        positives ``p = tp + fp``: ``tp = slope * p + intercept``. Integrating precision
        ``tp / p`` over recall ``tp / (tp + fn)`` along that line gives, per interval,
        ``slope * (dtp + intercept * log(p_i / p_{i+1})) / (tp_{i+1} + fn_{i+1})``.
        """
        n = self.num_thresholds
        tp = self.true_positives.data
        fp = self.false_positives.data
        fn = self.false_negatives.data
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = p[: n - 1] - p[1:]
        prec_slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = np.where((p[: n - 1] > 0) & (p[1:] > 0),
                                divide_no_nan(p[: n - 1], np.maximum(p[1:], 0)),
                                np.ones_like(p[1:]))
        with np.errstate(divide="ignore"):
            log_ratio = np.log(safe_p_ratio)
        pr_auc_increment = divide_no_nan(prec_slope * (dtp + intercept * log_ratio),
                                         np.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._average_over_labels(np.sum(pr_auc_increment, axis=0))
        return np.sum(pr_auc_increment)

    def result(self) -> np.ndarray:
        """The area under the chosen curve (averaged over labels with ``multi_label``)."""
        if self.curve == "PR" and self.summation_method == "interpolation":
            return np.asarray(self.interpolate_pr_auc(), dtype=self.dtype)
        n = self.num_thresholds
        tp = self.true_positives.data
        fp = self.false_positives.data
        tn = self.true_negatives.data
        fn = self.false_negatives.data
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN: precision and recall gains, with Keras's fixes for degenerate counts
            scaling = divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * divide_no_nan(fp, tp)
            recall_gain = np.maximum(np.where(tp == 0.0, 0.0, recall_gain), 0.0)
            precision_gain = np.where(tp == 0.0, 1.0, precision_gain)
            x, y = recall_gain.astype(tp.dtype), precision_gain.astype(tp.dtype)
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[: n - 1], y[1:])
        else:
            heights = np.maximum(y[: n - 1], y[1:])
        riemann_terms = (x[: n - 1] - x[1:]) * heights
        if self.multi_label:
            value = self._average_over_labels(np.sum(riemann_terms, axis=0))
        else:
            value = np.sum(riemann_terms)
        return np.asarray(value, dtype=self.dtype)

    def reset_state(self) -> None:
        """Zero the counts (nothing to do before the first batch of a multi-label AUC)."""
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        """Every constructor argument (explicit thresholds without their end points)."""
        config: dict[str, Any] = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return {**super().get_config(), **config}

