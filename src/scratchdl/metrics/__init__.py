"""Stateful metrics with Keras 3's API, plus lookup by name and (de)serialization.

>>> m = get("auc")
>>> m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
>>> round(float(m.result()), 4)
0.75

``get(identifier)`` turns a name (``'mse'``, ``'precision'``, ``'SparseCategoricalAccuracy'``),
a config dict, a class or an instance into a metric. ``resolve_accuracy`` applies Keras's rule
for ``metrics=['accuracy']``: the plain word becomes binary, categorical or sparse categorical
accuracy depending on the target/output shapes (or, when shapes are not known, the loss).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from scratchdl._serialization import (
    deserialize_function, deserialize_object, get_registered_object, serialize_function,
    serialize_object,
)
from scratchdl.metrics._utils import to_snake_case
from scratchdl.metrics.accuracy_metrics import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
    categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from scratchdl.metrics.base import Metric
from scratchdl.metrics.confusion_metrics import (
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
)
from scratchdl.metrics.correlation_metrics import (
    ConcordanceCorrelation, PearsonCorrelation, concordance_correlation, pearson_correlation,
)
from scratchdl.metrics.f_score_metrics import F1Score, FBetaScore
from scratchdl.metrics.hinge_metrics import (
    CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge,
)
from scratchdl.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from scratchdl.metrics.probabilistic_metrics import (
    BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
    SparseCategoricalCrossentropy, binary_crossentropy, categorical_crossentropy, kl_divergence,
    poisson, sparse_categorical_crossentropy,
)
from scratchdl.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from scratchdl.metrics.regression_metrics import (
    CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError,
    cosine_similarity, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error,
)
from scratchdl.metrics.sensitivity_metrics import (
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
)

__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall",
    "AUC", "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
    "RecallAtPrecision", "F1Score", "FBetaScore",
    "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
    "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity",
    "LogCoshError", "R2Score", "PearsonCorrelation", "ConcordanceCorrelation",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "cosine_similarity",
    "pearson_correlation", "concordance_correlation",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge",
    "get", "get_function", "serialize", "deserialize", "resolve_accuracy",
    "ALL_OBJECTS", "ALL_OBJECTS_DICT",
]

ALL_OBJECTS: tuple[type[Metric], ...] = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
    TruePositives,
    ConcordanceCorrelation, PearsonCorrelation,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)

# Class names, their snake-case forms and Keras's short aliases; 'acc' is accepted as well.
ALL_OBJECTS_DICT: dict[str, type[Metric]] = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    "acc": Accuracy,
})

_FUNCTIONS: dict[str, Callable[..., Any]] = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, log_cosh, cosine_similarity,
    pearson_correlation, concordance_correlation,
    binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
    kl_divergence, poisson, hinge, squared_hinge, categorical_hinge,
)}


def get_function(identifier: Any,
                 custom_objects: Mapping[str, Any] | None = None) -> Callable[..., Any]:
    """Return a per-sample metric function from its name or its serialized form.

    ``custom_objects`` and functions registered with ``register_serializable`` are searched
    before the built-in functions.

    >>> get_function("mean_squared_error") is mean_squared_error
    True
    """
    return deserialize_function(identifier, _FUNCTIONS, "metric function", custom_objects)


def serialize(metric: Metric | Callable[..., Any]) -> Any:
    """A JSON-friendly description of a metric or metric function, in Keras 3's layout
    (``{"module": "keras.metrics", "class_name": ..., "config": ..., "registered_name": ...}``).

    >>> serialize(BinaryAccuracy(threshold=0.3))["config"]["threshold"]
    0.3
    """
    if isinstance(metric, Metric):
        return serialize_object(metric, "keras.metrics")
    if callable(metric) and not inspect.isclass(metric):
        return serialize_function(metric)
    raise ValueError(f"metrics.serialize: expected a Metric or a function, got {metric!r}")


def deserialize(config: Any,
                custom_objects: Mapping[str, Any] | None = None) -> Metric | Callable[..., Any]:
    """Rebuild a metric (or metric function) from ``serialize``'s output or a name.

    Keras's own metric configs load too. ``custom_objects`` and registered classes or functions
    take precedence over the built-in ones.

    >>> deserialize(serialize(Precision(thresholds=0.3))).thresholds
    [0.3]
    """
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects)
        if found is None and config in ALL_OBJECTS_DICT:
            found = ALL_OBJECTS_DICT[config]
        if found is None:
            return get_function(config, custom_objects)
        return found() if inspect.isclass(found) else found
    if isinstance(config, Mapping) and config.get("class_name") in ("function", "__lambda__"):
        return get_function(config, custom_objects)
    if isinstance(config, Mapping) and isinstance(config.get("config"), Mapping):
        inner = dict(config["config"])
        if isinstance(inner.get("fn"), (str, Mapping)):  # a MeanMetricWrapper's function
            inner["fn"] = get_function(inner["fn"], custom_objects)
            config = {**config, "config": inner}
    return deserialize_object(config, ALL_OBJECTS_DICT, "metric", custom_objects)


def _lowercase_names() -> list[str]:
    return sorted(name for name in ALL_OBJECTS_DICT if name.islower())


def get(identifier: Any) -> Metric | Callable[..., Any] | None:
    """Resolve ``identifier`` to a metric instance (or a metric function passed through).

    Accepts None, a name (class name, snake-case name or alias: ``'accuracy'``, ``'acc'``,
    ``'binary_accuracy'``, ``'mse'``, ``'mae'``, ``'auc'``, ``'precision'``, ...), a
    ``serialize`` dict, a Metric class (instantiated with defaults), a Metric instance or a
    function. Note that ``get('accuracy')`` is plain ``Accuracy`` (exact equality), as in Keras;
    the compile-time meaning of ``'accuracy'`` comes from ``resolve_accuracy``.

    >>> type(get("sparse_categorical_accuracy")).__name__
    'SparseCategoricalAccuracy'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj: Any = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
        if obj is None:
            raise ValueError(f"metrics.get: could not interpret metric identifier {identifier!r}; "
                             f"known names include {_lowercase_names()}")
    else:
        obj = identifier
    if inspect.isclass(obj):
        if not issubclass(obj, Metric):
            raise ValueError(f"metrics.get: {obj.__name__} is not a Metric subclass")
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"metrics.get: could not interpret metric identifier {identifier!r}")


