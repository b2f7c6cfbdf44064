"""``History``: records every epoch's logs; ``fit`` returns it (Keras's ``keras.callbacks.History``)."""

from __future__ import annotations

from typing import Any

from scratchdl.callbacks.callback import Callback

__all__ = ["History"]


class History(Callback):
    """Collects the epoch logs of ``fit``: ``history.history['loss']`` is the list of epoch losses.

    ``history.epoch`` lists the epoch indices; ``history.params`` the run's parameters.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a new list of epochs (the metric lists keep growing across ``fit`` calls)."""
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Append the epoch's values to ``history``."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
