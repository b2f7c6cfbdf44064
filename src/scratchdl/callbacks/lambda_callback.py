"""``LambdaCallback``: a callback made of plain functions, given as keyword arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchdl.callbacks.callback import Callback

__all__ = ["LambdaCallback"]

_HOOKS = frozenset(name for name in dir(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """Build a callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    ``on_epoch_begin``/``on_epoch_end`` receive ``(epoch, logs)``, ``on_train_begin``/
    ``on_train_end`` receive ``(logs)``, batch hooks ``(batch, logs)``; any other hook of
    ``Callback`` (e.g. ``on_test_end``) can be passed by name too.

    >>> seen = []
    >>> callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    """

    def __init__(self, on_epoch_begin: Callable[..., Any] | None = None,
                 on_epoch_end: Callable[..., Any] | None = None,
                 on_train_begin: Callable[..., Any] | None = None,
                 on_train_end: Callable[..., Any] | None = None,
                 on_train_batch_begin: Callable[..., Any] | None = None,
                 on_train_batch_end: Callable[..., Any] | None = None,
                 **kwargs: Callable[..., Any]) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - _HOOKS)
        if unknown:
            raise ValueError(
                f"LambdaCallback: unknown hook name(s) {unknown}; hooks are {sorted(_HOOKS)}"
            )
        hooks = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, function in hooks.items():
            if function is not None:
                if not callable(function):
                    raise TypeError(f"LambdaCallback: {name} must be callable, got {function!r}")
                setattr(self, name, function)
