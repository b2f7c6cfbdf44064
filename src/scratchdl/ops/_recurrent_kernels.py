"""The fused recurrent ops' shared machinery: the loop over a whole sequence and its backward.

Each fused op (``ops/_recurrent_cells.py``: SimpleRNN, LSTM, GRU) is one ``Function`` that runs
every time step of a sequence and writes the backward pass (backpropagation through time) by
hand; this module holds what they share. The public functions live in ``ops/recurrent.py``.

The scheme is the same for the three cells (Keras's gate orders: LSTM ``i, f, c, o``; GRU
``z, r, h``):

* forward: the input projection of all time steps and all gates is ONE matmul call,
  ``(time*batch, input_dim) @ kernel``; each step adds ONE product ``h @ recurrent_kernel``
  (a ``StepProduct``: the weight laid out once for the whole sequence), then applies the gate
  nonlinearities in place in preallocated, contiguous buffers;
* backward: one loop over the steps in reverse fills the gradient of every step's
  pre-activations; the kernel, recurrent-kernel and bias gradients and the input gradient are
  then each ONE matmul call (or sum) over all steps at once.

SimpleRNN and GRU keep the pre-activations as ``(time, batch, gates*units)``; the LSTM keeps
them gate-major, ``(gates, time, batch, units)`` (``Sequence.gate_major``), so that each gate of
a step is one contiguous block for its elementwise work.

The only Python loop is over time steps (inherent to recurrence); a loop over the 3 or 4 gates
appears only when recurrent dropout gives each gate its own mask, as Keras does.

Masks (``(batch, time)`` booleans) follow Keras: at a masked step the states keep their previous
values and the output repeats the previous output (zeros before the first unmasked step), or is
zero with ``zero_output_for_mask``. ``go_backwards`` processes the sequence from the end and
returns the outputs in processing order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.autograd.function import Function
from scratchdl.backend import get_array_module
from scratchdl.ops._step_product import StepProduct
from scratchdl.ops.indexing import sum_rows_by_index

__all__ = ["FUSED_ACTIVATIONS", "Sequence", "gate_masks", "project", "project_input_grad",
           "project_kernel_grad", "sigmoid", "tanh"]


# ------------------------------------------------------------------------------ activations
# Each activation writes act(x) into ``out`` (default: in place); each derivative is written in
# terms of the activation's OUTPUT y (which the forward pass keeps) into ``out`` (default: new).
def tanh(x: Any, out: Any = None) -> Any:
    """``tanh(x)`` into ``out`` (in place by default)."""
    return get_array_module(x).tanh(x, out=x if out is None else out)


def sigmoid(x: Any, out: Any = None) -> Any:
    """``sigmoid(x)`` into ``out`` (in place by default)."""
    # sigmoid(x) = (1 + tanh(x / 2)) / 2: one transcendental call and no overflow for any x.
    xp = get_array_module(x)
    out = xp.multiply(x, 0.5, out=x if out is None else out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _relu(x: Any, out: Any = None) -> Any:
    return get_array_module(x).maximum(x, 0, out=x if out is None else out)


def _hard_sigmoid(x: Any, out: Any = None) -> Any:
    # Keras 3: relu6(x + 3) / 6.
    xp = get_array_module(x)
    out = xp.add(x, 3, out=x if out is None else out)
    xp.clip(out, 0, 6, out=out)
    out /= 6
    return out


def _linear(x: Any, out: Any = None) -> Any:
    if out is None or out is x:
        return x
    out[...] = x
    return out


def _tanh_grad(y: Any, out: Any = None) -> Any:
    xp = get_array_module(y)
    out = xp.multiply(y, y, out=out)
    return xp.subtract(1, out, out=out)


def _sigmoid_grad(y: Any, out: Any = None) -> Any:
    xp = get_array_module(y)
    if out is None or xp.may_share_memory(out, y):
        return xp.multiply(y, 1 - y, out=out)
    xp.subtract(1, y, out=out)
    out *= y
    return out


def _relu_grad(y: Any, out: Any = None) -> Any:
    return _write(y > 0, y, out)


def _hard_sigmoid_grad(y: Any, out: Any = None) -> Any:
    return _write(((y > 0) & (y < 1)) * (1.0 / 6.0), y, out)


def _write(value: Any, like: Any, out: Any) -> Any:
    if out is None:
        return value.astype(like.dtype)
    out[...] = value
    return out


def _linear_grad(y: Any, out: Any = None) -> Any:
    out = get_array_module(y).empty_like(y) if out is None else out
    out[...] = 1
    return out


# name -> (forward, derivative from the output)
FUSED_ACTIVATIONS: dict[str, tuple[Any, Any]] = {
    "tanh": (tanh, _tanh_grad),
    "sigmoid": (sigmoid, _sigmoid_grad),
    "relu": (_relu, _relu_grad),
    "hard_sigmoid": (_hard_sigmoid, _hard_sigmoid_grad),
    "linear": (_linear, _linear_grad),
}


# ------------------------------------------------------------------------------ dropout helpers
def _masks_per_gate(masks: Any) -> Any:
    """None, or the masks as ``(G, batch, size)`` with G = 1 (shared) or one per gate."""
    if masks is None:
        return None
    return masks[None] if masks.ndim == 2 else masks


def gate_masks(masks: Any, gates: int) -> list[Any]:
    """One mask (or None) per gate."""
    if masks is None:
        return [None] * gates
    return [masks[0] if masks.shape[0] == 1 else masks[g] for g in range(gates)]


def _flat(a: Any) -> Any:
    """``a`` as a 2-D matrix ``(rows, last axis)``: one BLAS call for all leading axes."""
    return a.reshape(-1, a.shape[-1])


def project(h: Any, kernel: Any, masks: Any, gates: int, out: Any) -> Any:
    """``out = h @ kernel``; with dropout masks, gate block g uses ``(h * mask_g) @ kernel_g``.

    ``h`` is ``(..., size)`` (all leading axes go through one matmul), ``kernel``
    ``(size, gates*units)`` or a :class:`StepProduct` of it (the per-step recurrent product),
    ``out`` a contiguous ``(..., gates*units)`` buffer.
    """
    xp = get_array_module(h)
    if isinstance(kernel, StepProduct):
        if masks is None and h.ndim == 2:  # one step: the hot path
            return kernel(h, out)
        kernel = kernel.weight
    if masks is None:
        if h.ndim == 2:
            return xp.matmul(h, kernel, out=out)
        xp.matmul(_flat(h), kernel, out=_flat(out))
        return out
    if masks.shape[0] == 1:
        xp.matmul(_flat(h * masks[0]), kernel, out=_flat(out))
        return out
    units = kernel.shape[1] // gates
    flat_out = _flat(out)
    for g in range(gates):
        cols = slice(g * units, (g + 1) * units)
        flat_out[:, cols] = xp.matmul(_flat(h * masks[g]), kernel[:, cols])
    return out


def project_input_grad(grad: Any, kernel_t: Any, masks: Any, gates: int,
                       gate_major: bool = False, order: tuple[int, ...] | None = None) -> Any:
    """The gradient of ``project`` with respect to ``h`` (``kernel_t`` is ``kernel.T``, or a
    :class:`StepProduct` of it). ``gate_major``: ``grad`` is ``(gates, ..., units)``, and gate
    ``g`` of it multiplies the rows of ``kernel_t``'s block ``order[g]`` (by default block ``g``)."""
    xp = get_array_module(grad)
    if gate_major:
        units = grad.shape[-1]
        shape = (*grad.shape[1:-1], kernel_t.shape[1])
        per_gate = kernel_t.reshape(gates, units, -1)
        if order is not None:
            per_gate = per_gate[list(order)]
        # one batched product: gate g's gradient times gate g's rows of kernel.T, then summed
        flat = grad.reshape(gates, -1, units)
        parts = _POOL.take(xp, (gates, flat.shape[1], per_gate.shape[-1]),
                           xp.result_type(grad, per_gate))  # several MB: reused
        xp.matmul(flat, per_gate, out=parts)
        if masks is None:
            total = parts.sum(axis=0).reshape(shape)
        elif masks.shape[0] == 1:
            total = parts.sum(axis=0).reshape(shape) * masks[0]
        else:
            total = sum(parts[g].reshape(shape) * masks[g] for g in range(gates))
        _POOL.give([parts])
        return total
    if isinstance(kernel_t, StepProduct):
        if masks is None and grad.ndim == 2:  # one step: the hot path
            return kernel_t(grad)
        kernel_t = kernel_t.weight
    if masks is None and grad.ndim == 2:
        return xp.matmul(grad, kernel_t)
    shape = (*grad.shape[:-1], kernel_t.shape[1])
    if masks is None:
        return xp.matmul(_flat(grad), kernel_t).reshape(shape)
    if masks.shape[0] == 1:
        return xp.matmul(_flat(grad), kernel_t).reshape(shape) * masks[0]
    units = kernel_t.shape[0] // gates
    flat_grad = _flat(grad)
    total = None
    for g in range(gates):
        rows = slice(g * units, (g + 1) * units)
        part = xp.matmul(flat_grad[:, rows], kernel_t[rows]).reshape(shape) * masks[g]
        total = part if total is None else total + part
    return total


