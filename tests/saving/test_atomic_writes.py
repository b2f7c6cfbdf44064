"""Writes are atomic: a failure part-way through leaves the previous file intact and no litter."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

from scratchdl.models import load_model
from scratchdl.saving import file_utils, saving_lib
from tests.saving.models import sequential


class Boom(RuntimeError):
    pass


def _fail_after_first_write(monkeypatch):
    """Make zip member writes fail once some bytes are already in the temporary file."""
    original = zipfile.ZipFile.writestr
    calls = {"n": 0}

    def writestr(self, name, data, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # metadata and config are written; the weights fail
            raise Boom("disk full")
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)


def test_failed_model_save_keeps_old_file(tmp_path, monkeypatch):
    old = sequential(seed=0)
    path = tmp_path / "m.keras"
    old.save(path)
    before = path.read_bytes()
    _fail_after_first_write(monkeypatch)
    with pytest.raises(Boom):
        sequential(seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.keras"]
    for a, b in zip(load_model(path).get_weights(), old.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["w.weights.safetensors", "w.npz", "w.weights.h5"])
def test_failed_weights_save_keeps_old_file(tmp_path, monkeypatch, name):
    path = tmp_path / name
    sequential(seed=0).save_weights(path)
    before = path.read_bytes()

    def failing_fsync(fd):
        raise Boom("I/O error while syncing")

    monkeypatch.setattr(file_utils.os, "fsync", failing_fsync)
    with pytest.raises(Boom):
        sequential(seed=1).save_weights(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [name]


def test_interrupted_write_inside_the_block(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with file_utils.atomic_write(path) as handle:
            handle.write(b"new partial")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["data.bin"]


def test_successful_write_replaces_with_normal_permissions(tmp_path):
    path = tmp_path / "data.bin"
    with file_utils.atomic_write(path) as handle:
        handle.write(b"abc")
    assert path.read_bytes() == b"abc"
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_serialization_errors_happen_before_touching_the_file(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    sequential().save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise Boom("cannot encode")

    monkeypatch.setattr(saving_lib, "safetensors_bytes", broken)
    with pytest.raises(Boom):
        sequential(seed=3).save(path)
    assert path.read_bytes() == before


def test_target_directory_and_directory_target(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sequential().save(tmp_path / "missing" / "m.keras")
    (tmp_path / "d.keras").mkdir()
    with pytest.raises(IsADirectoryError):
        sequential().save(tmp_path / "d.keras")


def test_write_errors_name_the_function_called(tmp_path):
    model = sequential()
    with pytest.raises(FileNotFoundError, match=r"^save_model: cannot write '.*m\.keras': the directory "
                                                r"'.*missing' does not exist$"):
        model.save(tmp_path / "missing" / "m.keras")
    with pytest.raises(FileNotFoundError, match=r"^save_weights: cannot write '.*w\.npz': the directory"):
        model.save_weights(tmp_path / "missing" / "w.npz")
    (tmp_path / "d.weights.h5").mkdir()
    with pytest.raises(IsADirectoryError, match=r"^save_weights: cannot write to '.*d\.weights\.h5': it is a "
                                                r"directory, expected a file path$"):
        model.save_weights(tmp_path / "d.weights.h5")
    model.save_weights(tmp_path / "w.weights.safetensors")
    with pytest.raises(FileExistsError, match=r"^save_weights: '.*w\.weights\.safetensors' already exists and "
                                              r"overwrite=False; pass overwrite=True to replace it$"):
        model.save_weights(tmp_path / "w.weights.safetensors", overwrite=False)
    with pytest.raises(FileExistsError, match=r"^atomic_write: "), \
            file_utils.atomic_write(tmp_path / "w.weights.safetensors", overwrite=False):
        pass  # called directly, atomic_write names itself
