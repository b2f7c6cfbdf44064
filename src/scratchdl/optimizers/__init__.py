"""Optimizers with Keras 3's names, defaults and update rules, plus learning-rate ``schedules``.

>>> import numpy as np, scratchdl
>>> from scratchdl import optimizers
>>> w = scratchdl.Parameter(np.ones(3, dtype="float32"))
>>> opt = optimizers.get("sgd")
>>> opt.apply_gradients([(np.ones(3, dtype="float32"), w)])
1
>>> w.data
array([0.99, 0.99, 0.99], dtype=float32)
"""

from __future__ import annotations

from typing import Any

from scratchdl._serialization import deserialize_object, serialize_object
from scratchdl.optimizers import schedules
from scratchdl.optimizers.adadelta import Adadelta
from scratchdl.optimizers.adagrad import Adagrad
from scratchdl.optimizers.adam import Adam
from scratchdl.optimizers.adamax import Adamax
from scratchdl.optimizers.adamw import AdamW
from scratchdl.optimizers.base import Optimizer
from scratchdl.optimizers.nadam import Nadam
from scratchdl.optimizers.rmsprop import RMSprop
from scratchdl.optimizers.sgd import SGD

__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam",
    "schedules", "get", "serialize", "deserialize",
]

_CLASSES = (SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam)
# Class names and Keras's lower-case aliases ('adam', 'rmsprop', ...).
ALL_OBJECTS_DICT: dict[str, type[Optimizer]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{cls.__name__.lower(): cls for cls in _CLASSES},
}


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return an optimizer as a Keras-format dict ``{"module", "class_name", "config",
    "registered_name"}`` (``keras.optimizers.deserialize`` reads it, and we read Keras's).

    >>> serialize(SGD(name="sgd"))["config"]["learning_rate"]
    0.009999999776482582
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizers.serialize: expected an Optimizer, got "
                        f"{type(optimizer).__name__}")
    return serialize_object(optimizer, "keras.optimizers")


def deserialize(config: dict[str, Any] | str,
                custom_objects: dict[str, Any] | None = None) -> Optimizer:
    """Create an optimizer from ``serialize``'s dict or a name (built-in names are
    case-insensitive, as Keras).

    Args:
        config: a dict with ``class_name`` and ``config``, or a class name.
        custom_objects: extra optimizer and schedule classes by name (classes registered with
            ``register_serializable`` are found without it).
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        config = dict(config)
        name = config["class_name"]
        if name.lower() in ALL_OBJECTS_DICT and name not in (custom_objects or {}):
            config["class_name"] = ALL_OBJECTS_DICT[name.lower()].__name__
        inner = dict(config.get("config") or {})
        if isinstance(inner.get("learning_rate"), dict):  # a schedule: may be a custom object
            inner["learning_rate"] = schedules.deserialize(inner["learning_rate"],
                                                           custom_objects)
        config["config"] = inner
    optimizer = deserialize_object(config, ALL_OBJECTS_DICT, "optimizer", custom_objects)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizers.deserialize: {config!r} did not give an Optimizer")
    return optimizer


def get(identifier: Any) -> Optimizer | None:
    """Return an optimizer from a name (``'adam'``, ``'sgd'``, ...; default arguments), a
    ``serialize`` dict or an optimizer (returned unchanged). None gives None.

    >>> type(get("rmsprop")).__name__
    'RMSprop'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, (dict, str)):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
