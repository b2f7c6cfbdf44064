"""LambdaCallback: functions given by hook name are called with the hook's arguments."""

from __future__ import annotations

import pytest

from scratchdl.callbacks import LambdaCallback
from tests.callbacks.helpers import dense_model, regression_data


def test_hooks_are_called_in_fit_and_evaluate():
    x, y = regression_data(n=32)
    events = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin",)),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, sorted(logs))),
        on_train_end=lambda logs: events.append(("train_end", sorted(logs))),
        on_test_end=lambda logs: events.append(("test_end", sorted(logs))),
    )
    model = dense_model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    model.evaluate(x, y, verbose=0, callbacks=[callback])
    assert events == [
        ("train_begin",),
        ("epoch_begin", 0), ("batch_end", 0, ["loss"]), ("batch_end", 1, ["loss"]), ("epoch_end", 0, ["loss"]),
        ("epoch_begin", 1), ("batch_end", 0, ["loss"]), ("batch_end", 1, ["loss"]), ("epoch_end", 1, ["loss"]),
        ("train_end", ["loss"]),
        ("test_end", ["loss"]),
    ]


def test_unknown_hook_and_non_callable_are_errors():
    with pytest.raises(ValueError, match="unknown hook name.*on_epoch_finish"):
        LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="on_epoch_end must be callable"):
        LambdaCallback(on_epoch_end=3)


def test_unset_hooks_do_nothing():
    callback = LambdaCallback()
    callback.on_epoch_end(0, {"loss": 1.0})
    callback.on_train_end({})
