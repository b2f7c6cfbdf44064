"""Recurrent ops: a generic loop over time (``rnn``) and fused SimpleRNN, LSTM and GRU sequences.

``rnn(step_function, inputs, initial_states)`` runs any step function built from differentiable
ops over the time axis, with Keras's masking and ``go_backwards`` semantics; autograd then
backpropagates through time by itself. It is what ``layers.RNN`` uses for arbitrary cells.

``simple_rnn``, ``lstm`` and ``gru`` compute a whole layer's sequence as one fused op with a
hand-written backward pass (see ``ops/_recurrent_kernels.py`` and ``_recurrent_cells.py``): one matmul projects the inputs of
all time steps and gates, one matmul per step adds the recurrent projection, and the backward
pass gets the weight gradients with one matmul over all steps. They use Keras's weight layouts
and gate orders, so a Keras layer's weights plug in unchanged:

* SimpleRNN: ``h_t = act(x_t W + h_{t-1} U + b)``, kernel ``(input_dim, units)``;
* LSTM (gates i, f, c, o): kernel ``(input_dim, 4 units)``, recurrent kernel
  ``(units, 4 units)``, bias ``(4 units,)``::

      i, f, o = rec_act(z_i), rec_act(z_f), rec_act(z_o);   g = act(z_c)
      c_t = f * c_{t-1} + i * g;   h_t = o * act(c_t)

* GRU (gates z, r, h) with ``reset_after=True`` (bias ``(2, 3 units)``, torch's formulation) or
  ``False`` (bias ``(3 units,)``, the reset gate applied before the recurrent matmul).

When the inputs are an embedding lookup (``take(table, indices, axis=0)`` in a recorded graph,
as an ``Embedding`` layer gives them) and the table has few rows for the tokens read (at most a
quarter), the fused ops project each table row once and gather the projections per step; the
backward pass sums the gradient per table row first, so its two input products shrink from
``batch * time`` rows to the table's. The result is the same (up to float rounding); the
gradient goes straight to the table.

The fused kernels know the standard activations ``tanh``, ``sigmoid``, ``relu``,
``hard_sigmoid`` and ``linear`` (by name or as scratchdl's functions). Any other activation takes
the generic path: the same cell written with ordinary ops, stepped by ``rnn``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from scratchdl.autograd.mode import is_grad_enabled
from scratchdl.autograd.tensor import Tensor, as_tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._recurrent_cells import GRUSequence, LSTMSequence, SimpleRNNSequence
from scratchdl.ops._recurrent_kernels import FUSED_ACTIVATIONS
from scratchdl.ops._recurrent_kernels import Sequence as _Sequence
from scratchdl.ops.activation import hard_sigmoid as _hard_sigmoid_op
from scratchdl.ops.activation import relu as _relu_op
from scratchdl.ops.activation import sigmoid as _sigmoid_op
from scratchdl.ops.arithmetic import where
from scratchdl.ops.elementwise import tanh as _tanh_op
from scratchdl.ops.indexing import Take
from scratchdl.ops.linalg import matmul
from scratchdl.ops.shape import concatenate, expand_dims, reshape, split, stack

__all__ = ["gru", "lstm", "rnn", "simple_rnn"]

# ------------------------------------------------------------------------------ the generic loop
def rnn(
    step_function: Callable[[Tensor, list[Tensor]], tuple[Tensor, Any]],
    inputs: Any,
    initial_states: Sequence[Any],
    go_backwards: bool = False,
    mask: Any = None,
    zero_output_for_mask: bool = False,
    return_all_outputs: bool = True,
) -> tuple[Tensor, Tensor, list[Tensor]]:
    """Iterate ``step_function`` over the time axis (axis 1) of ``inputs``, as Keras's
    ``backend.rnn``.

    ``step_function(input_t, states) -> (output_t, new_states)`` is any function of tensors;
    gradients flow back through every step by ordinary autograd. With a ``(batch, time)``
    boolean ``mask``, a masked step keeps the previous states and repeats the previous output
    (zeros before the first unmasked step, or always zeros with ``zero_output_for_mask``).
    ``go_backwards`` processes the steps from last to first; the outputs stay in processing order.

    Returns ``(last_output, outputs, final_states)``; ``outputs`` is ``(batch, time, ...)`` when
    ``return_all_outputs``, else the last output with a time axis of 1.

    >>> def step(x, states):
    ...     h = states[0] + x
    ...     return h, [h]
    >>> last, seq, (h,) = rnn(step, Tensor(np.ones((1, 3, 2))), [Tensor(np.zeros((1, 2)))])
    >>> last.numpy()
    array([[3., 3.]])
    """
    inputs = as_tensor(inputs)
    if inputs.ndim < 3:
        raise ValueError(f"rnn: expected inputs of shape (batch, time, ...), got shape {inputs.shape}")
    batch, steps = inputs.shape[0], inputs.shape[1]
    if steps == 0:
        raise ValueError(f"rnn: the inputs have no time steps (shape {inputs.shape})")
    mask_array = _mask_array("rnn", mask, batch, steps)
    step_shape = (batch, *inputs.shape[2:])
    pieces = [reshape(piece, step_shape) for piece in split(inputs, steps, axis=1)]
    states = [as_tensor(s) for s in initial_states]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs: list[Tensor] = []
    previous_output: Tensor | None = None
    for t in order:
        output, new_states = step_function(pieces[t], states)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if mask_array is not None:
            keep = mask_array[:, t]
            new_states = [where(_expand_to(keep, new.ndim), new, old)
                          for new, old in zip(new_states, states)]
            keep_output = _expand_to(keep, output.ndim)
            if zero_output_for_mask or previous_output is None:
                output = where(keep_output, output, 0.0)
            else:
                output = where(keep_output, output, previous_output)
        states = new_states
        previous_output = output
        if return_all_outputs or t == order[-1]:
            outputs.append(output)
    last_output = outputs[-1]
    sequence = stack(outputs, axis=1) if return_all_outputs else expand_dims(last_output, 1)
    return last_output, sequence, states


def _expand_to(keep: Any, ndim: int) -> Any:
    return keep.reshape(keep.shape + (1,) * (ndim - 1))


# ------------------------------------------------------------------------------ argument checks
def _mask_array(op: str, mask: Any, batch: int, steps: int) -> Any:
    if mask is None:
        return None
    array = mask.data if isinstance(mask, Tensor) else mask
    xp = get_array_module(array)
    array = xp.asarray(array)
    if tuple(array.shape) != (batch, steps):
        raise ValueError(
            f"{op}: mask must have shape (batch, time) = {(batch, steps)}, got {tuple(array.shape)}"
        )
    return array.astype(bool, copy=False)


def _raw_mask(op: str, what: str, value: Any, gates: int, batch: int, size: int) -> Any:
    """A dropout mask as a raw array ``(batch, size)`` or ``(gates, batch, size)``."""
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else get_array_module(value).asarray(value)
    if tuple(array.shape) not in ((batch, size), (gates, batch, size)):
        raise ValueError(
            f"{op}: {what} must have shape (batch, {size}) = {(batch, size)} or one mask per gate "
            f"{(gates, batch, size)}, got {tuple(array.shape)}"
        )
    return array


def _check_shape(op: str, what: str, tensor: Tensor, expected: tuple[int, ...], hint: str) -> None:
    if tuple(tensor.shape) != expected:
        described = f"{hint} = {expected}" if hint else str(expected)
        raise ValueError(f"{op}: {what} must have shape {described}, got {tuple(tensor.shape)}")


def _prepare(op: str, inputs: Any, initial_state: Any, n_states: int, kernel: Any,
             recurrent_kernel: Any, bias: Any, gates: int, bias_shape: Any, mask: Any,
             dropout_mask: Any, recurrent_dropout_mask: Any) -> tuple[Any, ...]:
    inputs = as_tensor(inputs)
    kernel = as_tensor(kernel)
    recurrent_kernel = as_tensor(recurrent_kernel)
    if inputs.ndim != 3:
        raise ValueError(f"{op}: expected inputs of shape (batch, time, features), got shape {inputs.shape}")
    batch, steps, input_dim = inputs.shape
    if steps == 0:
        raise ValueError(f"{op}: the inputs have no time steps (shape {inputs.shape})")
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[1] != gates * recurrent_kernel.shape[0]:
        raise ValueError(
            f"{op}: recurrent_kernel must have shape (units, {gates} * units), got "
            f"{tuple(recurrent_kernel.shape)}"
        )
    units = recurrent_kernel.shape[0]
    _check_shape(op, "kernel", kernel, (input_dim, gates * units),
                 f"(input_dim, {gates} * units)" if gates > 1 else "(input_dim, units)")
    if bias is not None:
        bias = as_tensor(bias)
        _check_shape(op, "bias", bias, bias_shape(units), "")
    dtype = np.result_type(inputs.dtype, kernel.dtype)
    if initial_state is None:
        xp = get_array_module(inputs.data)
        states = [Tensor(xp.zeros((batch, units), dtype=dtype)) for _ in range(n_states)]
    else:
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        states = [as_tensor(s) for s in states]
        shapes = [tuple(s.shape) for s in states]
        if len(states) != n_states or any(s != (batch, units) for s in shapes):
            raise ValueError(
                f"{op}: initial_state must be {n_states} tensor(s) of shape (batch, units) = "
                f"{(batch, units)}, got shapes {shapes}"
            )
    mask_array = _mask_array(op, mask, batch, steps)
    dropout = _raw_mask(op, "dropout_mask", dropout_mask, gates, batch, input_dim)
    recurrent_dropout = _raw_mask(op, "recurrent_dropout_mask", recurrent_dropout_mask, gates,
                                  batch, units)
    return inputs, states, kernel, recurrent_kernel, bias, mask_array, dropout, recurrent_dropout


def _run_fused(sequence: type[_Sequence], activations: tuple[str, str], x: Tensor,
               states: list[Tensor], kernel: Tensor, recurrent_kernel: Tensor, bias: Any,
               mask: Any, go_backwards: bool, return_sequences: bool,
               zero_output_for_mask: bool, dropout_mask: Any, recurrent_dropout_mask: Any,
               **options: Any) -> Any:
    """Run a fused sequence op; on an embedding lookup's rows, on the table itself."""
    lookup = _row_lookup(x, dropout_mask)
    first, indices = (x, None) if lookup is None else lookup
    weights = [kernel, recurrent_kernel] + ([bias] if bias is not None else [])
    fused = sequence(*activations, bias is not None, mask, go_backwards, return_sequences,
                     zero_output_for_mask, dropout_mask, recurrent_dropout_mask,
                     inference=_inference(first, *states, *weights), lookup=indices, **options)
    return fused(first, *states, *weights)


