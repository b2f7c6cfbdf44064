"""Layer configs in Keras 3's layout, and the way back from a config to a layer.

``serialize_layer(layer)`` gives ``{"module", "class_name", "config", "registered_name",
"build_config"}`` exactly as ``keras.saving.serialize_keras_object`` does for a layer;
``deserialize_layer(config)`` looks the class up among scratchdl's layers and models (and the
classes registered with ``register_serializable`` or passed in ``custom_objects``), rebuilds it
with ``from_config`` and builds it from its ``build_config``. Functional node arguments use
``serialize_node_value``/``deserialize_node_value``, which store a symbolic tensor as
``{"class_name": "__keras_tensor__", ...}`` the way Keras does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from scratchdl import _serialization
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor

__all__ = ["deserialize_layer", "deserialize_node_value", "known_layer_classes",
           "serialize_layer", "serialize_node_value"]


def known_layer_classes() -> dict[str, type]:
    """Every layer and model class scratchdl knows by name (``'Dense'``, ``'Functional'``, ...)."""
    import scratchdl.layers as layers_module
    from scratchdl.models.functional import Functional
    from scratchdl.models.input_layer import InputLayer
    from scratchdl.models.model import Model
    from scratchdl.models.sequential import Sequential

    table: dict[str, type] = {}
    for name, value in vars(layers_module).items():
        if inspect.isclass(value) and issubclass(value, Layer):
            table[name] = value
    table.update({"InputLayer": InputLayer, "Functional": Functional, "Model": Model,
                  "Sequential": Sequential})
    return table


def _module_of(layer: Layer) -> tuple[str, str | None]:
    from scratchdl.models.functional import Functional
    from scratchdl.models.sequential import Sequential

    registered = _serialization.get_registered_name(type(layer))
    if registered is not None:
        return type(layer).__module__, registered
    if type(layer) is Functional:
        return "keras.src.models.functional", "Functional"
    if type(layer) is Sequential:
        return "keras", None
    known = known_layer_classes()
    if known.get(type(layer).__name__) is type(layer):
        return "keras.layers", None
    return type(layer).__module__, None


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """A layer's Keras-layout config (``module``, ``class_name``, ``config``, ``build_config``...)."""
    module, registered = _module_of(layer)
    result: dict[str, Any] = {
        "module": module,
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": registered,
    }
    build_config = layer.get_build_config()
    if build_config is not None:
        result["build_config"] = build_config
    get_compile_config = getattr(layer, "get_compile_config", None)
    if get_compile_config is not None:
        compile_config = get_compile_config()
        if compile_config is not None:
            result["compile_config"] = compile_config
    return result


def deserialize_layer(config: Mapping[str, Any],
                      custom_objects: Mapping[str, Any] | None = None) -> Layer:
    """Rebuild a layer (or model) from ``serialize_layer``'s output or a Keras layer config."""
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(f"deserialize_layer: expected a dict with 'class_name', got {config!r}")
    class_name = config["class_name"]
    cls = None
    for key in (config.get("registered_name"), class_name):
        if key is None:
            continue
        cls = _serialization.get_registered_object(key, custom_objects)
        if cls is None:
            cls = known_layer_classes().get(key)
        if cls is not None:
            break
    if cls is None:
        raise ValueError(
            f"deserialize_layer: unknown layer class '{class_name}'. Register custom layers with "
            "scratchdl's register_serializable or pass custom_objects={'" + str(class_name) + "': cls}"
        )
    inner = dict(config.get("config") or {})
    parameters = inspect.signature(cls.from_config).parameters
    if "custom_objects" in parameters:
        layer = cls.from_config(inner, custom_objects=custom_objects)
    else:
        layer = cls.from_config(inner)
    build_config = config.get("build_config")
    if build_config and not layer.built:
        layer.build_from_config(build_config)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(layer, "compile_from_config"):
        layer.compile_from_config(compile_config)
    return layer


def serialize_node_value(value: Any, history_fn: Callable[[KerasTensor], list[Any]]) -> Any:
    """A node argument as JSON-ready data; symbolic tensors become ``__keras_tensor__`` dicts.

    ``history_fn(tensor)`` gives ``[layer_name, node_index, tensor_index]`` for a tensor.
    """
    if isinstance(value, KerasTensor):
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(value.shape), "dtype": value.dtype.name,
                       "keras_history": history_fn(value)},
        }
    if isinstance(value, (list, tuple)):
        return [serialize_node_value(v, history_fn) for v in value]
    if isinstance(value, dict):
        return {k: serialize_node_value(v, history_fn) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, np.generic):
        return value.item()
    return value


def deserialize_node_value(value: Any, tensor_fn: Callable[[str, int, int], KerasTensor]) -> Any:
    """Invert ``serialize_node_value``; ``tensor_fn(layer_name, node_index, tensor_index)``
    returns the symbolic tensor a stored history points at (raising ``IndexError`` while the node
    does not exist yet)."""
    if isinstance(value, dict):
        class_name = value.get("class_name")
        if class_name == "__keras_tensor__":
            name, node_index, tensor_index = value["config"]["keras_history"]
            return tensor_fn(name, int(node_index), int(tensor_index))
        if class_name == "__tuple__":
            return tuple(deserialize_node_value(v, tensor_fn) for v in value["config"]["value"])
        if class_name == "__numpy__":
            return np.asarray(value["config"]["value"], dtype=value["config"]["dtype"])
        return {k: deserialize_node_value(v, tensor_fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [deserialize_node_value(v, tensor_fn) for v in value]
    return value
