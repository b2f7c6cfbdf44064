"""The ``Layer`` base class, with Keras 3's public surface.

A layer owns weights (``Parameter``s made by ``add_weight``) and computes ``call(inputs)``. It is
built lazily: the first call passes the input shape to ``build``, which creates the weights.
Sub-layers and weights assigned as attributes are tracked automatically, in assignment order,
which fixes the order of ``weights`` and ``get_weights()`` exactly as in Keras.

Calling a layer on a symbolic ``KerasTensor`` (from ``Input``) records a node for the functional
API instead of computing: the output shape comes from ``compute_output_shape`` when the layer
defines it, otherwise from running ``call`` on small dummy batches.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl._naming import to_snake_case
from scratchdl.autograd.mode import no_grad
from scratchdl.autograd.tensor import Parameter, Tensor
from scratchdl.layers._call_context import (
    _STRUCTURE_VERSION,
    current_training,
    pop_training,
    push_training,
    structure_version,
    training_scope,
)
from scratchdl.layers._utils import label
from scratchdl.layers.symbolic import (
    KerasTensor,
    Node,
    flatten,
    is_symbolic,
    map_structure,
    shape_tuples,
    shapes_to_keras_tensors,
    zip_structure,
)

__all__ = ["Layer", "current_training", "structure_version", "training_scope"]

_ALLOWED_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights"}


def _layer_dtype(layer: Layer, dtype: Any) -> str:
    """The dtype name a layer runs in: ``dtype`` (a NumPy dtype or its name, or a serialized
    ``DTypePolicy`` dict) or ``floatx()``. Keras's mixed-precision policies (``'mixed_float16'``,
    ``'mixed_bfloat16'``) and names NumPy does not know raise an error naming the layer."""
    dtype_name = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if isinstance(dtype_name, str) and dtype_name.startswith("mixed_"):
        raise ValueError(
            f"{label(layer)}: dtype {dtype_name!r} is a Keras mixed-precision policy, which scratchdl does not "
            "support (weights and computations share one dtype); pass a single dtype such as "
            "'float16', 'float32' or 'float64'"
        )
    try:
        return np.dtype(dtype_name or backend.floatx()).name
    except TypeError:
        raise TypeError(
            f"{label(layer)}: dtype {dtype_name!r} is not a data type NumPy understands; pass a dtype such "
            "as 'float16', 'float32' or 'float64'"
        ) from None


def _shape_of(value: Any) -> Any:
    if isinstance(value, (KerasTensor, Tensor, np.ndarray)):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)):
        return [_shape_of(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape_of(v) for k, v in value.items()}
    return tuple(np.shape(value))


class Layer:
    """Base class of all layers, with Keras 3's API.

    Subclasses implement ``build(input_shape)`` (create weights with ``add_weight``) and
    ``call(inputs, training=None, mask=None)``; they pass their own arguments' values to
    ``get_config``.

    Args:
        trainable: whether the layer's weights are updated by training.
        dtype: the dtype of the weights and computations (``floatx()`` by default).
        name: a unique name; by default the snake-case class name with a counter
            (``dense``, ``dense_1``, ...).
        activity_regularizer: a regularizer applied to the layer's output.
        autocast: cast float inputs to the layer's dtype.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # As in Keras, a subclass's ``build`` marks the layer built when it returns, so calling
        # ``layer.build(shape)`` directly leaves ``layer.built`` True.
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            @functools.wraps(build)
            def build_and_mark(self: Layer, *args: Any, **build_kwargs: Any) -> None:
                build(self, *args, **build_kwargs)
                self.built = True

            build_and_mark._marks_built = True  # type: ignore[attr-defined]
            cls.build = build_and_mark  # type: ignore[method-assign]

    def __init__(self, *, activity_regularizer: Any = None, trainable: bool = True,
                 dtype: Any = None, autocast: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {k: kwargs[k] for k in sorted(unknown)} }"
            )
        object.__setattr__(self, "_tracking", False)
        if name is None:
            prefix = to_snake_case(type(self).__name__)
            uid = backend.get_uid(prefix)
            name = prefix if uid == 1 else f"{prefix}_{uid - 1}"
        if not isinstance(name, str) or not name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string, got {name!r}")
        self.name = name
        self._dtype = _layer_dtype(self, dtype)
        self.autocast = autocast
        self._trainable = bool(trainable)
        self.built = False
        self.supports_masking = False
        self._own_weights: list[Parameter] = []
        self._losses: list[Tensor] = []
        self._inbound_nodes: list[Node] = []
        self._build_shapes: Any = None
        self._initial_weights = kwargs.get("weights")
        from scratchdl import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        input_shape = kwargs.get("input_shape")
        batch_input_shape = kwargs.get("batch_input_shape")
        if kwargs.get("input_dim") is not None and input_shape is None:
            input_shape = (kwargs["input_dim"],)
        if batch_input_shape is not None:
            self._input_shape_arg: tuple[Any, ...] | None = tuple(batch_input_shape)
        elif input_shape is not None:
            self._input_shape_arg = (kwargs.get("batch_size"), *tuple(input_shape))
        else:
            self._input_shape_arg = None
        self._call_signature = inspect.signature(self.call)
        self._call_accepts = set(self._call_signature.parameters)
        object.__setattr__(self, "_tracking", True)

    # ------------------------------------------------------------------ dtype and flags
    @property
    def dtype(self) -> str:
        """The layer's variable and compute dtype name (e.g. ``'float32'``)."""
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype computations run in (equal to ``dtype``: no mixed precision)."""
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype of the layer's weights."""
        return self._dtype

    @property
    def trainable(self) -> bool:
        """Whether training updates this layer's weights; setting it applies to all sub-layers."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        _STRUCTURE_VERSION[0] += 1
        self._trainable = bool(value)
        for weight in self._own_weights:
            weight.requires_grad = weight.trainable and self._trainable
        for layer in self._layers:
            layer.trainable = value

    # ------------------------------------------------------------------ tracking
    @property
    def _layers(self) -> list[Layer]:
        """Directly owned sub-layers, in attribute-assignment order."""
        found: list[Layer] = []
        seen: set[int] = set()
        for value in self.__dict__.values():
            for item in _layers_in(value):
                if id(item) not in seen and item is not self:
                    seen.add(id(item))
                    found.append(item)
        return found

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list[Layer]:
        layers: list[Layer] = [self] if include_self else []
        seen = {id(self)}
        for layer in self._layers:
            # A layer reachable twice (e.g. also inside a nested model) is listed once, as in
            # Keras, so its regularization penalties are not counted twice.
            for item in [layer, *(layer._flatten_layers(include_self=False) if recursive else [])]:
                if id(item) not in seen:
                    seen.add(id(item))
                    layers.append(item)
        return layers

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_tracking", False):
            if isinstance(value, Parameter):
                _STRUCTURE_VERSION[0] += 1
                if all(value is not w for w in self._own_weights):
                    self._own_weights.append(value)
                    if not value.path:
                        value.path = f"{self.name}/{name}"
            elif isinstance(value, (Layer, list, tuple, dict)) and _layers_in(value):
                _STRUCTURE_VERSION[0] += 1
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape: Sequence[int] | None = None, initializer: Any = None,
                   dtype: Any = None, trainable: bool = True, regularizer: Any = None,
                   constraint: Any = None, name: str | None = None, **kwargs: Any) -> Parameter:
        """Create a weight of this layer (Keras's ``add_weight``).

        Args:
            shape: the weight's shape (``()`` for a scalar).
            initializer: an initializer object, name (``'glorot_uniform'``) or callable; defaults
                to ``'glorot_uniform'`` for floats, as Keras does.
            dtype: the weight's dtype (the layer's by default).
            trainable: whether an optimizer updates it.
            regularizer: a regularizer whose penalty joins ``layer.losses``.
            constraint: a function applied to the weight after each optimizer update.
            name: the weight's name (its ``path`` is ``'<layer name>/<name>'``).
        """
        from scratchdl import constraints, initializers, regularizers

        unknown = set(kwargs) - {"aggregation", "overwrite_with_gradient", "autocast"}
        if unknown:
            raise ValueError(f"{self.name}.add_weight: unknown arguments {sorted(unknown)}")
        shape = tuple(int(d) for d in (shape if shape is not None else ()))
        dtype = np.dtype(dtype or self._dtype)
        initializer = initializers.get(initializer if initializer is not None else
                                       ("glorot_uniform" if dtype.kind == "f" else "zeros"))
        value = backend.as_array(initializer(shape, dtype=dtype.name), dtype)
        if value.shape != shape:
            raise ValueError(
                f"{self.name}.add_weight: the initializer returned shape {value.shape}, expected {shape}"
            )
        weight = Parameter(value, trainable=trainable and dtype.kind == "f", name=name)
        weight.requires_grad = weight.trainable and self._trainable
        weight.path = f"{self.name}/{name}" if name else self.name
        weight.regularizer = regularizers.get(regularizer)
        weight.constraint = constraints.get(constraint)
        object.__setattr__(self, "_tracking", False)
        self._own_weights.append(weight)
        object.__setattr__(self, "_tracking", True)
        _STRUCTURE_VERSION[0] += 1
        return weight

    @property
    def weights(self) -> list[Parameter]:
        """All weights: this layer's own (trainable first), then each sub-layer's, without repeats."""
        own = [w for w in self._own_weights if w.trainable] + [w for w in self._own_weights if not w.trainable]
        result: list[Parameter] = []
        seen: set[int] = set()
        for weight in own:
            if id(weight) not in seen:
                seen.add(id(weight))
                result.append(weight)
        for layer in self._layers:
            for weight in layer.weights:
                if id(weight) not in seen:
                    seen.add(id(weight))
                    result.append(weight)
        return result

    @property
    def variables(self) -> list[Parameter]:
        """The same as ``weights`` (Keras also lists metric state here; layers hold none)."""
        return self.weights

    @property
    def trainable_weights(self) -> list[Parameter]:
        """Weights that training updates (none while the layer is frozen)."""
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable and w.requires_grad]

    @property
    def non_trainable_weights(self) -> list[Parameter]:
        """Weights that training does not update (all of them while the layer is frozen)."""
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not (w.trainable and w.requires_grad)]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self) -> list[np.ndarray]:
        """Return copies of all weights as NumPy arrays, in ``weights`` order."""
        return [w.numpy().copy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set all weights from a list of arrays, in ``weights`` order.

        Every count and shape is checked before anything changes; one error lists every mismatch.
        """
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"{label(self)}: set_weights expected a list of {len(own)} arrays "
                f"(for {[w.path for w in own]}), got {len(weights)}"
            )
        arrays = [np.asarray(w.data if isinstance(w, Tensor) else w) for w in weights]
        problems = [
            f"weight {i} ('{w.path}') expects shape {w.shape}, got {a.shape}"
            for i, (w, a) in enumerate(zip(own, arrays)) if tuple(a.shape) != w.shape
        ]
        if problems:
            raise ValueError(f"{label(self)}: set_weights shape mismatch: " + "; ".join(problems))
        for weight, array in zip(own, arrays):
            weight.assign(array)

    def count_params(self) -> int:
        """The total number of weight elements (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"{label(self)}: you tried to call `count_params`, but the layer isn't built. You can "
                "build it manually via: `layer.build(input_shape)`"
            )
        return int(sum(w.size for w in self.weights))

    # ------------------------------------------------------------------ losses
    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of this layer and its sub-layers (as scalar tensors)."""
        return collect_losses(self._flatten_layers())

    def add_loss(self, loss: Any) -> None:
        """Add a loss tensor (e.g. an activity penalty) computed during ``call``."""
        self._losses.append(loss if isinstance(loss, Tensor) else Tensor(loss))

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses = []

    # ------------------------------------------------------------------ build and call
    def build(self, input_shape: Any = None) -> None:
        """Create the layer's weights for ``input_shape`` (override in subclasses)."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's computation (override in subclasses)."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The output mask: the input mask when the layer supports masking, else None."""
        return previous_mask if self.supports_masking else None

    def _maybe_build(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.built:
            return
        build_params = [
            p for p in inspect.signature(self.build).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        call_params = list(self._call_signature.parameters)
        if len(build_params) > 1 and all(p.name.endswith("_shape") for p in build_params):
            bound = dict(zip(call_params, args))
            bound.update(kwargs)
            shapes = {
                p.name: _shape_of(bound[p.name[: -len("_shape")]])
                for p in build_params if bound.get(p.name[: -len("_shape")]) is not None
            }
            self._build_shapes = shapes
            self.build(**shapes)
        else:
            shape = _shape_of(args[0]) if args else None
            self._build_shapes = shape
            self.build(shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _convert_input(self, value: Any) -> Any:
        if isinstance(value, Tensor):
            if self.autocast and value.dtype.kind == "f" and value.dtype != self._dtype:
                from scratchdl import ops

                cast = ops.cast(value, self._dtype)
                mask = getattr(value, "_keras_mask", None)
                if mask is not None:
                    cast._keras_mask = mask
                return cast
            return value
        if isinstance(value, np.ndarray) or isinstance(value, (float, int, np.generic)) and not isinstance(value, bool):
            array = backend.as_array(value)
            if self.autocast and array.dtype.kind == "f":
                array = array.astype(self._dtype, copy=False)
            return Tensor(array)
        return value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and "inputs" in kwargs:
            args = (kwargs.pop("inputs"),)
        if is_symbolic((args, kwargs)):
            return self._symbolic_call(args, kwargs)

        if args:  # the first argument's arrays become tensors (the others are passed as they are)
            args = (map_structure(self._convert_input, args[0]), *args[1:])
        training = kwargs.get("training")
        if training is None:
            training = current_training()
        if "training" in self._call_accepts:
            kwargs["training"] = training
        else:
            kwargs.pop("training", None)
        previous_mask = None
        if args:
            first = args[0]
            if isinstance(first, (list, tuple)):
                masks = [getattr(t, "_keras_mask", None) for t in first]
                previous_mask = masks if any(m is not None for m in masks) else None
            else:
                previous_mask = getattr(first, "_keras_mask", None)
        if "mask" in self._call_accepts:
            if kwargs.get("mask") is None and previous_mask is not None:
                kwargs["mask"] = previous_mask
        else:
            kwargs.pop("mask", None)

        self._maybe_build(args, kwargs)
        if self._losses:  # this call's losses replace the previous call's
            self._losses = []
        push_training(training)
        try:
            outputs = self.call(*args, **kwargs)
        finally:
            pop_training()
        if self.activity_regularizer is not None:
            for output in flatten(outputs):
                if isinstance(output, Tensor):
                    self.add_loss(self.activity_regularizer(output) / max(output.shape[0] if output.ndim else 1, 1))
        mask = kwargs.get("mask", previous_mask)
        output_mask = self.compute_mask(args[0] if args else None, mask)
        if output_mask is not None:
            if isinstance(outputs, Tensor):
                outputs._keras_mask = output_mask if not isinstance(output_mask, (list, tuple)) else output_mask[0]
            elif isinstance(outputs, (list, tuple)) and isinstance(output_mask, (list, tuple)):
                for out, m in zip(outputs, output_mask):
                    if isinstance(out, Tensor):
                        out._keras_mask = m
        return outputs

    # ------------------------------------------------------------------ symbolic calls
    def _symbolic_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._maybe_build_symbolic(args, kwargs)
        outputs = self.compute_output_spec(*args, **kwargs)
        node_index = len(self._inbound_nodes)
        flat = flatten(outputs)
        for index, tensor in enumerate(flat):
            tensor._keras_history = (self, node_index, index)
        self._inbound_nodes.append(Node(self, args, kwargs, flat))
        return outputs

    def _maybe_build_symbolic(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self.built:
            self._maybe_build(args, kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Symbolic outputs for symbolic inputs.

        Uses ``compute_output_shape`` when the layer defines it; otherwise runs ``call`` on two
        small dummy batches (unknown sizes set to 2, then 3) and marks the output sizes that
        changed as unknown (``None``).
        """
        if type(self).compute_output_shape is not Layer.compute_output_shape and args:
            shapes = self.compute_output_shape(_shape_of(args[0]))
            return shapes_to_keras_tensors(shapes, self._dtype, label(self))
        first = self._dummy_call(args, kwargs, 2)
        second = self._dummy_call(args, kwargs, 3)

        def merge(a: Any, b: Any) -> KerasTensor:
            shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
            return KerasTensor(shape, a.dtype)

        return zip_structure(merge, first, second)

    def _dummy_call(self, args: tuple[Any, ...], kwargs: dict[str, Any], size: int) -> Any:
        def concrete(value: Any) -> Any:
            if isinstance(value, KerasTensor):
                shape = tuple(size if d is None else d for d in value.shape)
                return Tensor(np.zeros(shape, dtype=value.dtype))
            return value

        call_args = map_structure(concrete, args)
        call_kwargs = map_structure(concrete, {k: v for k, v in kwargs.items() if k != "training"})
        if "training" in self._call_accepts:
            call_kwargs["training"] = False
        losses = self._losses
        with no_grad(), training_scope(False):
            outputs = self.call(*call_args, **call_kwargs)
        self._losses = losses
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape`` (by a dummy call unless a subclass overrides it)."""
        def to_symbolic(shape: Any) -> Any:
            if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
                return [KerasTensor(tuple(s), self._dtype) for s in shape]
            return KerasTensor(tuple(shape), self._dtype)

        spec = self.compute_output_spec(to_symbolic(input_shape))
        return map_structure(lambda t: t.shape, spec) if not isinstance(spec, KerasTensor) else spec.shape

    # ------------------------------------------------------------------ graph connections
    def _node_attribute(self, attribute: str, what: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(
                f"{label(self)} has never been called on a symbolic input and thus has no "
                f"defined {what}"
            )
        values = getattr(self._inbound_nodes[0], attribute)
        return values[0] if isinstance(values, list) and len(values) == 1 else values

    @property
    def input(self) -> Any:
        """The symbolic input(s) of the layer's first call in a functional graph."""
        return self._node_attribute("input_tensors", "input")

    @property
    def output(self) -> Any:
        """The symbolic output(s) of the layer's first call (``model.get_layer(name).output``)."""
        return self._node_attribute("outputs", "output")

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The layer's constructor arguments (Keras's base keys: name, trainable, dtype)."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": {"module": "keras", "class_name": "DTypePolicy",
                      "config": {"name": self._dtype}, "registered_name": None},
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Create a layer from ``get_config()``'s output."""
        return cls(**config)

    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape the layer was built with (so a loaded layer can rebuild itself)."""
        if self._build_shapes is None:
            return None
        return {"input_shape": self._build_shapes}

    def build_from_config(self, config: dict[str, Any] | None) -> None:
        """Build the layer from ``get_build_config()``'s output."""
        if config and not self.built:
            shape = config["input_shape"]
            if isinstance(shape, dict):
                self.build(**{k: tuple(v) if isinstance(v, list) else v for k, v in shape.items()})
            else:
                self.build(shape_tuples(shape))
            self._build_shapes = shape
            self.built = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def collect_losses(layers: Sequence[Layer]) -> list[Tensor]:
    """The ``add_loss`` tensors and weight-regularization penalties of ``layers`` (each once).

    ``Layer.losses`` applies it to the layer's flattened sub-layers; a training loop can apply
    it to a list of layers it flattened once, saving the walk on every step.
    """
    penalties: list[Tensor] = []
    for layer in layers:
        penalties.extend(layer._losses)
        for weight in layer._own_weights:
            if weight.regularizer is not None and weight.trainable and layer.trainable:
                penalties.append(weight.regularizer(weight))
    return penalties


def _layers_in(value: Any) -> list[Layer]:
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for element in value for item in _layers_in(element)]
    if isinstance(value, dict):
        return [item for element in value.values() for item in _layers_in(element)]
    return []
