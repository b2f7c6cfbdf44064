"""The fused recurrent ops' machinery: SimpleRNN, LSTM and GRU over whole sequences.

Each op is one ``Function`` that runs every time step of a sequence and writes the backward pass
(backpropagation through time) by hand. The public functions live in ``ops/recurrent.py``.

The layout is the same for the three cells (Keras's gate orders: LSTM ``i, f, c, o``; GRU
``z, r, h``):

* forward: the input projection of all time steps and all gates is ONE matmul,
  ``(time*batch, input_dim) @ kernel``; each step adds ONE matmul ``h @ recurrent_kernel``,
  then applies the gate nonlinearities in place in preallocated, contiguous buffers;
* backward: one loop over the steps in reverse fills the gradient of every step's
  pre-activations; the kernel, recurrent-kernel and bias gradients and the input gradient are
  then each ONE matmul (or sum) over all steps at once.

The only Python loop is over time steps (inherent to recurrence); a loop over the 3 or 4 gates
appears only when recurrent dropout gives each gate its own mask, as Keras does.

Masks (``(batch, time)`` booleans) follow Keras: at a masked step the states keep their previous
values and the output repeats the previous output (zeros before the first unmasked step), or is
zero with ``zero_output_for_mask``. ``go_backwards`` processes the sequence from the end and
returns the outputs in processing order.
"""

from __future__ import annotations

from typing import Any

from scratchdl.autograd.function import Function
from scratchdl.backend import get_array_module

__all__ = ["FUSED_ACTIVATIONS", "SimpleRNNSequence", "LSTMSequence", "GRUSequence"]


# ------------------------------------------------------------------------------ activations
def _tanh(x: Any) -> None:
    get_array_module(x).tanh(x, out=x)


def _sigmoid(x: Any) -> None:
    # sigmoid(x) = (1 + tanh(x / 2)) / 2: one transcendental call and no overflow for any x.
    xp = get_array_module(x)
    x *= 0.5
    xp.tanh(x, out=x)
    x *= 0.5
    x += 0.5


def _relu(x: Any) -> None:
    get_array_module(x).maximum(x, 0, out=x)


def _hard_sigmoid(x: Any) -> None:
    # Keras 3: relu6(x + 3) / 6.
    xp = get_array_module(x)
    x += 3
    xp.clip(x, 0, 6, out=x)
    x /= 6


def _linear(x: Any) -> None:
    return None


# Derivatives written in terms of the activation's OUTPUT y, which the forward pass keeps.
def _tanh_grad(y: Any) -> Any:
    return 1 - y * y


def _sigmoid_grad(y: Any) -> Any:
    return y * (1 - y)


def _relu_grad(y: Any) -> Any:
    return y > 0


def _hard_sigmoid_grad(y: Any) -> Any:
    return ((y > 0) & (y < 1)) * (1.0 / 6.0)


def _linear_grad(y: Any) -> Any:
    return 1


