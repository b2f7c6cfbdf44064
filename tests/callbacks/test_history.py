"""``History`` records the epoch logs of ``fit``."""

from __future__ import annotations

import numpy as np

import scratchdl as sd
from scratchdl.callbacks import History


def test_history_collects_epochs_and_values() -> None:
    history = History()
    model = sd.Sequential([sd.Input((2,)), sd.layers.Dense(1)])
    history.set_model(model)
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [0.7]}
    assert model.history is history
    history.on_train_begin()  # a new fit: epochs restart, values keep accumulating (as Keras)
    history.on_epoch_end(0, {"loss": 0.25})
    assert history.epoch == [0] and history.history["loss"] == [1.0, 0.5, 0.25]


def test_fit_returns_a_history_of_every_metric() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype("float32")
    y = x @ np.array([[1.0], [-2.0]], dtype="float32")
    model = sd.Sequential([sd.Input((2,)), sd.layers.Dense(1)])
    model.compile(optimizer=sd.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=4, batch_size=8, validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(values) == 4 for values in history.history.values())
    assert all(isinstance(v, float) for values in history.history.values() for v in values)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.params == {"verbose": 0, "epochs": 4, "steps": 4}
