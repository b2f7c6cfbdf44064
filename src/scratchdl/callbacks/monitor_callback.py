"""``MonitorCallback``: the shared base of callbacks that watch one logged quantity.

``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` all ask the same question at the
end of an epoch: did ``logs[monitor]`` improve on the best value so far by more than
``min_delta``? The direction comes from ``mode``: ``'min'``, ``'max'``, or ``'auto'`` (a loss is
minimized; a compiled metric says which way is better through its ``_direction``).

As in Keras 3, the comparison is made in float32 (Keras compares with ``keras.ops.less`` /
``greater``, which turn Python floats into float32 tensors), so two values that differ only
beyond float32 precision count as equal here too.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from scratchdl.callbacks.callback import Callback

__all__ = ["MonitorCallback"]


def _float32(value: Any) -> np.float32:
    return np.float32(value.item() if hasattr(value, "item") else value)


class MonitorCallback(Callback):
    """Base class for callbacks that compare a monitored quantity with its best value so far.

    Args:
        monitor: the logged quantity to watch (``'val_loss'`` by default).
        mode: ``'min'``, ``'max'`` or ``'auto'`` (inferred from the name: losses are minimized,
            compiled metrics follow their direction). An unknown mode warns and becomes ``'auto'``.
        baseline: the initial "best" value (None: the first value seen).
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None,
                 min_delta: float = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best: float | None = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Any = None

    def _set_monitor_op(self) -> None:
        """Choose ``np.less`` or ``np.greater`` from ``mode`` (and the model's metrics)."""
        if self.mode == "min":
            self.monitor_op = np.less
        elif self.mode == "max":
            self.monitor_op = np.greater
        else:
            metric_name = self.monitor.removeprefix("val_")
            if metric_name == "loss":
                self.monitor_op = np.less
            for metric in self._model_metrics():
                if metric.name == metric_name and hasattr(metric, "_direction"):
                    self.monitor_op = np.greater if metric._direction == "up" else np.less
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but scratchdl "
                    "isn't able to automatically determine whether that metric should be maximized "
                    "or minimized. Pass `mode='max'` in order to monitor based on the highest "
                    "metric value, or pass `mode='min'` in order to use the lowest value."
                )
        if self.monitor_op is np.less:
            self.min_delta *= -1

    def _model_metrics(self) -> list[Any]:
        """The individual compiled metrics of the model (those inside a ``CompileMetrics`` too)."""
        found: list[Any] = []
        for metric in getattr(self.model, "metrics", None) or []:
            inner = getattr(metric, "metrics", None)
            if isinstance(inner, (list, tuple)):
                found.extend(inner)
            else:
                found.append(metric)
        return found

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        """Whether ``monitor_value`` beats ``reference_value`` by more than ``min_delta``."""
        if reference_value is None:
            return True
        return bool(self.monitor_op(_float32(monitor_value - self.min_delta), _float32(reference_value)))
