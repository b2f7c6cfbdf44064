"""Losses with Keras 3's names, defaults, reductions and sample-weight semantics.

A loss comes in two forms, as in Keras:

* a **function** ``fn(y_true, y_pred, ...)`` returning one loss per sample (``mean_squared_error``,
  ``categorical_crossentropy``, ...), built on the fused per-sample ops of ``scratchdl.ops``;
* a **class** (``MeanSquaredError()``, ...) whose ``__call__(y_true, y_pred, sample_weight=None)``
  computes the per-sample losses with ``call`` and then weights and reduces them.

Reductions (``reduction=``): ``'sum_over_batch_size'`` (default) and ``'mean'`` divide the weighted
sum by the number of per-sample loss values; ``'sum'`` returns the weighted sum;
``'mean_with_sample_weight'`` divides by the sum of the weights; ``'none'``/``None`` return the
weighted per-sample losses. Sample weights broadcast over the per-sample losses after Keras's rank
fix-up (a trailing axis of length 1 is squeezed or added). ``y_true`` may be a NumPy array;
``y_pred`` is usually a ``Tensor`` and the result is differentiable with respect to it.

>>> loss = MeanSquaredError()
>>> loss(np.array([[0.0, 1.0]]), Tensor([[1.0, 1.0]]))
Tensor(0.5)
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from scratchdl import backend, ops
from scratchdl._loss_reduction import (  # noqa: F401  (REDUCTIONS, reduce_values: still importable here)
    REDUCTIONS, raw_values, reduce_values, reduce_weighted_values, squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from scratchdl._naming import to_snake_case
from scratchdl._serialization import (
    deserialize_object, get_registered_name, get_registered_object, serialize_object,
)
from scratchdl.autograd.tensor import Tensor

__all__ = [
    "Loss", "LossFunctionWrapper", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "MeanSquaredError", "MeanAbsoluteError", "Huber",
    "CosineSimilarity", "KLDivergence", "Hinge", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "mean_squared_error", "mse", "mean_absolute_error", "mae",
    "huber", "cosine_similarity", "kl_divergence", "kld", "hinge", "get", "serialize",
    "deserialize",
]

EPSILON = 1e-7  # keras.config.epsilon()

# ------------------------------------------------------------------------------------- helpers
_name_counts: dict[str, int] = {}


def _auto_name(class_name: str) -> str:
    """Keras's default instance names: ``my_loss``, then ``my_loss_1``, ``my_loss_2``, ..."""
    name = to_snake_case(class_name)
    count = _name_counts.get(name, 0)
    _name_counts[name] = count + 1
    return name if count == 0 else f"{name}_{count}"


def _prediction(y_pred: Any, dtype: Any = None) -> Tensor:
    """``y_pred`` as a float tensor, cast (differentiably) to ``dtype`` when one is given."""
    tensor = y_pred if isinstance(y_pred, Tensor) else Tensor(backend.as_array(y_pred))
    target = np.dtype(dtype) if dtype is not None else (
        None if backend.is_floating(tensor.dtype) else np.dtype(backend.floatx()))
    if target is not None and tensor.dtype != target:
        tensor = ops.cast(tensor, target)
    return tensor


def _target(y_true: Any, dtype: Any) -> Any:
    """``y_true`` cast to ``dtype``: a tensor stays a tensor (so it may carry a gradient)."""
    dtype = np.dtype(dtype)
    if isinstance(y_true, Tensor):
        return y_true if y_true.dtype == dtype else ops.cast(y_true, dtype)
    return backend.as_array(y_true).astype(dtype, copy=False)


# ------------------------------------------------------------------------------ loss functions
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean squared error per sample: ``mean(square(y_true - y_pred), axis=-1)``.

    >>> mean_squared_error(np.array([[0.0, 2.0]]), Tensor([[1.0, 1.0]]))
    Tensor([1.])
    """
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean_squared_error(y_pred, y_true, axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """Mean absolute error per sample: ``mean(abs(y_true - y_pred), axis=-1)``.

    >>> mean_absolute_error(np.array([[0.0, 2.0]]), Tensor([[1.0, 1.0]]))
    Tensor([1.])
    """
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean_absolute_error(y_pred, y_true, axis=-1)


mse = mean_squared_error
mae = mean_absolute_error


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Huber loss per sample: mean over the last axis of ``0.5 d**2`` (``|d| <= delta``) or
    ``delta |d| - 0.5 delta**2`` (elsewhere), with ``d = y_pred - y_true``.

    >>> huber(np.array([[0.0, 0.0]]), Tensor([[0.5, 3.0]]))
    Tensor([1.3125])
    """
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.huber(y_pred, y_true, delta=delta, axis=-1)


