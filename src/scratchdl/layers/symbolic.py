"""Symbolic tensors for the functional API: ``KerasTensor`` and the ``Node`` that links layers.

``Input(shape=(784,))`` returns a ``KerasTensor``: a shape and dtype without data. Calling a layer
on it records a ``Node`` (the layer, its call arguments, its outputs) and returns new symbolic
tensors; ``Model(inputs, outputs)`` walks these nodes back from the outputs to find the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class KerasTensor:
    """A symbolic tensor: shape (``None`` for unknown sizes, e.g. the batch) and dtype only.

    ``_keras_history`` is ``(layer, node_index, tensor_index)``: which layer call produced it.
    """

    def __init__(self, shape: tuple[int | None, ...], dtype: Any = "float32",
                 name: str | None = None, sparse: bool = False) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.sparse = sparse
        self._keras_history: tuple[Any, int, int] | None = None

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    def __repr__(self) -> str:
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{name}>"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "A symbolic KerasTensor has no value; it cannot be used as a Python bool. "
            "Use layers on it and build a Model instead"
        )


class Node:
    """One call of a layer on symbolic tensors: what went in, what came out."""

    def __init__(self, layer: Any, call_args: tuple[Any, ...], call_kwargs: dict[str, Any],
                 outputs: list[KerasTensor]) -> None:
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in flatten((call_args, call_kwargs)) if isinstance(t, KerasTensor)]

    @property
    def parent_nodes(self) -> list[Node]:
        """The nodes that produced this node's inputs."""
        parents = []
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                layer, node_index, _ = tensor._keras_history
                parents.append(layer._inbound_nodes[node_index])
        return parents


def flatten(structure: Any) -> list[Any]:
    """Flatten nested lists, tuples and dicts (dict values in key-insertion order)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in flatten(item)]
    return [structure]


def map_structure(fn: Any, structure: Any) -> Any:
    """Apply ``fn`` to every leaf of a nested list/tuple/dict, keeping the structure."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def is_symbolic(structure: Any) -> bool:
    """True when any leaf of ``structure`` is a KerasTensor.

    Walks the nest without building ``flatten``'s lists: every layer call asks this of its
    arguments, and it stops at the first KerasTensor.
    """
    if isinstance(structure, (list, tuple)):
        for item in structure:
            if is_symbolic(item):
                return True
        return False
    if isinstance(structure, dict):
        for item in structure.values():
            if is_symbolic(item):
                return True
        return False
    return isinstance(structure, KerasTensor)


def zip_structure(fn: Any, a: Any, b: Any) -> Any:
    """``fn(leaf_a, leaf_b)`` for the paired leaves of two same-structured nests (``None`` stays)."""
    if isinstance(a, (list, tuple)):
        items = [zip_structure(fn, x, y) for x, y in zip(a, b)]
        return items if isinstance(a, list) else tuple(items)
    if isinstance(a, dict):
        return {k: zip_structure(fn, a[k], b[k]) for k in a}
    if a is None:
        return None
    return fn(a, b)


def shape_tuples(shape: Any) -> Any:
    """A shape (or a list of shapes) given as lists, as tuples (what ``build`` receives)."""
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) for s in shape):
        return [tuple(s) for s in shape]
    return tuple(shape) if isinstance(shape, (list, tuple)) else shape


def shapes_to_keras_tensors(shapes: Any, dtype: str, owner: str) -> Any:
    """KerasTensors of ``dtype`` for a shape tuple, or a list/dict of them, returned by
    ``owner``'s ``compute_output_shape`` (``owner`` names the layer in the error)."""
    if isinstance(shapes, tuple) and all(d is None or isinstance(d, (int, np.integer)) for d in shapes):
        return KerasTensor(shapes, dtype)
    if isinstance(shapes, (list, tuple)):
        return [shapes_to_keras_tensors(s, dtype, owner) for s in shapes]
    if isinstance(shapes, dict):
        return {k: shapes_to_keras_tensors(v, dtype, owner) for k, v in shapes.items()}
    raise TypeError(
        f"{owner}: compute_output_shape returned {shapes!r}, expected a shape tuple "
        "(or a list or dict of them)"
    )
