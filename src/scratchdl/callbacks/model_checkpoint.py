"""``ModelCheckpoint``: save the model (or its weights) during training (Keras 3 semantics)."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from scratchdl.callbacks.monitor_callback import MonitorCallback

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Save the model after every epoch (or every ``save_freq`` batches).

    ``filepath`` may hold ``str.format`` fields filled with ``epoch`` (counted from 1), ``batch``
    (with an integer ``save_freq``) and the logged values: ``'ckpt-{epoch:02d}-{val_loss:.2f}.keras'``.

    Args:
        filepath: where to save: a ``.keras`` archive for the whole model, or with
            ``save_weights_only=True`` a weights file (``.weights.safetensors``,
            ``.weights.h5`` or ``.npz``).
        monitor: the logged quantity that decides what "best" means.
        verbose: 1 prints a message at each save decision.
        save_best_only: save only when ``monitor`` improved (a file name without fields is then
            overwritten by each new best model).
        save_weights_only: save only the weights (``model.save_weights``), else ``model.save``.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (see ``MonitorCallback``).
        save_freq: ``'epoch'``, or an integer: save after that many batches.
        initial_value_threshold: the initial "best" value for ``save_best_only``.

    >>> checkpoint = ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)
    """

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None) -> None:
        from scratchdl.saving.saving_api import MODEL_EXTENSIONS, WEIGHTS_EXTENSIONS

        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0
        if save_freq != "epoch" and not (isinstance(save_freq, (int, np.integer)) and not isinstance(save_freq, bool)):
            raise ValueError(
                f"ModelCheckpoint: Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or "
                "integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(WEIGHTS_EXTENSIONS):
                raise ValueError(
                    "ModelCheckpoint: when using `save_weights_only=True`, the filepath "
                    f"provided must end in one of {list(WEIGHTS_EXTENSIONS)}. Received: "
                    f"filepath={self.filepath}"
                )
        elif not self.filepath.endswith(MODEL_EXTENSIONS):
            raise ValueError(
                f"ModelCheckpoint: the filepath provided must end in one of {list(MODEL_EXTENSIONS)} (the model "
                f"archive format). Received: filepath={self.filepath}"
            )

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Save every ``save_freq`` batches (when ``save_freq`` is an integer)."""
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Remember the epoch for batch-level file names."""
        self._current_epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Save at the end of the epoch (when ``save_freq='epoch'``)."""
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch started: batches count from 0
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= int(self.save_freq):
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch: int, logs: dict[str, Any], filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: dict[str, Any] | None) -> None:
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                f"existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, logs, filepath):
            return
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        """``filepath`` with its fields filled in (``epoch`` and ``batch`` counted from 1)."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}') from error