# A lookup's table rows are projected once and gathered when the table has at most this share of
# the rows the batch reads. For 2048 rows read (batch 32 x 64 steps) by an LSTM of 256 units from
# 64 features: the layer's step 0.88x with 128 table rows, 0.92x with 512, 0.95x with 1024,
# 1.07x with 2048; from 8 features into 64 units, 0.95x with 512 and even at 1024.
LOOKUP_MAX_TABLE_SHARE = 0.25


def _row_lookup(x: Tensor, dropout_mask: Any) -> tuple[Tensor, Any] | None:
    """``(table, indices)`` when ``x`` is ``take(table, indices, axis=0)`` of a 2-D table
    with ``(batch, time)`` indices (an ``Embedding``'s output, in a recorded graph) and few
    enough table rows to project them all; else None."""
    creator = x.creator
    if dropout_mask is not None or type(creator) is not Take or creator.axis != 0 \
            or creator.inputs is None:
        return None
    table, indices = creator.inputs[0], creator.indices
    if (not isinstance(table, Tensor) or table.ndim != 2 or indices.ndim != 2
            or table.shape[0] > LOOKUP_MAX_TABLE_SHARE * indices.size):
        return None
    return table, indices


def _inference(*tensors: Any) -> bool:
    """True when no gradient will be recorded (the fused op may recycle its buffers at once)."""
    return not (is_grad_enabled() and any(isinstance(t, Tensor) and t.requires_grad
                                          for t in tensors))


