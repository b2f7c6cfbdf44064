"""LearningRateScheduler: sets optimizer.learning_rate each epoch exactly as Keras 3 does."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from scratchdl import optimizers
from scratchdl.callbacks import LearningRateScheduler
from tests.callbacks.helpers import FakeModel, dense_model, drive, regression_data

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def decay(epoch, lr):
    return lr if epoch < 2 else lr * math.exp(-0.1)


def by_epoch(epoch):
    return 0.1 / (1 + epoch)


def _rates(cls, optimizer, schedule, epochs=6):
    model = FakeModel(optimizer=optimizer)
    callback = cls(schedule)
    rates, logged = [], []
    callback.set_model(model)
    for epoch in range(epochs):
        callback.on_epoch_begin(epoch, {})
        rates.append(float(np.asarray(optimizer.learning_rate)))
        logs = {"loss": 1.0}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
    return rates, logged


@pytest.mark.parametrize("schedule", [decay, by_epoch], ids=["two_args", "one_arg"])
def test_rates_equal_keras(schedule):
    ours = _rates(LearningRateScheduler, optimizers.SGD(learning_rate=0.05), schedule)
    theirs = _rates(keras.callbacks.LearningRateScheduler, keras.optimizers.SGD(learning_rate=0.05), schedule)
    assert ours == theirs


def test_non_float_result_is_an_error():
    callback = LearningRateScheduler(lambda epoch, lr: 1)
    with pytest.raises(ValueError, match="should be a float. Got: 1"):
        drive(callback, FakeModel(optimizer=optimizers.SGD()), [{"loss": 1.0}])


def test_in_fit_each_epoch_uses_the_scheduled_rate(capsys):
    x, y = regression_data()
    model = dense_model(optimizer=optimizers.SGD(learning_rate=0.5))
    seen = []

    def schedule(epoch, lr):
        seen.append(lr)
        return 0.01 * (epoch + 1)

    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0,
                        callbacks=[LearningRateScheduler(schedule, verbose=1)])
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.02, 0.03], rtol=1e-6)
    np.testing.assert_allclose(seen, [0.5, 0.01, 0.02], rtol=1e-6)
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.03" in capsys.readouterr().out
