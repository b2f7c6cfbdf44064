"""``model.summary()``: the layer table, laid out character for character as Keras 3 prints it.

Keras renders the table with the ``rich`` library (heavy-headed box, one row per layer, lines
between rows). This module reproduces that layout in plain Python: the same column widths
(including rich's even shrinking when the columns do not fit), the same word wrapping and
``…`` truncation, the same alignments and the same parameter-count lines, so the captured text
of ``summary(print_fn=...)`` equals Keras's for the same model.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["print_summary", "readable_memory_size", "format_layer_shape"]


def readable_memory_size(size: float) -> str:
    """A byte count as Keras shows it: ``'40.00 B'``, ``'1.53 KB'``, ``'2.10 MB'``."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _count_and_size(weights: Sequence[Any]) -> tuple[int, float]:
    unique = {id(w): w for w in weights}.values()
    count = sum(int(np.prod(w.shape)) for w in weights)
    size = sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in unique)
    return int(count), float(size)


def _format_shape(shape: Sequence[Any]) -> str:
    return f"({', '.join(str(d) for d in shape)})"


def format_layer_shape(layer: Any) -> str:
    """The "Output Shape" cell: from the layer's last graph node, else from its build shape."""
    nodes = layer._inbound_nodes
    if not nodes and layer._build_shapes is None:
        return "?"
    if nodes:
        shapes: Any = [_format_shape(t.shape) for t in nodes[-1].outputs]
    else:
        try:
            if hasattr(layer, "output_shape"):
                output = layer.output_shape
            else:
                output = layer.compute_output_shape(layer._build_shapes)
        except Exception:  # layers whose output shape cannot be inferred show '?', as in Keras
            return "?"
        if isinstance(output, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in output):
            shapes = [_format_shape(output)]
        elif isinstance(output, dict):
            shapes = {k: _format_shape(v) for k, v in output.items()}
        else:
            shapes = [_format_shape(s) for s in output]
    flat = list(shapes.values()) if isinstance(shapes, dict) else shapes
    if len(flat) == 1:
        return flat[0]
    return str(shapes).replace("'", "")


# ------------------------------------------------------------------ rich-compatible text layout
_WORD = re.compile(r"\s*\S+\s*")


def _divide_line(text: str, width: int) -> list[int]:
    """rich's word-wrap break offsets (no folding: long words are cut with '…' later)."""
    breaks: list[int] = []
    offset = 0
    position = 0
    match = _WORD.match(text, position)
    while match is not None:
        start, end = match.span()
        word = match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
        match = _WORD.match(text, end)
    return breaks


def _truncate(line: str, width: int) -> str:
    return line if len(line) <= width else line[: max(width - 1, 0)] + "…"


