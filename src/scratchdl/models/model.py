"""``Model``: a layer that can be trained, summarized and saved (Keras 3's ``keras.Model``).

Three kinds of models exist, as in Keras:

* ``Model(inputs, outputs)`` builds a ``Functional`` model from symbolic tensors;
* ``class MyModel(Model)`` with its own ``call`` is a subclassed model;
* ``Sequential([...])`` is a stack of layers (a functional graph once the input shape is known).

The training API (``compile``, ``fit``, ``evaluate``, ``predict``, ...) comes from ``Trainer``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.mode import no_grad
from scratchdl.layers.layer import Layer, _shape_of, training_scope
from scratchdl.models.trainer import Trainer

__all__ = ["Model", "model_from_json"]

_FUNCTIONAL_CLASSES: dict[type, type] = {}


def _functional_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> bool:
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _dummy_input(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {k: _dummy_input(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [_dummy_input(s) for s in shape]
    return np.zeros(tuple(1 if d is None else int(d) for d in shape), dtype=backend.floatx())


class Model(Trainer, Layer):
    """A trainable model with Keras 3's API.

    ``Model(inputs, outputs, name=...)`` creates a functional model; subclass ``Model`` and
    define ``call`` (and the layers in ``__init__``) for a subclassed model.

    >>> class TwoLayers(Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = Dense(8, activation="relu")    # doctest: +SKIP
    ...         self.out = Dense(1)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        if cls is Model and _functional_arguments(args, kwargs):
            from scratchdl.models.functional import Functional

            return object.__new__(Functional)
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from scratchdl.models.functional import Functional

        if _functional_arguments(args, kwargs) and not isinstance(self, Functional):
            # A subclass that passes inputs/outputs up: make it a functional model (as Keras).
            cls = type(self)
            if cls not in _FUNCTIONAL_CLASSES:
                _FUNCTIONAL_CLASSES[cls] = type(cls.__name__, (cls, Functional),
                                                {"__module__": cls.__module__})
            object.__setattr__(self, "__class__", _FUNCTIONAL_CLASSES[cls])
            Functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}: positional arguments {args!r} are not understood; a "
                "functional model takes Model(inputs, outputs), a subclassed model none"
            )
        Trainer.__init__(self)
        Layer.__init__(self, **kwargs)

    # ------------------------------------------------------------------ layers
    @property
    def layers(self) -> list[Layer]:
        """The model's direct sub-layers, in the order they were assigned."""
        return [layer for layer in self._flatten_layers(include_self=False, recursive=False)]

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Model.layers` is reserved and cannot be set; use another attribute name")

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Return a layer by its name or by its index in ``layers``.

        Raises:
            ValueError: when both or neither are given, or when no such layer exists.
        """
        if index is not None and name is not None:
            raise ValueError(f"Model '{self.name}': Provide only a layer name or a layer index. "
                             f"Received: index={index}, name={name}.")
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise ValueError(f"Model '{self.name}': was asked to retrieve layer at index {index} but the "
                                 f"model only has {len(layers)} layers.")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"Model '{self.name}': No such layer: {name}. Existing layers are: "
                             f"{[layer.name for layer in layers]}.")
        raise ValueError(f"Model '{self.name}': Provide either a layer name or layer index at `get_layer`.")

    # ------------------------------------------------------------------ building
    def build(self, input_shape: Any = None) -> None:
        """Create the weights by running the model once on zeros of ``input_shape``.

        ``None`` sizes (the batch) become 1. Without a shape the model is only marked built
        (sub-layers then build on the first real call).
        """
        if input_shape is None or self.built:
            self.built = True
            return
        dummy = _dummy_input(input_shape)
        self.built = True
        with no_grad(), training_scope(False):
            self(dummy, training=False)
        self._build_shapes = input_shape
        self._clear_losses()

    def _maybe_build(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.built:
            return
        if type(self).build is Model.build:
            # The default build: sub-layers create their weights during this first call.
            self._build_shapes = _shape_of(args[0]) if args else None
            self.built = True
            return
        super()._maybe_build(args, kwargs)

    # ------------------------------------------------------------------ summary
    def summary(self, line_length: int | None = None, positions: Sequence[float] | None = None,
                print_fn: Callable[..., Any] | None = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Sequence[str] | None = None) -> None:
        """Print the layer table (name, type, output shape, parameter count) and the totals.

        Args:
            line_length: the total width of the table (Keras's default: 88 for sequential-like
                models, 108 otherwise, at most the terminal width minus 4).
            positions: the relative right edges of the columns.
            print_fn: called with the whole summary text instead of printing it.
            expand_nested: also list the layers of nested models.
            show_trainable: add a column saying whether each layer is trainable.
            layer_range: two layer names (or regexes): print only the layers between them.
        """
        from scratchdl.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    # ------------------------------------------------------------------ saving (scratchdl.saving)
    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the architecture, weights and compile settings to ``filepath`` (``.keras`` archive)."""
        from scratchdl import saving

        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save only the weights (``.weights.h5``)."""
        from scratchdl import saving

        saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights saved by ``save_weights`` or ``save`` (or by Keras)."""
        from scratchdl import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    # ------------------------------------------------------------------ config
    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Model:
        """Create a model from ``get_config()`` (a functional config gives a functional model)."""
        from scratchdl.models.functional import Functional, functional_from_config

        if all(key in config for key in ("layers", "input_layers", "output_layers")):
            target = Functional if cls is Model else cls
            return functional_from_config(target, config, custom_objects=custom_objects)
        return cls(**config)

    def to_json(self, **kwargs: Any) -> str:
        """The model's Keras-layout config as a JSON string (``model_from_json`` reads it)."""
        from scratchdl.models.layer_serialization import serialize_layer

        return json.dumps(serialize_layer(self), default=_json_default, **kwargs)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"to_json: cannot serialize {type(value).__name__}: {value!r}")


def model_from_json(json_string: str, custom_objects: Mapping[str, Any] | None = None) -> Layer:
    """Rebuild a model (architecture only, fresh weights) from ``Model.to_json()``'s string."""
    from scratchdl.models.layer_serialization import deserialize_layer

    return deserialize_layer(json.loads(json_string), custom_objects=custom_objects)
