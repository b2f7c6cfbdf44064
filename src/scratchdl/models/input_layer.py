"""``InputLayer`` and ``Input``: the entry points of a functional graph.

``Input(shape=(784,))`` makes an ``InputLayer`` and returns its symbolic output, a ``KerasTensor``
whose ``_keras_history`` points at that layer. Layers called on it record nodes; ``Model(inputs,
outputs)`` then walks those nodes back to the input layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor, Node

__all__ = ["Input", "InputLayer"]


def _standardize_shape(shape: Any, what: str) -> tuple[int | None, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise ValueError(f"InputLayer: {what} must be a tuple of ints or None, got {shape!r}")
    result: list[int | None] = []
    for dim in shape:
        if dim is None:
            result.append(None)
        elif isinstance(dim, (int, np.integer)) and not isinstance(dim, bool) and dim >= 0:
            result.append(int(dim))
        else:
            raise ValueError(
                f"InputLayer: {what} must contain non-negative ints or None, got {tuple(shape)!r}"
            )
    return tuple(result)


class InputLayer(Layer):
    """The layer behind ``Input``: it owns the symbolic input tensor of a functional model.

    Args:
        shape: the shape of one sample, without the batch dimension (``(28, 28, 1)``).
        batch_size: an optional fixed batch size.
        dtype: the input's dtype (``floatx()`` by default); integer inputs keep their dtype.
        sparse: accepted for Keras compatibility; sparse inputs are not supported.
        batch_shape: the full shape including the batch dimension (instead of ``shape``).
        name: the layer's name, also the name of its output tensor.
    """

    def __init__(self, shape: Sequence[int | None] | None = None, batch_size: int | None = None,
                 dtype: Any = None, sparse: bool | None = None,
                 batch_shape: Sequence[int | None] | None = None, name: str | None = None,
                 input_tensor: KerasTensor | None = None, optional: bool = False,
                 ragged: bool | None = None, **kwargs: Any) -> None:
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if kwargs:
            raise ValueError(f"InputLayer: unrecognized keyword arguments {sorted(kwargs)}")
        if sparse:
            raise ValueError("InputLayer: sparse=True is not supported by scratchdl (dense arrays only)")
        if ragged:
            raise ValueError("InputLayer: ragged=True is not supported by scratchdl (dense arrays only)")
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(
                    f"InputLayer: input_tensor must be a KerasTensor, got {type(input_tensor).__name__}"
                )
            batch_shape = input_tensor.shape
            dtype = input_tensor.dtype if dtype is None else dtype
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError("InputLayer: pass either shape or batch_shape, not both")
            if batch_size is not None and batch_shape is not None:
                raise ValueError("InputLayer: pass either batch_size or batch_shape, not both")
            if shape is None and batch_shape is None:
                raise ValueError("InputLayer: you must pass a `shape` argument")
            if shape is not None:
                batch_shape = (batch_size, *_standardize_shape(shape, "shape"))
        super().__init__(name=name, dtype=dtype or backend.floatx())
        self._batch_shape = _standardize_shape(batch_shape, "batch_shape")
        self.sparse = False
        self.ragged = False
        self.optional = bool(optional)
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, self._dtype, name=self.name)
        elif input_tensor.name is None:
            input_tensor.name = self.name
        input_tensor._keras_history = (self, 0, 0)
        self._input_tensor = input_tensor
        self._inbound_nodes.append(Node(self, (), {}, [input_tensor]))
        self.built = True

    @property
    def batch_shape(self) -> tuple[int | None, ...]:
        """The input's full shape, batch dimension first (``None`` where unknown)."""
        return self._batch_shape

    @property
    def output(self) -> KerasTensor:
        """The symbolic tensor this layer feeds into the graph."""
        return self._input_tensor

    def call(self) -> None:  # type: ignore[override]
        """Input layers compute nothing: the model feeds their tensor directly."""
        return None

    def compute_output_shape(self, input_shape: Any = None) -> tuple[int | None, ...]:
        """The batch shape of the input."""
        return self._batch_shape

    def get_config(self) -> dict[str, Any]:
        """Keras's InputLayer config: batch_shape, dtype, sparse, ragged, name, optional."""
        return {
            "batch_shape": self._batch_shape,
            "dtype": self._dtype,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "name": self.name,
            "optional": self.optional,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputLayer:
        """Rebuild an InputLayer from ``get_config()`` (or a Keras config)."""
        config = dict(config)
        config.pop("trainable", None)
        dtype = config.get("dtype")
        if isinstance(dtype, dict):
            config["dtype"] = dtype.get("config", {}).get("name")
        return cls(**config)


def Input(shape: Sequence[int | None] | None = None, batch_size: int | None = None,  # noqa: N802
          dtype: Any = None, name: str | None = None,
          batch_shape: Sequence[int | None] | None = None, tensor: KerasTensor | None = None,
          sparse: bool | None = None, optional: bool = False) -> KerasTensor:
    """Create a symbolic input tensor for the functional API (Keras's ``keras.Input``).

    Args:
        shape: the shape of one sample, without the batch dimension; ``None`` marks a variable size.
        batch_size: an optional fixed batch size.
        dtype: the expected dtype (``'float32'`` by default; e.g. ``'int32'`` for token ids).
        name: the name of the input (the key to use when feeding a dict of inputs).
        batch_shape: the full shape including the batch dimension, instead of ``shape``.
        tensor: an existing ``KerasTensor`` to wrap.

    >>> x = Input(shape=(32,))
    >>> x.shape
    (None, 32)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor, optional=optional)
    return layer.output
