"""CSVLogger: the file is byte-for-byte what Keras 3's CSVLogger writes for the same logs."""

from __future__ import annotations

import csv

import keras
import numpy as np
import pytest

from scratchdl.callbacks import CSVLogger
from tests.callbacks.helpers import FakeModel, dense_model, drive, regression_data

LOGS = {
    "train_only": [{"loss": 0.9, "mae": 0.5}, {"loss": 0.45, "mae": 0.25}, {"loss": 1 / 3, "mae": 0.2}],
    "with_validation": [{"loss": 0.9, "val_loss": 1.1}, {"loss": 0.5, "val_loss": 0.7}],
    "validation_later": [{"loss": 0.9}, {"loss": 0.5, "val_loss": 0.7}],
    "arrays_and_strings": [{"loss": 0.5, "vec": np.array([1.5, 2.0]), "tag": "a,b"},
                           {"loss": 0.25, "vec": np.array([0.5, 1.0]), "tag": "c"}],
    "empty": [{}, {}],
}


def _write(cls, path, logs, **kwargs):
    drive(cls(str(path), **kwargs), FakeModel(), logs)
    return path.read_bytes()


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize("name", sorted(LOGS))
def test_file_equals_keras(tmp_path, name, separator):
    ours = _write(CSVLogger, tmp_path / "ours.csv", LOGS[name], separator=separator)
    theirs = _write(keras.callbacks.CSVLogger, tmp_path / "keras.csv", LOGS[name], separator=separator)
    assert ours == theirs


def test_append_equals_keras(tmp_path):
    for cls, name in ((CSVLogger, "ours.csv"), (keras.callbacks.CSVLogger, "keras.csv")):
        path = tmp_path / name
        _write(cls, path, LOGS["train_only"], append=True)      # new file: header written
        _write(cls, path, LOGS["train_only"][:2], append=True)  # existing file: rows only
    ours, theirs = (tmp_path / "ours.csv").read_bytes(), (tmp_path / "keras.csv").read_bytes()
    assert ours == theirs
    assert ours.count(b"epoch") == 1 and len(ours.splitlines()) == 6


def test_overwrite_by_default(tmp_path):
    path = tmp_path / "log.csv"
    _write(CSVLogger, path, LOGS["train_only"])
    _write(CSVLogger, path, LOGS["with_validation"])
    assert len(path.read_text().splitlines()) == 3


def test_rows_match_history_in_fit(tmp_path):
    x, y = regression_data()
    model = dense_model()
    path = tmp_path / "training.log"
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25,
                        callbacks=[CSVLogger(path)])
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
    for key, values in history.history.items():
        assert [float(row[key]) for row in rows] == values
