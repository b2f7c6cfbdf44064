"""``StackedRNNCells``: several recurrent cells that act as one (each feeds the next)."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import flatten

__all__ = ["StackedRNNCells"]


class StackedRNNCells(Layer):
    """A stack of cells used as a single cell: at each step, cell ``k``'s output is cell
    ``k + 1``'s input. ``RNN([cell_a, cell_b])`` builds one.

    Its ``state_size`` nests the cells' (``[[h, c], [h, c]]`` for two LSTM cells), and so do
    the states it takes and returns.

    Args:
        cells: the cells, first to last.

    >>> import numpy as np
    >>> from scratchdl.layers import RNN, LSTMCell, GRUCell
    >>> RNN(StackedRNNCells([LSTMCell(4), GRUCell(3)]))(np.zeros((2, 5, 6), "float32")).shape
    (2, 3)
    """

    def __init__(self, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(
                    f"{label(self)}: all cells must have a `call` method. Received cell without a `call` "
                    f"method: {cell}"
                )
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    f"{label(self)}: all cells must have a `state_size` attribute. Received cell without a "
                    f"`state_size`: {cell}"
                )
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        """One entry per cell: its ``state_size``."""
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        """The last cell's output size."""
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        return flatten(last.state_size)[0]

    def get_initial_state(self, batch_size: int | None = None) -> list[Any]:
        """Each cell's initial states (zeros unless the cell defines its own)."""
        states: list[Any] = []
        for cell in self.cells:
            get_initial_state = getattr(cell, "get_initial_state", None)
            if get_initial_state is not None:
                states.append(get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(Tensor(np.zeros((batch_size, cell.state_size), self.compute_dtype)))
            else:
                states.append([Tensor(np.zeros((batch_size, d), self.compute_dtype))
                               for d in cell.state_size])
        return states

    def build(self, input_shape: Any) -> None:
        """Build each cell on the previous cell's output size."""
        input_shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            size = getattr(cell, "output_size", None)
            if size is None:
                size = flatten(cell.state_size)[0]
            input_shape = (input_shape[0], size)

    def call(self, inputs: Tensor, states: list[Any], training: bool | None = False) -> tuple[Tensor, list[Any]]:
        """Run the cells in turn on one step; return the last output and every cell's states."""
        new_states: list[Any] = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if is_list else [cell_states]
            kwargs: dict[str, Any] = {}
            accepts = getattr(cell, "_call_accepts", set())
            if "training" in accepts:
                kwargs["training"] = training
            call = cell if isinstance(cell, Layer) else cell.call
            inputs, cell_states = call(inputs, cell_states, **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            if len(cell_states) == 1 and not is_list:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        return inputs, new_states

    def get_config(self) -> dict[str, Any]:
        """Keras's config: the serialized cells."""
        from scratchdl.models.layer_serialization import serialize_layer

        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> StackedRNNCells:
        """Rebuild the stack, deserializing each cell."""
        from scratchdl.models.layer_serialization import deserialize_layer

        config = dict(config)
        cells = [deserialize_layer(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
