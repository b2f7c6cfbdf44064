"""What ``compile(loss=..., metrics=...)`` turns into: one loss and metric list per model output.

``CompileLoss`` resolves the user's ``loss`` (one for all outputs, a list per output or a dict by
output name), applies ``loss_weights``, sums the weighted per-output losses into the total, and
tracks each output's (unweighted) loss as ``'<output>_loss'`` when there are several.
``CompileMetrics`` does the same for ``metrics`` and ``weighted_metrics`` and names the results
as Keras does (``'accuracy'`` for a single output, ``'<output>_accuracy'`` for several).
Both are built on the first batch, when the target and prediction shapes are known (which is
how ``'accuracy'`` picks binary, categorical or sparse categorical accuracy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import losses as losses_module
from scratchdl import metrics as metrics_module
from scratchdl.autograd.tensor import Tensor

__all__ = ["CompileLoss", "CompileMetrics", "get_loss", "get_metric"]


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(np.shape(value.data if isinstance(value, Tensor) else value))


def _is_binary_or_sparse(y_true: Any, y_pred: Any) -> tuple[bool, bool]:
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    true_last = true_shape[-1] if true_shape else None
    pred_last = pred_shape[-1] if pred_shape else None
    is_binary = pred_last == 1
    is_sparse = len(true_shape) < len(pred_shape) or (true_last == 1 and pred_last is not None and pred_last > 1)
    return is_binary, is_sparse


def _object_name(obj: Any) -> str:
    if hasattr(obj, "name") and isinstance(obj.name, str):
        return obj.name
    return getattr(obj, "__name__", type(obj).__name__)


def get_loss(identifier: Any, y_true: Any, y_pred: Any) -> Any:
    """Resolve one output's loss to a ``Loss`` object (``'crossentropy'``/``'ce'`` by shapes)."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _is_binary_or_sparse(y_true, y_pred)
        if is_binary:
            loss = losses_module.binary_crossentropy
        elif is_sparse:
            loss = losses_module.sparse_categorical_crossentropy
        else:
            loss = losses_module.categorical_crossentropy
    else:
        loss = losses_module.get(identifier)
    if not isinstance(loss, losses_module.Loss):
        name = identifier if isinstance(identifier, str) else _object_name(loss)
        loss = losses_module.LossFunctionWrapper(loss, name=name)
    return loss


def get_metric(identifier: Any, y_true: Any, y_pred: Any) -> Any:
    """Resolve one metric identifier for one output (``'accuracy'`` by Keras's shape rule)."""
    if identifier is None:
        raise ValueError("compile: a metric is None; remove it from the metrics list")
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        metric = metrics_module.resolve_accuracy(y_true_shape=_shape(y_true),
                                                 y_pred_shape=_shape(y_pred), name=identifier)
    else:
        metric = metrics_module.get(identifier)
    name = identifier if isinstance(identifier, str) else _object_name(metric)
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric


def _flatten_outputs(y_pred: Any, output_names: Sequence[str] | None) -> tuple[list[Any], list[Any], bool]:
    """Flat predictions, their names and whether the predictions came as a dict."""
    if isinstance(y_pred, dict):
        if output_names and set(y_pred) == set(output_names):
            keys = list(output_names)
        else:
            keys = sorted(y_pred)
        return [y_pred[k] for k in keys], keys, True
    if isinstance(y_pred, (list, tuple)):
        names = list(output_names) if output_names and len(output_names) == len(y_pred) else [None] * len(y_pred)
        return list(y_pred), names, False
    names = [output_names[0]] if output_names and len(output_names) == 1 else [None]
    return [y_pred], names, False


def _match_targets(y: Any, names: list[Any], what: str) -> list[Any]:
    """Targets (or sample weights) aligned with the flat outputs."""
    count = len(names)
    if isinstance(y, dict):
        missing = [n for n in names if n not in y]
        if missing:
            raise ValueError(
                f"{what}: a dict must have one entry per model output {names}; missing {missing}, "
                f"got keys {sorted(y)}"
            )
        return [y[n] for n in names]
    if isinstance(y, (list, tuple)):
        if len(y) == count:
            return list(y)
        if count == 1:
            return [y[0] if len(y) == 1 else y]
        raise ValueError(f"{what}: expected {count} arrays (one per model output {names}), got {len(y)}")
    if count != 1:
        raise ValueError(f"{what}: the model has {count} outputs {names}; pass a list or dict of {count} arrays")
    return [y]