def _fused_name(activation: Any) -> tuple[str | None, Callable[[Tensor], Tensor]]:
    """The fused kernels' name for ``activation`` (None if it has none) and the function itself."""
    from scratchdl import activations

    if activation is None:
        return "linear", activations.linear
    if isinstance(activation, str) and activation in FUSED_ACTIVATIONS:
        return activation, activations.get(activation)
    function = activations.get(activation)
    for name in FUSED_ACTIVATIONS:
        if function is activations.get(name):
            return name, function
    known = {_tanh_op: "tanh", _sigmoid_op: "sigmoid", _relu_op: "relu",
             _hard_sigmoid_op: "hard_sigmoid"}
    return known.get(function), function


# ------------------------------------------------------------------------------ generic cells
def _gate_mask(masks: Any, gate: int) -> Any:
    if masks is None:
        return None
    return masks if masks.ndim == 2 else masks[gate]


def _project_inputs(inputs: Tensor, kernel: Tensor, masks: Any, gates: int) -> Tensor:
    """``inputs @ kernel`` for all steps at once; per-gate dropout masks as Keras."""
    if masks is None:
        return matmul(inputs, kernel)
    if masks.ndim == 2:
        return matmul(inputs * masks[:, None, :], kernel)
    kernels = split(kernel, gates, axis=1)
    return concatenate([matmul(inputs * masks[g][:, None, :], k) for g, k in enumerate(kernels)],
                       axis=-1)


