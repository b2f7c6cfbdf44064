"""Structural paths for every weight of a model, in Keras 3's layout.

A weight file keys each array by where its layer sits in the model, not by the layer's name:
automatic names (``dense_7``) depend on what else was created in the session, while the structure
does not, so a file saved from one instance loads into any other instance of the same
architecture. The paths are exactly those Keras 3 writes in ``.weights.h5`` files:

* a layer's own weights are ``<layer path>/vars/<i>``, trainable ones first, in creation order;
* a ``Functional`` or ``Sequential`` model's layers are ``layers/<class>``, named by the snake-case
  class name made unique within the list (``layers/dense``, ``layers/dense_1``,
  ``layers/batch_normalization``);
* other sub-layers are found through the attributes that hold them, visited in sorted attribute
  order with private names last (``encoder/vars/0``; a list attribute gives
  ``blocks/dense``, ``blocks/dense_1``); a subclassed model also lists its ``layers``;
* a layer reached twice (shared) is stored once, at its first path.

>>> [path for path, _ in variable_paths(model)]          # doctest: +SKIP
['layers/dense/vars/0', 'layers/dense/vars/1', 'layers/dense_1/vars/0', 'layers/dense_1/vars/1']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scratchdl._naming import to_snake_case
from scratchdl.autograd.tensor import Parameter
from scratchdl.layers.layer import Layer

__all__ = ["WeightEntry", "to_snake_case", "own_variables", "variable_entries", "variable_paths"]


@dataclass(frozen=True)
class WeightEntry:
    """One weight of a model: its structural ``path``, the ``Parameter`` and the layer owning it."""

    path: str
    weight: Parameter
    layer: Layer

    @property
    def description(self) -> str:
        """``'<path>' (<layer name>/<weight name>)`` for messages."""
        label = self.weight.path or f"{self.layer.name}/{self.weight.name}"
        return f"'{self.path}' ({label})"


def own_variables(layer: Layer) -> list[Parameter]:
    """The layer's own weights (not its sub-layers'), trainable first, as Keras orders them."""
    own = list(layer._own_weights)
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _holds_layers(value: Any, depth: int = 0) -> bool:
    if isinstance(value, Layer):
        return True
    if depth > 8:
        return False
    if isinstance(value, (list, tuple)):
        return any(_holds_layers(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(_holds_layers(v, depth + 1) for v in value.values())
    return False


def _sort_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _children(layer: Layer) -> list[tuple[str, Any]]:
    """(attribute name, value) pairs to walk, in Keras's visiting order."""
    from scratchdl.models.functional import Functional
    from scratchdl.models.model import Model
    from scratchdl.models.sequential import Sequential

    skip = {"_functional"} if isinstance(layer, Sequential) else set()
    attributes = {name: value for name, value in vars(layer).items()
                  if name not in skip and _holds_layers(value)}
    if isinstance(layer, (Functional, Sequential)):
        # Keras saves the tracked layers of these models first, then any extra attributes.
        return [("layers", layer.layers)] + [(n, attributes[n]) for n in sorted(attributes, key=_sort_key)]
    if isinstance(layer, Model):
        # A subclassed model's public ``layers`` property is one more attribute in Keras's walk.
        attributes["layers"] = layer.layers
    return [(name, attributes[name]) for name in sorted(attributes, key=_sort_key)]


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


class _Walker:
    def __init__(self) -> None:
        self.entries: list[WeightEntry] = []
        self.visited_layers: set[int] = set()
        self.seen_weights: set[int] = set()

    def layer(self, layer: Layer, path: str) -> None:
        if id(layer) in self.visited_layers:
            return
        self.visited_layers.add(id(layer))
        for index, weight in enumerate(own_variables(layer)):
            if id(weight) not in self.seen_weights:
                self.seen_weights.add(id(weight))
                self.entries.append(WeightEntry(_join(path, f"vars/{index}"), weight, layer))
        for name, value in _children(layer):
            if isinstance(value, Layer):
                self.layer(value, _join(path, name))
            else:
                self.container(value, _join(path, name), set())

    def container(self, container: Any, path: str, seen: set[int]) -> None:
        if id(container) in seen:
            return
        seen.add(id(container))
        items = list(container.values()) if isinstance(container, dict) else list(container)
        used: dict[str, int] = {}
        for item in items:
            if isinstance(item, Layer):
                self.layer(item, _join(path, _unique(to_snake_case(type(item).__name__), used)))
            elif isinstance(item, (list, tuple, dict)):
                self.container(item, _join(path, _unique("container", used)), seen)


def variable_entries(model: Layer) -> list[WeightEntry]:
    """Every weight of ``model`` once, with its structural path, in walking order."""
    walker = _Walker()
    walker.layer(model, "")
    return walker.entries


def variable_paths(model: Layer) -> list[tuple[str, Parameter]]:
    """``(path, weight)`` for every weight of ``model`` (see the module docstring)."""
    return [(entry.path, entry.weight) for entry in variable_entries(model)]