def project_kernel_grad(h: Any, grad: Any, masks: Any, gates: int,
                        gate_major: bool = False, order: tuple[int, ...] | None = None) -> Any:
    """The gradient of ``project`` with respect to the kernel, summed over all steps at once.

    ``h`` is ``(time, batch, size)`` and ``grad`` ``(time, batch, gates*units)``: one matmul
    ``(size, time*batch) @ (time*batch, gates*units)``. ``gate_major``: ``grad`` is
    ``(gates, time, batch, units)`` and each gate's columns are one product, written to column
    block ``order[g]`` for gate ``g`` (the caller's gate order; by default block ``g``).
    """
    xp = get_array_module(grad)
    size = h.shape[-1]
    if gate_major:
        units = grad.shape[-1]
        flat = grad.reshape(gates, -1, units)
        result = xp.empty((size, gates * units), dtype=grad.dtype)
        blocks = result.reshape(size, gates, units).transpose(1, 0, 2)  # (gates, size, units)
        per_gate = masks is not None and masks.shape[0] > 1
        if not per_gate:
            inputs = (h if masks is None else h * masks[0]).reshape(-1, size).T
        for g in range(gates):
            if per_gate:
                inputs = (h * masks[g]).reshape(-1, size).T
            xp.matmul(inputs, flat[g], out=blocks[g if order is None else order[g]])
        return result
    flat_grad = grad.reshape(-1, grad.shape[-1])
    if masks is None:
        return xp.matmul(h.reshape(-1, size).T, flat_grad)
    if masks.shape[0] == 1:
        return xp.matmul((h * masks[0]).reshape(-1, size).T, flat_grad)
    units = grad.shape[-1] // gates
    result = xp.empty((size, grad.shape[-1]), dtype=grad.dtype)
    for g in range(gates):
        cols = slice(g * units, (g + 1) * units)
        result[:, cols] = xp.matmul((h * masks[g]).reshape(-1, size).T, flat_grad[:, cols])
    return result


