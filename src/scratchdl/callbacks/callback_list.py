"""``CallbackList``: calls every callback's hook at once (Keras's ``keras.callbacks.CallbackList``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scratchdl.callbacks.callback import Callback
from scratchdl.callbacks.history import History
from scratchdl.callbacks.progbar_logger import ProgbarLogger

__all__ = ["CallbackList", "pythonify_logs"]


def pythonify_logs(logs: dict[str, Any] | None) -> dict[str, Any]:
    """Logs sorted by key with values as Python floats (nested dicts flattened), as Keras."""
    result: dict[str, Any] = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
            continue
        try:
            value = float(value.item() if hasattr(value, "item") else value)
        except (TypeError, ValueError):
            pass
        result[key] = value
    return result


def _flatten(callbacks: Any) -> list[Callback]:
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [c for item in callbacks for c in _flatten(item)]
    return [callbacks]


class CallbackList(Callback):
    """A container that forwards each hook to a list of callbacks.

    Args:
        callbacks: the callbacks (a list, possibly nested).
        add_history: add a ``History`` callback unless one is present.
        add_progbar: add a ``ProgbarLogger`` unless one is present.
        model: the model given to every callback.
        **params: the run's parameters (``verbose``, ``epochs``, ``steps``) given to every callback.
    """

    def __init__(self, callbacks: Iterable[Callback] | None = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any) -> None:
        super().__init__()
        self.callbacks: list[Callback] = _flatten(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"CallbackList: callbacks must be Callback instances, got {type(callback).__name__}: "
                    f"{callback!r}"
                )
        self._history: History | None = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar: ProgbarLogger | None = next(
            (c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    def append(self, callback: Callback) -> None:
        """Add a callback."""
        self.callbacks.append(callback)

    def set_params(self, params: dict[str, Any]) -> None:
        """Give ``params`` to every callback."""
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model: Any) -> None:
        """Give ``model`` to every callback (and attach the History as ``model.history``)."""
        if not model:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook: str, *args: Any, logs: Any = None) -> None:
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_batch_begin``."""
        self._call("on_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_batch_end``."""
        self._call("on_batch_end", batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_epoch_begin``."""
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_epoch_end``."""
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_train_batch_begin``."""
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_train_batch_end``."""
        self._call("on_train_batch_end", batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_test_batch_begin``."""
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_test_batch_end``."""
        self._call("on_test_batch_end", batch, logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_predict_batch_begin``."""
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_predict_batch_end`` (``logs['outputs']`` passes through unconverted)."""
        for callback in self.callbacks:
            callback.on_predict_batch_end(batch, logs)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_train_begin``."""
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_train_end``."""
        self._call("on_train_end", logs=logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_test_begin``."""
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_test_end``."""
        self._call("on_test_end", logs=logs)

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_predict_begin``."""
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Forward ``on_predict_end``."""
        self._call("on_predict_end", logs=logs)