def _flatten_batch(y_true: Any, y_pred: Any, sample_weight: Any,
                   output_names: Sequence[str] | None) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """A batch's targets, predictions and sample weights as one entry per model output, and the
    outputs' names; one sample-weight array (not a list or dict) serves every output."""
    flat_pred, names, _ = _flatten_outputs(y_pred, output_names)
    flat_true = _match_targets(y_true, names, "Targets y")
    if sample_weight is not None and isinstance(sample_weight, (list, tuple, dict)):
        flat_weights = _match_targets(sample_weight, names, "sample_weight")
    else:
        flat_weights = [sample_weight] * len(names)
    return flat_true, flat_pred, flat_weights, names


def _per_output(spec: Any, names: list[Any], argument: str) -> list[Any]:
    """Spread a compile argument (one value, a list per output, a dict by name) over the outputs."""
    count = len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(
                f"compile: `{argument}` has keys {unknown} that are not model outputs; the "
                f"outputs are {names}"
            )
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) == count:
            return list(spec)
        if count == 1:
            return [list(spec)]
        raise ValueError(
            f"compile: `{argument}` has {len(spec)} entries but the model has {count} outputs "
            f"{names}; give one entry per output (or a dict keyed by output name)"
        )
    return [spec] * count


class CompileLoss:
    """The total training loss: the (weighted) sum of one loss per model output.

    Args:
        loss: a loss for every output, a list (one per output) or a dict keyed by output name;
            each entry is a name, function or ``Loss`` instance (or None for no loss).
        loss_weights: a float, a list or a dict of scalar coefficients for the outputs' losses.
        output_names: the model's output names (functional models), used by dict arguments.
    """

    def __init__(self, loss: Any, loss_weights: Any = None, output_names: Sequence[str] | None = None) -> None:
        if loss_weights is not None and not isinstance(loss_weights, (list, tuple, dict, float, int)):
            raise ValueError(
                "compile: `loss_weights` must be a float (one output) or a list or dict, got "
                f"{type(loss_weights).__name__}: {loss_weights!r}"
            )
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.output_names = list(output_names) if output_names else None
        self.built = False
        self.metrics: list[Any] = []
        self._entries: list[tuple[int, list[Any], float | None, str]] = []

    def build(self, y_true: Any, y_pred: Any) -> None:
        """Resolve each output's loss from the first batch's targets and predictions."""
        flat_pred, names, _ = _flatten_outputs(y_pred, self.output_names)
        flat_true = _match_targets(y_true, names, "Targets y")
        specs = _per_output(self._user_loss, names, "loss")
        weights = self._user_loss_weights
        if isinstance(weights, (int, float)) and not isinstance(weights, bool):
            weights = [float(weights)] * len(names)
        weight_list = _per_output(weights, names, "loss_weights") if weights is not None else [None] * len(names)
        self._entries = []
        for index, (spec, weight) in enumerate(zip(specs, weight_list)):
            if spec is None:
                continue
            spec_list = spec if isinstance(spec, list) else [spec]
            resolved = [get_loss(s, flat_true[index], flat_pred[index]) for s in spec_list if s is not None]
            if not resolved:
                continue
            name = names[index] if names[index] is not None else resolved[0].name
            self._entries.append((index, resolved, None if weight is None else float(weight), str(name)))
        if not self._entries:
            raise ValueError("compile: every output's loss is None; give at least one loss")
        self.metrics = []
        if len(self._entries) > 1:
            self.metrics = [metrics_module.Mean(name=f"{name}_loss") for *_, name in self._entries]
        self._names = names
        self.built = True

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The weighted sum of the outputs' losses (a scalar tensor)."""
        if not self.built:
            self.build(y_true, y_pred)
        flat_true, flat_pred, flat_weights, names = _flatten_batch(
            y_true, y_pred, sample_weight, self.output_names)
        total: Tensor | None = None
        track = bool(self.metrics)
        for position, (index, loss_fns, weight, _) in enumerate(self._entries):
            y_t, y_p, s_w = flat_true[index], flat_pred[index], flat_weights[index]
            value = loss_fns[0](y_t, y_p, s_w)
            for loss_fn in loss_fns[1:]:
                value = value + loss_fn(y_t, y_p, s_w)
            if track:
                batch = _shape(y_p)[0] if _shape(y_p) else 1
                self.metrics[position].update_state(value.data, sample_weight=batch)
            if weight is not None:
                value = value * weight
            total = value if total is None else total + value
        assert total is not None
        return total

    def reset_state(self) -> None:
        """Reset the per-output loss trackers."""
        for metric in self.metrics:
            metric.reset_state()


