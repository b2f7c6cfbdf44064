"""Saving and loading models and weights, with Keras 3's API and no pickle anywhere.

* ``save_model(model, 'm.keras')`` / ``load_model('m.keras', custom_objects=None, compile=True)``:
  one zip archive with the JSON config, the weights (safetensors) and the optimizer state.
* ``save_weights(model, path)`` / ``load_weights(model, path)``: ``.weights.safetensors``,
  ``.weights.h5`` (Keras 3's layout), ``.npz``; loading also reads Keras's legacy ``.h5``.
* ``register_keras_serializable``, ``get_registered_name``, ``get_registered_object``,
  ``CustomObjectScope``/``custom_object_scope``, ``get_custom_objects``: how configs find custom
  classes and functions.

Writes are atomic and loads validate every weight before changing anything.
"""

from scratchdl.saving.keras_h5 import load_keras_h5_weights, load_legacy_weights, write_keras3_weights
from scratchdl.saving.object_registration import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable,
)
from scratchdl.saving.saving_api import load_model, load_weights, save_model, save_weights
from scratchdl.saving.weight_paths import variable_paths

__all__ = [
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "load_keras_h5_weights", "load_legacy_weights", "load_model",
    "load_weights", "register_keras_serializable", "save_model", "save_weights", "variable_paths",
    "write_keras3_weights",
]
