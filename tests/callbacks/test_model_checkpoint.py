"""ModelCheckpoint: saves at the same moments and to the same file names as Keras 3's."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

from scratchdl.callbacks import ModelCheckpoint
from scratchdl.models import load_model
from tests.callbacks.helpers import FakeModel, dense_model, drive, regression_data

VALUES = [0.9, 0.7, 0.75, 0.6, 0.6, 0.65, 0.5]
CONFIGS = [
    {"filepath": "ckpt.keras"},
    {"filepath": "{epoch:02d}-{val_loss:.3f}.keras", "save_best_only": True},
    {"filepath": "best.keras", "save_best_only": True, "initial_value_threshold": 0.65},
    {"filepath": "w-{epoch}.weights.h5", "save_weights_only": True, "save_best_only": True, "mode": "max"},
    {"filepath": "sub/e{epoch}-b{batch}.keras", "save_freq": 3},
    {"filepath": "acc-{epoch}.keras", "monitor": "val_acc", "save_best_only": True, "mode": "max",
     "initial_value_threshold": 0.0},
]


def _saves(cls, tmp_path, config):
    config = dict(config, filepath=str(tmp_path / config["filepath"]))
    model = FakeModel()
    logs = [{"val_loss": v, "val_acc": 1 - v, "loss": 2 * v} for v in VALUES]
    drive(cls(**config), model, logs, batches_per_epoch=2)
    return [(kind, os.path.relpath(path, tmp_path)) for kind, path in model.saved]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c["filepath"])
def test_saves_like_keras(tmp_path, config):
    ours = _saves(ModelCheckpoint, tmp_path / "ours", config)
    theirs = _saves(keras.callbacks.ModelCheckpoint, tmp_path / "keras", config)
    assert ours == theirs and ours


def test_best_model_file_in_fit(tmp_path):
    x, y = regression_data()
    model = dense_model(optimizer="adam")
    pattern = str(tmp_path / "model-{epoch:02d}-{val_loss:.4f}.keras")
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0, validation_split=0.25,
                        callbacks=[ModelCheckpoint(pattern, save_best_only=True)])
    val = history.history["val_loss"]
    improved = [i for i in range(len(val)) if np.float32(val[i]) < np.float32(min(val[:i], default=np.inf))]
    expected = sorted(f"model-{i + 1:02d}-{val[i]:.4f}.keras" for i in improved)
    assert sorted(os.listdir(tmp_path)) == expected
    last = load_model(tmp_path / expected[-1])
    np.testing.assert_allclose(last.evaluate(x[48:], y[48:], verbose=0), val[improved[-1]], rtol=1e-6)


def test_weights_only_every_n_batches(tmp_path):
    x, y = regression_data()
    model = dense_model()
    path = str(tmp_path / "w-e{epoch}-b{batch}.weights.safetensors")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[ModelCheckpoint(path, save_weights_only=True, save_freq=3)])
    # 4 batches per epoch; the count of batches runs across epochs: the 3rd batch of epoch 1,
    # then the 2nd of epoch 2 (3 batches later).
    assert sorted(os.listdir(tmp_path)) == ["w-e1-b3.weights.safetensors", "w-e2-b2.weights.safetensors"]
    fresh = dense_model(seed=5)
    fresh.load_weights(tmp_path / "w-e2-b2.weights.safetensors")
    assert all(a.shape == b.shape for a, b in zip(fresh.get_weights(), model.get_weights()))


def test_bad_arguments():
    with pytest.raises(ValueError, match="must end in one of"):
        ModelCheckpoint("x.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="must end in one of.*'.keras'"):
        ModelCheckpoint("x.pt")
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        ModelCheckpoint("x.keras", save_freq="batch")


def test_missing_field_in_filepath(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "{val_accuracy:.2f}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        drive(callback, FakeModel(), [{"loss": 1.0}])