_BINARY_LOSSES = {"binary_crossentropy", "bce", "binary_focal_crossentropy"}
_SPARSE_LOSSES = {"sparse_categorical_crossentropy", "scce"}
_CATEGORICAL_LOSSES = {"categorical_crossentropy", "cce", "categorical_focal_crossentropy"}


def _loss_key(loss: Any) -> str:
    """A snake-case name for a loss given as a string, function, class or instance."""
    if isinstance(loss, str):
        return loss.lower() if loss.lower() in ("bce", "cce", "scce") else to_snake_case(loss)
    if inspect.isfunction(loss) or inspect.isclass(loss):
        return to_snake_case(loss.__name__)
    fn = getattr(loss, "fn", None)  # a wrapper around a loss function
    if callable(fn) and hasattr(fn, "__name__"):
        return to_snake_case(fn.__name__)
    return to_snake_case(type(loss).__name__)


def resolve_accuracy(loss: Any = None, y_true_shape: Any = None, y_pred_shape: Any = None,
                     name: str = "accuracy") -> Metric:
    """The accuracy metric that ``metrics=['accuracy']`` (or ``'acc'``) stands for.

    With both shapes known this is Keras 3's rule (``compile_utils.get_metric``), which looks
    only at shapes:

    * ``y_pred`` ends in a size-1 axis -> ``BinaryAccuracy``;
    * ``y_true`` has lower rank than ``y_pred``, or ``y_true`` ends in 1 while ``y_pred`` ends in
      more -> ``SparseCategoricalAccuracy``;
    * otherwise -> ``CategoricalAccuracy``.

    Without shapes the loss decides, as older Keras did: binary cross-entropy ->
    ``BinaryAccuracy``, sparse categorical cross-entropy -> ``SparseCategoricalAccuracy``,
    categorical cross-entropy -> ``CategoricalAccuracy``; any other loss raises a ValueError
    asking for the shapes.

    Args:
        loss: the compiled loss (a name, function, class or instance), or None.
        y_true_shape: the shape of the targets, e.g. ``(32,)`` or ``(32, 10)``.
        y_pred_shape: the shape of the model output, e.g. ``(32, 10)``.
        name: the resolved metric's name (the identifier the user wrote).

    >>> type(resolve_accuracy("mse", (32,), (32, 10))).__name__
    'SparseCategoricalAccuracy'
    >>> type(resolve_accuracy("binary_crossentropy")).__name__
    'BinaryAccuracy'
    """
    if (y_true_shape is None) != (y_pred_shape is None):
        raise ValueError(f"resolve_accuracy: give both y_true_shape and y_pred_shape or neither, "
                         f"got y_true_shape={y_true_shape} and y_pred_shape={y_pred_shape}")
    if y_true_shape is not None:
        true_shape, pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
        if not pred_shape:
            raise ValueError(f"resolve_accuracy: y_pred must have at least one axis, got shape "
                             f"{pred_shape}")
        true_last = true_shape[-1] if true_shape else None
        pred_last = pred_shape[-1]
        if pred_last == 1:
            return BinaryAccuracy(name=name)
        if len(true_shape) < len(pred_shape) or (true_last == 1 and pred_last > 1):
            return SparseCategoricalAccuracy(name=name)
        return CategoricalAccuracy(name=name)
    if loss is None:
        raise ValueError("resolve_accuracy: cannot choose between binary, categorical and sparse "
                         "categorical accuracy without a loss or the y_true/y_pred shapes")
    key = _loss_key(loss)
    if key in _BINARY_LOSSES:
        return BinaryAccuracy(name=name)
    if key in _SPARSE_LOSSES:
        return SparseCategoricalAccuracy(name=name)
    if key in _CATEGORICAL_LOSSES:
        return CategoricalAccuracy(name=name)
    raise ValueError(f"resolve_accuracy: the loss {key!r} does not say which accuracy "
                     f"'{name}' means; pass y_true_shape and y_pred_shape")
