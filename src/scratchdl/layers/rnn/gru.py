"""``GRUCell`` and ``GRU``: the Gated Recurrent Unit (Cho et al., 2014), exactly as Keras.

Gates in Keras's order update ``z``, reset ``r``, candidate ``h``; ``x = x_t @ kernel``::

    reset_after=True (default; bias (2, 3 units): input bias, recurrent bias)
        inner = h_{t-1} @ recurrent_kernel + recurrent_bias
        z = rec_act(x_z + b_z + inner_z);  r = rec_act(x_r + b_r + inner_r)
        hh = act(x_h + b_h + r * inner_h)

    reset_after=False (bias (3 units,))
        z = rec_act(x_z + b_z + h_{t-1} @ R_z);  r = rec_act(x_r + b_r + h_{t-1} @ R_r)
        hh = act(x_h + b_h + (r * h_{t-1}) @ R_h)

    h_t = z * h_{t-1} + (1 - z) * hh
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

__all__ = ["GRU", "GRUCell"]


class GRUCell(Layer, DropoutRNNCell):
    """One GRU step (see the module docstring for the math).

    Args:
        units: the size of the state and the output.
        activation: for the candidate (default ``tanh``).
        recurrent_activation: for the gates (default ``sigmoid``).
        use_bias: whether to use biases.
        kernel_initializer, recurrent_initializer, bias_initializer: Keras's defaults
            ``glorot_uniform``, ``orthogonal``, ``zeros``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight penalties.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout, recurrent_dropout: fractions of the inputs / of ``h`` to drop, one mask per
            sequence (one per gate when ``recurrent_dropout > 0``, as Keras).
        reset_after: apply the reset gate after the recurrent matmul (True, Keras's default
            and cuDNN's/torch's formulation) or before it (False).
        seed: seeds the dropout masks.

    Call arguments: ``inputs (batch, features)``, ``states`` (``[h]`` or ``h``), ``training``.
    Returns ``(h, [h])``.
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
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
            self.dropout_mask_count = 3  # one mask per gate
        self.seed = seed
        self.reset_after = bool(reset_after)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        """Create ``kernel (features, 3 units)``, ``recurrent_kernel (units, 3 units)`` and
        ``bias`` (``(2, 3 units)`` with ``reset_after``, else ``(3 units,)``)."""
        input_shape = tuple(input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{label(self)}: the last dimension of the input must be known, got {input_shape}")
        self.kernel = self.add_weight(
            shape=(input_shape[-1], 3 * self.units), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, 3 * self.units), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.bias = self.add_weight(
                shape=shape, name="bias", initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def call(self, inputs: Tensor, states: Any, training: bool | None = False) -> tuple[Tensor, Any]:
        """One step, written with ordinary ops (``RNN(GRUCell(...))`` runs it per step)."""
        h_previous = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        dp_mask = self.get_dropout_mask(inputs) if training else None
        rec_dp_mask = self.get_recurrent_dropout_mask(h_previous) if training else None
        input_bias = recurrent_bias = None
        if self.bias is not None:
            input_bias, recurrent_bias = (self.bias[0], self.bias[1]) if self.reset_after else (self.bias, None)
        x = masked_matmul(inputs, self.kernel, dp_mask, 3)
        if input_bias is not None:
            x = x + input_bias
        x_z, x_r, x_h = ops.split(x, 3, axis=-1)
        if self.reset_after:
            inner = masked_matmul(h_previous, self.recurrent_kernel, rec_dp_mask, 3)
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            inner_z, inner_r, inner_h = ops.split(inner, 3, axis=-1)
            z = self.recurrent_activation(x_z + inner_z)
            r = self.recurrent_activation(x_r + inner_r)
            hh = self.activation(x_h + r * inner_h)
        else:
            kernel_zr, kernel_h = ops.split(self.recurrent_kernel, [2 * u], axis=1)
            zr_masks = rec_dp_mask[:2] if isinstance(rec_dp_mask, list) else rec_dp_mask
            inner_z, inner_r = ops.split(masked_matmul(h_previous, kernel_zr, zr_masks, 2), 2, axis=-1)
            z = self.recurrent_activation(x_z + inner_z)
            r = self.recurrent_activation(x_r + inner_r)
            h_mask = rec_dp_mask[2] if isinstance(rec_dp_mask, list) else rec_dp_mask
            h_for_h = h_previous if h_mask is None else h_previous * h_mask
            hh = self.activation(x_h + ops.matmul(r * h_for_h, kernel_h))
        h = z * h_previous + (1 - z) * hh
        return h, ([h] if isinstance(states, (list, tuple)) else h)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, units)`` for the output and for each state (states given as a list)."""
        state = (next(iter(input_shape)), self.units)
        return (state, [state] * 1)

    def get_initial_state(self, batch_size: int | None = None) -> list[Tensor]:
        """Zeros of shape ``(batch_size, units)``."""
        return [Tensor(np.zeros((batch_size, self.units), dtype=self.compute_dtype))]

    def get_config(self) -> dict[str, Any]:
        """Keras's GRUCell config."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
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
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


class GRU(RNN):
    """The Gated Recurrent Unit layer (Keras's ``GRU``), computed by the fused ``ops.gru``.

    Its weights live in the ``gru_cell`` sub-layer: ``kernel (features, 3 units)``,
    ``recurrent_kernel (units, 3 units)``, ``bias`` (``(2, 3 units)`` with ``reset_after``).

    Args:
        units ... reset_after, seed: as ``GRUCell``.
        activity_regularizer: a penalty on the layer's outputs.
        return_sequences, return_state, go_backwards, stateful, unroll: as ``RNN``.
        use_cudnn: accepted for Keras compatibility ('auto', True or False; no effect).

    >>> out, h = GRU(4, return_state=True)(np.zeros((2, 5, 3), "float32"))
    >>> out.shape, h.shape
    ((2, 4), (2, 4))
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, reset_after: bool = True, use_cudnn: Any = "auto",
                 **kwargs: Any) -> None:
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True), name="gru_cell",
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
    reset_after = cell_property("reset_after")

    def inner_loop(self, sequences: Tensor, initial_state: list[Tensor], mask: Any,
                   training: bool | None) -> tuple[Tensor, list[Tensor]]:
        """The whole sequence in one fused op."""
        cell = self.cell
        dropout_mask, recurrent_dropout_mask = self._dropout_masks(training)
        output, h = ops.gru(
            sequences, initial_state[0], cell.kernel, cell.recurrent_kernel, cell.bias,
            activation=cell.activation, recurrent_activation=cell.recurrent_activation,
            mask=mask, go_backwards=self.go_backwards, return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask, reset_after=cell.reset_after,
            dropout_mask=dropout_mask, recurrent_dropout_mask=recurrent_dropout_mask)
        return output, [h]

    def get_config(self) -> dict[str, Any]:
        """Keras's GRU config (the cell's arguments at the top level)."""
        return single_cell_config(self, super().get_config(), keep_seed=True)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> GRU:
        """``GRU(**config)``."""
        return cls(**config)