class CompileMetrics:
    """The ``metrics`` and ``weighted_metrics`` of ``compile``, per model output.

    Args:
        metrics: metrics evaluated without sample weights: a list (for every output of a single
            output model), a list of lists (one per output) or a dict keyed by output name.
        weighted_metrics: the same, evaluated with ``sample_weight``/``class_weight``.
        output_names: the model's output names.
    """

    name = "compile_metrics"

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: Sequence[str] | None = None) -> None:
        for argument, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, (list, tuple, dict)):
                raise ValueError(
                    f"compile: `{argument}` must be a list, tuple or dict, got "
                    f"{type(value).__name__}: {value!r}"
                )
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        self.output_names = list(output_names) if output_names else None
        self.built = False
        self._flat: list[list[Any]] = []
        self._flat_weighted: list[list[Any]] = []

    @property
    def metrics(self) -> list[Any]:
        """Every resolved metric object (empty before the first batch)."""
        return [m for group in self._flat + self._flat_weighted for m in group]

    def _build_set(self, spec: Any, flat_true: list[Any], flat_pred: list[Any], names: list[Any],
                   argument: str) -> list[list[Any]]:
        count = len(flat_pred)
        if not spec:
            return [[] for _ in range(count)]
        if count == 1:
            items = spec if isinstance(spec, (list, tuple)) else list(spec.values())
            flat_items = [i for item in items for i in (item if isinstance(item, (list, tuple)) else [item])]
            return [[get_metric(m, flat_true[0], flat_pred[0]) for m in flat_items]]
        per_output = _per_output(spec, names, argument)
        groups = []
        for index, entry in enumerate(per_output):
            if entry is None:
                groups.append([])
                continue
            entry_list = entry if isinstance(entry, (list, tuple)) else [entry]
            groups.append([get_metric(m, flat_true[index], flat_pred[index]) for m in entry_list])
        return groups

    def build(self, y_true: Any, y_pred: Any) -> None:
        """Resolve the metrics from the first batch's targets and predictions."""
        flat_pred, names, _ = _flatten_outputs(y_pred, self.output_names)
        flat_true = _match_targets(y_true, names, "Targets y")
        self._names = names
        self._prefixes = [n if (len(names) > 1 and n is not None) else None for n in names]
        self._flat = self._build_set(self._user_metrics, flat_true, flat_pred, names, "metrics")
        self._flat_weighted = self._build_set(self._user_weighted_metrics, flat_true, flat_pred, names,
                                              "weighted_metrics")
        self.built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Fold one batch into every metric (weighted metrics also get ``sample_weight``)."""
        if not self.built:
            self.build(y_true, y_pred)
        flat_true, flat_pred, flat_weights, names = _flatten_batch(
            y_true, y_pred, sample_weight, self.output_names)
        for index, (y_t, y_p) in enumerate(zip(flat_true, flat_pred)):
            group, weighted = self._flat[index], self._flat_weighted[index]
            if not group and not weighted:
                continue
            mask = getattr(y_p, "_keras_mask", None)
            raw = y_p.data if isinstance(y_p, Tensor) else y_p
            mask = None if mask is None else np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            for metric in group:
                metric.update_state(y_t, raw, sample_weight=mask)
            if weighted:
                s_w = flat_weights[index]
                if mask is not None:
                    s_w = mask if s_w is None else _combine(mask, s_w)
                for metric in weighted:
                    metric.update_state(y_t, raw, sample_weight=s_w)

    def reset_state(self) -> None:
        """Reset every metric."""
        for metric in self.metrics:
            metric.reset_state()

    def result(self) -> dict[str, Any]:
        """``{name: value}`` with Keras's names (``'<output>_<metric>'`` for several outputs)."""
        results: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for prefix, group in zip(self._prefixes, self._flat):
            for metric in group:
                name = f"{prefix}_{metric.name}" if prefix else metric.name
                if name not in seen:
                    seen[name] = 1
                else:
                    index = seen[name]
                    seen[name] += 1
                    name = f"{name}_{index}"
                results[name] = metric.result()
        for prefix, group in zip(self._prefixes, self._flat_weighted):
            for metric in group:
                name = f"{prefix}_{metric.name}" if prefix else metric.name
                if name not in seen:
                    seen[name] = 1
                else:
                    name = f"weighted_{metric.name}"
                    if prefix:
                        name = f"{prefix}_{name}"
                    if name not in seen:
                        seen[name] = 1
                    else:
                        index = seen[name]
                        seen[name] += 1
                        name = f"{name}_{index}"
                results[name] = metric.result()
        return results


def _combine(mask: np.ndarray, sample_weight: Any) -> np.ndarray:
    weights = np.asarray(sample_weight, dtype=np.float32)
    mask = mask.astype(np.float32)
    while weights.ndim < mask.ndim:
        weights = weights[..., None]
    return mask * weights
