"""``Sequential``: a linear stack of layers (Keras 3's ``keras.Sequential``).

When the input shape is known (an ``Input`` as first element, or ``input_shape=`` on the first
layer) the stack is turned into a functional graph at once, so the weights exist and
``summary()`` shows every output shape. Otherwise the model is built on its first call (or by
``build(input_shape)``), as in Keras.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor
from scratchdl.models.functional import Functional
from scratchdl.models.input_layer import InputLayer
from scratchdl.models.layer_serialization import deserialize_layer, serialize_layer
from scratchdl.models.model import Model

__all__ = ["Sequential"]


def _standardize_shape(shape: Any) -> tuple[int | None, ...] | None:
    if not isinstance(shape, (tuple, list)):
        return None
    if not all(d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool)) for d in shape):
        return None
    return tuple(None if d is None else int(d) for d in shape)


class Sequential(Model):
    """A model that applies its layers one after the other.

    Args:
        layers: the initial layers (an ``Input`` tensor may come first).
        trainable: whether the model's weights are trained.
        name: the model's name.

    >>> model = Sequential([Input(shape=(16,)), Dense(8), Dense(4)])   # doctest: +SKIP
    >>> len(model.weights)                                              # doctest: +SKIP
    4
    """

    def __init__(self, layers: Iterable[Any] | None = None, trainable: bool = True,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._layer_stack: list[Layer] = []
        self._functional: Functional | None = None
        if layers:
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    @property
    def _layers(self) -> list[Layer]:
        # The internal functional graph shares the stack's layers: it is not a sub-layer itself.
        functional = self.__dict__.get("_functional")
        return [layer for layer in super()._layers if layer is not functional]

    # ------------------------------------------------------------------ the stack
    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or an ``Input`` tensor as the first element) to the stack."""
        if not self._layer_stack and getattr(layer, "_input_shape_arg", None) is not None:
            self.add(InputLayer(batch_shape=layer._input_shape_arg), rebuild=False)
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            origin = layer._keras_history[0]
            if isinstance(origin, InputLayer):
                layer = origin
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Only instances of Layer can be added to a Sequential model. Received: {layer!r} "
                f"(of type {type(layer).__name__})"
            )
        for existing in self._layer_stack:
            if existing.name == layer.name and existing is not layer:
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. Name "
                    f"'{layer.name}' is already the name of a layer in this model. Update the "
                    "`name` argument to pass a unique name."
                )
        if isinstance(layer, InputLayer) and self._layer_stack and isinstance(self._layer_stack[0], InputLayer):
            raise ValueError(
                f"Sequential model '{self.name}' has already been configured to use input shape "
                f"{self._layer_stack[0].batch_shape}. You cannot add a different Input layer to it."
            )
        self._layer_stack.append(layer)
        if rebuild:
            self._maybe_rebuild()
        else:
            self.built = False
            self._functional = None

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise TypeError(f"Sequential model '{self.name}': there are no layers in the model to pop")
        layer = self._layer_stack.pop()
        self.built = False
        self._functional = None
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        self.built = False
        self._functional = None
        stack = self._layer_stack
        if not stack:
            return
        if isinstance(stack[0], InputLayer) and len(stack) > 1:
            self.build(stack[0].batch_shape)
        elif len(stack) > 1:
            try:
                input_shape = stack[0].input_shape  # a model (or layer) that knows its input
            except AttributeError:
                return
            self.build(input_shape)

    @property
    def layers(self) -> list[Layer]:
        """The layers added to the model (without the automatic ``InputLayer``)."""
        stack = self._layer_stack
        if stack and isinstance(stack[0], InputLayer):
            return stack[1:]
        return list(stack)

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Sequential.layers` cannot be set; use add() and pop()")

    # ------------------------------------------------------------------ building and calling
    def build(self, input_shape: Any = None) -> None:
        """Build the functional graph for ``input_shape`` (batch dimension first)."""
        shape = _standardize_shape(input_shape)
        if shape is None:
            return  # not a single input tensor: the layers are applied one by one
        if not self._layer_stack:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built because it has no layers. Call "
                "`model.add(layer)`."
            )
        first = self._layer_stack[0]
        if isinstance(first, InputLayer):
            if first.batch_shape != shape:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {first.batch_shape}. You cannot build it with input_shape {shape}"
                )
        else:
            self._layer_stack.insert(0, InputLayer(batch_shape=shape, dtype=first.compute_dtype))
        inputs = self._layer_stack[0].output
        x: Any = inputs
        for layer in self._layer_stack[1:]:
            try:
                x = layer(x)
            except NotImplementedError:
                return  # shape inference impossible: fall back to eager application
        self._functional = Functional(inputs=inputs, outputs=x)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        """Run the layers in order (through the functional graph when it exists)."""
        if self._functional is not None:
            return self._functional.call(inputs, training=training, mask=mask)
        outputs = inputs
        for layer in self.layers:
            outputs = layer(outputs, training=training)
        return outputs

    def compute_output_spec(self, inputs: Any, training: bool | None = None, mask: Any = None,
                            **kwargs: Any) -> Any:
        """Symbolic outputs for symbolic inputs."""
        if self._functional is not None:
            return self._functional.compute_output_spec(inputs, training=training, mask=mask)
        outputs = inputs
        for layer in self.layers:
            outputs = layer.compute_output_spec(outputs)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape``."""
        if self._functional is not None:
            return self._functional.compute_output_shape(input_shape)
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    # ------------------------------------------------------------------ graph properties
    def _graph(self, what: str) -> Functional:
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        return self._functional

    @property
    def input_shape(self) -> Any:
        """The input shape (raises AttributeError until known)."""
        return self._graph("input shape").input_shape

    @property
    def output_shape(self) -> Any:
        """The output shape (raises AttributeError until known)."""
        return self._graph("output shape").output_shape

    @property
    def inputs(self) -> list[KerasTensor]:
        """The symbolic inputs (raises AttributeError until known)."""
        return self._graph("inputs").inputs

    @property
    def outputs(self) -> list[KerasTensor]:
        """The symbolic outputs (raises AttributeError until known)."""
        return self._graph("outputs").outputs

    @property
    def input(self) -> Any:
        """The symbolic input (raises AttributeError until known)."""
        return self._graph("input").input

    @property
    def output(self) -> Any:
        """The symbolic output (raises AttributeError until known)."""
        return self._graph("output").output

    @property
    def output_names(self) -> list[str] | None:  # type: ignore[override]
        """The output's name: the last layer's once the graph exists, or the names assigned.

        As with Keras, assigning a list of names (one per output) renames the output for
        ``compile``'s dict-keyed losses and metrics.
        """
        assigned = self.__dict__.get("_assigned_output_names")
        if assigned is not None:
            return list(assigned)
        return None if self._functional is None else self._functional.output_names

    @output_names.setter
    def output_names(self, value: Any) -> None:
        if value is None:
            self.__dict__["_assigned_output_names"] = None
            return
        names = [value] if isinstance(value, str) else list(value)
        if len(names) != 1 or not all(isinstance(name, str) for name in names):
            raise ValueError(
                f"Sequential model '{self.name}': output_names must be one string (a Sequential "
                f"model has one output), got {value!r}"
            )
        self.__dict__["_assigned_output_names"] = names

    @property
    def input_dtype(self) -> str:
        """The dtype the inputs are converted to."""
        stack = self._layer_stack
        if stack and isinstance(stack[0], InputLayer):
            return stack[0].dtype
        return self.dtype

    # ------------------------------------------------------------------ config
    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape the graph was built for (None while unbuilt)."""
        if self._functional is not None:
            return {"input_shape": self._layer_stack[0].batch_shape}
        return super().get_build_config()

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        """Build the graph for the stored input shape."""
        if config and config.get("input_shape") is not None and self._functional is None:
            self.build(tuple(config["input_shape"]))

    def get_config(self) -> dict[str, Any]:
        """Keras's Sequential config: ``name``, ``trainable``, ``dtype``, ``layers`` (the
        ``InputLayer`` included) and ``build_input_shape`` when built."""
        config = Model.get_config(self)
        config["name"] = self.name
        config["layers"] = copy.deepcopy([serialize_layer(layer) for layer in self._layer_stack])
        if self._functional is not None:
            config["build_input_shape"] = self._layer_stack[0].batch_shape
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Sequential:
        """Rebuild the model and its layers from ``get_config()``."""
        if "name" not in config or "layers" not in config:
            raise ValueError(
                "A Sequential model configuration must be a dictionary containing the 'name' and "
                f"'layers' keys. Received: config={config}"
            )
        model = cls(name=config["name"])
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects=custom_objects))
        build_input_shape = config.get("build_input_shape")
        if model._functional is None and isinstance(build_input_shape, (tuple, list)) and build_input_shape:
            model.build(tuple(build_input_shape))
        if config.get("trainable") is False:
            model.trainable = False
        return model
