"""``plot_model``: draw a model's layer graph to an image file with matplotlib.

The graph is the one the model records: for a functional model (and a Sequential with a known
input shape) every layer is a box and every tensor passed from one layer to another an arrow,
shared layers included; a subclassed model, whose graph lives in Python code, is one box (as in
Keras). Layers are placed by a topological layering: each layer sits one rank below the deepest
layer feeding it, and layers of one rank are spread side by side in ``model.layers`` order.
Rendering uses matplotlib's Agg canvas directly, so no display and no Graphviz are needed.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["model_graph", "plot_model"]


def _format_shape(shape: Any) -> str:
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _layer_shapes(layer: Any, nodes: list[Any]) -> tuple[str, str]:
    if not nodes:
        return "?", "?"
    node = nodes[0]
    inputs = [tuple(t.shape) for t in node.input_tensors]
    outputs = [tuple(t.shape) for t in node.outputs]
    if not inputs:  # an InputLayer: its input is its output
        inputs = outputs
    first = _format_shape(inputs[0]) if len(inputs) == 1 else _format_shape(inputs)
    second = _format_shape(outputs[0]) if len(outputs) == 1 else _format_shape(outputs)
    return first, second


def model_graph(model: Any) -> tuple[list[Any], list[tuple[int, int]], dict[int, list[Any]]]:
    """The layers of ``model``, the edges ``(from_index, to_index)`` between them, and each
    layer's nodes that belong to this model (keyed by layer index).

    Raises:
        ValueError: when the model is not built (its graph is unknown).
    """
    from scratchdl.models.functional import Functional
    from scratchdl.models.sequential import Sequential

    graph = model
    if isinstance(model, Sequential):
        if model._functional is None:
            if not model.built:
                raise ValueError(
                    f"plot_model: model '{model.name}' is not built yet; call it on data or give "
                    "its first layer an input shape (an Input) first"
                )
            layers = list(model.layers)
            return layers, [(i, i + 1) for i in range(len(layers) - 1)], {}
        graph = model._functional
    if not isinstance(graph, Functional):
        if not model.built:
            raise ValueError(f"plot_model: model '{model.name}' is not built yet; call it on data first")
        return [model], [], {}
    layers = list(graph.layers)
    index = {id(layer): i for i, layer in enumerate(layers)}
    network = graph._network_nodes
    edges: list[tuple[int, int]] = []
    nodes: dict[int, list[Any]] = {}
    for i, layer in enumerate(layers):
        own = [node for node in layer._inbound_nodes if id(node) in network]
        nodes[i] = own
        for node in own:
            for tensor in node.input_tensors:
                parent = tensor._keras_history[0]
                if id(parent) in index and (index[id(parent)], i) not in edges:
                    edges.append((index[id(parent)], i))
    return layers, edges, nodes


def _ranks(count: int, edges: list[tuple[int, int]]) -> list[int]:
    """Longest-path layering: rank(v) = 1 + max(rank(parent)) (Kahn's order, no recursion)."""
    parents: dict[int, list[int]] = {i: [] for i in range(count)}
    children: dict[int, list[int]] = {i: [] for i in range(count)}
    for a, b in edges:
        parents[b].append(a)
        children[a].append(b)
    remaining = {i: len(parents[i]) for i in range(count)}
    ready = [i for i in range(count) if remaining[i] == 0]
    rank = [0] * count
    while ready:
        current = ready.pop(0)
        for child in children[current]:
            rank[child] = max(rank[child], rank[current] + 1)
            remaining[child] -= 1
            if remaining[child] == 0:
                ready.append(child)
    # Sources (inputs) sit just above their first consumer, so their arrows do not cross boxes.
    for node in range(count):
        if not parents[node] and children[node]:
            rank[node] = min(rank[child] for child in children[node]) - 1
    return rank


def _label(layer: Any, nodes: list[Any], show_shapes: bool, show_dtype: bool, show_layer_names: bool,
           show_layer_activations: bool, show_trainable: bool) -> str:
    class_name = type(layer).__name__
    title = f"{layer.name} ({class_name})" if show_layer_names else class_name
    lines = [title]
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        activation = layer.activation
        lines.append(f"activation: {getattr(activation, '__name__', type(activation).__name__)}")
    if show_dtype:
        lines.append(f"dtype: {layer.dtype}")
    if show_shapes:
        shape_in, shape_out = _layer_shapes(layer, nodes)
        lines.append(f"input: {shape_in}")
        lines.append(f"output: {shape_out}")
    if show_trainable:
        lines.append(f"trainable: {bool(layer.trainable)}")
    return "\n".join(lines)


def plot_model(model: Any, to_file: str | os.PathLike[str] = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 96, show_layer_activations: bool = False,
               show_trainable: bool = False, **kwargs: Any) -> None:
    """Draw the model's layer graph (boxes and arrows) and save it to ``to_file``.

    Args:
        model: a built model.
        to_file: the image file; its extension picks the format (``.png``, ``.pdf``, ``.svg``...).
        show_shapes: print each layer's input and output shapes in its box.
        show_dtype: print each layer's dtype.
        show_layer_names: print the layer names (else only the class names).
        rankdir: ``'TB'`` (top to bottom) or ``'LR'`` (left to right).
        expand_nested: accepted for Keras compatibility; nested models are drawn as one box.
        dpi: the image resolution in dots per inch.
        show_layer_activations: print the activation of layers that have one.
        show_trainable: print whether each layer is trainable.

    >>> plot_model(model, "model.png", show_shapes=True)    # doctest: +SKIP
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}")
    unknown = set(kwargs) - {"layer_range"}
    if unknown:
        raise ValueError(f"plot_model: arguments not recognized: {sorted(unknown)}")
    layers, edges, nodes = model_graph(model)
    labels = [_label(layer, nodes.get(i, []), show_shapes, show_dtype, show_layer_names,
                     show_layer_activations, show_trainable) for i, layer in enumerate(layers)]
    ranks = _ranks(len(layers), edges)
    by_rank: dict[int, list[int]] = {}
    for i, rank in enumerate(ranks):
        by_rank.setdefault(rank, []).append(i)

    # Sizes in inches: a box fits its longest line (about 0.085 in per character at 9 pt).
    longest = max(len(line) for label in labels for line in label.split("\n"))
    line_count = max(label.count("\n") + 1 for label in labels)
    box_w, box_h = max(1.6, 0.085 * longest + 0.4), 0.22 * line_count + 0.25
    gap_w, gap_h = 0.5, 0.55
    width_slots = max(len(v) for v in by_rank.values())
    depth = max(by_rank) + 1
    if rankdir == "TB":
        fig_w, fig_h = width_slots * (box_w + gap_w) + gap_w, depth * (box_h + gap_h) + gap_h
    else:
        fig_w, fig_h = depth * (box_w + gap_w) + gap_w, width_slots * (box_h + gap_h) + gap_h

    centers: dict[int, tuple[float, float]] = {}
    for rank, members in by_rank.items():
        for slot, i in enumerate(members):
            offset = (slot - (len(members) - 1) / 2)
            if rankdir == "TB":
                centers[i] = (fig_w / 2 + offset * (box_w + gap_w), fig_h - gap_h - box_h / 2 - rank * (box_h + gap_h))
            else:
                centers[i] = (gap_w + box_w / 2 + rank * (box_w + gap_w), fig_h / 2 - offset * (box_h + gap_h))

    figure = Figure(figsize=(fig_w, fig_h), dpi=dpi)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, fig_w)
    axes.set_ylim(0, fig_h)
    axes.axis("off")
    for i, (x, y) in centers.items():
        axes.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                      boxstyle="round,pad=0.02,rounding_size=0.08", linewidth=1.2,
                                      edgecolor="#333333", facecolor="#dce9f7"))
        axes.text(x, y, labels[i], ha="center", va="center", fontsize=9, family="monospace")
    for a, b in edges:
        (xa, ya), (xb, yb) = centers[a], centers[b]
        if rankdir == "TB":
            start, end = (xa, ya - box_h / 2), (xb, yb + box_h / 2)
        else:
            start, end = (xa + box_w / 2, ya), (xb - box_w / 2, yb)
        axes.annotate("", xy=end, xytext=start,
                      arrowprops={"arrowstyle": "-|>", "color": "#333333", "linewidth": 1.1,
                                  "shrinkA": 0, "shrinkB": 0})
    figure.savefig(os.fspath(to_file), dpi=dpi)
