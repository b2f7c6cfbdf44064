"""Registering custom classes and functions so that saved models can find them again.

A saved config names every object by its class or function name, never by its code. To load a
model that uses your own layer, model, activation or loss, either decorate it with
``register_keras_serializable`` (it is then stored as ``'<package>><name>'`` and found
automatically), pass it in ``load_model(..., custom_objects={'Name': obj})``, or load inside
``with CustomObjectScope({'Name': obj}):``. The registry is the one ``scratchdl._serialization``
keeps for initializers, activations and layers, so everything shares one lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from scratchdl import _serialization

__all__ = [
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "register_keras_serializable",
]

_MISSING = object()


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """Decorator registering a class or function under ``'<package>><name>'`` (Keras's scheme).

    Classes must define ``get_config()`` (and, when their constructor does not take the config's
    keys, ``from_config``).

    >>> @register_keras_serializable(package="my_package")
    ... class MyDense(Layer):                     # doctest: +SKIP
    ...     ...
    >>> get_registered_name(MyDense)              # doctest: +SKIP
    'my_package>MyDense'
    """
    return _serialization.register_serializable(package=package, name=name)


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is stored under: its registered ``'<package>><name>'``, else its ``__name__``."""
    registered = _serialization.get_registered_name(obj)
    if registered is not None:
        return registered
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: Mapping[str, Any] | None = None,
                          module_objects: Mapping[str, Any] | None = None) -> Any:
    """The object for ``name``: from an active ``CustomObjectScope`` or the registry, then
    ``custom_objects``, then ``module_objects``; None when nothing matches."""
    found = _serialization.get_registered_object(name)
    if found is not None:
        return found
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects() -> dict[str, Any]:
    """The global registry dict (name -> object); adding to it registers an object, as in Keras."""
    return _serialization._REGISTRY


class CustomObjectScope:
    """Make objects findable by name while the ``with`` block runs (Keras's ``CustomObjectScope``).

    Inside the block, configs naming ``'MyLayer'`` (or any key given) resolve to the object passed,
    even deep inside a layer config (a custom activation of a ``Dense``, for example). Scopes
    nest; leaving one restores what the names meant before.

    Args:
        custom_objects: one or more dicts ``{name: class_or_function}`` (None entries are ignored).

    >>> with CustomObjectScope({"MyLayer": MyLayer}):    # doctest: +SKIP
    ...     model = load_model("model.keras")
    """

    def __init__(self, *custom_objects: Mapping[str, Any] | None) -> None:
        self.custom_objects: dict[str, Any] = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, Mapping):
                raise TypeError(
                    f"CustomObjectScope expects dicts of {{name: object}}, got {type(objects).__name__}"
                )
            self.custom_objects.update(objects)
        self._backup: list[tuple[str, Any]] | None = None

    def __enter__(self) -> CustomObjectScope:
        registry = _serialization._REGISTRY
        self._backup = [(name, registry.get(name, _MISSING)) for name in self.custom_objects]
        registry.update(self.custom_objects)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        registry = _serialization._REGISTRY
        for name, previous in reversed(self._backup or []):
            if previous is _MISSING:
                registry.pop(name, None)
            else:
                registry[name] = previous
        self._backup = None


custom_object_scope = CustomObjectScope
