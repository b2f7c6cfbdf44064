"""Numeric CSV files: a header row of column names, then one sample per row, one column the label.

(The module is ``csv_files`` so that it does not shadow Python's ``csv`` module.)
"""

from __future__ import annotations

import csv
import os
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.data._files import check_file

__all__ = ["load_csv"]


def _label_index(label_column: int | str, names: list[str], file: Any, caller: str) -> int:
    if isinstance(label_column, str):
        if label_column not in names:
            raise ValueError(f"{caller}: '{file}' has no column '{label_column}' (columns: {', '.join(names)})")
        return names.index(label_column)
    if isinstance(label_column, bool) or not isinstance(label_column, (int, np.integer)):
        raise TypeError(f"{caller}: label_column must be a column name or index, got {label_column!r}")
    if not -len(names) <= label_column < len(names):
        raise ValueError(
            f"{caller}: label_column {label_column} is out of range for the {len(names)} columns of '{file}'"
        )
    return int(label_column) % len(names)


def _first_bad_cell(rows: list[list[str]], names: list[str]) -> tuple[int, str, str]:
    """(line number, column name, text) of the first cell that is not a number (only called on error)."""
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            try:
                float(cell)
            except ValueError:
                return r, names[c], cell
    raise AssertionError("no bad cell found")  # pragma: no cover - only called after a failed conversion


def load_csv(
    path: str | os.PathLike[str],
    label_column: int | str = -1,
    delimiter: str = ",",
    header: bool = True,
    dtype: Any = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a numeric CSV file into ``(x, y, feature_names)``.

    ``label_column`` names the label column or gives its index (negative counts from the end; the
    default is the last column). ``x`` holds the other columns in file order, as ``dtype`` (default
    ``floatx()``); ``y`` is int64 when every label is a whole number (class indices), else float64.
    With ``header=False`` the columns are named ``column_0``, ``column_1``, ... . Blank lines are
    skipped; a ragged row, an empty or non-numeric cell, or a missing label column raises a
    one-line ``ValueError`` naming the file, line and column.

    >>> x, y, names = load_csv("houses.csv", label_column="price")  # doctest: +SKIP
    """
    caller = "load_csv"
    file = check_file(path, caller)
    try:
        with open(file, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle, delimiter=delimiter) if row]
    except UnicodeDecodeError:
        raise ValueError(f"{caller}: '{file}' is not a text CSV file (not UTF-8)") from None
    if not rows:
        raise ValueError(f"{caller}: '{file}' is empty")
    if header:
        names = [name.strip() for name in rows[0]]
        body, first_line = rows[1:], 2
        if all(_is_number(name) for name in names):
            raise ValueError(f"{caller}: the first line of '{file}' is all numbers, not a header; pass header=False")
    else:
        names = [f"column_{i}" for i in range(len(rows[0]))]
        body, first_line = rows, 1
    if not body:
        raise ValueError(f"{caller}: '{file}' has a header but no data rows")
    if len(names) < 2:
        raise ValueError(f"{caller}: '{file}' has {len(names)} column; expected features and a label column")
    lengths = np.fromiter((len(row) for row in body), dtype=np.int64, count=len(body))
    ragged = np.flatnonzero(lengths != len(names))
    if ragged.size:
        r = int(ragged[0])
        raise ValueError(
            f"{caller}: line {r + first_line} of '{file}' has {lengths[r]} values but the "
            f"{'header has' if header else 'first row has'} {len(names)} columns"
        )
    label = _label_index(label_column, names, file, caller)
    try:
        table = np.asarray(body, dtype=str).astype(np.float64)
    except ValueError:
        r, column, text = _first_bad_cell(body, names)
        raise ValueError(
            f"{caller}: line {r + first_line} of '{file}', column '{column}': expected a number, got {text!r}"
            + (" (is it a header? pass header=True)" if r == 0 and not header else "")
        ) from None
    labels = table[:, label]
    y = labels.astype(np.int64) if np.all(np.isfinite(labels)) and np.all(labels == np.round(labels)) else labels
    x = np.delete(table, label, axis=1).astype(backend.floatx() if dtype is None else dtype)
    return x, y, [name for i, name in enumerate(names) if i != label]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