def _l2_normalize(x: Any, axis: int) -> Tensor:
    # Keras: x * min(rsqrt(sum(x**2)), 1/eps), i.e. x / max(norm, eps). Taking the max before the
    # square root keeps the gradient finite for an all-zero vector.
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(square_sum, EPSILON * EPSILON)))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Negative cosine similarity per sample: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred))``.

    The result is in [-1, 1]; -1 means the vectors point the same way, and it is 0 when either
    is a zero vector.

    >>> cosine_similarity(np.array([[1.0, 0.0]]), Tensor([[2.0, 0.0]]))
    Tensor([-1.])
    """
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return -ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """Kullback-Leibler divergence per sample: ``sum(y_true * log(y_true / y_pred), axis=-1)``.

    Both are clipped to ``[1e-7, 1]`` first, as in Keras.

    >>> kl_divergence(np.array([[1.0, 0.0]]), Tensor([[0.5, 0.5]]))
    Tensor([0.69314563])
    """
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    return ops.kl_divergence(y_pred, y_true, axis=-1, epsilon=EPSILON)


kld = kl_divergence


def _hinge_labels(y_true: Any) -> Any:
    """Keras converts 0/1 labels to -1/1 (labels already in -1/1, or anything else, stay)."""
    raw = raw_values(y_true)
    if bool(np.all((raw == 0) | (raw == 1))):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Hinge loss per sample: ``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    ``y_true`` should be -1 or 1; 0/1 labels are converted to -1/1 first, as in Keras.

    >>> hinge(np.array([[1.0, 0.0]]), Tensor([[0.5, -2.0]]))
    Tensor([0.25])
    """
    y_pred = _prediction(y_pred)
    y_true = _hinge_labels(_target(y_true, y_pred.dtype))
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Binary cross-entropy, averaged over ``axis``.

    Probabilities (``from_logits=False``) are clipped to ``[1e-7, 1 - 1e-7]`` as in Keras;
    logits go through the stable ``max(x, 0) - x t + log1p(exp(-|x|))``. ``label_smoothing``
    squeezes the labels towards 0.5: ``y_true * (1 - ls) + 0.5 * ls``.

    >>> binary_crossentropy(np.array([[1.0, 0.0]]), Tensor([[0.0, 0.0]]), from_logits=True)
    Tensor([0.6931472])
    """
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        elementwise = ops.binary_cross_entropy_with_logits(y_pred, y_true)
    else:
        elementwise = ops.binary_cross_entropy(y_pred, y_true, epsilon=EPSILON)
    return ops.mean(elementwise, axis=axis)


def _warn_single_class(name: str, y_pred: Tensor) -> None:
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """Categorical cross-entropy per sample between one-hot (or soft) ``y_true`` and ``y_pred``.

    From probabilities (the default) ``y_pred`` is renormalized along ``axis`` and clipped to
    ``[1e-7, 1 - 1e-7]``, as in Keras; with ``from_logits=True`` a stable log-softmax is used.
    ``label_smoothing`` turns the targets into ``y_true * (1 - ls) + ls / num_classes``.

    >>> categorical_crossentropy(np.array([[0.0, 1.0]]), Tensor([[0.5, 0.5]]))
    Tensor([0.6931472])
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_crossentropy: axis must be an int, got {axis!r}")
    y_pred = _prediction(y_pred)
    y_true = _target(y_true, y_pred.dtype)
    _warn_single_class("categorical_crossentropy", y_pred)
    if from_logits:
        return ops.softmax_cross_entropy(y_pred, y_true, axis=axis, label_smoothing=label_smoothing)
    return ops.categorical_cross_entropy(y_pred, y_true, axis=axis,
                                         label_smoothing=label_smoothing, epsilon=EPSILON)


