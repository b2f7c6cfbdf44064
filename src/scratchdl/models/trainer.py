"""The training loop: Keras 3's ``compile``/``fit``/``evaluate``/``predict`` on ``Model``.

One training step (``train_step``) is: forward with ``training=True``; total loss = the weighted
sum of the outputs' compiled losses + every regularization/``add_loss`` penalty (``model.losses``);
backward; ``optimizer.apply`` on the trainable weights (the optimizer then applies each weight's
constraint); metrics updated on NumPy arrays. The logged ``loss`` is, as in Keras 3, the running
mean of the batch losses weighted by batch size; the logged metrics are the metrics' running
states. ``evaluate`` and ``predict`` run without recording the graph (``no_grad``).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl.autograd.capture import CapturedGraph, ReplayMismatch, Tracer
from scratchdl.autograd.mode import no_grad
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import collect_losses, structure_version
from scratchdl.models.compile_utils import CompileLoss, CompileMetrics
from scratchdl.models.data_adapter import (
    EpochIterator, class_weight_to_sample_weights, train_validation_split, unpack_x_y_sample_weight,
)
from scratchdl.models.step_capture import StepCapture

__all__ = ["Trainer"]


def _first_leaf(structure: Any) -> Any:
    if isinstance(structure, (list, tuple)):
        for item in structure:
            leaf = _first_leaf(item)
            if leaf is not None:
                return leaf
        return None
    if isinstance(structure, dict):
        return _first_leaf(list(structure.values()))
    return structure


def _to_numpy(structure: Any) -> Any:
    if isinstance(structure, Tensor):
        return structure.numpy()
    if isinstance(structure, list):
        return [_to_numpy(v) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_to_numpy(v) for v in structure)
    if isinstance(structure, dict):
        return {k: _to_numpy(v) for k, v in structure.items()}
    return structure


def _concatenate(batches: list[Any]) -> Any:
    first = batches[0]
    if isinstance(first, list):
        return [_concatenate([b[i] for b in batches]) for i in range(len(first))]
    if isinstance(first, tuple):
        return tuple(_concatenate([b[i] for b in batches]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _concatenate([b[k] for b in batches]) for k in first}
    return np.concatenate(batches, axis=0)


def _serialize_compile_value(value: Any, kind: str) -> Any:
    from scratchdl import losses, metrics, optimizers

    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_compile_value(v, kind) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_compile_value(v, kind) for k, v in value.items()}
    if kind == "optimizer":
        return optimizers.serialize(value)
    if kind == "loss":
        return losses.serialize(value)
    return metrics.serialize(value)


def _deserialize_compile_value(value: Any, kind: str) -> Any:
    from scratchdl import losses, metrics

    if isinstance(value, dict) and "class_name" in value:
        return losses.deserialize(value) if kind == "loss" else metrics.deserialize(value)
    if isinstance(value, list):
        return [_deserialize_compile_value(v, kind) for v in value]
    if isinstance(value, dict):
        return {k: _deserialize_compile_value(v, kind) for k, v in value.items()}
    return value


class _Untracked:
    """Holds a value out of sight of the Layer base's attribute scan for sub-layers."""

    __slots__ = ("value",)

    def __init__(self, value: Any = None) -> None:
        self.value = value


