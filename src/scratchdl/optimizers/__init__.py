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

ALL_OBJECTS_DICT: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls
    for cls in (Optimizer, SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam)
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
    cls = type(optimizer)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__.lower()) is cls
    return {
        "module": "keras.optimizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": optimizer.get_config(),
        "registered_name": None if builtin else cls.__name__,
    }


def deserialize(config: dict[str, Any],
                custom_objects: dict[str, Any] | None = None) -> Optimizer:
    """Create an optimizer from ``serialize``'s dict (built-in class names are case-insensitive).

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: extra optimizer (and schedule) classes by name.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("optimizers.deserialize: expected a dict with 'class_name' and "
                         f"'config', got {config!r}")
    custom_objects = custom_objects or {}
    inner = dict(config.get("config") or {})
    for name in (config["class_name"], config.get("registered_name")):
        if name in custom_objects:
            return custom_objects[name].from_config(inner, custom_objects=custom_objects)
    cls = ALL_OBJECTS_DICT.get(str(config["class_name"]).lower())
    if cls is None or cls is Optimizer:
        raise ValueError(
            f"optimizers.deserialize: unknown optimizer {config['class_name']!r}; known: "
            f"{sorted(k for k in ALL_OBJECTS_DICT if k != 'optimizer')} (pass others through "
            "custom_objects)"
        )
    return cls.from_config(inner, custom_objects=custom_objects)


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
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
