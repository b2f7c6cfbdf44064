"""ReduceLROnPlateau: the learning-rate sequence equals Keras 3's for the same logs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import optimizers
from scratchdl.callbacks import ReduceLROnPlateau
from tests.callbacks.helpers import FakeModel, dense_model, drive, regression_data

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

_RNG = np.random.default_rng(7)
SEQUENCES = {
    "plateau": [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85],
    "noisy": list(np.round(0.5 + _RNG.normal(0, 0.01, 25), 5)),
    "float32_tie": [0.3, 0.30000001, 0.3, 0.29999999, 0.3, 0.3],
    "improving": list(np.linspace(1.0, 0.1, 10)),
}
CONFIGS = [
    {},
    {"patience": 1},
    {"patience": 2, "factor": 0.5, "min_lr": 0.01},
    {"patience": 1, "factor": 0.2, "cooldown": 2},
    {"patience": 1, "factor": 0.5, "min_delta": 0.05, "cooldown": 1, "min_lr": 0.02},
    {"patience": 1, "mode": "max", "monitor": "val_accuracy"},
]


def _lr_sequence(cls, optimizer, config, values):
    monitor = config.get("monitor", "val_loss")
    model = FakeModel(optimizer=optimizer)
    callback = cls(**config)
    rates = []
    callback.set_model(model)
    callback.on_train_begin({})
    for epoch, value in enumerate(values):
        logs = {monitor: float(value)}
        callback.on_epoch_end(epoch, logs)
        rates.append(float(np.asarray(optimizer.learning_rate)))
        assert "learning_rate" in logs
    return rates, callback.wait, callback.cooldown_counter


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_learning_rates_equal_keras(config, sequence):
    values = SEQUENCES[sequence]
    ours = _lr_sequence(ReduceLROnPlateau, optimizers.SGD(learning_rate=0.1), config, values)
    theirs = _lr_sequence(keras.callbacks.ReduceLROnPlateau, keras.optimizers.SGD(learning_rate=0.1),
                          config, values)
    assert ours == theirs


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.0)


def test_missing_monitor_warns_and_leaves_rate():
    optimizer = optimizers.SGD(learning_rate=0.1)
    callback = ReduceLROnPlateau(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss.*Available metrics are: loss,learning_rate"):
        drive(callback, FakeModel(optimizer=optimizer), [{"loss": 1.0}] * 3)
    assert float(optimizer.learning_rate) == pytest.approx(0.1)


def test_in_fit_the_rate_drops_and_is_logged():
    x, y = regression_data()
    model = dense_model(optimizer=optimizers.SGD(learning_rate=0.05))
    # mode='max' on a falling loss: no improvement after the first epoch, so the rate halves
    # every second epoch (patience 1, cooldown 1) down to min_lr.
    callback = ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1, cooldown=1, min_lr=0.01)
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0, callbacks=[callback])
    rates = history.history["learning_rate"]
    expected, _, _ = _lr_sequence(keras.callbacks.ReduceLROnPlateau, keras.optimizers.SGD(learning_rate=0.05),
                                  {"monitor": "loss", "mode": "max", "factor": 0.5, "patience": 1,
                                   "cooldown": 1, "min_lr": 0.01}, history.history["loss"])
    # The logged rate is the one used during the epoch (before that epoch's reduction).
    assert rates[0] == pytest.approx(0.05)
    np.testing.assert_allclose(rates[1:], expected[:-1], rtol=1e-7)
    assert float(model.optimizer.learning_rate) == pytest.approx(expected[-1])
    assert min(rates) >= 0.01 - 1e-9 and rates[-1] < rates[0]