# name -> (in-place forward, derivative from the output)
FUSED_ACTIVATIONS: dict[str, tuple[Any, Any]] = {
    "tanh": (_tanh, _tanh_grad),
    "sigmoid": (_sigmoid, _sigmoid_grad),
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


def _gate_masks(masks: Any, gates: int) -> list[Any]:
    """One mask (or None) per gate."""
    if masks is None:
        return [None] * gates
    return [masks[0] if masks.shape[0] == 1 else masks[g] for g in range(gates)]


def _flat(a: Any) -> Any:
    """``a`` as a 2-D matrix ``(rows, last axis)``: one BLAS call for all leading axes."""
    return a.reshape(-1, a.shape[-1])


def _project(h: Any, kernel: Any, masks: Any, gates: int, out: Any) -> Any:
    """``out = h @ kernel``; with dropout masks, gate block g uses ``(h * mask_g) @ kernel_g``.

    ``h`` is ``(..., size)`` (all leading axes go through one matmul), ``kernel``
    ``(size, gates*units)``, ``out`` a contiguous ``(..., gates*units)`` buffer.
    """
    xp = get_array_module(h)
    if masks is None:
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


def _project_input_grad(grad: Any, kernel_t: Any, masks: Any, gates: int) -> Any:
    """The gradient of ``_project`` with respect to ``h`` (``kernel_t`` is ``kernel.T``)."""
    xp = get_array_module(grad)
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


def _project_kernel_grad(h: Any, grad: Any, masks: Any, gates: int) -> Any:
    """The gradient of ``_project`` with respect to the kernel, summed over all steps at once.

    ``h`` is ``(time, batch, size)`` and ``grad`` ``(time, batch, gates*units)``: one matmul
    ``(size, time*batch) @ (time*batch, gates*units)``.
    """
    xp = get_array_module(grad)
    size = h.shape[-1]
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


# ------------------------------------------------------------------------------ the shared loop
class _Sequence(Function):
    """Runs a recurrent cell over a whole sequence; subclasses give the cell's math.

    Inputs: ``x (batch, time, input_dim)``, the initial states (``n_states`` arrays of shape
    ``(batch, units)``), ``kernel``, ``recurrent_kernel`` and, when ``has_bias``, ``bias``.
    Outputs: the output sequence ``(batch, time, units)`` (or the last output ``(batch, units)``)
    followed by the final states.

    A subclass sets ``gates`` and ``n_states`` and implements ``_setup`` (buffers),
    ``_step`` (one step forward, returning the new states with the new output first),
    ``_step_backward`` (one step back) and ``_weight_grads``.
    """

    gates = 1
    n_states = 1

    def __init__(self, activation: str, recurrent_activation: str, has_bias: bool, mask: Any,
                 go_backwards: bool, return_sequences: bool, zero_output_for_mask: bool,
                 dropout_mask: Any, recurrent_dropout_mask: Any) -> None:
        self.act, self.act_grad = FUSED_ACTIVATIONS[activation]
        self.rec_act, self.rec_act_grad = FUSED_ACTIVATIONS[recurrent_activation]
        self.has_bias = has_bias
        self.mask = mask
        self.go_backwards = go_backwards
        self.return_sequences = return_sequences
        self.zero_output_for_mask = zero_output_for_mask
        self.dropout_mask = _masks_per_gate(dropout_mask)
        self.recurrent_dropout_mask = _masks_per_gate(recurrent_dropout_mask)

    # -------------------------------------------------------------- forward
    def forward(self, x: Any, *rest: Any) -> tuple[Any, ...]:
        xp = get_array_module(x)
        n = self.n_states
        kernel, recurrent_kernel = rest[n], rest[n + 1]
        bias = rest[n + 2] if self.has_bias else None
        dtype = xp.result_type(x.dtype, kernel.dtype, recurrent_kernel.dtype)
        batch, steps, _ = x.shape
        units = recurrent_kernel.shape[0]
        self.units, self.steps, self.batch, self.dtype = units, steps, batch, dtype

        # Time-major and contiguous, in processing order: xs[t] is the t-th step processed.
        xs = x.transpose(1, 0, 2)
        if self.go_backwards:
            xs = xs[::-1]
        xs = xp.ascontiguousarray(xs, dtype=dtype)
        kernel = xp.ascontiguousarray(kernel, dtype=dtype)
        recurrent_kernel = xp.ascontiguousarray(recurrent_kernel, dtype=dtype)
        bias = None if bias is None else xp.asarray(bias, dtype=dtype)
        if self.dropout_mask is not None:
            self.dropout_mask = self.dropout_mask.astype(dtype, copy=False)
        if self.recurrent_dropout_mask is not None:
            self.recurrent_dropout_mask = self.recurrent_dropout_mask.astype(dtype, copy=False)
        self.step_mask = None
        if self.mask is not None:
            mask = self.mask.T[:, :, None]
            self.step_mask = xp.ascontiguousarray(mask[::-1] if self.go_backwards else mask)

        # ONE matmul: every step's and every gate's input projection.
        zx = xp.empty((steps, batch, kernel.shape[1]), dtype=dtype)
        _project(xs, kernel, self.dropout_mask, self.gates, out=zx)
        self._add_input_bias(zx, bias)

        # states[k][t] is state k before step t (states[k][steps] is the final one).
        self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        states = [xp.empty((steps + 1, batch, units), dtype=dtype) for _ in range(n)]
        for buffer, initial in zip(states, rest[:n]):
            buffer[0] = initial
        self._setup(xp, recurrent_kernel, bias)
        outputs = None if self.step_mask is None else xp.zeros((steps, batch, units), dtype=dtype)
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
        if self.return_sequences:
            result = xp.ascontiguousarray(outputs.transpose(1, 0, 2))
        else:
            result = outputs[-1].copy()
        return (result, *(s[-1].copy() for s in states))

    def _add_input_bias(self, zx: Any, bias: Any) -> None:
        if bias is not None:
            zx += bias

    # -------------------------------------------------------------- backward
    def backward(self, grad_output: Any, *grad_states: Any) -> tuple[Any, ...]:
        xp = get_array_module(grad_output)
        dtype, steps = self.dtype, self.steps
        grad_output = grad_output.astype(dtype, copy=False)
        if self.return_sequences:
            # the returned sequence is in processing order, so no flip for go_backwards
            grad_seq, grad_last = grad_output.transpose(1, 0, 2), None
        else:
            grad_seq, grad_last = None, grad_output
        d_states = [g.astype(dtype, copy=True) for g in grad_states]
        # grad_zx[t]: the gradient of step t's input pre-activations (filled step by step).
        self.grad_zx = xp.empty_like(self.zx)
        self._prepare_backward()
        carried_output = None  # gradient reaching output t through masked steps after it
        for t in range(steps - 1, -1, -1):
            d_out = None if grad_seq is None else grad_seq[t]
            if grad_last is not None and t == steps - 1:
                d_out = grad_last
            if carried_output is not None:
                d_out = carried_output if d_out is None else d_out + carried_output
            if self.step_mask is None:
                d_new = list(d_states)
                if d_out is not None:
                    d_new[0] = d_new[0] + d_out
                d_states = self._step_backward(t, d_new)
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
        grad_x = None
        if need[0]:
            grad_xs = _project_input_grad(self.grad_zx, self.kernel.T, self.dropout_mask, self.gates)
            if self.go_backwards:
                grad_xs = grad_xs[::-1]
            grad_x = grad_xs.transpose(1, 0, 2)
        grad_kernel = (_project_kernel_grad(self.xs, self.grad_zx, self.dropout_mask, self.gates)
                       if need[n + 1] else None)
        grad_recurrent, grad_bias = self._weight_grads(need[n + 2], self.has_bias and need[n + 3])
        grads = [grad_x, *d_states, grad_kernel, grad_recurrent]
        if self.has_bias:
            grads.append(grad_bias)
        return tuple(grads)

    # -------------------------------------------------------------- per-cell hooks
    def _setup(self, xp: Any, recurrent_kernel: Any, bias: Any) -> None:
        raise NotImplementedError

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        raise NotImplementedError

    def _prepare_backward(self) -> None:
        """Allocate any extra gradient buffers the cell's backward pass fills."""

    def _step_backward(self, t: int, d_new: list[Any]) -> list[Any]:
        raise NotImplementedError

    def _weight_grads(self, need_recurrent: bool, need_bias: bool) -> tuple[Any, Any]:
        raise NotImplementedError

    def _hidden_before(self) -> Any:
        """h before every step, ``(time, batch, units)``."""
        return self.states[0][:-1]


# ------------------------------------------------------------------------------ SimpleRNN
class SimpleRNNSequence(_Sequence):
    """``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`` over a sequence."""

    gates = 1
    n_states = 1

    def _setup(self, xp: Any, recurrent_kernel: Any, bias: Any) -> None:
        self.xp = xp
        self.buffer = xp.empty((self.batch, self.units), dtype=self.dtype)

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        a = zx[t]
        a += _project(previous[0], self.recurrent_kernel, self.recurrent_dropout_mask, 1,
                      out=self.buffer)
        self.act(a)  # zx[t] now holds the new h (the backward pass needs it)
        if out is not None:
            out[0][...] = a
        return [a]

    def _step_backward(self, t: int, d_new: list[Any]) -> list[Any]:
        da = self.grad_zx[t]
        self.xp.multiply(d_new[0], self.act_grad(self.zx[t]), out=da)
        return [_project_input_grad(da, self.recurrent_kernel.T, self.recurrent_dropout_mask, 1)]

    def _weight_grads(self, need_recurrent: bool, need_bias: bool) -> tuple[Any, Any]:
        grad_recurrent = (_project_kernel_grad(self._hidden_before(), self.grad_zx,
                                               self.recurrent_dropout_mask, 1)
                          if need_recurrent else None)
        grad_bias = self.grad_zx.sum(axis=(0, 1)) if need_bias else None
        return grad_recurrent, grad_bias


# ------------------------------------------------------------------------------ LSTM
class LSTMSequence(_Sequence):
    """Keras's LSTM (gates ``i, f, c, o``) over a sequence; states ``(h, c)``.

    ``z = x_t @ kernel + h @ recurrent_kernel + bias``; ``i, f, o = rec_act(z_i, z_f, z_o)``,
    ``g = act(z_c)``; ``c' = f * c + i * g``; ``h' = o * act(c')``.
    """

    gates = 4
    n_states = 2

    def _setup(self, xp: Any, recurrent_kernel: Any, bias: Any) -> None:
        self.xp = xp
        self.buffer = xp.empty((self.batch, 4 * self.units), dtype=self.dtype)
        self.act_c = xp.empty((self.steps, self.batch, self.units), dtype=self.dtype)

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        xp, u = self.xp, self.units
        h, c = previous
        z = zx[t]
        z += _project(h, self.recurrent_kernel, self.recurrent_dropout_mask, 4, out=self.buffer)
        self.rec_act(z[:, : 2 * u])  # i, f
        self.act(z[:, 2 * u: 3 * u])  # g (the candidate)
        self.rec_act(z[:, 3 * u:])  # o
        i, f, g, o = z[:, :u], z[:, u: 2 * u], z[:, 2 * u: 3 * u], z[:, 3 * u:]
        if out is None:
            new_h = xp.empty_like(h)
            new_c = xp.empty_like(c)
        else:
            new_h, new_c = out
        xp.multiply(f, c, out=new_c)
        new_c += i * g
        act_c = self.act_c[t]
        act_c[...] = new_c
        self.act(act_c)
        xp.multiply(o, act_c, out=new_h)
        return [new_h, new_c]

    def _step_backward(self, t: int, d_new: list[Any]) -> list[Any]:
        xp, u = self.xp, self.units
        dh, dc = d_new
        gates = self.zx[t]
        i, f, g, o = gates[:, :u], gates[:, u: 2 * u], gates[:, 2 * u: 3 * u], gates[:, 3 * u:]
        act_c = self.act_c[t]
        c_previous = self.states[1][t]
        dz = self.grad_zx[t]
        # through h' = o * act(c') into o and c'
        xp.multiply(dh * act_c, self.rec_act_grad(o), out=dz[:, 3 * u:])
        dc = dc + dh * o * self.act_grad(act_c)
        # through c' = f * c + i * g
        xp.multiply(dc * g, self.rec_act_grad(i), out=dz[:, :u])
        xp.multiply(dc * c_previous, self.rec_act_grad(f), out=dz[:, u: 2 * u])
        xp.multiply(dc * i, self.act_grad(g), out=dz[:, 2 * u: 3 * u])
        dh_previous = _project_input_grad(dz, self.recurrent_kernel.T, self.recurrent_dropout_mask, 4)
        return [dh_previous, dc * f]

    def _weight_grads(self, need_recurrent: bool, need_bias: bool) -> tuple[Any, Any]:
        grad_recurrent = (_project_kernel_grad(self._hidden_before(), self.grad_zx,
                                               self.recurrent_dropout_mask, 4)
                          if need_recurrent else None)
        grad_bias = self.grad_zx.sum(axis=(0, 1)) if need_bias else None
        return grad_recurrent, grad_bias


# ------------------------------------------------------------------------------ GRU
class GRUSequence(_Sequence):
    """Keras's GRU (gates ``z, r, h``) over a sequence; one state ``h``.

    ``reset_after=True`` (bias ``(2, 3*units)``: input bias, recurrent bias)::

        inner = h @ recurrent_kernel + recurrent_bias
        z, r = rec_act(x_z + inner_z), rec_act(x_r + inner_r)
        hh = act(x_h + r * inner_h)

    ``reset_after=False`` (bias ``(3*units,)``, added to the input projection only)::

        z, r = rec_act(x_z + h @ R_z), rec_act(x_r + h @ R_r)
        hh = act(x_h + (r * h) @ R_h)

    and in both ``h' = z * h + (1 - z) * hh``. With recurrent dropout each gate's ``h`` is
    ``h * mask_gate``, as in Keras.
    """

    gates = 3
    n_states = 1

    def __init__(self, *args: Any, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reset_after = reset_after

    def _add_input_bias(self, zx: Any, bias: Any) -> None:
        if bias is not None:
            zx += bias[0] if self.reset_after else bias

    def _setup(self, xp: Any, recurrent_kernel: Any, bias: Any) -> None:
        u = self.units
        self.xp = xp
        self.recurrent_bias = bias[1] if (bias is not None and self.reset_after) else None
        masks = _gate_masks(self.recurrent_dropout_mask, 3)
        self.h_mask = masks[2]
        if self.reset_after:
            self.inner = xp.empty((self.steps, self.batch, 3 * u), dtype=self.dtype)
        else:
            rm = self.recurrent_dropout_mask
            self.zr_masks = None if rm is None else (rm if rm.shape[0] == 1 else rm[:2])
            self.kernel_zr = xp.ascontiguousarray(self.recurrent_kernel[:, : 2 * u])
            self.kernel_h = xp.ascontiguousarray(self.recurrent_kernel[:, 2 * u:])
            self.buffer = xp.empty((self.batch, 2 * u), dtype=self.dtype)
            self.reset_h = xp.empty((self.steps, self.batch, u), dtype=self.dtype)

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        xp, u = self.xp, self.units
        (h,) = previous
        a = zx[t]
        if self.reset_after:
            inner = self.inner[t]
            _project(h, self.recurrent_kernel, self.recurrent_dropout_mask, 3, out=inner)
            if self.recurrent_bias is not None:
                inner += self.recurrent_bias
            a[:, : 2 * u] += inner[:, : 2 * u]
            self.rec_act(a[:, : 2 * u])
            r = a[:, u: 2 * u]
            a[:, 2 * u:] += r * inner[:, 2 * u:]
        else:
            a[:, : 2 * u] += _project(h, self.kernel_zr, self.zr_masks, 2, out=self.buffer)
            self.rec_act(a[:, : 2 * u])
            r = a[:, u: 2 * u]
            reset_h = self.reset_h[t]
            xp.multiply(r, h if self.h_mask is None else h * self.h_mask, out=reset_h)
            a[:, 2 * u:] += xp.matmul(reset_h, self.kernel_h)
        self.act(a[:, 2 * u:])
        z, hh = a[:, :u], a[:, 2 * u:]
        new_h = xp.empty_like(h) if out is None else out[0]
        xp.subtract(h, hh, out=new_h)  # h' = hh + z * (h - hh)
        new_h *= z
        new_h += hh
        return [new_h]

    def _prepare_backward(self) -> None:
        if self.reset_after:
            # the recurrent pre-activations' gradients (they differ from grad_zx for h only)
            self.grad_inner = self.xp.empty_like(self.inner)

    def _step_backward(self, t: int, d_new: list[Any]) -> list[Any]:
        xp, u = self.xp, self.units
        (dh,) = d_new
        a = self.zx[t]
        z, r, hh = a[:, :u], a[:, u: 2 * u], a[:, 2 * u:]
        h = self.states[0][t]
        dz = self.grad_zx[t]
        d_hh = dh * (1 - z) * self.act_grad(hh)
        dz[:, 2 * u:] = d_hh
        xp.multiply(dh * (h - hh), self.rec_act_grad(z), out=dz[:, :u])
        dh_previous = dh * z
        if self.reset_after:
            inner = self.inner[t]
            xp.multiply(d_hh * inner[:, 2 * u:], self.rec_act_grad(r), out=dz[:, u: 2 * u])
            # the recurrent pre-activations' gradient: equal to dz for z and r, d_hh * r for h
            d_inner = self.grad_inner[t]
            d_inner[...] = dz
            d_inner[:, 2 * u:] *= r
            dh_previous += _project_input_grad(d_inner, self.recurrent_kernel.T,
                                               self.recurrent_dropout_mask, 3)
        else:
            d_reset_h = xp.matmul(d_hh, self.kernel_h.T)
            h_used = h if self.h_mask is None else h * self.h_mask
            xp.multiply(d_reset_h * h_used, self.rec_act_grad(r), out=dz[:, u: 2 * u])
            d_h_part = d_reset_h * r
            if self.h_mask is not None:
                d_h_part *= self.h_mask
            dh_previous += d_h_part
            dh_previous += _project_input_grad(dz[:, : 2 * u], self.kernel_zr.T, self.zr_masks, 2)
        return [dh_previous]

    def _weight_grads(self, need_recurrent: bool, need_bias: bool) -> tuple[Any, Any]:
        xp, u = self.xp, self.units
        h_before = self._hidden_before()
        grad_recurrent = grad_bias = None
        if self.reset_after:
            if need_recurrent:
                grad_recurrent = _project_kernel_grad(h_before, self.grad_inner,
                                                      self.recurrent_dropout_mask, 3)
            if need_bias:
                grad_bias = xp.stack([self.grad_zx.sum(axis=(0, 1)),
                                      self.grad_inner.sum(axis=(0, 1))])
        else:
            if need_recurrent:
                grad_recurrent = xp.empty((u, 3 * u), dtype=self.dtype)
                grad_recurrent[:, : 2 * u] = _project_kernel_grad(
                    h_before, self.grad_zx[..., : 2 * u], self.zr_masks, 2)
                grad_recurrent[:, 2 * u:] = _project_kernel_grad(
                    self.reset_h, self.grad_zx[..., 2 * u:], None, 1)
            if need_bias:
                grad_bias = self.grad_zx.sum(axis=(0, 1))
        return grad_recurrent, grad_bias
