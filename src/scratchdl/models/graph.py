"""The graph behind a functional model: walking symbolic tensors back to their inputs.

``map_graph(inputs, outputs)`` follows each output's ``_keras_history`` (layer, node index,
tensor index) back to the ``Input`` tensors, checks that every node can be computed from the
inputs, and sorts nodes and layers exactly as Keras 3 does (depth from the outputs first, then
first-visit order): that order decides ``model.layers`` and therefore the order of
``model.weights``. Nested structures are flattened with dict values in sorted key order, as
Keras's ``tree`` module does.
"""

from __future__ import annotations

from typing import Any

from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor, Node
from scratchdl.models.input_layer import Input, InputLayer

__all__ = ["clone_graph_nodes", "flatten_sorted", "is_input_tensor", "map_graph", "map_sorted",
           "pack_sorted"]


# ------------------------------------------------------------------ nested structures
def flatten_sorted(structure: Any) -> list[Any]:
    """Flatten nested lists/tuples/dicts, dict values in *sorted key* order (as Keras's tree)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten_sorted(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten_sorted(structure[key])]
    return [structure]


def pack_sorted(structure: Any, flat: list[Any]) -> Any:
    """Inverse of ``flatten_sorted``: rebuild ``structure``'s shape from ``flat`` leaves."""
    iterator = iter(flat)

    def build(node: Any) -> Any:
        if isinstance(node, list):
            return [build(item) for item in node]
        if isinstance(node, tuple):
            return tuple(build(item) for item in node)
        if isinstance(node, dict):
            return {key: build(node[key]) for key in sorted(node)}
        return next(iterator)

    return build(structure)


def map_sorted(fn: Any, structure: Any) -> Any:
    """Apply ``fn`` to every leaf, keeping the structure (dicts in sorted key order)."""
    return pack_sorted(structure, [fn(leaf) for leaf in flatten_sorted(structure)])


def is_input_tensor(tensor: KerasTensor) -> bool:
    """True for the tensor of an ``Input`` (made by an ``InputLayer``, not by a layer call)."""
    layer, node_index, _ = tensor._keras_history
    node = layer._inbound_nodes[node_index]
    return isinstance(layer, InputLayer) and not node.input_tensors


def _node_of(tensor: KerasTensor) -> Node:
    layer, node_index, _ = tensor._keras_history
    return layer._inbound_nodes[node_index]