# ------------------------------------------------------------------------------ buffer reuse
class _BufferPool:
    """Keeps the large per-sequence work buffers for the next call.

    A fresh multi-megabyte NumPy array costs one page fault per page on first touch (the C
    allocator hands big blocks back to the OS when they are freed), which for an LSTM layer is
    as slow as a good part of its arithmetic. A sequence op takes its buffers here and gives
    them back once its graph is released; outputs and gradients are never pool memory.
    """

    def __init__(self, per_shape: int = 4) -> None:
        self.per_shape = per_shape
        self.free: dict[tuple[Any, ...], list[Any]] = {}

    def take(self, xp: Any, shape: tuple[int, ...], dtype: Any) -> Any:
        if xp is not np:  # CuPy has its own memory pool
            return xp.empty(shape, dtype=dtype)
        stack = self.free.get((shape, np.dtype(dtype).str))
        return stack.pop() if stack else np.empty(shape, dtype=dtype)

    def give(self, arrays: list[Any]) -> None:
        for array in arrays:
            if type(array) is not np.ndarray:
                continue
            stack = self.free.setdefault((array.shape, array.dtype.str), [])
            if len(stack) < self.per_shape:
                stack.append(array)


_POOL = _BufferPool()


# ------------------------------------------------------------------------------ the shared loop
class Sequence(Function):
    """Runs a recurrent cell over a whole sequence; subclasses give the cell's math.

    Inputs: ``x (batch, time, input_dim)``, the initial states (``n_states`` arrays of shape
    ``(batch, units)``), ``kernel``, ``recurrent_kernel`` and, when ``has_bias``, ``bias``.
    Outputs: the output sequence ``(batch, time, units)`` (or the last output ``(batch, units)``)
    followed by the final states.

    With ``lookup`` (integer indices ``(batch, time)``), ``x`` is instead a table
    ``(rows, input_dim)`` and the inputs are its rows ``x[lookup]`` (an embedding lookup). Each
    table row is then projected once and the projections gathered per step, and the backward
    pass sums the gradient per table row before its two products, which then have ``rows``
    rows instead of ``batch * time``; the first gradient is the table's.

    A subclass sets ``gates`` and ``n_states`` and implements ``_setup`` (buffers),
    ``_step`` (one step forward, returning the new states with the new output first),
    ``_step_backward`` (one step back) and ``_weight_grads``.
    """

    gates = 1
    n_states = 1
    overwrites_gates = False
    gate_major = False  # zx and grad_zx as (gates, time, batch, units) instead
    # A gate-major cell whose internal gate order differs from Keras's: the block of Keras's
    # columns that internal gate g's weight gradients are written to (None: the same order).
    gate_order: tuple[int, ...] | None = None

    def __init__(self, activation: str, recurrent_activation: str, has_bias: bool, mask: Any,
                 go_backwards: bool, return_sequences: bool, zero_output_for_mask: bool,
                 dropout_mask: Any, recurrent_dropout_mask: Any, inference: bool = False,
                 lookup: Any = None) -> None:
        if lookup is not None and dropout_mask is not None:
            raise ValueError(f"{self.name}: a lookup's rows are projected once, so they cannot "
                             "take an input dropout mask")
        self.inference = inference  # no backward will run: give the buffers back at once
        self.lookup = lookup
        self.act, self.act_grad = FUSED_ACTIVATIONS[activation]
        self.rec_act, self.rec_act_grad = FUSED_ACTIVATIONS[recurrent_activation]
        self.has_bias = has_bias
        self.mask = mask
        self.go_backwards = go_backwards
        self.return_sequences = return_sequences
        self.zero_output_for_mask = zero_output_for_mask
        self.given_masks = (_masks_per_gate(dropout_mask), _masks_per_gate(recurrent_dropout_mask))
        self.buffers: list[Any] = []
        self.backward_runs = 0

    def _buffer(self, *shape: int) -> Any:
        """A work buffer of this op's dtype (from the pool; returned by ``release``)."""
        array = _POOL.take(self.xp, shape, self.dtype)
        self.buffers.append(array)
        return array

    def release(self) -> None:
        """Free the graph and hand the work buffers back to the pool."""
        buffers, self.buffers = self.buffers, []
        for name in ("xs", "zx", "grad_zx", "states", "act_c", "inner", "grad_inner", "reset_h"):
            self.__dict__.pop(name, None)
        _POOL.give(buffers)
        super().release()

    # -------------------------------------------------------------- forward
    def forward(self, x: Any, *rest: Any) -> tuple[Any, ...]:
        xp = get_array_module(x)
        n = self.n_states
        kernel, recurrent_kernel = rest[n], rest[n + 1]
        bias = rest[n + 2] if self.has_bias else None
        dtype = xp.result_type(x.dtype, kernel.dtype, recurrent_kernel.dtype)
        if self.lookup is None:
            batch, steps, features = x.shape
        else:
            (batch, steps), features = self.lookup.shape, x.shape[1]
        units = recurrent_kernel.shape[0]
        self.units, self.steps, self.batch, self.dtype, self.xp = units, steps, batch, dtype, xp

        kernel, recurrent_kernel, bias = (
            None if w is None else xp.asarray(w, dtype=dtype)
            for w in (kernel, recurrent_kernel, bias))
        input_bias = self._input_bias(bias)
        self.dropout_mask, self.recurrent_dropout_mask = (
            None if m is None else self._internal_masks(m.astype(dtype, copy=False))
            for m in self.given_masks)
        self.step_mask = None
        if self.mask is not None:
            mask = self.mask.T[:, :, None]
            self.step_mask = xp.ascontiguousarray(mask[::-1] if self.go_backwards else mask)

        # Time-major and contiguous, in processing order: xs[t] is the t-th step processed (with
        # a lookup: the table's rows, and tokens[t] the rows step t reads). With an input bias,
        # xs gets a column of ones and the kernel the bias as one more row, so the bias rides in
        # the projection matmul (and its gradient in the kernel's).
        extra = 0 if input_bias is None else 1
        if self.lookup is None:
            xs = self._buffer(steps, batch, features + extra)
            xs_view = x.transpose(1, 0, 2)
            xs[..., :features] = xs_view[::-1] if self.go_backwards else xs_view
        else:
            xs = xp.empty((x.shape[0], features + extra), dtype=dtype)
            xs[:, :features] = x
            tokens = xp.asarray(self.lookup).T
            tokens = tokens[::-1] if self.go_backwards else tokens
            self.tokens = xp.where(tokens < 0, tokens + x.shape[0], tokens)  # take's negatives
        self.input_masks = self.dropout_mask
        if input_bias is not None:
            xs[..., features] = 1
            if self.dropout_mask is not None:  # the ones column is never dropped
                ones = xp.ones((*self.dropout_mask.shape[:2], 1), dtype=dtype)
                self.input_masks = xp.concatenate([self.dropout_mask, ones], axis=-1)
        self.kernel, self.recurrent_kernel = kernel, recurrent_kernel  # in Keras's gate order

        weight = self._input_weight(kernel, input_bias)
        zx = self._project_inputs(xs, weight) if self.lookup is None else self._project_rows(xs, weight)

        # states[k][t] is state k before step t (states[k][steps] is the final one).
        states = [self._buffer(steps + 1, batch, units) for _ in range(n)]
        for buffer, initial in zip(states, rest[:n]):
            buffer[0] = initial
        self._setup(bias)
        outputs = None if self.step_mask is None else self._buffer(steps, batch, units)
        previous_output = None
        for t in range(steps):
            if self.step_mask is None:
                self._step(t, zx, [s[t] for s in states], [s[t + 1] for s in states])
                continue
            new = self._step(t, zx, [s[t] for s in states], None)
            keep = self.step_mask[t]
            for buffer, value in zip(states, new):
                buffer[t + 1] = xp.where(keep, value, buffer[t])
            if self.zero_output_for_mask or previous_output is None:
                xp.multiply(new[0], keep, out=outputs[t])
            else:
                outputs[t] = xp.where(keep, new[0], previous_output)
            previous_output = outputs[t]
        if outputs is None:
            outputs = states[0][1:]  # unmasked: the output is the new h

        self.xs, self.zx, self.states = xs, zx, states
        if self.return_sequences:  # always a copy: the buffers go back to the pool
            result = outputs.transpose(1, 0, 2).copy(order="C")
        else:
            result = outputs[-1].copy()
        final_states = tuple(s[-1].copy() for s in states)
        if self.inference:
            self.release()
        return (result, *final_states)

    def _input_bias(self, bias: Any) -> Any:
        """The part of the bias added to the input projection."""
        return bias

    def _internal_masks(self, masks: Any) -> Any:
        """Per-gate dropout masks ``(G, batch, size)`` in the internal gate order."""
        return masks

    # -------------------------------------------------------------- backward
    def backward(self, grad_output: Any, *grad_states: Any) -> tuple[Any, ...]:
        if self.backward_runs and self.overwrites_gates:
            # A second walk of the graph (retain_graph): the first one overwrote the gates.
            self.forward(*(getattr(value, "data", value) for value in self.inputs))
        self.backward_runs += 1
        xp = get_array_module(grad_output)
        dtype, steps = self.dtype, self.steps
        grad_output = grad_output.astype(dtype, copy=False)
        if self.return_sequences:
            # the returned sequence is in processing order, so no flip for go_backwards
            grad_seq, grad_last = grad_output.transpose(1, 0, 2), None
        else:
            grad_seq, grad_last = None, grad_output
        d_states = [g.astype(dtype, copy=True) for g in grad_states]
        # grad_zx[t]: the gradient of step t's input pre-activations (filled step by step). A
        # cell whose step t no longer needs zx[t] once it has written grad_zx[t] shares the buffer.
        self.grad_zx = self.zx if self.overwrites_gates else self._buffer(*self.zx.shape)
        self.recurrent_kernel_t = self._transposed_recurrent_product()
        self._prepare_backward()
        carried_output = None  # gradient reaching output t through masked steps after it
        for t in range(steps - 1, -1, -1):
            d_out = None if grad_seq is None else grad_seq[t]
            if grad_last is not None and t == steps - 1:
                d_out = grad_last
            if carried_output is not None:
                d_out = carried_output if d_out is None else d_out + carried_output
            if self.step_mask is None:
                if d_out is not None:
                    d_states[0] += d_out  # d_states are this pass's own arrays
                d_states = self._step_backward(t, d_states)
                continue
            keep = self.step_mask[t]
            d_new = [xp.where(keep, d, 0) for d in d_states]
            if d_out is not None:
                d_new[0] += xp.where(keep, d_out, 0)
                if not self.zero_output_for_mask and t > 0:
                    carried_output = xp.where(keep, 0, d_out)
            d_previous = self._step_backward(t, d_new)
            d_states = [dp + xp.where(keep, 0, d) for dp, d in zip(d_previous, d_states)]

        need = self.needs_input_grad
        n = self.n_states
        need_bias = self.has_bias and need[n + 3]
        grad_x = grad_kernel = input_bias_grad = None
        grad_zx = self.grad_zx
        if self.lookup is not None:  # the gradient of each table row's projection
            steps_first = grad_zx.reshape(*grad_zx.shape[:-3], -1, grad_zx.shape[-1])
            grad_zx = sum_rows_by_index(steps_first, self.tokens.reshape(-1), self.xs.shape[0])
        if need[0]:
            grad_xs = project_input_grad(grad_zx, self.kernel.T, self.dropout_mask,
                                         self.gates, self.gate_major, self.gate_order)
            if self.lookup is not None:
                grad_x = grad_xs  # the table's gradient
            else:
                grad_x = (grad_xs[::-1] if self.go_backwards else grad_xs).transpose(1, 0, 2)
        if need[n + 1] or need_bias:
            # ONE matmul over all steps; with an input bias its last row is the bias gradient.
            grad_kernel = project_kernel_grad(self.xs, grad_zx, self.input_masks,
                                              self.gates, self.gate_major, self.gate_order)
            if self.xs.shape[-1] > self.kernel.shape[0]:
                grad_kernel, input_bias_grad = grad_kernel[:-1], grad_kernel[-1]
        # (the weight gradients come out in Keras's gate order: see gate_order)
        grad_recurrent, grad_bias = self._weight_grads(need[n + 2], need_bias, input_bias_grad)
        grads = [grad_x, *d_states, grad_kernel, grad_recurrent]
        if self.has_bias:
            grads.append(grad_bias)
        return tuple(grads)

    # -------------------------------------------------------------- per-cell hooks
    def _input_weight(self, kernel: Any, input_bias: Any) -> Any:
        """The weight the inputs are projected by: the kernel, with the input bias as one more
        row (multiplying the column of ones that ends ``xs``)."""
        return kernel if input_bias is None else self.xp.concatenate([kernel, input_bias[None]])

    def _project_inputs(self, xs: Any, weight: Any) -> Any:
        """Every step's input pre-activations ``zx``: ONE matmul for all steps and all gates,
        ``(time, batch, gates*units)``."""
        zx = self._buffer(self.steps, self.batch, weight.shape[1])
        project(xs, weight, self.input_masks, self.gates, out=zx)
        return zx

    def _project_rows(self, rows: Any, weight: Any) -> Any:
        """``zx`` for a lookup: each table row projected once, then each step's rows gathered
        (``zx`` in the cell's layout, with the token axes where ``_project_inputs`` has its
        time and batch axes)."""
        projected = self.xp.matmul(rows, weight)  # (rows, gates*units), or gate-major
        axis = projected.ndim - 2
        zx = self._buffer(*projected.shape[:axis], *self.tokens.shape, projected.shape[-1])
        # the tokens are known to be in range: "clip" spares NumPy's buffered bounds check
        # (CuPy's take has no mode argument: it wraps out-of-range indices)
        options = {"mode": "clip"} if self.xp is np else {}
        self.xp.take(projected, self.tokens, axis=axis, out=zx, **options)
        return zx

    def _setup(self, bias: Any) -> None:
        raise NotImplementedError

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        raise NotImplementedError

    def _transposed_recurrent_product(self) -> StepProduct:
        """The step product by ``recurrent_kernel.T`` the backward steps use (laid out once)."""
        return StepProduct(self.xp.ascontiguousarray(self.recurrent_kernel.T))

    def _prepare_backward(self) -> None:
        """Allocate any extra gradient buffers the cell's backward pass fills."""

    def _step_backward(self, t: int, d_new: list[Any]) -> list[Any]:
        raise NotImplementedError

    def _weight_grads(self, need_recurrent: bool, need_bias: bool,
                      input_bias_grad: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    def _hidden_before(self) -> Any:
        """h before every step, ``(time, batch, units)``."""
        return self.states[0][:-1]