def _class_labels(y_true: Any, y_pred: Tensor, axis: int) -> Any:
    """Integer class labels from ``y_true`` (a trailing/class axis of length 1 is squeezed)."""
    labels = raw_values(y_true)
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and labels.size and not bool(np.all(np.mod(labels, 1) == 0)):
            raise ValueError(
                "sparse_categorical_crossentropy: y_true must hold integer class indices, got "
                f"non-integer values (dtype {labels.dtype})"
            )
        labels = labels.astype(np.int64)
    if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[axis] == 1:
        labels = labels.reshape(labels.shape[:axis % labels.ndim] + labels.shape[axis % labels.ndim + 1:])
    return labels


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:
    """Categorical cross-entropy with integer class indices as ``y_true``.

    ``y_true`` has ``y_pred``'s shape without ``axis`` (or with a length-1 axis there).
    Labels equal to ``ignore_class`` get a loss of 0 (the ``Loss`` class then averages over the
    other entries only). Out-of-range labels raise a ``ValueError``.

    >>> sparse_categorical_crossentropy(np.array([1]), Tensor([[0.5, 0.5]]))
    Tensor([0.6931472])
    """
    y_pred = _prediction(y_pred)
    labels = _class_labels(y_true, y_pred, axis)
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = np.where(valid, labels, 0)
    if from_logits:
        result = ops.softmax_cross_entropy(y_pred, labels, axis=axis)
    else:
        result = ops.categorical_cross_entropy(y_pred, labels, axis=axis, epsilon=EPSILON)
    if valid is not None:
        result = ops.where(valid, result, 0.0)
        try:  # let mask-aware callers (Keras's _keras_mask) average over the valid entries only
            result._keras_mask = valid  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return result


# -------------------------------------------------------------------------------- loss classes
class Loss:
    """Base class of the losses: computes per-sample losses with ``call``, then weights and reduces.

    Args:
        name: the loss's name (default: the snake-case class name, made unique).
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'``, ``'none'`` or None.
        dtype: the dtype the loss is computed in (default ``floatx()``); ``y_true`` and
            ``y_pred`` are cast to it (``y_pred`` differentiably).

    Subclasses implement ``call(y_true, y_pred)`` returning the per-sample losses.
    """

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        self.name = name or _auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_arg = dtype
        self._dtype = np.dtype(dtype or backend.floatx()).name

    @property
    def dtype(self) -> str:
        """The dtype of the loss computation, e.g. ``'float32'``."""
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The weighted, reduced loss (a scalar tensor unless ``reduction`` is ``'none'``)."""
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _prediction(y_pred, self.dtype)
        y_true = self._convert_targets(y_true)
        losses, out_mask = self._call_with_mask(y_true, y_pred)
        if in_mask is not None and out_mask is not None:
            mask = raw_values(in_mask).astype(bool) & raw_values(out_mask).astype(bool)
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self.dtype)

    def _convert_targets(self, y_true: Any) -> Any:
        return _target(y_true, self.dtype)

    def _call_with_mask(self, y_true: Any, y_pred: Tensor) -> tuple[Tensor, Any]:
        losses = self.call(y_true, y_pred)
        if not isinstance(losses, Tensor):
            losses = Tensor(backend.as_array(losses))
        return losses, getattr(losses, "_keras_mask", None)

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        """The per-sample losses (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__}.call is not implemented")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, for ``from_config``."""
        return {"name": self.name, "reduction": self.reduction, "dtype": self._dtype_arg}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Rebuild a loss from ``get_config()``'s dict."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample loss function ``fn(y_true, y_pred, **kwargs)``.

    ``y_true`` and ``y_pred`` first get Keras's rank fix-up (a trailing axis of length 1).
    """

    def __init__(self, fn: Callable[..., Any], reduction: Any = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Tensor) -> Tensor:
        """``fn(y_true, y_pred, **kwargs)`` after the rank fix-up."""
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        """The base config plus the function (by name) and its keyword arguments."""
        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """Rebuild the wrapper; ``fn`` is looked up by its serialized name."""
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A wrapper whose config lists its own arguments instead of the function."""

    _params: tuple[str, ...] = ()

    def get_config(self) -> dict[str, Any]:
        config = Loss.get_config(self)
        config.update({p: getattr(self, p) for p in self._params})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)


