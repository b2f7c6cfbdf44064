"""The ``Callback`` base: every Keras hook exists and does nothing; batch hooks forward to the
older ``on_batch_*`` names."""

from __future__ import annotations

import inspect
from typing import Any

import keras

from scratchdl.callbacks import Callback

HOOKS = [
    "on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
    "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
    "on_predict_batch_end", "on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
    "on_predict_begin", "on_predict_end", "set_model", "set_params",
]


def test_every_keras_hook_exists_with_keras_signature() -> None:
    for name in HOOKS:
        ours = inspect.signature(getattr(Callback, name))
        theirs = inspect.signature(getattr(keras.callbacks.Callback, name))
        assert list(ours.parameters) == list(theirs.parameters), name
    callback = Callback()
    assert callback.params is None and callback.model is None
    for name in HOOKS[:16]:
        arguments = (0, {}) if "batch" in name or "epoch" in name else ({},)
        assert getattr(callback, name)(*arguments) is None


def test_train_batch_hooks_call_the_legacy_names() -> None:
    calls: list[tuple[str, int, Any]] = []

    class Legacy(Callback):
        def on_batch_begin(self, batch: int, logs: Any = None) -> None:
            calls.append(("begin", batch, logs))

        def on_batch_end(self, batch: int, logs: Any = None) -> None:
            calls.append(("end", batch, logs))

    callback = Legacy()
    callback.on_train_batch_begin(3)
    callback.on_train_batch_end(3, {"loss": 1.0})
    callback.on_test_batch_end(3, {"loss": 2.0})  # test batches do not reach on_batch_end
    assert calls == [("begin", 3, None), ("end", 3, {"loss": 1.0})]


def test_set_model_and_params() -> None:
    callback = Callback()
    model = object()
    callback.set_model(model)
    callback.set_params({"epochs": 2})
    assert callback.model is model and callback.params == {"epochs": 2}
