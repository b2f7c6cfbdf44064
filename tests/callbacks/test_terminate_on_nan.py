"""TerminateOnNaN: training stops at the first NaN/Inf batch loss."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.callbacks import LambdaCallback, TerminateOnNaN
from tests.callbacks.helpers import dense_model, regression_data


def _data_with_nan():
    x, y = regression_data(n=64)
    y[20] = np.nan  # the second batch of 16 holds a NaN target
    return x, y


def test_stops_after_the_bad_batch(capsys):
    x, y = _data_with_nan()
    model = dense_model()
    batches = []
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0, shuffle=False,
                        callbacks=[TerminateOnNaN(), LambdaCallback(on_train_batch_end=lambda b, logs: batches.append(b))])
    assert batches == [0, 1]
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_infinite_loss_counts_too():
    callback = TerminateOnNaN()

    class Model:
        stop_training = False

    callback.set_model(Model())
    callback.on_train_batch_end(0, {"loss": 1.0})
    assert not callback.model.stop_training
    callback.on_train_batch_end(1, {"loss": float("inf")})
    assert callback.model.stop_training


def test_raise_error():
    x, y = _data_with_nan()
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        dense_model().fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False,
                          callbacks=[TerminateOnNaN(raise_error=True)])
