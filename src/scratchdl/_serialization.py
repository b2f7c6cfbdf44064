"""Keras-style object serialization shared by initializers, regularizers, constraints, activations.

An object serializes to ``{"module": ..., "class_name": ..., "config": ..., "registered_name": ...}``
(exactly Keras 3's layout), built from its ``get_config()``; deserializing looks the class name up in
a table of known classes and calls ``from_config``. Nothing is pickled: a user's own class or
function is found by the name it was registered under with ``register_serializable``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "register_serializable", "get_registered_name", "get_registered_object",
    "serialize_object", "deserialize_object", "serialize_function", "deserialize_function",
    "get_object",
]

_REGISTRY: dict[str, Any] = {}
_NAMES: dict[int, str] = {}


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """Decorator registering a class or function under ``'<package>>name'`` (Keras's scheme).

    Registered objects can be stored in configs by name and found again when a config is loaded,
    e.g. a custom activation, initializer, or the function of a ``Lambda`` layer.

    >>> @register_serializable(package="my_pkg")
    ... def double(x):
    ...     return x * 2
    >>> get_registered_name(double)
    'my_pkg>double'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_serializable: package must be a string without '>', got {package!r}")

    def decorator(obj: Any) -> Any:
        object_name = name if name is not None else getattr(obj, "__name__", None)
        if not object_name:
            raise ValueError(f"register_serializable: cannot find a name for {obj!r}; pass name=")
        if object_name == "<lambda>":
            raise ValueError("register_serializable: a Python lambda has no name; pass name=")
        key = f"{package}>{object_name}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"register_serializable: class {obj.__name__} must define get_config()")
        _REGISTRY[key] = obj
        _NAMES[id(obj)] = key
        return obj

    return decorator


def get_registered_name(obj: Any) -> str | None:
    """The name ``obj`` was registered under, or None."""
    return _NAMES.get(id(obj))


def get_registered_object(name: str, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """The object registered (or passed in ``custom_objects``) under ``name``, or None."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return _REGISTRY.get(name)


def serialize_object(obj: Any, module: str) -> Any:
    """``obj`` as a Keras-style dict ``{"module", "class_name", "config", "registered_name"}``.

    Instances of scratchdl's own classes get ``module`` (e.g. ``'keras.initializers'``, so configs
    read like Keras's); instances of registered user classes carry their registered name.
    """
    if obj is None:
        return None
    if inspect.isfunction(obj):
        return serialize_function(obj)
    if not hasattr(obj, "get_config"):
        raise ValueError(
            f"Cannot serialize {obj!r}: it has no get_config(). Use an object with get_config() "
            "or register it with scratchdl's register_serializable"
        )
    registered = get_registered_name(type(obj))
    return {
        "module": module if registered is None else type(obj).__module__,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": registered,
    }


def deserialize_object(config: Any, objects: Mapping[str, Any], kind: str,
                       custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild an object from ``serialize_object``'s dict (or a Keras config of the same layout).

    ``objects`` maps class names (and snake-case aliases) to the known classes; registered names
    and ``custom_objects`` are looked up too. ``kind`` names what is built, for error messages.
    """
    if config is None:
        return None
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(f"Could not deserialize {kind}: expected a dict with 'class_name', got {config!r}")
    class_name = config["class_name"]
    if class_name in ("function", "__lambda__"):
        return deserialize_function(config, {}, kind, custom_objects)
    registered = config.get("registered_name")
    cls = None
    for key in (registered, class_name):
        if key is None:
            continue
        cls = get_registered_object(key, custom_objects)
        if cls is None:
            cls = objects.get(key)
        if cls is not None:
            break
    if cls is None:
        raise ValueError(
            f"Could not deserialize {kind} '{class_name}': unknown name. Known names: "
            f"{sorted(k for k in objects if k[0].isupper())}; register custom classes with "
            "register_serializable or pass custom_objects"
        )
    inner = config.get("config", {}) or {}
    if inspect.isclass(cls):
        return cls.from_config(dict(inner)) if hasattr(cls, "from_config") else cls(**inner)
    return cls


def get_object(identifier: Any, objects: Mapping[str, Any], kind: str,
               deserialize: Callable[[Any], Any]) -> Any:
    """The ``get`` of regularizers and constraints: resolve ``identifier`` to an object.

    None gives None; a dict goes through ``deserialize``; a string is looked up in ``objects``
    (a ValueError naming ``kind`` and the known names otherwise); a class is instantiated with
    its defaults; anything else must be callable and is returned as it is.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj: Any = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = objects.get(identifier)
        if obj is None:
            raise ValueError(
                f"Could not interpret {kind} identifier: {identifier!r}. Known names: "
                f"{sorted(objects)}"
            )
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
    return obj


def serialize_function(fn: Any) -> dict[str, Any]:
    """A function as Keras stores it: ``{"module": "builtins", "class_name": "function",
    "config": <registered name or __name__>, "registered_name": "function"}``.

    Only the name is stored (never the code). A Python lambda has no name: it is stored as
    ``{"class_name": "__lambda__", ...}`` with a description only, which cannot be loaded back.
    """
    if not callable(fn):
        raise ValueError(f"Cannot serialize {fn!r}: it is not callable")
    name = get_registered_name(fn)
    if name is None:
        name = getattr(fn, "__name__", None)
        if name is None or name == "<lambda>":
            code = getattr(fn, "__code__", None)
            where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else repr(fn)
            return {"module": None, "class_name": "__lambda__",
                    "config": {"description": f"Python lambda defined at {where}"},
                    "registered_name": None}
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def deserialize_function(config: Any, builtins: Mapping[str, Any], what: str,
                         custom_objects: Mapping[str, Any] | None = None) -> Any:
    """The function ``serialize_function`` stored: looked up in ``custom_objects``, the registry,
    then ``builtins`` (e.g. the activations). Lambdas and unknown names raise a clear error."""
    if isinstance(config, str):
        name = config
    elif isinstance(config, Mapping) and config.get("class_name") == "__lambda__":
        description = (config.get("config") or {}).get("description", "a Python lambda")
        raise ValueError(
            f"Cannot deserialize the {what}: it was {description}. scratchdl never stores or runs "
            "code from a config (that would allow arbitrary code execution). Define it as a named "
            "function, decorate it with scratchdl's register_serializable, and rebuild the layer, "
            "or pass it in custom_objects"
        )
    elif isinstance(config, Mapping) and config.get("class_name") == "function":
        name = config.get("config")
    else:
        raise ValueError(f"Cannot deserialize the {what} from {config!r}: expected a function config")
    fn = get_registered_object(name, custom_objects)
    if fn is None:
        fn = builtins.get(name)
    if fn is None and custom_objects and isinstance(name, str) and ">" in name:
        fn = custom_objects.get(name.split(">", 1)[1])
    if fn is None:
        raise ValueError(
            f"Cannot deserialize the {what} {name!r}: no function is registered under that name. "
            "Decorate it with scratchdl's register_serializable (or pass custom_objects)"
        )
    return fn
