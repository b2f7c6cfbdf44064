"""``Functional``: a model defined as a graph of layer calls on symbolic tensors.

``Model(inputs, outputs)`` walks the ``_keras_history`` of each output back to the ``Input``
tensors and records the nodes in between, sorted as Keras sorts them (the order decides
``model.layers`` and therefore the order of ``model.weights``). Calling the model replays those
nodes on real tensors: each layer is called on the tensors its node's inputs map to. Shared
layers (one layer, several nodes), nested models, several inputs/outputs given as lists or
dicts, and masks (riding on tensors as ``_keras_mask``) all go through the same replay.

``get_config``/``from_config`` use Keras 3's functional config layout (``layers`` with their
``inbound_nodes``, ``input_layers``, ``output_layers``), so a saved model rebuilds the same graph.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor, flatten
from scratchdl.models.graph import (
    clone_graph_nodes, flatten_sorted, is_input_tensor, map_graph, map_sorted, pack_sorted,
)
from scratchdl.models.input_layer import InputLayer
from scratchdl.models.layer_serialization import (
    deserialize_layer, deserialize_node_value, serialize_layer, serialize_node_value,
)
from scratchdl.models.model import Model

__all__ = ["Functional", "functional_from_config"]


def _fill(value: Any, values: dict[int, Any]) -> Any:
    if isinstance(value, KerasTensor):
        return values[id(value)]
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, tuple):
        return tuple(_fill(v, values) for v in value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


class Functional(Model):
    """A model defined by a graph from ``Input`` tensors to output tensors (Keras's Functional).

    Args:
        inputs: an ``Input`` tensor, or a list or dict of them (dict keys should be the input
            names). Intermediate tensors also work: the graph from them is copied.
        outputs: a symbolic tensor, or a list or dict of them, computed from ``inputs``.
        name: the model's name.
        trainable: whether the model's weights are trained.

    >>> from scratchdl import Input, layers
    >>> x = Input(shape=(4,))
    >>> model = Functional(x, layers.Dense(2)(x))
    >>> model.output_shape
    (None, 2)
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None,
                 trainable: bool | None = None, **kwargs: Any) -> None:
        if isinstance(inputs, dict):
            for key, value in inputs.items():
                if isinstance(value, KerasTensor) and key != value.name:
                    warnings.warn(
                        f"Functional: when inputs are a dict, keys should match the tensors' names; "
                        f"key '{key}' maps to a tensor named '{value.name}'. Name it with "
                        f"Input(..., name='{key}')", stacklevel=2,
                    )
        for kind, structure in (("inputs", inputs), ("outputs", outputs)):
            leaves = flatten_sorted(structure)
            if not leaves:
                raise ValueError(f"Functional: `{kind}` cannot be empty")
            for leaf in leaves:
                if not isinstance(leaf, KerasTensor):
                    raise ValueError(
                        f"Functional: all `{kind}` must be symbolic tensors (from Input or layer "
                        f"calls on them); got {type(leaf).__name__}: {leaf!r}"
                    )
        if not all(is_input_tensor(t) for t in flatten_sorted(inputs)):
            inputs, outputs = clone_graph_nodes(inputs, outputs)
        super().__init__(name=name, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = flatten_sorted(inputs)
        self._outputs = flatten_sorted(outputs)
        network_nodes, nodes_by_depth, operations = map_graph(self._inputs, self._outputs)
        self._operations = operations
        object.__setattr__(self, "_network_nodes", network_nodes)
        object.__setattr__(self, "_nodes_by_depth", nodes_by_depth)
        plan = []
        for depth in sorted(nodes_by_depth, reverse=True):
            for node in nodes_by_depth[depth]:
                if not node.input_tensors:
                    continue
                simple = (len(node.call_args) == 1 and isinstance(node.call_args[0], KerasTensor)
                          and not any(isinstance(v, KerasTensor) for v in flatten(node.call_kwargs)))
                plan.append((node, simple))
        object.__setattr__(self, "_plan", plan)
        self.output_names = [t._keras_history[0].name for t in self._outputs]
        self.built = True
        if trainable is not None and not trainable:
            self.trainable = False

    # ------------------------------------------------------------------ properties
    @property
    def layers(self) -> list[Layer]:
        """The model's layers in graph order, its ``InputLayer``s included (as Keras)."""
        return list(self._operations)

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Model.layers` is reserved and cannot be set; use another attribute name")

    @property
    def inputs(self) -> list[KerasTensor]:
        """The flat list of symbolic inputs."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        """The flat list of symbolic outputs."""
        return list(self._outputs)

    @property
    def input(self) -> Any:
        """The symbolic inputs in the structure given to the constructor."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The symbolic outputs in the structure given to the constructor."""
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        """The input shape(s), batch dimension first (one shape for a single input)."""
        shapes = map_sorted(lambda t: t.shape, self._inputs_struct)
        return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        """The output shape(s), batch dimension first (one shape for a single output)."""
        shapes = map_sorted(lambda t: t.shape, self._outputs_struct)
        return shapes[0] if isinstance(shapes, list) and len(shapes) == 1 else shapes

    @property
    def input_names(self) -> list[str]:
        """The names of the model's inputs (keys for dict-fed data)."""
        return [t.name for t in self._inputs]

    # ------------------------------------------------------------------ building
    def build(self, input_shape: Any = None) -> None:
        """A functional model is built when it is created; this only marks it built."""
        self.built = True

    def _maybe_build(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.built = True

    def get_build_config(self) -> dict[str, Any]:
        """``{'input_shape': None}``: a functional model rebuilds from its graph config (as Keras)."""
        return {"input_shape": None}

    # ------------------------------------------------------------------ calling
    def _standardize_inputs(self, inputs: Any) -> list[Any]:
        struct = self._inputs_struct
        if isinstance(struct, (list, tuple)) and len(struct) == 1 and \
                not isinstance(inputs, (list, tuple, dict)):
            inputs = [inputs]
        elif isinstance(inputs, dict) and not isinstance(struct, dict):
            names = [t.name for t in self._inputs]
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}': the input dict lacks the keys {missing}; expected the "
                    f"input names {names}, got keys {sorted(inputs)}"
                )
            inputs = [inputs[n] for n in names]
        elif isinstance(inputs, dict) and isinstance(struct, dict):
            missing = [k for k in struct if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}': the input dict lacks the keys {missing}; expected "
                    f"{sorted(struct)}, got {sorted(inputs)}"
                )
            inputs = {k: inputs[k] for k in struct}
        flat = flatten_sorted(inputs)
        if len(flat) != len(self._inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self._inputs)} input(s) "
                f"{[t.name for t in self._inputs]} with shapes {[t.shape for t in self._inputs]}, "
                f"got {len(flat)}: {[getattr(x, 'shape', type(x).__name__) for x in flat]}"
            )
        return flat

    def _convert_model_input(self, value: Any, ref: KerasTensor) -> Any:
        if value is None:
            if isinstance(ref._keras_history[0], InputLayer) and not ref._keras_history[0].optional:
                raise ValueError(f"Model '{self.name}': the input '{ref.name}' is not optional, but None was passed")
            return None
        if not isinstance(value, Tensor):
            value = Tensor(np.asarray(value, dtype=ref.dtype))
        elif value.dtype != ref.dtype:
            mask = getattr(value, "_keras_mask", None)
            if value.dtype.kind == "f" and ref.dtype.kind == "f":
                value = ops.cast(value, ref.dtype)
            else:
                value = Tensor(value.data.astype(ref.dtype))
            if mask is not None:
                value._keras_mask = mask
        ref_shape = ref.shape
        if value.ndim != len(ref_shape):
            mask = getattr(value, "_keras_mask", None)
            if value.ndim == len(ref_shape) + 1 and value.shape[-1] == 1:
                value = ops.squeeze(value, -1)
            elif value.ndim == len(ref_shape) - 1 and ref_shape and ref_shape[-1] == 1:
                value = ops.expand_dims(value, -1)
            else:
                raise ValueError(
                    f"Model '{self.name}': input '{ref.name}' expected shape {ref_shape}, got an "
                    f"input with incompatible shape {value.shape}"
                )
            if mask is not None:
                value._keras_mask = mask
        for actual, expected in zip(value.shape[1:], ref_shape[1:]):
            if expected is not None and actual != expected:
                raise ValueError(
                    f"Model '{self.name}': input '{ref.name}' expected shape {ref_shape}, got an "
                    f"input with incompatible shape {value.shape}"
                )
        return value

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        """Replay the graph's nodes on ``inputs`` (arrays or tensors, structured as the inputs)."""
        flat = [self._convert_model_input(x, ref)
                for x, ref in zip(self._standardize_inputs(inputs), self._inputs)]
        if mask is not None:
            for value, m in zip(flat, flatten_sorted(mask) if isinstance(mask, (list, tuple, dict)) else [mask]):
                if m is not None and value is not None:
                    value._keras_mask = m
        outputs = self._run_through_graph(flat, training)
        return _unpack_singleton(pack_sorted(self._outputs_struct, outputs))

    def _run_through_graph(self, flat_inputs: list[Any], training: bool | None) -> list[Any]:
        values: dict[int, Any] = {id(ref): value for ref, value in zip(self._inputs, flat_inputs)}
        for node, simple in self._plan:
            layer = node.layer
            if simple:
                args: tuple[Any, ...] = (values[id(node.call_args[0])],)
                kwargs = dict(node.call_kwargs)
            else:
                args = _fill(node.call_args, values)
                kwargs = _fill(node.call_kwargs, values)
            if training is not None and "training" in layer._call_accepts:
                kwargs["training"] = training
            result = layer(*args, **kwargs)
            node_outputs = node.outputs
            if len(node_outputs) == 1 and not isinstance(result, (list, tuple, dict)):
                values[id(node_outputs[0])] = result
            else:
                for ref, value in zip(node_outputs, flatten(result)):
                    values[id(ref)] = value
        try:
            return [values[id(ref)] for ref in self._outputs]
        except KeyError as error:  # pragma: no cover - prevented by the constructor's checks
            raise ValueError(f"Model '{self.name}': an output is not connected to the inputs") from error

    def compute_output_spec(self, inputs: Any, training: bool | None = None, mask: Any = None,
                            **kwargs: Any) -> Any:
        """Symbolic outputs for symbolic inputs (shortcut when the input shapes are the model's)."""
        flat = self._standardize_inputs(inputs)
        if all(isinstance(x, KerasTensor) and tuple(x.shape) == ref.shape for x, ref in zip(flat, self._inputs)):
            outputs = [KerasTensor(t.shape, t.dtype) for t in self._outputs]
        else:
            values: dict[int, Any] = {id(ref): value for ref, value in zip(self._inputs, flat)}
            for node, _ in self._plan:
                args = _fill(node.call_args, values)
                call_kwargs = _fill(node.call_kwargs, values)
                result = node.layer.compute_output_spec(*args, **call_kwargs)
                for ref, value in zip(node.outputs, flatten(result)):
                    values[id(ref)] = value
            outputs = [values[id(ref)] for ref in self._outputs]
        return _unpack_singleton(pack_sorted(self._outputs_struct, outputs))

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape(s) for ``input_shape`` (structured like the inputs)."""
        def is_shape(value: Any) -> bool:
            return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in value)

        def to_tensor(shape: Any, ref: KerasTensor) -> KerasTensor:
            return KerasTensor(tuple(shape), ref.dtype)

        if is_shape(input_shape):
            symbolic: Any = to_tensor(input_shape, self._inputs[0])
        elif isinstance(input_shape, dict):
            symbolic = {k: to_tensor(v, self._inputs[0]) for k, v in input_shape.items()}
        else:
            symbolic = [to_tensor(s, ref) for s, ref in zip(input_shape, self._inputs)]
        spec = self.compute_output_spec(symbolic)
        return map_sorted(lambda t: t.shape, spec) if not isinstance(spec, KerasTensor) else spec.shape

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The functional config: ``name``, ``trainable``, ``layers`` (with ``inbound_nodes``),
        ``input_layers`` and ``output_layers``, as Keras 3 writes it."""
        if not _functional_like_constructor(type(self)):
            return Model.get_config(self)
        network = self._network_nodes
        reindex: dict[int, int] = {}
        for layer in self._operations:
            kept = 1 if isinstance(layer, Functional) else 0
            for node in layer._inbound_nodes:
                if id(node) in network:
                    reindex[id(node)] = kept
                    kept += 1

        def history_in_args(tensor: KerasTensor) -> list[Any]:
            layer, node_index, tensor_index = tensor._keras_history
            skipped = sum(1 for node in layer._inbound_nodes[:node_index] if id(node) not in network)
            return [layer.name, node_index - skipped, tensor_index]

        layer_configs = []
        for layer in self._operations:
            inbound = []
            for node in layer._inbound_nodes:
                if id(node) in network and node.input_tensors:
                    inbound.append({
                        "args": serialize_node_value(list(node.call_args), history_in_args),
                        "kwargs": serialize_node_value(dict(node.call_kwargs), history_in_args),
                    })
            layer_config = serialize_layer(layer)
            layer_config["name"] = layer.name
            layer_config["inbound_nodes"] = inbound
            layer_configs.append(layer_config)

        def tensor_config(tensor: KerasTensor) -> list[Any]:
            layer, node_index, tensor_index = tensor._keras_history
            return [layer.name, reindex[id(layer._inbound_nodes[node_index])], tensor_index]

        return copy.deepcopy({
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": map_sorted(tensor_config, self._inputs_struct),
            "output_layers": map_sorted(tensor_config, self._outputs_struct),
        })

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Mapping[str, Any] | None = None) -> Model:
        """Rebuild the model (its layers and every layer call) from ``get_config()``."""
        return functional_from_config(cls, config, custom_objects=custom_objects)


def _functional_like_constructor(cls: type) -> bool:
    if cls is Functional:
        return True
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY)]
    if names[:2] == ["inputs", "outputs"]:
        return True
    kinds = {p.kind for p in parameters}
    return inspect.Parameter.VAR_POSITIONAL in kinds and inspect.Parameter.VAR_KEYWORD in kinds


def _unpack_singleton(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return value[0]
    return value


def functional_from_config(cls: type, config: dict[str, Any],
                           custom_objects: Mapping[str, Any] | None = None) -> Model:
    """Instantiate ``cls`` (Functional or a functional-like subclass) from a functional config.

    Layers are created first; then every recorded call is replayed on symbolic tensors, in an
    order where each call's inputs already exist (a layer shared at different depths may have to
    wait for another layer's node).
    """
    config = dict(config)
    created: dict[str, Layer] = {}
    pending: dict[str, list[Any]] = {}

    def tensor_of(layer_name: str, node_index: int, tensor_index: int) -> KerasTensor:
        if layer_name not in created:
            raise ValueError(f"Functional.from_config: unknown layer '{layer_name}' in a node")
        layer = created[layer_name]
        if len(layer._inbound_nodes) <= node_index:
            raise IndexError(f"node {node_index} of layer '{layer_name}' does not exist yet")
        return layer._inbound_nodes[node_index].outputs[tensor_index]

    def node_arguments(node_data: Any) -> tuple[list[Any], dict[str, Any]]:
        if isinstance(node_data, list):  # Keras 2 layout: [[name, node, tensor, kwargs], ...]
            tensors = []
            kwargs: dict[str, Any] = {}
            for item in node_data:
                tensors.append(tensor_of(item[0], int(item[1]), int(item[2])))
                if len(item) > 3 and item[3]:
                    kwargs = dict(item[3])
            return [_unpack_singleton(tensors)], kwargs
        args = deserialize_node_value(node_data.get("args", []), tensor_of)
        kwargs = deserialize_node_value(node_data.get("kwargs", {}), tensor_of)
        return list(args), dict(kwargs)

    layer_list = config.pop("layers")
    input_layers = config.pop("input_layers")
    output_layers = config.pop("output_layers")
    name = config.pop("name", None)
    trainable = config.pop("trainable", None)
    for layer_data in layer_list:
        layer = deserialize_layer(layer_data, custom_objects=custom_objects)
        layer_name = layer_data.get("name", layer.name)
        created[layer_name] = layer
        pending[layer_name] = list(layer_data.get("inbound_nodes", []))

    while any(pending.values()):
        progressed = False
        for layer_data in layer_list:
            layer_name = layer_data.get("name") or layer_data["config"]["name"]
            queue = pending[layer_name]
            while queue:
                try:
                    args, kwargs = node_arguments(queue[0])
                except IndexError:
                    break
                created[layer_name](*args, **kwargs)
                queue.pop(0)
                progressed = True
        if not progressed:
            raise ValueError(
                "Invalid functional model configuration: the graph has loops or disconnected "
                f"nodes; unresolved nodes: { {k: v for k, v in pending.items() if v} }"
            )

    def resolve(structure: Any) -> Any:
        if isinstance(structure, (list, tuple)) and len(structure) == 3 and isinstance(structure[0], str):
            layer = created[structure[0]]
            node_index = int(structure[1]) - (1 if isinstance(layer, Functional) else 0)
            return layer._inbound_nodes[node_index].outputs[int(structure[2])]
        if isinstance(structure, dict):
            return {k: resolve(v) for k, v in structure.items()}
        if isinstance(structure, tuple):
            return tuple(resolve(v) for v in structure)
        return [resolve(v) for v in structure]

    config.pop("dtype", None)
    config.pop("build_config", None)
    config.pop("compile_config", None)
    model = cls(inputs=resolve(input_layers), outputs=resolve(output_layers), name=name, **config)
    if trainable is not None and not trainable:
        model.trainable = False
    return model
