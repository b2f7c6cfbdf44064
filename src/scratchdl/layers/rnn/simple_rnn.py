"""``SimpleRNNCell`` and ``SimpleRNN``: the fully connected recurrent layer.

``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``; the output is ``h_t``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import activations, constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from scratchdl.layers.rnn.rnn import RNN, cell_property, single_cell_config

__all__ = ["SimpleRNN", "SimpleRNNCell"]


def check_units(units: Any, layer_class: str) -> int:
    """``units`` as a positive int, or Keras's error naming ``layer_class`` (the cell)."""
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise ValueError(
            f"{layer_class}: received an invalid value for argument `units`, expected a positive "
            f"integer, got {units}."
        )
    return int(units)


def clip_rate(rate: Any) -> float:
    """A dropout rate clipped to [0, 1], as Keras's cells do."""
    return min(1.0, max(0.0, float(rate)))


class SimpleRNNCell(Layer, DropoutRNNCell):
    """One step of a fully connected RNN: ``h = activation(x @ kernel + h_prev @
    recurrent_kernel + bias)``.

    Args:
        units: the size of the state and output.
        activation: the activation (default ``tanh``; None: linear).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras's defaults
            ``glorot_uniform``, ``orthogonal``, ``zeros``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints applied after
            each optimizer update.
        dropout: the fraction of the inputs to drop (one mask per sequence, in training).
        recurrent_dropout: the fraction of the previous state to drop.
        seed: seeds the dropout masks.

    Call arguments: ``inputs (batch, features)``, ``states`` (``[h]`` or ``h``), ``training``.
    Returns ``(h, [h])``.

    >>> cell = SimpleRNNCell(4)
    >>> h, (state,) = cell(np.zeros((2, 3), "float32"), [np.zeros((2, 4), "float32")])
    >>> h.shape
    (2, 4)
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        units = check_units(units, type(self).__name__)
        super().__init__(**kwargs)
        self.seed = seed
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = clip_rate(dropout)
        self.recurrent_dropout = clip_rate(recurrent_dropout)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        """Create ``kernel (features, units)``, ``recurrent_kernel (units, units)``, ``bias``."""
        input_shape = tuple(input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{label(self)}: the last dimension of the input must be known, got {input_shape}")
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), name="bias", initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def call(self, sequence: Tensor, states: Any, training: bool | None = False) -> tuple[Tensor, Any]:
        """One step; the dropout masks are the sequence's (see ``DropoutRNNCell``)."""
        previous = states[0] if isinstance(states, (list, tuple)) else states
        dp_mask = self.get_dropout_mask(sequence)
        rec_dp_mask = self.get_recurrent_dropout_mask(previous)
        if training and dp_mask is not None:
            sequence = sequence * dp_mask
        h = ops.matmul(sequence, self.kernel)
        if self.bias is not None:
            h = h + self.bias
        if training and rec_dp_mask is not None:
            previous = previous * rec_dp_mask
        output = self.activation(h + ops.matmul(previous, self.recurrent_kernel))
        return output, ([output] if isinstance(states, (list, tuple)) else output)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, units)`` for the output and for each state (states given as a list)."""
        state = (next(iter(input_shape)), self.units)
        return (state, [state] * 1)

    def get_initial_state(self, batch_size: int | None = None) -> list[Tensor]:
        """Zeros of shape ``(batch_size, units)``."""
        return [Tensor(np.zeros((batch_size, self.units), dtype=self.compute_dtype))]

    def get_config(self) -> dict[str, Any]:
        """Keras's SimpleRNNCell config."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNN(RNN):
    """A fully connected RNN layer (Keras's ``SimpleRNN``), computed by the fused
    ``ops.simple_rnn``.

    Its weights live in the ``simple_rnn_cell`` sub-layer: ``kernel (features, units)``,
    ``recurrent_kernel (units, units)``, ``bias (units,)``.

    Args:
        units, activation, use_bias, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed: as ``SimpleRNNCell``.
        activity_regularizer: a penalty on the layer's outputs.
        return_sequences, return_state, go_backwards, stateful, unroll: as ``RNN``.

    >>> SimpleRNN(4, return_sequences=True)(np.zeros((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, seed: int | None = None, **kwargs: Any) -> None:
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            seed=seed, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell")
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    units = cell_property("units")
    activation = cell_property("activation")
    use_bias = cell_property("use_bias")
    kernel_initializer = cell_property("kernel_initializer")
    recurrent_initializer = cell_property("recurrent_initializer")
    bias_initializer = cell_property("bias_initializer")
    kernel_regularizer = cell_property("kernel_regularizer")
    recurrent_regularizer = cell_property("recurrent_regularizer")
    bias_regularizer = cell_property("bias_regularizer")
    kernel_constraint = cell_property("kernel_constraint")
    recurrent_constraint = cell_property("recurrent_constraint")
    bias_constraint = cell_property("bias_constraint")
    dropout = cell_property("dropout")
    recurrent_dropout = cell_property("recurrent_dropout")

    def inner_loop(self, sequences: Tensor, initial_state: list[Tensor], mask: Any,
                   training: bool | None) -> tuple[Tensor, list[Tensor]]:
        """The whole sequence in one fused op."""
        cell = self.cell
        dropout_mask, recurrent_dropout_mask = self._dropout_masks(training)
        output, h = ops.simple_rnn(
            sequences, initial_state[0], cell.kernel, cell.recurrent_kernel, cell.bias,
            activation=cell.activation, mask=mask, go_backwards=self.go_backwards,
            return_sequences=self.return_sequences, zero_output_for_mask=self.zero_output_for_mask,
            dropout_mask=dropout_mask, recurrent_dropout_mask=recurrent_dropout_mask)
        return output, [h]

    def get_config(self) -> dict[str, Any]:
        """Keras's SimpleRNN config (the cell's arguments at the top level)."""
        return single_cell_config(self, super().get_config(), keep_seed=False)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> SimpleRNN:
        """``SimpleRNN(**config)``."""
        return cls(**config)
