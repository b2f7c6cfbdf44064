"""``CSVLogger``: stream every epoch's logs to a CSV file (Keras 3's format, row for row)."""

from __future__ import annotations

import collections
import csv
import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from scratchdl.callbacks.callback import Callback

__all__ = ["CSVLogger"]


def _handle_value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` (from 0) then the logged values, columns sorted.

    The columns are fixed by the first epoch's logs; when those hold no ``val_*`` key, ``val_``
    columns are added for every key anyway (filled with ``NA`` until validation values appear),
    exactly as Keras does. The file is flushed after every row.

    Args:
        filename: the CSV file, e.g. ``'run/log.csv'``.
        separator: the field separator.
        append: append to an existing file (the header is written only when the file is empty)
            instead of overwriting it.

    >>> logger = CSVLogger("training.log")
    >>> # model.fit(x, y, callbacks=[logger])
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter[str] | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open the file (for appending or writing)."""
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not bool(len(existing.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Write the epoch's row (and the header before the first one)."""
        logs = logs or {}
        if self.csv_file is None or self.csv_file.closed:
            raise RuntimeError(f"CSVLogger('{self.filename}'): on_epoch_end called before on_train_begin")
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row: dict[str, Any] = collections.OrderedDict({"epoch": epoch})
        row.update((key, _handle_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close the file."""
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
