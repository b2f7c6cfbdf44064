"""``ProgbarLogger``: the progress display of ``fit``/``evaluate``/``predict``.

``verbose=1`` (and ``'auto'``) draws a tqdm progress bar per epoch with the step count, the ETA
and the running loss and metrics (refreshed at most every 0.1 s so the bar costs almost
nothing per step). ``verbose=2`` prints one line per epoch in Keras's format::

    Epoch 1/2
    3/3 - 0s - 6ms/step - accuracy: 0.5250 - loss: 0.7307 - val_accuracy: 0.5000 - val_loss: 0.7297
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from scratchdl.callbacks.callback import Callback

__all__ = ["ProgbarLogger", "format_logs"]

_REFRESH_SECONDS = 0.1


def _format_value(value: Any, signed: bool = True) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{value}"
    magnitude = abs(number) if signed else number
    return f"{number:.4f}" if magnitude > 1e-3 else f"{number:.4e}"


def format_logs(logs: dict[str, Any] | None, signed: bool = True) -> str:
    """``'accuracy: 0.5250 - loss: 0.7307'``: values with 4 decimals (scientific when tiny)."""
    return " - ".join(f"{k}: {_format_value(v, signed)}" for k, v in (logs or {}).items())


def _format_time(seconds_per_unit: float, unit: str = "step") -> str:
    if seconds_per_unit >= 1 or seconds_per_unit == 0:
        return f" {seconds_per_unit:.0f}s/{unit}"
    if seconds_per_unit >= 1e-3:
        return f" {seconds_per_unit * 1e3:.0f}ms/{unit}"
    return f" {seconds_per_unit * 1e6:.0f}us/{unit}"


class ProgbarLogger(Callback):
    """Prints progress and metrics to standard output (added by ``fit`` unless ``verbose=0``)."""

    def __init__(self) -> None:
        super().__init__()
        self.verbose: int = 1
        self.epochs = 1
        self.target: int | None = None
        self.seen = 0
        self._bar: Any = None
        self._called_in_fit = False
        self._start = 0.0
        self._after_first_step: float | None = None
        self._last_refresh = 0.0

    def set_params(self, params: dict[str, Any]) -> None:
        """Read ``verbose`` (``'auto'`` means 1), ``epochs`` and ``steps``."""
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = int(params.get("epochs", 1) or 1)
        self.target = params.get("steps")

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Inside ``fit``, validation passes run without a display of their own."""
        self._called_in_fit = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close any open bar."""
        self._close()
        self._called_in_fit = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Print ``Epoch i/n`` (when there are several epochs) and start the bar."""
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", file=sys.stdout, flush=True)
        self._begin()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Advance the bar."""
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Show the epoch's final values (validation ones included)."""
        self._finish(logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a bar for ``evaluate`` (not for validation inside ``fit``)."""
        if not self._called_in_fit:
            self._begin()

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Advance the ``evaluate`` bar."""
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Show the evaluation's values."""
        if not self._called_in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a bar for ``predict``."""
        self._begin()

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Advance the ``predict`` bar (outputs are not shown)."""
        self._update(batch, None)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close the ``predict`` bar."""
        self._finish(None)

    # ------------------------------------------------------------------ display
    def _begin(self) -> None:
        self._close()
        self.seen = 0
        self._start = time.perf_counter()
        self._after_first_step = None
        self._last_refresh = 0.0
        if self.verbose == 1:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.target, unit="step", file=sys.stdout, leave=True,
                             dynamic_ncols=True, mininterval=_REFRESH_SECONDS)

    def _update(self, batch: int, logs: dict[str, Any] | None) -> None:
        current = batch + 1
        if current == 1:
            self._after_first_step = time.perf_counter()
        step = current - self.seen
        self.seen = current
        if self._bar is not None and step > 0:
            now = time.perf_counter()
            if logs and now - self._last_refresh >= _REFRESH_SECONDS:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)
                self._last_refresh = now
            self._bar.update(step)

    def _seconds_per_step(self, now: float) -> float:
        if not self.seen:
            return 0.0
        if self._after_first_step is not None and self.seen > 1:
            return (now - self._after_first_step) / (self.seen - 1)
        return (now - self._start) / self.seen

    def _finish(self, logs: dict[str, Any] | None) -> None:
        if self.target is None:
            self.target = self.seen
        now = time.perf_counter()
        if self.verbose == 1 and self._bar is not None:
            if self._bar.total is None:
                self._bar.total = self.seen
            if logs:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._close()
        elif self.verbose == 2 and self.target:
            digits = int(math.log10(self.target)) + 1
            line = f"{self.seen:{digits}d}/{self.target} - {now - self._start:.0f}s -"
            line += _format_time(self._seconds_per_step(now))
            if logs:
                line += " - " + format_logs(logs, signed=False)
            print(line, file=sys.stdout, flush=True)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