def _project_state(h: Tensor, kernel: Tensor, masks: Any, gates: int) -> Tensor:
    if masks is None:
        return matmul(h, kernel)
    if masks.ndim == 2:
        return matmul(h * masks, kernel)
    kernels = split(kernel, gates, axis=1)
    return concatenate([matmul(h * masks[g], k) for g, k in enumerate(kernels)], axis=-1)


def _finish(last: Tensor, sequence: Tensor, states: list[Tensor],
            return_sequences: bool) -> tuple[Tensor, ...]:
    return (sequence if return_sequences else last, *states)


# ------------------------------------------------------------------------------ public ops
def simple_rnn(
    inputs: Any,
    initial_state: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    activation: Any = "tanh",
    mask: Any = None,
    go_backwards: bool = False,
    return_sequences: bool = False,
    zero_output_for_mask: bool = False,
    dropout_mask: Any = None,
    recurrent_dropout_mask: Any = None,
) -> tuple[Tensor, Tensor]:
    """A fully connected RNN over a sequence: ``h_t = activation(x_t @ kernel + h_{t-1} @
    recurrent_kernel + bias)``.

    Args:
        inputs: ``(batch, time, input_dim)``.
        initial_state: ``h_0`` of shape ``(batch, units)`` (None: zeros).
        kernel: ``(input_dim, units)``; recurrent_kernel: ``(units, units)``; bias: ``(units,)``.
        activation: a name or function (None: linear).
        mask: ``(batch, time)`` booleans; masked steps keep the state and repeat the output.
        go_backwards: process the sequence from its end (outputs in processing order).
        return_sequences: return all outputs ``(batch, time, units)`` instead of the last.
        zero_output_for_mask: masked steps output zeros.
        dropout_mask, recurrent_dropout_mask: fixed masks multiplied into the inputs ``(batch,
            input_dim)`` and the previous state ``(batch, units)`` at every step.

    Returns:
        ``(outputs, h_final)``.

    >>> x = Tensor(np.ones((2, 3, 4), dtype="float32"))
    >>> out, h = simple_rnn(x, None, np.full((4, 5), 0.1, "float32"), np.eye(5, dtype="float32"))
    >>> out.shape, h.shape
    ((2, 5), (2, 5))
    """
    op = "simple_rnn"
    x, states, k, rk, b, mask_array, dp, rdp = _prepare(
        op, inputs, initial_state, 1, kernel, recurrent_kernel, bias, 1, lambda u: (u,), mask,
        dropout_mask, recurrent_dropout_mask)
    name, function = _fused_name(activation)
    if name is not None:
        return _run_fused(SimpleRNNSequence, (name, "linear"), x, states, k, rk, b, mask_array,
                          go_backwards, return_sequences, zero_output_for_mask, dp, rdp)

    projected = _project_inputs(x, k, dp, 1)
    if b is not None:
        projected = projected + b

    def step(x_t: Tensor, states_t: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        h = function(x_t + _project_state(states_t[0], rk, rdp, 1))
        return h, [h]

    last, sequence, final = rnn(step, projected, states, go_backwards, mask_array,
                                zero_output_for_mask, return_sequences)
    return _finish(last, sequence, final, return_sequences)  # type: ignore[return-value]


def lstm(
    inputs: Any,
    initial_state: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    activation: Any = "tanh",
    recurrent_activation: Any = "sigmoid",
    mask: Any = None,
    go_backwards: bool = False,
    return_sequences: bool = False,
    zero_output_for_mask: bool = False,
    dropout_mask: Any = None,
    recurrent_dropout_mask: Any = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """A Long Short-Term Memory layer over a sequence, with Keras's weights (gates i, f, c, o).

    ``z = x_t @ kernel + h @ recurrent_kernel + bias`` split in four; ``i, f, o`` pass through
    ``recurrent_activation``, the candidate ``g`` through ``activation``; then
    ``c_t = f * c_{t-1} + i * g`` and ``h_t = o * activation(c_t)``.

    Args:
        inputs: ``(batch, time, input_dim)``.
        initial_state: ``(h_0, c_0)``, each ``(batch, units)`` (None: zeros).
        kernel: ``(input_dim, 4 units)``; recurrent_kernel: ``(units, 4 units)``;
            bias: ``(4 units,)`` or None.
        activation, recurrent_activation: names or functions (defaults tanh, sigmoid).
        mask, go_backwards, return_sequences, zero_output_for_mask: as for ``simple_rnn``.
        dropout_mask, recurrent_dropout_mask: fixed masks for the inputs and for ``h``; shape
            ``(batch, size)`` (shared by the gates) or ``(4, batch, size)`` (one per gate).

    Returns:
        ``(outputs, h_final, c_final)``.

    >>> x = Tensor(np.ones((2, 3, 4), dtype="float32"))
    >>> k, rk = np.zeros((4, 20), "float32"), np.zeros((5, 20), "float32")
    >>> [t.shape for t in lstm(x, None, k, rk, return_sequences=True)]
    [(2, 3, 5), (2, 5), (2, 5)]
    """
    op = "lstm"
    x, states, k, rk, b, mask_array, dp, rdp = _prepare(
        op, inputs, initial_state, 2, kernel, recurrent_kernel, bias, 4, lambda u: (4 * u,),
        mask, dropout_mask, recurrent_dropout_mask)
    name, act = _fused_name(activation)
    rec_name, rec_act = _fused_name(recurrent_activation)
    if name is not None and rec_name is not None:
        return _run_fused(LSTMSequence, (name, rec_name), x, states, k, rk, b, mask_array,
                          go_backwards, return_sequences, zero_output_for_mask, dp, rdp)

    projected = _project_inputs(x, k, dp, 4)
    if b is not None:
        projected = projected + b

    def step(x_t: Tensor, states_t: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        h, c = states_t
        z = x_t + _project_state(h, rk, rdp, 4)
        z_i, z_f, z_c, z_o = split(z, 4, axis=-1)
        c = rec_act(z_f) * c + rec_act(z_i) * act(z_c)
        h = rec_act(z_o) * act(c)
        return h, [h, c]

    last, sequence, final = rnn(step, projected, states, go_backwards, mask_array,
                                zero_output_for_mask, return_sequences)
    return _finish(last, sequence, final, return_sequences)  # type: ignore[return-value]


def gru(
    inputs: Any,
    initial_state: Any,
    kernel: Any,
    recurrent_kernel: Any,
    bias: Any = None,
    activation: Any = "tanh",
    recurrent_activation: Any = "sigmoid",
    mask: Any = None,
    go_backwards: bool = False,
    return_sequences: bool = False,
    zero_output_for_mask: bool = False,
    reset_after: bool = True,
    dropout_mask: Any = None,
    recurrent_dropout_mask: Any = None,
) -> tuple[Tensor, Tensor]:
    """A Gated Recurrent Unit over a sequence, exactly as Keras's GRU cell (gates z, r, h).

    With ``reset_after=True`` (Keras's default and torch's formulation; bias ``(2, 3 units)``,
    row 0 for the inputs, row 1 for the recurrent projection)::

        inner = h @ recurrent_kernel + bias[1]
        z = rec_act(x_z + inner_z);  r = rec_act(x_r + inner_r)
        hh = act(x_h + r * inner_h)

    With ``reset_after=False`` (bias ``(3 units,)`` on the inputs only)::

        z = rec_act(x_z + h @ R_z);  r = rec_act(x_r + h @ R_r)
        hh = act(x_h + (r * h) @ R_h)

    and ``h_t = z * h_{t-1} + (1 - z) * hh``, where ``x = x_t @ kernel (+ input bias)``.

    Args:
        inputs: ``(batch, time, input_dim)``.
        initial_state: ``h_0`` of shape ``(batch, units)`` (None: zeros).
        kernel: ``(input_dim, 3 units)``; recurrent_kernel: ``(units, 3 units)``; bias as above.
        mask, go_backwards, return_sequences, zero_output_for_mask: as for ``simple_rnn``.
        dropout_mask, recurrent_dropout_mask: as for ``lstm``, with 3 gates.

    Returns:
        ``(outputs, h_final)``.

    >>> x = Tensor(np.ones((2, 3, 4), dtype="float32"))
    >>> out, h = gru(x, None, np.zeros((4, 15), "float32"), np.zeros((5, 15), "float32"))
    >>> out.shape
    (2, 5)
    """
    op = "gru"
    x, states, k, rk, b, mask_array, dp, rdp = _prepare(
        op, inputs, initial_state, 1, kernel, recurrent_kernel, bias, 3,
        (lambda u: (2, 3 * u)) if reset_after else (lambda u: (3 * u,)), mask, dropout_mask,
        recurrent_dropout_mask)
    name, act = _fused_name(activation)
    rec_name, rec_act = _fused_name(recurrent_activation)
    if name is not None and rec_name is not None:
        return _run_fused(GRUSequence, (name, rec_name), x, states, k, rk, b, mask_array,
                          go_backwards, return_sequences, zero_output_for_mask, dp, rdp,
                          reset_after=reset_after)

    input_bias = recurrent_bias = None
    if b is not None:
        input_bias, recurrent_bias = (b[0], b[1]) if reset_after else (b, None)
    projected = _project_inputs(x, k, dp, 3)
    if input_bias is not None:
        projected = projected + input_bias
    kernel_zr, kernel_h = split(rk, [2 * rk.shape[0]], axis=1)

    def step(x_t: Tensor, states_t: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        (h,) = states_t
        x_z, x_r, x_h = split(x_t, 3, axis=-1)
        if reset_after:
            inner = _project_state(h, rk, rdp, 3)
            if recurrent_bias is not None:
                inner = inner + recurrent_bias
            inner_z, inner_r, inner_h = split(inner, 3, axis=-1)
            z = rec_act(x_z + inner_z)
            r = rec_act(x_r + inner_r)
            hh = act(x_h + r * inner_h)
        else:
            zr_masks = rdp if rdp is None or rdp.ndim == 2 else rdp[:2]
            inner_z, inner_r = split(_project_state(h, kernel_zr, zr_masks, 2), 2, axis=-1)
            z = rec_act(x_z + inner_z)
            r = rec_act(x_r + inner_r)
            h_mask = _gate_mask(rdp, 2)
            hh = act(x_h + matmul(r * (h if h_mask is None else h * h_mask), kernel_h))
        h = z * h + (1 - z) * hh
        return h, [h]

    last, sequence, final = rnn(step, projected, states, go_backwards, mask_array,
                                zero_output_for_mask, return_sequences)
    return _finish(last, sequence, final, return_sequences)  # type: ignore[return-value]