# ------------------------------------------------------------------ graph mapping
def _build_map(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> tuple[list[Node], dict[Any, int]]:
    """Topologically sorted nodes (inputs first) and each layer's first DFS visit index.

    An iterative version of Keras's depth-first ``_build_map``: same visit order, so the same
    layer order, without Python's recursion limit for very deep graphs.
    """
    input_ids = {id(t) for t in inputs}
    finished: set[int] = set()
    in_progress: set[int] = set()
    ordered: list[Node] = []
    layer_index: dict[Any, int] = {}
    for output in outputs:
        stack: list[tuple[bool, Any]] = [(False, output)]
        while stack:
            leaving, item = stack.pop()
            if leaving:
                finished.add(id(item))
                in_progress.discard(id(item))
                ordered.append(item)
                continue
            tensor = item
            if tensor._keras_history is None:
                raise ValueError(
                    f"Functional: the tensor {tensor} was not produced by a layer call on an "
                    "Input; build the graph from keras-style Input tensors"
                )
            layer = tensor._keras_history[0]
            node = _node_of(tensor)
            if id(node) in finished:
                continue
            is_input_node = not node.input_tensors
            if not is_input_node and id(tensor) in input_ids:
                finished.add(id(node))
                continue
            if id(node) in in_progress:
                raise ValueError(f"Functional: tensor {tensor} from layer '{layer.name}' is part of a cycle")
            if layer not in layer_index:
                layer_index[layer] = len(layer_index)
            in_progress.add(id(node))
            stack.append((True, node))
            if not is_input_node:
                for parent in reversed(node.input_tensors):
                    stack.append((False, parent))
    return ordered, layer_index


def map_graph(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> tuple[
        set[int], dict[int, list[Node]], list[Layer]]:
    """Keras's ``map_graph``: the graph's node ids, its nodes by depth and its layers in order."""
    ordered, layer_index = _build_map(inputs, outputs)
    in_graph = {id(node) for node in ordered}
    node_depths: dict[Node, int] = {}
    layer_depths: dict[Any, int] = {}
    for node in reversed(ordered):
        depth = node_depths.setdefault(node, 0)
        depth = max(depth, layer_depths.get(node.layer, 0))
        layer_depths[node.layer] = depth
        node_depths[node] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depths[parent] = max(depth + 1, node_depths.get(parent, 0))
    for tensor in inputs:
        layer = tensor._keras_history[0]
        if layer not in layer_depths:
            node = _node_of(tensor)
            if not node.input_tensors:  # an unused Input still belongs to the model
                layer_depths[layer] = 0
                layer_index[layer] = -1
                node_depths[node] = 0
                in_graph.add(id(node))

    nodes_by_depth: dict[int, list[Node]] = {}
    for node, depth in node_depths.items():
        nodes_by_depth.setdefault(depth, []).append(node)
    layers_by_depth: dict[int, list[Any]] = {}
    for layer, depth in layer_depths.items():
        layers_by_depth.setdefault(depth, []).append(layer)
    layers: list[Layer] = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda item: layer_index[item]))

    computable = {id(t) for t in inputs}
    done: list[str] = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            for tensor in node.input_tensors:
                if id(tensor) not in computable:
                    raise ValueError(
                        f"Graph disconnected: cannot find parent for tensor {tensor} at layer "
                        f"'{node.layer.name}'. The following previous layers were accessed "
                        f"without issue: {done}"
                    )
            done.append(node.layer.name)
            if node.input_tensors:  # an Input's tensor is computable only when it is a model input
                computable.update(id(t) for t in node.outputs)

    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the model. All layer '
                "names should be unique."
            )
    return in_graph, {d: nodes_by_depth[d] for d in nodes_by_depth}, layers


def clone_graph_nodes(inputs: Any, outputs: Any) -> tuple[Any, Any]:
    """Give intermediate tensors used as model inputs their own ``Input`` (Keras's clone).

    ``Model(hidden, out)`` with ``hidden`` produced by some layer: the nodes between ``hidden``
    and ``out`` are re-recorded from a fresh ``InputLayer``, so the new model is a complete graph
    and the original model keeps its own nodes.
    """
    flat_inputs = flatten_sorted(inputs)
    flat_outputs = flatten_sorted(outputs)
    nodes, _ = _build_map(flat_inputs, flat_outputs)
    mapping: dict[int, KerasTensor] = {}
    new_inputs = []
    for tensor in flat_inputs:
        if is_input_tensor(tensor):
            new_inputs.append(tensor)
            mapping[id(tensor)] = tensor
        else:
            clone = Input(batch_shape=tensor.shape, dtype=tensor.dtype,
                          name=f"{tensor.name}CLONE" if tensor.name else None)
            new_inputs.append(clone)
            mapping[id(tensor)] = clone
    new_outputs = []
    for tensor in flat_outputs:
        if id(tensor) in mapping:
            new_outputs.append(mapping[id(tensor)])
            continue
        copy_ = KerasTensor(tensor.shape, tensor.dtype, name=tensor.name)
        copy_._keras_history = tensor._keras_history
        mapping[id(tensor)] = copy_
        new_outputs.append(copy_)

    def swap(value: Any) -> Any:
        if isinstance(value, KerasTensor):
            if id(value) not in mapping:
                mapping[id(value)] = KerasTensor(value.shape, value.dtype, name=value.name)
            return mapping[id(value)]
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(swap(v) for v in value)
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return value

    for node in nodes:
        if not node.input_tensors:
            continue
        outputs_copy = [swap(t) for t in node.outputs]
        layer = node.layer
        new_node = Node(layer, swap(node.call_args), swap(node.call_kwargs), outputs_copy)
        node_index = len(layer._inbound_nodes)
        for index, tensor in enumerate(outputs_copy):
            tensor._keras_history = (layer, node_index, index)
        layer._inbound_nodes.append(new_node)
    return pack_sorted(inputs, new_inputs), pack_sorted(outputs, new_outputs)
