"""Callbacks with Keras 3's names: hooks into ``fit``, ``evaluate`` and ``predict``."""

from scratchdl.callbacks.callback import Callback
from scratchdl.callbacks.callback_list import CallbackList
from scratchdl.callbacks.history import History
from scratchdl.callbacks.progbar_logger import ProgbarLogger
from scratchdl.callbacks.monitor_callback import MonitorCallback
from scratchdl.callbacks.early_stopping import EarlyStopping
from scratchdl.callbacks.model_checkpoint import ModelCheckpoint
from scratchdl.callbacks.learning_rate_scheduler import LearningRateScheduler
from scratchdl.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from scratchdl.callbacks.csv_logger import CSVLogger
from scratchdl.callbacks.terminate_on_nan import TerminateOnNaN
from scratchdl.callbacks.lambda_callback import LambdaCallback

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger",
           "MonitorCallback", "EarlyStopping", "ModelCheckpoint", "LearningRateScheduler",
           "ReduceLROnPlateau", "CSVLogger", "TerminateOnNaN", "LambdaCallback"]
