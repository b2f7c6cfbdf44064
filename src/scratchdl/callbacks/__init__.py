"""Callbacks with Keras 3's names: hooks into ``fit``, ``evaluate`` and ``predict``."""

from scratchdl.callbacks.callback import Callback
from scratchdl.callbacks.callback_list import CallbackList
from scratchdl.callbacks.history import History
from scratchdl.callbacks.progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
