"""``LearningRateScheduler``: set the optimizer's learning rate at the start of every epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from scratchdl.callbacks.callback import Callback

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Call ``schedule(epoch, lr)`` (epoch counted from 0, ``lr`` the current rate) before every
    epoch and give its result to ``model.optimizer.learning_rate``, as Keras 3 does.

    A one-argument ``schedule(epoch)`` works too (it is called that way when the two-argument
    call raises ``TypeError``). Each epoch's logs also get the ``learning_rate``.

    Args:
        schedule: a function returning the new learning rate as a float.
        verbose: 1 prints the rate set at each epoch.

    >>> def scheduler(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.9
    >>> callback = LearningRateScheduler(scheduler)
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer: Any, epoch: int) -> float:
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError(
                f'LearningRateScheduler: the optimizer must have a "learning_rate" attribute, got '
                f"{type(optimizer).__name__}"
            )
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # a schedule of the older one-argument form
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"LearningRateScheduler: the output of the `schedule` function should be a float. "
                f"Got: {learning_rate!r}"
            )
        optimizer.learning_rate = learning_rate
        return float(learning_rate)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Set this epoch's learning rate."""
        learning_rate = self._update_optimizer_lr(self.model.optimizer, epoch)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {learning_rate}.")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Add the current ``learning_rate`` to the epoch's logs."""
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
