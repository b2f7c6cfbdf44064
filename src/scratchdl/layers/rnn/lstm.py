"""``LSTMCell`` and ``LSTM``: Long Short-Term Memory (Hochreiter & Schmidhuber, 1997).

With Keras's fused weights (gates in the order input ``i``, forget ``f``, candidate ``c``,
output ``o``)::

    z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias          # (batch, 4 units)
    i, f, o = recurrent_activation(z_i, z_f, z_o);  g = activation(z_c)
    c_t = f * c_{t-1} + i * g;   h_t = o * activation(c_t)

The output is ``h_t``; the states are ``[h_t, c_t]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import activations, constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.rnn.dropout_rnn_cell import DropoutRNNCell, masked_matmul
from scratchdl.layers.rnn.rnn import RNN, cell_property, check_use_cudnn, single_cell_config
from scratchdl.layers.rnn.simple_rnn import check_units, clip_rate

__all__ = ["LSTM", "LSTMCell"]


class _UnitForgetBias:
    """Keras's LSTM bias initializer with ``unit_forget_bias``: ``bias_initializer`` for the
    i, c, o blocks and ones for the forget gate, so the cell remembers by default."""

    def __init__(self, bias_initializer: Any, units: int) -> None:
        self.bias_initializer = bias_initializer
        self.units = units

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        u = self.units
        return np.concatenate([
            np.asarray(self.bias_initializer((u,), dtype=dtype)),
            np.asarray(initializers.get("ones")((u,), dtype=dtype)),
            np.asarray(self.bias_initializer((2 * u,), dtype=dtype)),
        ])


class LSTMCell(Layer, DropoutRNNCell):
    """One LSTM step (see the module docstring for the math).

    Args:
        units: the size of the states and the output.
        activation: for the candidate and the cell state (default ``tanh``).
        recurrent_activation: for the gates (default ``sigmoid``).
        use_bias: whether to add a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras's defaults
            ``glorot_uniform``, ``orthogonal``, ``zeros``.
        unit_forget_bias: initialize the forget gate's bias to 1 (default True).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout, recurrent_dropout: fractions of the inputs / of ``h`` to drop, one mask per
            sequence; with ``recurrent_dropout > 0`` each gate gets its own masks (Keras's
            ``implementation=1``).
        seed: seeds the dropout masks.

    Call arguments: ``inputs (batch, features)``, ``states [h, c]``, ``training``.
    Returns ``(h, [h, c])``.
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        units = check_units(units, type(self).__name__)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.implementation = implementation
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
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
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 4  # one mask per gate
        self.seed = seed
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        """Create ``kernel (features, 4 units)``, ``recurrent_kernel (units, 4 units)`` and
        ``bias (4 units,)``."""
        input_shape = tuple(input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{label(self)}: the last dimension of the input must be known, got {input_shape}")
        self.kernel = self.add_weight(
            shape=(input_shape[-1], 4 * self.units), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, 4 * self.units), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            initializer = (_UnitForgetBias(self.bias_initializer, self.units)
                           if self.unit_forget_bias else self.bias_initializer)
            self.bias = self.add_weight(
                shape=(4 * self.units,), name="bias", initializer=initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def call(self, inputs: Tensor, states: Any, training: bool | None = False) -> tuple[Tensor, list[Tensor]]:
        """One step, written with ordinary ops (``RNN(LSTMCell(...))`` runs it per step)."""
        h_previous, c_previous = states[0], states[1]
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_dp_mask = self.get_recurrent_dropout_mask(h_previous) if training else None
        z = masked_matmul(inputs, self.kernel, dp_mask, 4)
        z = z + masked_matmul(h_previous, self.recurrent_kernel, rec_dp_mask, 4)
        if self.bias is not None:
            z = z + self.bias
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_previous + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, units)`` for the output and for each state (states given as a list)."""
        state = (next(iter(input_shape)), self.units)
        return (state, [state] * 2)

    def get_initial_state(self, batch_size: int | None = None) -> list[Tensor]:
        """Zero ``h`` and ``c`` of shape ``(batch_size, units)``."""
        return [Tensor(np.zeros((batch_size, self.units), dtype=self.compute_dtype))
                for _ in range(2)]

    def get_config(self) -> dict[str, Any]:
        """Keras's LSTMCell config."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
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


class LSTM(RNN):
    """The Long Short-Term Memory layer (Keras's ``LSTM``), computed by the fused ``ops.lstm``
    (one matmul for every step's input projection, one per step for the recurrence, and a
    hand-written backward pass through time).

    Its weights live in the ``lstm_cell`` sub-layer (paths ``lstm/lstm_cell/kernel``, ...):
    ``kernel (features, 4 units)``, ``recurrent_kernel (units, 4 units)``, ``bias (4 units,)``.

    Args:
        units ... seed: as ``LSTMCell``.
        activity_regularizer: a penalty on the layer's outputs.
        return_sequences, return_state, go_backwards, stateful, unroll: as ``RNN``.
        use_cudnn: accepted for Keras compatibility ('auto', True or False; no effect).

    >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(np.zeros((2, 5, 3), "float32"))
    >>> out.shape, h.shape, c.shape
    ((2, 5, 4), (2, 4), (2, 4))
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 use_cudnn: Any = "auto", **kwargs: Any) -> None:
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            unit_forget_bias=unit_forget_bias, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True), name="lstm_cell",
            seed=seed, implementation=kwargs.pop("implementation", 2))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        check_use_cudnn(self, use_cudnn)
        self.use_cudnn = use_cudnn

    units = cell_property("units")
    activation = cell_property("activation")
    recurrent_activation = cell_property("recurrent_activation")
    use_bias = cell_property("use_bias")
    unit_forget_bias = cell_property("unit_forget_bias")
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
        output, h, c = ops.lstm(
            sequences, (initial_state[0], initial_state[1]), cell.kernel, cell.recurrent_kernel,
            cell.bias, activation=cell.activation, recurrent_activation=cell.recurrent_activation,
            mask=mask, go_backwards=self.go_backwards, return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask, dropout_mask=dropout_mask,
            recurrent_dropout_mask=recurrent_dropout_mask)
        return output, [h, c]

    def get_config(self) -> dict[str, Any]:
        """Keras's LSTM config (the cell's arguments at the top level)."""
        return single_cell_config(self, super().get_config(), keep_seed=True)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> LSTM:
        """``LSTM(**config)``."""
        return cls(**config)
