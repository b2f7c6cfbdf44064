"""Reduction metrics: ``Sum``, ``Mean`` and ``MeanMetricWrapper`` (a running mean of a function).

Sample weights follow Keras exactly (``reduce_to_samplewise_values``): the weight is squeezed or
expanded to the rank of the values, values with more axes than the weight are first reduced
over the extra axes, the weight is broadcast to the values, and both are then reduced to one
number per sample. ``Mean`` divides the weighted total by the summed weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from scratchdl._serialization import serialize_function
from scratchdl.metrics._utils import (
    broadcast_weight, divide_no_nan, squeeze_or_expand_to_same_rank, to_numpy,
)
from scratchdl.metrics.base import Metric

__all__ = ["Sum", "Mean", "MeanMetricWrapper", "reduce_to_samplewise_values"]


def reduce_to_samplewise_values(values: Any, sample_weight: Any,
                                reduce_fn: Callable[..., np.ndarray], dtype: str,
                                name: str = "metric") -> tuple[np.ndarray, np.ndarray | None]:
    """Weight ``values`` and reduce them (and the weights) to one entry per sample.

    Returns ``(values, sample_weight)``: ``values`` of rank <= 1 (weighted), and the weights
    reduced the same way (or None when no weight was given).

    >>> v, w = reduce_to_samplewise_values([[1.0, 3.0], [5.0, 7.0]], [1.0, 0.0], np.mean, "float32")
    >>> v, w
    (array([2., 0.], dtype=float32), array([1., 0.], dtype=float32))
    """
    values = to_numpy(values, dtype)
    if sample_weight is not None:
        sample_weight = to_numpy(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        # Broadcasting the weight does not change the product, but it does change the weight
        # total that Mean divides by: a scalar weight counts once per sample.
        sample_weight = broadcast_weight(name, sample_weight, values.shape, what="the values")
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


# Modules whose functions are losses (lower is better), as Keras's ``losses.ALL_OBJECTS`` check.
_LOSS_MODULES = ("scratchdl.losses", "scratchdl.metrics.regression_metrics",
                 "scratchdl.metrics.probabilistic_metrics", "scratchdl.metrics.hinge_metrics")


def _is_loss(fn: Any) -> bool:
    """Whether ``fn`` is a loss function or Loss object of scratchdl (cosine similarity is not:
    higher is better)."""
    module = getattr(fn, "__module__", None) if callable(fn) and hasattr(fn, "__name__") else \
        type(fn).__module__
    return module in _LOSS_MODULES and getattr(fn, "__name__", "") != "cosine_similarity"


class Sum(Metric):
    """The (weighted) sum of the given values.

    ``[1, 3, 5, 7]`` sums to 16; with ``sample_weight=[1, 1, 0, 0]`` the sum is 4.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    array(4., dtype=float32)
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add the (weighted) sum of ``values`` to the total."""
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype,
                                                self.name)
        self.total.assign_add(np.sum(values))

    def result(self) -> np.ndarray:
        """The running sum."""
        return np.array(self.total.data, dtype=self.dtype)


class Mean(Metric):
    """The (weighted) mean of the given values: ``total / count``.

    ``[1, 3, 5, 7]`` has mean 4; with ``sample_weight=[1, 1, 0, 0]`` the mean is 2. Values with
    more than one axis are first averaged per sample.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    array(2., dtype=float32)
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Add the weighted values to ``total`` and their weights (or count) to ``count``."""
        if (type(values) is np.ndarray and values.ndim == 0
                and isinstance(sample_weight, (int, float)) and not isinstance(sample_weight, bool)):
            # A scalar with a scalar weight (a model's loss tracker, every step): what the
            # general path below computes for it, without its rank and broadcast checks.
            weight = np.asarray(sample_weight, dtype=self.dtype)
            self.total.assign_add(values.astype(self.dtype, copy=False) * weight)
            self.count.assign_add(weight)
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean,
                                                            self.dtype, self.name)
        self.total.assign_add(values.sum())
        if sample_weight is not None:
            num_samples: Any = sample_weight.sum()
        elif values.ndim >= 1:
            num_samples = values.shape[0]
        else:
            num_samples = 1
        self.count.assign_add(np.asarray(num_samples, dtype=self.dtype))

    def result(self) -> np.ndarray:
        """``total / count`` (0 before any update)."""
        return np.asarray(divide_no_nan(self.total.data, self.count.data), dtype=self.dtype)


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Args:
        fn: a function of NumPy arrays returning one value per sample (or per element).
        name: the metric's name.
        dtype: the dtype of the result.
        **kwargs: keyword arguments passed on to ``fn``.

    >>> def squared(y_true, y_pred):
    ...     return (np.asarray(y_true) - np.asarray(y_pred)) ** 2
    >>> m = MeanMetricWrapper(squared, name="sq")
    >>> m([0.0, 1.0], [1.0, 1.0])
    array(0.5, dtype=float32)
    """

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, dtype=dtype)
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper '{self.name}': fn must be callable, got {fn!r}")
        self._fn = fn
        self._fn_kwargs = kwargs
        if _is_loss(fn):  # a wrapped loss should be minimized (read by EarlyStopping & co.)
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Evaluate ``fn`` on the batch and fold the values into the running mean."""
        values = self._fn(to_numpy(y_true), to_numpy(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        """Name, dtype, the function (stored by name, as Keras) and its keyword arguments."""
        return {**super().get_config(), "fn": serialize_function(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuild the wrapper; the function is found by name among the metric functions and
        the functions registered with ``register_serializable``."""
        config = dict(config)
        if isinstance(config.get("fn"), (str, dict)):
            from scratchdl.metrics import get_function

            config["fn"] = get_function(config["fn"])
        return cls(**config)