class MeanSquaredError(_BuiltinLoss):
    """Mean of the squared errors: ``mean(square(y_true - y_pred), axis=-1)`` per sample.

    >>> MeanSquaredError()(np.array([[0.0, 1.0], [0.0, 0.0]]), Tensor([[1.0, 1.0], [1.0, 0.0]]))
    Tensor(0.5)
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "mean_squared_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """Mean of the absolute errors: ``mean(abs(y_true - y_pred), axis=-1)`` per sample."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "mean_absolute_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class Huber(_BuiltinLoss):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond (see ``huber``)."""

    _params = ("delta",)

    def __init__(self, delta: float = 1.0, reduction: Any = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Any = None) -> None:
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta


class CosineSimilarity(_BuiltinLoss):
    """Negative cosine similarity along ``axis`` (-1 for identical directions)."""

    _params = ("axis",)

    def __init__(self, axis: int = -1, reduction: Any = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: Any = None) -> None:
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis


class KLDivergence(_BuiltinLoss):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)`` per sample."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "kl_divergence",
                 dtype: Any = None) -> None:
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Hinge(_BuiltinLoss):
    """Hinge loss ``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels become -1/1."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "hinge",
                 dtype: Any = None) -> None:
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(_BuiltinLoss):
    """Binary cross-entropy for 0/1 labels, averaged over ``axis`` (see ``binary_crossentropy``).

    As in Keras, 1-D inputs form a single sample (the mean over the last axis), so
    ``reduction`` has nothing left to reduce.

    >>> BinaryCrossentropy(from_logits=True)(np.array([[1.0], [0.0]]), Tensor([[0.0], [0.0]]))
    Tensor(0.6931472)
    """

    _params = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str = "binary_crossentropy",
                 dtype: Any = None) -> None:
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class CategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for one-hot (or soft) labels (see ``categorical_crossentropy``)."""

    _params = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str = "categorical_crossentropy",
                 dtype: Any = None) -> None:
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy for integer labels (see ``sparse_categorical_crossentropy``).

    With ``ignore_class``, entries with that label contribute nothing, and the default reduction
    averages over the remaining entries only (Keras's mask semantics).
    """

    _params = ("from_logits", "ignore_class", "axis")

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: Any = "sum_over_batch_size", axis: int = -1,
                 name: str = "sparse_categorical_crossentropy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def _convert_targets(self, y_true: Any) -> Any:
        return raw_values(y_true)  # labels stay integers

    def _call_with_mask(self, y_true: Any, y_pred: Tensor) -> tuple[Tensor, Any]:
        losses = self.call(y_true, y_pred)
        if self.ignore_class is None:
            return losses, None
        labels = _class_labels(squeeze_or_expand_to_same_rank(y_true, y_pred)[0], y_pred, self.axis)
        return losses, labels != self.ignore_class


# ------------------------------------------------------------------------ lookup and serialization
ALL_OBJECTS: tuple[Any, ...] = (
    Loss, LossFunctionWrapper, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, MeanSquaredError, MeanAbsoluteError, Huber, CosineSimilarity,
    KLDivergence, Hinge, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, mean_squared_error, mean_absolute_error, huber,
    cosine_similarity, kl_divergence, hinge,
)
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
})


def serialize(loss: Any) -> Any:
    """The Keras-style config of a loss instance or function.

    >>> serialize(mean_squared_error)
    {'module': 'builtins', 'class_name': 'function', 'config': 'mean_squared_error', 'registered_name': 'function'}
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return serialize_object(loss, "keras.losses")
    if callable(loss) and not inspect.isclass(loss):
        name = get_registered_name(loss) or getattr(loss, "__name__", None)
        if not name or name == "<lambda>":
            raise ValueError(f"losses.serialize: cannot serialize {loss!r}: it has no name")
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    raise ValueError(f"losses.serialize: expected a Loss instance or a loss function, got {loss!r}")


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a loss from ``serialize``'s output (or a name): a ``Loss`` instance or a function."""
    if config is None:
        return None
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects) or ALL_OBJECTS_DICT.get(config)
        if obj is None:
            raise ValueError(f"Could not interpret loss identifier: {config!r}. Known names: "
                             f"{sorted(ALL_OBJECTS_DICT)}")
        return obj() if inspect.isclass(obj) else obj
    if isinstance(config, Mapping) and config.get("class_name") == "function":
        return deserialize(config.get("config"), custom_objects)
    return deserialize_object(config, ALL_OBJECTS_DICT, "loss", custom_objects)


def get(identifier: Any) -> Any:
    """Resolve a loss: a name, a config dict, a ``Loss`` class or instance, or a function.

    Function names (``'mse'``, ``'categorical_crossentropy'``, ...) give the function; class names
    (``'MeanSquaredError'``) and classes give a default instance; instances and other callables
    are returned as they are; None gives None.

    >>> get("mse") is mean_squared_error
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize(identifier)
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
