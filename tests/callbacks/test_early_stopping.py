"""EarlyStopping: same decisions as Keras 3's for the same logs; real training stops and restores."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from scratchdl.callbacks import EarlyStopping, LambdaCallback
from tests.callbacks.helpers import FakeModel, dense_model, drive, regression_data

_RNG = np.random.default_rng(123)
SEQUENCES = {
    "decreasing_then_flat": [1.0, 0.8, 0.7, 0.7, 0.71, 0.69, 0.7, 0.72, 0.73, 0.74],
    "float32_tie": [0.5, 0.50000001, 0.49999999, 0.5, 0.5, 0.4],
    "noisy": list(np.round(1.0 / np.arange(1, 16) + _RNG.normal(0, 0.05, 15), 4)),
    "random": list(_RNG.uniform(0, 1, 20)),
    "increasing": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
}
CONFIGS = [
    {"monitor": "val_loss"},
    {"monitor": "val_loss", "patience": 2},
    {"monitor": "val_loss", "patience": 3, "min_delta": 0.02},
    {"monitor": "val_loss", "patience": 2, "baseline": 0.6},
    {"monitor": "val_loss", "patience": 1, "restore_best_weights": True},
    {"monitor": "val_loss", "patience": 20, "restore_best_weights": True},
    {"monitor": "val_loss", "patience": 2, "start_from_epoch": 3, "restore_best_weights": True},
    {"monitor": "val_auc", "patience": 2, "mode": "max", "restore_best_weights": True},
    {"monitor": "val_auc", "patience": 1, "mode": "max", "baseline": 0.5, "min_delta": 0.01},
    {"monitor": "val_loss", "patience": 2, "mode": "min", "min_delta": -0.05},
]


def _run(cls, config, values):
    key = config["monitor"]
    model = FakeModel()
    callback = cls(**config)
    ran = drive(callback, model, [{key: float(v), "loss": 1.0} for v in values])
    return {"ran": ran, "stopped_epoch": callback.stopped_epoch, "best": callback.best,
            "wait": callback.wait, "best_epoch": callback.best_epoch, "restored": model.restored,
            "stop": model.stop_training}


@pytest.mark.parametrize("sequence", sorted(SEQUENCES))
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_same_decisions_as_keras(config, sequence):
    values = SEQUENCES[sequence]
    ours = _run(EarlyStopping, config, values)
    theirs = _run(keras.callbacks.EarlyStopping, config, values)
    assert ours == theirs


def test_warns_and_keeps_going_when_monitor_missing():
    callback = EarlyStopping(monitor="val_accuracy", mode="max", patience=0)
    model = FakeModel()
    with pytest.warns(UserWarning, match="val_accuracy.*Available metrics are: loss"):
        ran = drive(callback, model, [{"loss": 1.0}] * 3)
    assert ran == [0, 1, 2] and not model.stop_training


def test_auto_mode_needs_a_known_direction():
    callback = EarlyStopping(monitor="val_custom")
    with pytest.raises(ValueError, match="monitor=val_custom.*mode='max'"):
        drive(callback, FakeModel(), [{"val_custom": 1.0}])


def test_unknown_mode_warns_and_uses_auto():
    with pytest.warns(UserWarning, match="mode 'sideways' is unknown"):
        callback = EarlyStopping(mode="sideways")
    assert callback.mode == "auto"


def _fit_recording(callback, epochs, **fit_kwargs):
    x, y = regression_data()
    model = dense_model(optimizer="adam")
    per_epoch = []
    recorder = LambdaCallback(on_epoch_end=lambda epoch, logs: per_epoch.append(model.get_weights()))
    history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, shuffle=False,
                        callbacks=[recorder, callback], **fit_kwargs)
    return model, history, per_epoch


def test_real_training_stops_like_keras_and_restores_best():
    # mode='max' on a decreasing loss: epoch 0 stays the best, so training stops after `patience`.
    callback = EarlyStopping(monitor="loss", mode="max", patience=2, restore_best_weights=True)
    model, history, per_epoch = _fit_recording(callback, epochs=10)
    losses = history.history["loss"]
    assert len(losses) == 3 and losses[2] < losses[0]
    theirs = _run(keras.callbacks.EarlyStopping, {"monitor": "loss", "mode": "max", "patience": 2}, losses)
    assert theirs["ran"] == list(range(len(losses)))
    assert callback.stopped_epoch == 2 and callback.best_epoch == 0
    for restored, best in zip(model.get_weights(), per_epoch[0]):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(model.get_weights()[0], per_epoch[-1][0])


def test_restore_best_weights_also_when_training_runs_to_the_end():
    x, y = regression_data()
    callback = EarlyStopping(monitor="val_loss", patience=50, restore_best_weights=True)
    model, history, per_epoch = _fit_recording(callback, epochs=6, validation_data=(x[:16], y[:16] + 3.0))
    val = history.history["val_loss"]
    assert len(val) == 6 and callback.stopped_epoch == 0
    best = int(np.argmin(np.float32(val)))
    assert callback.best_epoch == best
    for restored, expected in zip(model.get_weights(), per_epoch[best]):
        np.testing.assert_array_equal(restored, expected)


def test_start_from_epoch_delays_monitoring_in_fit():
    callback = EarlyStopping(monitor="loss", mode="max", patience=0, start_from_epoch=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, history, _ = _fit_recording(callback, epochs=10)
    # Epoch 3 sets the best; epoch 4 does not improve (mode max on a falling loss) and stops.
    assert len(history.history["loss"]) == 5 and callback.stopped_epoch == 4


def test_auto_mode_reads_the_compiled_metrics_direction():
    x, y = regression_data()
    model = dense_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "accuracy"])
    callbacks = [EarlyStopping(monitor="val_mae", patience=5), EarlyStopping(monitor="val_accuracy", patience=5),
                 EarlyStopping(monitor="val_loss", patience=5)]
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=callbacks)
    assert [c.monitor_op for c in callbacks] == [np.less, np.greater, np.less]
    assert [c.min_delta for c in callbacks] == [-0.0, 0.0, -0.0]