class Trainer:
    """The training API of ``Model`` (mixed into it; not used on its own)."""

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer: Any = None
        self.loss: Any = None
        self.steps_per_execution = 1
        self.stop_training = False
        self.stop_evaluating = False
        self.stop_predicting = False
        self.history: Any = None
        self._run_eagerly = False
        self._jit_compile = False
        self._compile_loss: CompileLoss | None = None
        self._compile_metrics: CompileMetrics | None = None
        self._loss_tracker: Any = None
        self._compile_config: dict[str, Any] | None = None
        self._initial_epoch: int | None = None
        self._trainable_cache: list[Any] | None = None
        self._flat_layers = _Untracked()
        self._eval_epoch_iterator: EpochIterator | None = None
        self._step_capture = StepCapture()

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: bool | str = "auto",
                auto_scale_loss: bool = True) -> None:
        """Configure the model for training.

        Args:
            optimizer: an optimizer name (``'adam'``, ``'sgd'``, ...) or instance.
            loss: a loss name, function or ``Loss`` instance; or a list (one per output) or a
                dict keyed by output name.
            loss_weights: coefficients of the outputs' losses (a float, list or dict).
            metrics: metrics evaluated without sample weights, e.g. ``['accuracy']``;
                ``'accuracy'`` becomes binary, categorical or sparse categorical accuracy from
                the target and output shapes, as in Keras. Lists of lists or dicts give
                per-output metrics.
            weighted_metrics: metrics weighted by ``sample_weight``/``class_weight``.
            run_eagerly: run every training step eagerly. By default (False), as in Keras, a
                step whose model, loss and data allow it is traced once per batch shape and
                replayed afterwards, skipping the layers' and the engine's Python work with the
                same results (``models/step_capture.py`` lists the conditions); True always runs
                the plain eager step, which is easier to step through in a debugger.
            steps_per_execution: batches run between two batch-level callback calls.
            jit_compile: accepted for Keras compatibility (scratchdl has no compiler; True warns).
            auto_scale_loss: accepted for Keras compatibility (no mixed precision).
        """
        from scratchdl import metrics as metrics_module
        from scratchdl import optimizers

        self.optimizer = optimizers.get(optimizer)
        output_names = getattr(self, "output_names", None)
        self.loss = loss
        self._compile_loss = CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        self._compile_metrics = (CompileMetrics(metrics, weighted_metrics, output_names)
                                 if metrics or weighted_metrics else None)
        if jit_compile is True:
            warnings.warn("compile: scratchdl runs NumPy eagerly; jit_compile=True is ignored", stacklevel=2)
        if not isinstance(steps_per_execution, (int, np.integer)) or steps_per_execution < 1:
            raise ValueError(f"compile: steps_per_execution must be a positive integer, got {steps_per_execution!r}")
        self._jit_compile = False
        self._run_eagerly = bool(run_eagerly)
        self._step_capture = StepCapture()
        self.steps_per_execution = int(steps_per_execution)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.stop_training = False
        self._trainable_cache = None
        self._flat_layers.value = None
        self.compiled = True
        self._compile_config = {
            "optimizer": self.optimizer, "loss": loss, "loss_weights": loss_weights,
            "metrics": metrics, "weighted_metrics": weighted_metrics, "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution, "jit_compile": False,
        }

    @property
    def run_eagerly(self) -> bool:
        """Always effectively True in scratchdl; kept for Keras compatibility."""
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = bool(value)

    @property
    def jit_compile(self) -> bool:
        """Always False: scratchdl has no graph compiler."""
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value: bool) -> None:
        self._jit_compile = False

    def get_compile_config(self) -> dict[str, Any]:
        """The ``compile`` arguments in a JSON-friendly form (``{}`` when not compiled, as Keras)."""
        if not self.compiled or self._compile_config is None:
            return {}
        config = dict(self._compile_config)
        config["optimizer"] = _serialize_compile_value(config["optimizer"], "optimizer")
        config["loss"] = _serialize_compile_value(config["loss"], "loss")
        for key in ("metrics", "weighted_metrics"):
            config[key] = _serialize_compile_value(config[key], "metric")
        return config

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile with ``get_compile_config()``'s output."""
        from scratchdl import optimizers

        config = dict(config)
        if config.get("optimizer") is not None:
            config["optimizer"] = optimizers.get(config["optimizer"])
        config["loss"] = _deserialize_compile_value(config.get("loss"), "loss")
        for key in ("metrics", "weighted_metrics"):
            config[key] = _deserialize_compile_value(config.get(key), "metric")
        self.compile(**config)
        if self.optimizer is not None and getattr(self, "built", False) and not self.optimizer.built:
            self.optimizer.build(self.trainable_weights)

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before calling `{method}()` on model '{self.name}'.")

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self) -> list[Any]:
        """The loss tracker, the compiled metrics and the per-output loss trackers."""
        found: list[Any] = []
        if self.compiled:
            if self._loss_tracker is not None:
                found.append(self._loss_tracker)
            if self._compile_metrics is not None:
                found.append(self._compile_metrics)
            if self._compile_loss is not None:
                found.extend(self._compile_loss.metrics)
        return found

    @property
    def metrics_names(self) -> list[str]:
        """The names of ``metrics`` (``['loss', 'compile_metrics']`` once compiled with metrics)."""
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        """Reset the state of every metric (done at the start of each epoch)."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict[str, Any]:
        """``{name: value}`` for every metric (compiled metrics are listed one by one)."""
        results: dict[str, Any] = {}
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                if metric.built:
                    results.update(metric.result())
            else:
                results[metric.name] = metric.result()
        return results

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, Any]:
        """Update the compiled metrics with one batch and return every metric's value."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Tensor:
        """The total loss: compiled losses (weighted by ``loss_weights``) + ``self.losses``."""
        from scratchdl import ops

        total: Tensor | None = None
        if self._compile_loss is not None:
            if y is None:
                raise ValueError(
                    f"Model '{self.name}': a loss was compiled but no targets `y` were given"
                )
            total = self._compile_loss(y, y_pred, sample_weight)
        layers = self._flat_layers.value
        for penalty in (collect_losses(layers) if layers is not None else self.losses):
            penalty = penalty if penalty.ndim == 0 else ops.sum(penalty)
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        return total

    # ------------------------------------------------------------------ steps
    def _batch_size_of(self, x: Any) -> int:
        leaf = _first_leaf(x)
        shape = getattr(leaf, "shape", None)
        return int(shape[0]) if shape else 1

    def _reset_layer_losses(self) -> None:
        # Losses added during the previous call (activity regularizers, add_loss) must not leak
        # into this step, also for layers this call does not run.
        layers = self._flat_layers.value
        if layers is None:
            self._clear_losses()
        else:
            for layer in layers:
                if layer._losses:  # most are empty: skip Layer.__setattr__ for those
                    layer._losses = []

    def train_step(self, data: Any) -> dict[str, Any]:
        """One optimization step on one batch ``(x, y, sample_weight)``; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._reset_layer_losses()
        capture = self._step_capture
        key = capture.key(self, x, y, sample_weight)
        plan = capture.plans.get(key) if key is not None else None
        if plan is not None:
            logs = self._replay_step(plan, x, y)
            if logs is not None:
                return logs
            capture.plans[key] = None  # the replay disagreed with its trace: stay eager
        tracer = Tracer() if capture.should_trace(self, key) else None
        x_in, y_in = (Tensor(x), Tensor(y)) if tracer is not None else (x, y)  # a trace's data
        with tracer if tracer is not None else contextlib.nullcontext():
            y_pred = self(x_in, training=True)
            if self._flat_layers.value is None:  # flattened once per fit, after the first call built them
                self._flat_layers.value = self._flatten_layers()
            loss = self.compute_loss(x_in, y_in, y_pred, sample_weight, training=True)
        if tracer is not None:
            capture.plans[key] = capture.build(self, tracer, x_in, y_in, y_pred, loss)
        self._loss_tracker.update_state(loss.data, sample_weight=self._batch_size_of(x))
        weights = self._cached_trainable_weights()
        if weights and loss.requires_grad:
            for weight in weights:
                weight.grad = None
            loss.backward()
            self.optimizer.apply([w.grad for w in weights], weights)
        else:
            warnings.warn(f"Model '{self.name}' has no trainable weights that affect the loss.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _cached_trainable_weights(self) -> list[Any]:
        # Kept between steps while the structure stays (train_on_batch and fit reset it).
        if self._trainable_cache is None:
            self._trainable_cache = self.trainable_weights
        return self._trainable_cache

    def _replay_step(self, plan: CapturedGraph, x: np.ndarray,
                     y: np.ndarray) -> dict[str, Any] | None:
        """``train_step`` through a captured step; None when the replay disagrees with its
        trace (nothing has changed then, and the caller runs the step eagerly)."""
        weights = self._cached_trainable_weights()
        if not weights:
            return None
        for weight in weights:
            weight.grad = None
        try:
            outputs = plan.run({"x": x, "y": y})
        except ReplayMismatch:
            return None
        self._step_capture.replays += 1
        self._loss_tracker.update_state(outputs["loss"], sample_weight=self._batch_size_of(x))
        self.optimizer.apply([w.grad for w in weights], weights)
        return self.compute_metrics(x, y, Tensor(outputs["y_pred"]), None)

    def test_step(self, data: Any) -> dict[str, Any]:
        """Loss and metrics on one batch, in inference mode; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        self._reset_layer_losses()
        with no_grad():
            y_pred = self(x, training=False)
            if self._flat_layers.value is None:
                self._flat_layers.value = self._flatten_layers()
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss.data, sample_weight=self._batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs on one batch, in inference mode."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            return self(x, training=False)

    def _get_metrics_result_or_logs(self, logs: dict[str, Any]) -> dict[str, Any]:
        metric_logs = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) == set(metric_logs):
            return metric_logs
        return logs

    def _flatten_metrics_in_order(self, logs: dict[str, Any]) -> Any:
        names: list[str] = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names += [m.name for m in metric.metrics]
            else:
                names.append(metric.name)
        results = [logs[name] for name in names if name in logs]
        results += [logs[key] for key in sorted(logs) if key not in names]
        return results[0] if len(results) == 1 else results

    @staticmethod
    def _should_eval(epoch: int, validation_freq: Any) -> bool:
        if isinstance(validation_freq, (int, np.integer)):
            if validation_freq < 1:
                raise ValueError(f"fit: validation_freq must be >= 1, got {validation_freq}")
            return (epoch + 1) % int(validation_freq) == 0
        if isinstance(validation_freq, (list, tuple, set, range)):
            return (epoch + 1) in validation_freq
        raise ValueError(f"fit: validation_freq must be an int or a list of epochs, got {validation_freq!r}")

    def _callback_list(self, callbacks: Any, verbose: Any, epochs: int, steps: int | None,
                       add_history: bool) -> Any:
        from scratchdl.callbacks import CallbackList

        if isinstance(callbacks, CallbackList):
            return callbacks
        return CallbackList(callbacks, add_history=add_history, add_progbar=verbose != 0, verbose=verbose,
                            epochs=epochs, steps=steps, model=self)

    # ------------------------------------------------------------------ fit / evaluate / predict
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Sequence[Any] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool | str = True,
            class_weight: dict[int, float] | None = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int | Sequence[int] = 1) -> Any:
        """Train the model for ``epochs`` epochs and return its ``History``.

        Args:
            x: input data: an array, a list/dict of arrays (several inputs), or a generator or
                iterable yielding ``(x, y)`` / ``(x, y, sample_weight)`` batches.
            y: targets (arrays, or a list/dict for several outputs); not given with generators.
            batch_size: samples per step (32 by default; the last partial batch is kept).
            epochs: the index of the last epoch (training starts at ``initial_epoch``).
            verbose: 0 silent, 1 (or ``'auto'``) a progress bar, 2 one line per epoch.
            callbacks: ``Callback`` instances (``History`` and the progress bar are added).
            validation_split: the fraction of the (array) data held out, taken from the end.
            validation_data: ``(x_val, y_val)``, ``(x_val, y_val, sample_weight)`` or an iterable.
            shuffle: reshuffle array data every epoch (``'batch'`` shuffles within batches).
            class_weight: ``{class: weight}`` multiplying each sample's loss.
            sample_weight: per-sample (or per-timestep) loss weights.
            initial_epoch: the epoch to start from (to resume training).
            steps_per_epoch: batches per epoch (default: the whole data).
            validation_steps: batches per validation pass (default: all).
            validation_batch_size: batch size for validation (default ``batch_size``).
            validation_freq: validate every n epochs, or at the listed epochs.
        """
        self._assert_compiled("fit")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = train_validation_split((x, y, sample_weight),
                                                                            validation_split)
        val_x = val_y = val_sample_weight = None
        if validation_data is not None:
            val_x, val_y, val_sample_weight = unpack_x_y_sample_weight(validation_data, "Model.fit")
        iterator = EpochIterator(x, y, sample_weight=sample_weight, batch_size=batch_size,
                                 steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                                 class_weight=class_weight, steps_per_execution=self.steps_per_execution,
                                 caller="Model.fit")
        callback_list = self._callback_list(callbacks, verbose, epochs, iterator.num_batches, add_history=True)
        self.stop_training = False
        self._trainable_cache = None
        self._flat_layers.value = None
        self._eval_epoch_iterator = None
        training_logs: dict[str, Any] = {}
        callback_list.on_train_begin()
        initial_epoch = self._initial_epoch or initial_epoch
        train_step = self.train_step
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.on_epoch_begin(epoch)
            logs: dict[str, Any] = {}
            for begin, end, batches in iterator:
                callback_list.on_train_batch_begin(begin)
                for data in batches:
                    logs = train_step(data)
                callback_list.on_train_batch_end(end, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(self._get_metrics_result_or_logs(logs))
            if validation_data is not None and self._should_eval(epoch, validation_freq):
                if self._eval_epoch_iterator is None:
                    self._eval_epoch_iterator = EpochIterator(
                        val_x, val_y, sample_weight=val_sample_weight,
                        batch_size=validation_batch_size or batch_size, steps_per_epoch=validation_steps,
                        shuffle=False, steps_per_execution=self.steps_per_execution,
                        caller="Model.fit")
                val_logs = self.evaluate(val_x, val_y, sample_weight=val_sample_weight,
                                         batch_size=validation_batch_size or batch_size,
                                         steps=validation_steps, callbacks=callback_list,
                                         return_dict=True, _use_cached_eval_dataset=True)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        finalize = getattr(self.optimizer, "finalize_variable_values", None)
        if finalize is not None and epochs > 0 and self.trainable_weights:
            finalize(self.trainable_weights)
        self._eval_epoch_iterator = None
        callback_list.on_train_end(logs=training_logs)
        return self.history

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: int | str = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Sequence[Any] | None = None, return_dict: bool = False,
                 **kwargs: Any) -> Any:
        """The loss and metrics on ``x``/``y``, in inference mode.

        Returns a scalar (loss only), a list ``[loss, metric...]`` in ``metrics_names`` order,
        or a dict with ``return_dict=True``.
        """
        from scratchdl.callbacks.callback_list import pythonify_logs

        self._assert_compiled("evaluate")
        use_cached = kwargs.pop("_use_cached_eval_dataset", False)
        if kwargs:
            raise ValueError(f"evaluate: arguments not recognized: {sorted(kwargs)}")
        if use_cached and self._eval_epoch_iterator is not None:
            iterator = self._eval_epoch_iterator
        else:
            self._flat_layers.value = None
            iterator = EpochIterator(x, y, sample_weight=sample_weight, batch_size=batch_size,
                                     steps_per_epoch=steps, shuffle=False,
                                     steps_per_execution=self.steps_per_execution,
                                     caller="Model.evaluate")
        callback_list = self._callback_list(callbacks, verbose, 1, iterator.num_batches, add_history=False)
        self.stop_evaluating = False
        callback_list.on_test_begin()
        logs: dict[str, Any] = {}
        self.reset_metrics()
        for begin, end, batches in iterator:
            callback_list.on_test_batch_begin(begin)
            for data in batches:
                logs = self.test_step(data)
            callback_list.on_test_batch_end(end, logs)
            if self.stop_evaluating:
                break
        logs = pythonify_logs(self._get_metrics_result_or_logs(logs))
        callback_list.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = "auto",
                steps: int | None = None, callbacks: Sequence[Any] | None = None) -> Any:
        """The model's outputs on ``x`` as NumPy arrays (concatenated over batches)."""
        iterator = EpochIterator(x, batch_size=batch_size, steps_per_epoch=steps, shuffle=False,
                                 steps_per_execution=self.steps_per_execution, caller="Model.predict")
        callback_list = self._callback_list(callbacks, verbose, 1, iterator.num_batches, add_history=False)
        self.stop_predicting = False
        callback_list.on_predict_begin()
        outputs: list[Any] = []
        for begin, end, batches in iterator:
            callback_list.on_predict_batch_begin(begin)
            batch_outputs = None
            for data in batches:
                batch_outputs = _to_numpy(self.predict_step(data))
                outputs.append(batch_outputs)
            callback_list.on_predict_batch_end(end, {"outputs": batch_outputs})
            if self.stop_predicting:
                break
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("predict: the input data produced no batches")
        return _concatenate(outputs)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict[int, float] | None = None, return_dict: bool = False) -> Any:
        """Run one training step on one batch; return its loss (and metrics)."""
        from scratchdl.callbacks.callback_list import pythonify_logs

        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("train_on_batch: pass either sample_weight or class_weight, not both")
            sample_weight = class_weight_to_sample_weights(y, class_weight, "Model.train_on_batch")
        # The cached layer and trainable-weight lists stay valid while no layer gained weights
        # or sub-layers or changed `trainable` since the previous call (walking the layers
        # again costs ~1.5 ms per call for a 3-layer model).
        version = structure_version()
        if getattr(self, "_cache_version", None) != version:
            self._trainable_cache = None
            self._flat_layers.value = None
        self.reset_metrics()
        logs = pythonify_logs(self.train_step((x, y, sample_weight)))
        self._cache_version = structure_version()
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, in inference mode."""
        from scratchdl.callbacks.callback_list import pythonify_logs

        self._assert_compiled("test_on_batch")
        self._flat_layers.value = None
        self.reset_metrics()
        logs = pythonify_logs(self.test_step((x, y, sample_weight)))
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs on one batch as NumPy arrays."""
        return _to_numpy(self.predict_step((x,)))
