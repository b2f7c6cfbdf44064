"""``Progbar``: Keras's text progress bar (``keras.utils.Progbar``) for custom loops."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

__all__ = ["Progbar"]


class Progbar:
    """A progress bar with running averages of named values.

    Args:
        target: the total number of steps (None when unknown).
        width: the bar's width in characters.
        verbose: 1 redraws one line in place, 2 prints one line when the target is reached,
            0 prints nothing.
        interval: the minimum number of seconds between two redraws.
        stateful_metrics: names whose values are shown as given, not averaged over steps.
        unit_name: the name of a step in the display (``'step'``).
        file: where to write (standard output by default).

    >>> bar = Progbar(3, verbose=0)
    >>> for step in range(3):
    ...     bar.update(step + 1, values=[("loss", 1.0 / (step + 1))])
    >>> round(bar.average("loss"), 4)
    0.6111
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics: Iterable[str] | None = None, unit_name: str = "step",
                 file: TextIO | None = None) -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.file = file
        self._dynamic_display = (hasattr(self._out, "isatty") and self._out.isatty())
        self._seen_so_far = 0
        self._values: dict[str, Any] = {}
        self._values_order: list[str] = []
        self._start = time.time()
        self._last_update = 0.0
        self._previous_width = 0

    @property
    def _out(self) -> TextIO:
        return self.file if self.file is not None else sys.stdout

    def average(self, name: str) -> float:
        """The value shown for ``name``: its step-weighted mean (or last value if stateful)."""
        value = self._values[name]
        if name in self.stateful_metrics:
            return float(value)
        total, count = value
        return float(total) / max(1, count)

    def update(self, current: int, values: Sequence[tuple[str, Any]] | None = None,
               finalize: bool | None = None) -> None:
        """Move the bar to step ``current`` and record ``values`` (``[(name, value), ...]``).

        Non-stateful values are averaged weighted by the number of steps since the last update.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            if name not in self._values_order:
                self._values_order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = value
            else:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, (0.0, 0))
                self._values[name] = (total + float(value) * steps, count + steps)
        self._seen_so_far = current
        now = time.time()
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._write(self._line(current, now, finalize), finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._line(current, now, True), True)
        self._last_update = now

    def add(self, n: int, values: Sequence[tuple[str, Any]] | None = None) -> None:
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def _line(self, current: int, now: float, finalize: bool) -> str:
        elapsed = now - self._start
        if self.target is not None:
            digits = len(str(self.target))
            text = f"{current:{digits}d}/{self.target}"
            if self.verbose == 1:
                filled = int(self.width * min(current / max(self.target, 1), 1.0))
                bar = "=" * max(filled - 1, 0) + (">" if filled < self.width else "=") if filled else ""
                text += " [" + bar.ljust(self.width, ".") + "]"
        else:
            text = f"{current}/Unknown"
        per_step = elapsed / current if current else 0.0
        if finalize or self.target is None:
            text += f" {elapsed:.0f}s {per_step * 1e3:.0f}ms/{self.unit_name}"
        else:
            text += f" - ETA: {per_step * (self.target - current):.0f}s"
        for name in self._values_order:
            value = self.average(name)
            text += f" - {name}: " + (f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}")
        return text

    def _write(self, line: str, finalize: bool) -> None:
        out = self._out
        if self.verbose == 1 and self._dynamic_display:
            out.write("\r" + line.ljust(self._previous_width))
            self._previous_width = len(line)
            if finalize:
                out.write("\n")
        elif finalize or self.verbose == 1:
            out.write(line + "\n")
        out.flush()
