"""Shared pieces of the callback tests: fake models that record what callbacks do to them, a
driver that feeds one sequence of epoch logs to a callback, and a tiny real model."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")


class FakeModel:
    """Stands in for a model: its weights are the index of the epoch that produced them."""

    def __init__(self, optimizer: Any = None) -> None:
        self.stop_training = False
        self.epoch_weights = np.array([-1.0])
        self.restored: list[float] = []
        self.optimizer = optimizer
        self.metrics: list[Any] = []
        self.saved: list[tuple[str, str]] = []

    def get_weights(self) -> list[np.ndarray]:
        return [self.epoch_weights.copy()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.epoch_weights = np.asarray(weights[0]).copy()
        self.restored.append(float(self.epoch_weights[0]))

    def save(self, filepath: str, overwrite: bool = True) -> None:
        self.saved.append(("model", filepath))

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        self.saved.append(("weights", filepath))


def drive(callback: Any, model: FakeModel, logs_per_epoch: list[dict[str, float]],
          batches_per_epoch: int = 0) -> list[int]:
    """Run the epoch hooks of ``callback`` like ``fit`` does; return the epochs that ran."""
    callback.set_model(model)
    callback.on_train_begin({})
    ran = []
    for epoch, logs in enumerate(logs_per_epoch):
        model.epoch_weights = np.array([float(epoch)])
        callback.on_epoch_begin(epoch, {})
        for batch in range(batches_per_epoch):
            callback.on_train_batch_begin(batch, {})
            callback.on_train_batch_end(batch, dict(logs))
        callback.on_epoch_end(epoch, dict(logs))
        ran.append(epoch)
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran


def regression_data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small linear regression problem with a little noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    w = rng.normal(size=(4, 2)).astype("float32")
    y = (x @ w + 0.05 * rng.normal(size=(n, 2))).astype("float32")
    return x, y


def dense_model(optimizer: Any = "sgd", seed: int = 0) -> Any:
    """A compiled one-hidden-layer scratchdl model on 4 features."""
    from scratchdl import backend
    from scratchdl.layers import Dense
    from scratchdl.models import Input, Sequential

    backend.set_random_seed(seed)
    model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model