def _wrap_cell(text: str, width: int, justify: str) -> list[str]:
    lines: list[str] = []
    for raw in text.split("\n"):
        offsets = [0, *_divide_line(raw, width), len(raw)]
        pieces = [raw[a:b] for a, b in zip(offsets, offsets[1:])] or [""]
        for piece in pieces:
            if len(piece) > width:  # rich's rstrip_end: drop trailing spaces past the width
                trailing = len(piece) - len(piece.rstrip())
                piece = piece[: len(piece) - min(trailing, len(piece) - width)]
            if justify == "left":
                piece = _truncate(piece, width).ljust(width)
            else:
                piece = _truncate(piece.rstrip(), width)
                excess = width - len(piece)
                if justify == "right":
                    piece = " " * excess + piece
                else:
                    piece = " " * (excess // 2) + piece + " " * (excess - excess // 2)
            lines.append(piece)
    return lines


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining = total
    result = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            result.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _render_table(header: list[str], rows: list[list[str]], column_widths: list[int],
                  alignment: list[str], line_length: int) -> list[str]:
    """A heavy-head box table with lines between rows, laid out as rich lays it out."""
    widths = [w + 2 for w in column_widths]  # one space of padding on each side
    available = line_length - (len(widths) + 1)
    if sum(widths) > available:
        widths = _ratio_reduce(sum(widths) - available, [1] * len(widths), widths, widths)

    def render_row(cells: list[str], left: str, divider: str, right: str, header_row: bool) -> list[str]:
        wrapped = [_wrap_cell(cell, w - 2, a) for cell, w, a in zip(cells, widths, alignment)]
        height = max(len(c) for c in wrapped)
        out = []
        for index in range(height):
            parts = []
            for lines, w in zip(wrapped, widths):
                if header_row:  # headers are aligned to the bottom
                    lines = [" " * (w - 2)] * (height - len(lines)) + lines
                content = lines[index] if index < len(lines) else " " * (w - 2)
                parts.append(" " + content + " ")
            out.append(left + divider.join(parts) + right)
        return out

    lines = ["┏" + "┳".join("━" * w for w in widths) + "┓"]
    lines += render_row(header, "┃", "┃", "┃", True)
    lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for index, row in enumerate(rows):
        lines += render_row(row, "│", "│", "│", False)
        if index < len(rows) - 1:
            lines.append("├" + "┼".join("─" * w for w in widths) + "┤")
    lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return lines


# ------------------------------------------------------------------ the summary
def _layer_index_bounds(layers: list[Any], layer_range: Sequence[str] | None) -> tuple[int, int]:
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2 or not all(isinstance(n, str) for n in layer_range):
        raise ValueError(f"summary: layer_range must be two layer names (or regexes), got {layer_range!r}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(f"summary: layer_range {layer_range!r} matches no layer names of the model")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def print_summary(model: Any, line_length: int | None = None, positions: Sequence[float] | None = None,
                  print_fn: Callable[..., Any] | None = None, expand_nested: bool = False,
                  show_trainable: bool = False, layer_range: Sequence[str] | None = None) -> None:
    """Print ``model``'s layer table and parameter counts (Keras's ``print_summary``).

    ``print_fn`` receives the whole summary as one string (ending with a newline), as Keras
    passes it; without it the text goes to standard output.
    """
    from scratchdl.models.functional import Functional
    from scratchdl.models.sequential import Sequential

    relevant_nodes: list[Any] = []
    if isinstance(model, Sequential) or not isinstance(model, Functional):
        sequential_like = True
        layers = model.layers
    else:
        layers = list(model._operations)
        sequential_like = True
        nodes: list[Any] = []
        for depth_nodes in model._nodes_by_depth.values():
            if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and len(depth_nodes[0].input_tensors) > 1):
                sequential_like = False
                break
            nodes += depth_nodes
        if sequential_like:
            node_ids = {id(n) for n in nodes}
            for layer in model.layers:
                if sum(1 for node in layer._inbound_nodes if id(node) in node_ids) > 1:
                    sequential_like = False
                    break
        for depth_nodes in model._nodes_by_depth.values():
            relevant_nodes += depth_nodes

    if sequential_like:
        default_length = 88
        positions = list(positions or [0.45, 0.80, 1.0])
        header = ["Layer (type)", "Output Shape", "Param #"]
        alignment = ["left", "left", "right"]
    else:
        default_length = 108
        positions = list(positions or [0.3, 0.56, 0.74, 1.0])
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    console_width = shutil.get_terminal_size().columns
    default_length = min(default_length, console_width - 4)
    line_length = line_length or default_length
    column_widths = []
    current = 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        column_widths.append(width)
        current += width

    relevant_ids = {id(n) for n in relevant_nodes}

    def connections(layer: Any) -> str:
        text = ""
        for node in layer._inbound_nodes:
            if relevant_ids and id(node) not in relevant_ids:
                continue
            for tensor in node.input_tensors:
                inbound, node_index, tensor_index = tensor._keras_history
                text += (", " if text else "") + f"{inbound.name}[{node_index}][{tensor_index}]"
        return text or "-"

    def fields(layer: Any, prefix: str) -> list[str]:
        name = f"{prefix}{layer.name} ({type(layer).__name__})"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [name, format_layer_shape(layer), params]
        if not sequential_like:
            row.append(connections(layer))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return row

    def layer_rows(layer: Any, level: int = 0) -> list[list[str]]:
        prefix = "   " * level + "└ " if level else ""
        rows = [fields(layer, prefix)]
        nested = getattr(layer, "layers", None) if expand_nested else None
        if nested:
            for inner in nested:
                rows.extend(layer_rows(inner, level + 1))
        return rows

    start, stop = _layer_index_bounds(layers, layer_range)
    rows = [row for layer in layers[start:stop] for row in layer_rows(layer)]

    trainable_count, trainable_size = _count_and_size(model.trainable_weights)
    frozen_count, frozen_size = _count_and_size(model.non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    optimizer_built = bool(getattr(model, "compiled", False) and optimizer is not None
                           and getattr(optimizer, "built", False))
    optimizer_count, optimizer_size = _count_and_size(list(optimizer.variables)) if optimizer_built else (0, 0.0)

    lines = [f'Model: "{model.name}"']
    # rich crops a table wider than the console at the console's width.
    lines += [line[:console_width] for line in _render_table(header, rows, column_widths, alignment, line_length)]
    lines.append(f" Total params: {trainable_count + frozen_count + optimizer_count:,} "
                 f"({readable_memory_size(trainable_size + frozen_size + optimizer_size)})")
    lines.append(f" Trainable params: {trainable_count:,} ({readable_memory_size(trainable_size)})")
    lines.append(f" Non-trainable params: {frozen_count:,} ({readable_memory_size(frozen_size)})")
    if optimizer_built:
        lines.append(f" Optimizer params: {optimizer_count:,} ({readable_memory_size(optimizer_size)})")
    text = "\n".join(lines) + "\n"
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)
