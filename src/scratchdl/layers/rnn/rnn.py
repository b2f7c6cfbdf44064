"""``RNN``: run a recurrent cell over the time axis of a sequence (Keras's base RNN layer).

A cell computes one time step: ``cell(input_t, states) -> (output_t, new_states)``, and says how
many states it carries with ``state_size`` (an int or a list of ints). ``RNN(cell)`` runs it over
``(batch, time, features)`` inputs with ``ops.rnn``, step by step, so any cell built from
differentiable ops works, including a user's own. ``SimpleRNN``, ``LSTM`` and ``GRU`` subclass
this layer and replace the step loop by the fused sequence ops (``ops.simple_rnn``,
``ops.lstm``, ``ops.gru``), which compute the same thing much faster.

Keras's options are all here: ``return_sequences``, ``return_state``, ``go_backwards``,
``stateful`` (the final states of one batch are the initial states of the next; reset with
``reset_states()``), ``zero_output_for_mask``, an ``initial_state`` call argument, and masking
(a ``(batch, time)`` mask from ``Embedding(mask_zero=True)`` or ``Masking``: a masked step keeps
the previous states and repeats the previous output).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import ops, regularizers
from scratchdl.autograd.tensor import Tensor, as_tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from scratchdl.layers.symbolic import flatten

__all__ = ["RNN", "cell_property", "check_use_cudnn", "prefix_weight_paths", "single_cell_config"]


def cell_property(name: str) -> property:
    """A read-only layer attribute that forwards to ``layer.cell.<name>`` (``LSTM.units``)."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's ``{name}``.")


def prefix_weight_paths(layer: Layer, prefix: str) -> None:
    """Prepend ``prefix/`` to the paths of ``layer``'s weights (Keras names a weight created
    inside another layer's ``build`` ``outer/inner/kernel``)."""
    for weight in layer.weights:
        if not weight.path.startswith(f"{prefix}/"):
            weight.path = f"{prefix}/{weight.path}"


