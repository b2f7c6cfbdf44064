"""``ReduceLROnPlateau``: lower the learning rate when a quantity stops improving (Keras 3)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from scratchdl.callbacks.monitor_callback import MonitorCallback

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the optimizer's learning rate by ``factor`` after ``patience`` epochs without
    improvement of ``monitor``, never going below ``min_lr``; then wait ``cooldown`` epochs.

    Every epoch's logs also get the current ``learning_rate``.

    Args:
        monitor: the logged quantity to watch.
        factor: the reduction factor, ``new_lr = lr * factor`` (must be < 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message at each reduction.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (see ``MonitorCallback``).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs after a reduction during which the wait counter stays at 0.
        min_lr: the lower bound of the learning rate.

    >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0,
                 min_lr: float = 0.0, **kwargs: Any) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: a factor >= 1.0 is not supported. Received factor={factor}")
        if kwargs:
            warnings.warn(f"ReduceLROnPlateau: ignoring unknown arguments {sorted(kwargs)}", stacklevel=2)
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def _reduce_optimizer_lr(self, optimizer: Any, epoch: int) -> bool:
        old_lr = float(optimizer.learning_rate)
        # Keras compares with the float32 min_lr, so a rate stored at float32 precision stops there.
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            return True
        return False

    def in_cooldown(self) -> bool:
        """Whether a recent reduction is still cooling down."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Reset the wait and cooldown counters and the best value."""
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Log the learning rate; reduce it when the plateau has lasted ``patience`` epochs."""
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_optimizer_lr(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0
