"""``CallbackList``: default callbacks, forwarding and log conversion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from scratchdl.callbacks import Callback, CallbackList, History, ProgbarLogger
from scratchdl.callbacks.callback_list import pythonify_logs


class FakeModel:
    history: Any = None


def test_default_callbacks_are_added_once() -> None:
    model = FakeModel()
    mine = History()
    callbacks = CallbackList([mine], add_history=True, add_progbar=True, model=model, verbose=2, epochs=3,
                             steps=5)
    assert callbacks.callbacks[0] is mine and len(callbacks.callbacks) == 2
    assert isinstance(callbacks.callbacks[1], ProgbarLogger)
    assert model.history is mine
    assert all(c.params == {"verbose": 2, "epochs": 3, "steps": 5} for c in callbacks.callbacks)
    assert all(c.model is model for c in callbacks.callbacks)
    assert callbacks.callbacks[1].verbose == 2 and callbacks.callbacks[1].target == 5
    assert len(CallbackList(None, add_history=True).callbacks) == 1
    assert CallbackList([[Callback()], Callback()]).callbacks.__len__() == 2
    with pytest.raises(TypeError, match="Callback instances"):
        CallbackList(["not a callback"])


def test_hooks_are_forwarded_with_python_floats() -> None:
    received: list[tuple[str, Any]] = []

    class Spy(Callback):
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            received.append(("epoch_end", logs))

        def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
            received.append(("test_batch_end", logs))

        def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
            received.append(("predict_batch_end", logs))

    callbacks = CallbackList([Spy()])
    callbacks.on_epoch_end(0, {"loss": np.float32(0.5), "acc": np.array(0.25)})
    callbacks.on_test_batch_end(1, {"loss": np.array(1.5, dtype="float32")})
    outputs = np.ones((2, 2))
    callbacks.on_predict_batch_end(0, {"outputs": outputs})
    assert received[0] == ("epoch_end", {"acc": 0.25, "loss": 0.5})
    assert list(received[0][1]) == ["acc", "loss"] and type(received[0][1]["loss"]) is float
    assert received[1] == ("test_batch_end", {"loss": 1.5})
    assert received[2][1]["outputs"] is outputs


def test_pythonify_logs_sorts_flattens_and_keeps_other_values() -> None:
    logs = {"b": np.float64(2.0), "a": {"x": np.array(1.0)}, "c": "text"}
    assert pythonify_logs(logs) == {"x": 1.0, "b": 2.0, "c": "text"}
    assert pythonify_logs(None) == {}