def single_cell_config(layer: RNN, rnn_config: dict[str, Any], keep_seed: bool) -> dict[str, Any]:
    """Keras's config of a layer that owns its one cell (``SimpleRNN``, ``LSTM``, ``GRU``).

    ``rnn_config`` (``RNN.get_config``'s) loses its ``cell`` entry and gains the cell's own
    arguments at the top level (not the cell's name, trainable and dtype, nor its seed unless
    ``keep_seed``: Keras's SimpleRNN config has none) and the layer's ``activity_regularizer``.
    """
    config = dict(rnn_config)
    del config["cell"]
    cell_config = layer.cell.get_config()
    for key in ("name", "trainable", "dtype") + (() if keep_seed else ("seed",)):
        cell_config.pop(key)
    config.update(cell_config)
    config["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    return config


def check_use_cudnn(layer: Layer, use_cudnn: Any) -> None:
    """Keras's check of ``use_cudnn`` (accepted for compatibility: 'auto', True or False)."""
    if use_cudnn not in ("auto", True, False):
        raise ValueError(
            f"{label(layer)}: invalid value received for argument `use_cudnn`. Expected one of "
            f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
        )


class RNN(Layer):
    """Base class for recurrent layers: runs ``cell`` over the time axis.

    Args:
        cell: a cell: an object with ``call(inputs, states)`` returning ``(output, new_states)``
            and a ``state_size`` attribute (int or list of ints); optionally ``output_size`` and
            ``get_initial_state(batch_size)``. A list of cells is stacked (``StackedRNNCells``).
        return_sequences: return the whole output sequence ``(batch, time, units)`` instead of
            the last output ``(batch, units)``.
        return_state: also return the final states (``[output, *states]``).
        go_backwards: process the sequence from its end; the returned sequence is in
            processing order (reversed), as in Keras.
        stateful: keep the final states of each batch as the initial states of the next one
            (needs a fixed batch size; ``reset_states()`` sets them back to zeros).
        unroll: accepted for Keras compatibility; the loop is always a Python loop over steps.
        zero_output_for_mask: masked steps output zeros instead of repeating the last output.

    Call arguments:
        sequences: ``(batch, time, features)``.
        initial_state: a tensor or list of tensors (one per state) replacing the zero states.
        mask: ``(batch, time)`` booleans (usually set by a masking layer upstream).
        training: passed to the cell (dropout).

    >>> import numpy as np
    >>> from scratchdl.layers import LSTMCell
    >>> RNN(LSTMCell(4))(np.zeros((2, 5, 3), dtype="float32")).shape
    (2, 4)
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        if isinstance(cell, (list, tuple)):
            from scratchdl.layers.rnn.stacked_rnn_cells import StackedRNNCells

            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(
                f"{type(self).__name__}: argument `cell` should have a `call` method. Received: cell={cell}"
            )
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError(
                f"{type(self).__name__}: the RNN cell should have a `state_size` attribute (single integer or list of "
                f"integers, one integer per RNN state). Received: cell={cell}"
            )
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError(
                f"{type(self).__name__}: the cell's state_size must be an integer, or a list/tuple of integers (one "
                f"for each state tensor). Received: state_size={state_size!r}"
            )
        super().__init__(**kwargs)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.supports_masking = True
        self.states: list[Tensor] | None = None
        self._expected_batch_size: int | None = None
        if isinstance(state_size, int):
            self.state_size: list[Any] = [state_size]
            self.single_state = True
        else:
            self.state_size = list(state_size)
            self.single_state = False
        # The loop works on a flat list of states; stacked cells nest theirs (one list per cell).
        self.flat_state_size = [int(size) for size in flatten(self.state_size)]

    # ------------------------------------------------------------------ shapes and masks
    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        """``(batch, units)`` or ``(batch, time, units)``, then one ``(batch, size)`` per state
        when ``return_state``."""
        sequences_shape = tuple(sequences_shape)
        batch, length = sequences_shape[0], sequences_shape[1]
        states_shape = _pack([(batch, size) for size in self.flat_state_size], self.state_size)
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = _first_size(self.state_size)
        if not isinstance(output_size, int):
            raise ValueError(f"{label(self)}: the cell's output_size must be an integer, got {output_size!r}")
        output_shape = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        if self.return_state:
            return (output_shape, *states_shape)
        return output_shape

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The input mask for a returned sequence (None for the last output and the states)."""
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    # ------------------------------------------------------------------ build and states
    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        """Build the cell for one time step's input ``(batch, *features)``; create the states
        of a stateful layer."""
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) < 3:
            raise ValueError(
                f"{label(self)}: expected input of shape (batch, time, features), got shape "
                f"{sequences_shape}"
            )
        step_shape = (sequences_shape[0], *sequences_shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
            prefix_weight_paths(self.cell, self.name)
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                if sequences_shape[0] is None:
                    raise ValueError(
                        f"{label(self)}: when using `stateful=True` in a RNN, the batch size must be static. "
                        f"Found dynamic batch size: sequence.shape={sequences_shape}"
                    )
                self.states = self.get_initial_state(sequences_shape[0])
                self._expected_batch_size = sequences_shape[0]

    def get_initial_state(self, batch_size: int) -> list[Tensor]:
        """The zero states (or the cell's own ``get_initial_state``) for ``batch_size``, as a
        flat list."""
        get_initial_state = getattr(self.cell, "get_initial_state", None)
        if get_initial_state is None:
            dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
            return [Tensor(np.zeros((batch_size, size), dtype=dtype))
                    for size in self.flat_state_size]
        return [as_tensor(s) for s in flatten(get_initial_state(batch_size=batch_size))]

    def reset_states(self) -> None:
        """Set a stateful layer's states back to zeros (an alias of ``reset_state``)."""
        self.reset_state()

    def reset_state(self) -> None:
        """Set a stateful layer's states back to zeros."""
        if self.states is not None:
            self.states = [Tensor(np.zeros_like(s.data)) for s in self.states]

    # ------------------------------------------------------------------ the computation
    def _cell_kwargs(self, training: bool | None) -> dict[str, Any]:
        accepts = getattr(self.cell, "_call_accepts", None)
        if accepts is None:
            import inspect

            accepts = set(inspect.signature(self.cell.call).parameters)
        return {"training": training} if "training" in accepts else {}

    def inner_loop(self, sequences: Tensor, initial_state: list[Tensor], mask: Any,
                   training: bool | None) -> tuple[Tensor, list[Tensor]]:
        """Run the cell over every step (``ops.rnn``); return ``(output, final_states)`` with
        the output sequence or the last output as ``return_sequences`` asks."""
        cell_kwargs = self._cell_kwargs(training)
        call = self.cell if isinstance(self.cell, Layer) else self.cell.call

        def step(inputs: Tensor, states: list[Tensor]) -> tuple[Tensor, Any]:
            output, new_states = call(inputs, _pack(list(states), self.state_size), **cell_kwargs)
            return output, flatten(new_states)

        last, outputs, states = ops.rnn(step, sequences, initial_state,
                                        go_backwards=self.go_backwards, mask=mask,
                                        zero_output_for_mask=self.zero_output_for_mask,
                                        return_all_outputs=self.return_sequences)
        return (outputs if self.return_sequences else last), list(states)

    def _dropout_masks(self, training: bool | None) -> tuple[Any, Any]:
        """The cell's dropout masks for this sequence as the fused ops take them (None, a
        ``(batch, size)`` mask, or ``(gates, batch, size)`` per-gate masks)."""
        from scratchdl.layers.rnn.dropout_rnn_cell import stacked_masks

        cell = self.cell
        if not training:
            return None, None
        return (stacked_masks(getattr(cell, "_dropout_mask", None)),
                stacked_masks(getattr(cell, "_recurrent_dropout_mask", None)))

    def call(self, sequences: Tensor, initial_state: Any = None, mask: Any = None,
             training: bool | None = False) -> Any:
        """Run the recurrence; see the class docstring for the outputs."""
        sequences = as_tensor(sequences)
        if sequences.ndim < 3:
            raise ValueError(
                f"{label(self)}: expected input of shape (batch, time, features), got shape "
                f"{sequences.shape}"
            )
        batch = sequences.shape[0]
        if initial_state is None:
            initial_state = self.states if self.stateful else self.get_initial_state(batch)
        else:
            initial_state = self._standardize_states(initial_state, batch)
        if self.stateful and self._expected_batch_size is not None and batch != self._expected_batch_size:
            raise ValueError(
                f"{label(self)}: if an RNN is stateful, the batch size of the input sequences must be the same as "
                f"the batch size of the initial state. \n- Expected batch size: "
                f"{self._expected_batch_size}\n- Received batch size: {batch}"
            )
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            mask = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
            mask = mask.astype(bool, copy=False)

        cells = [self.cell] if not hasattr(self.cell, "cells") else list(self.cell.cells)
        if training:
            # Draw each cell's masks once for the whole sequence, as Keras does.
            step_input = sequences.data[:, 0]
            for cell, state in zip(cells, self._cell_states(initial_state)):
                if isinstance(cell, DropoutRNNCell):
                    cell.get_dropout_mask(step_input)
                    cell.get_recurrent_dropout_mask(state.data)
                size = getattr(cell, "output_size", None) or _first_size(cell.state_size)
                step_input = np.zeros((batch, size), dtype=step_input.dtype)
        try:
            output, states = self.inner_loop(sequences, initial_state, mask, training)
        finally:
            for cell in cells:
                if isinstance(cell, DropoutRNNCell):
                    cell.reset_dropout_mask()
                    cell.reset_recurrent_dropout_mask()

        if self.stateful:
            self.states = [Tensor(s.data.copy()) for s in states]
        if self.return_state:
            return (output, *_pack(states, self.state_size))
        return output

    def _cell_states(self, states: list[Tensor]) -> list[Tensor]:
        """The first state of each cell (what its recurrent dropout mask is shaped after)."""
        if not hasattr(self.cell, "cells"):
            return [states[0]]
        firsts, index = [], 0
        for cell in self.cell.cells:
            firsts.append(states[index])
            index += len(flatten(cell.state_size))
        return firsts

    def _standardize_states(self, initial_state: Any, batch: int) -> list[Tensor]:
        states = [as_tensor(s) for s in flatten(initial_state)]
        states = [s if s.dtype == np.dtype(self.compute_dtype) else ops.cast(s, self.compute_dtype)
                  for s in states]
        expected = [(batch, size) for size in self.flat_state_size]
        shapes = [tuple(s.shape) for s in states]
        if shapes != expected:
            raise ValueError(
                f"{label(self)}: initial_state must be {len(expected)} tensor(s) of shapes "
                f"{expected}, got shapes {shapes}"
            )
        return states

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Keras's RNN config (the cell serialized under ``cell``)."""
        from scratchdl.models.layer_serialization import serialize_layer

        config = {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        if isinstance(self.cell, Layer):
            config["cell"] = serialize_layer(self.cell)
        else:
            raise ValueError(f"{label(self)}: cannot serialize a cell that is not a Layer: {self.cell!r}")
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> RNN:
        """Rebuild the layer, deserializing its cell."""
        from scratchdl.models.layer_serialization import deserialize_layer

        config = dict(config)
        cell = deserialize_layer(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def _first_size(state_size: Any) -> int:
    return flatten(state_size)[0]


def _pack(flat: list[Any], structure: list[Any]) -> list[Any]:
    """Arrange a flat list of states as ``structure`` (the RNN's ``state_size``) nests them."""
    packed, index = [], 0
    for entry in structure:
        if isinstance(entry, (list, tuple)):
            size = len(flatten(entry))
            packed.append(_pack(flat[index:index + size], list(entry)))
            index += size
        else:
            packed.append(flat[index])
            index += 1
    return packed
