"""The fused recurrent cells: SimpleRNN, LSTM and GRU sequences (see ``_recurrent_kernels``).

Each class gives one cell's math to the shared sequence loop: ``_step`` (one step forward, in
place in preallocated buffers), ``_step_backward`` (one step back) and ``_weight_grads`` (the
recurrent kernel's gradient in one matmul over all steps).
"""

from __future__ import annotations

from typing import Any

from scratchdl.ops._recurrent_kernels import (
    Sequence,
    gate_masks,
    project,
    project_input_grad,
    project_kernel_grad,
    sigmoid,
    tanh,
)
from scratchdl.ops._step_product import StepProduct, copy_gates

__all__ = ["GRUSequence", "LSTMSequence", "SimpleRNNSequence"]


# ------------------------------------------------------------------------------ SimpleRNN
class SimpleRNNSequence(Sequence):
    """``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`` over a sequence."""

    gates = 1
    n_states = 1
    overwrites_gates = True

    def _setup(self, bias: Any) -> None:
        self.buffer = self.xp.empty((self.batch, self.units), dtype=self.dtype)
        self.recurrent_step = StepProduct(self.recurrent_kernel)

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        a = zx[t]
        a += project(previous[0], self.recurrent_step, self.recurrent_dropout_mask, 1,
                      out=self.buffer)
        self.act(a)  # zx[t] now holds the new h (the backward pass needs it)
        if out is not None:
            out[0][...] = a
        return [a]

    def _step_backward(self, t: int, d_new: list[Any]) -> list[Any]:
        da = self.act_grad(self.zx[t], out=self.grad_zx[t])
        da *= d_new[0]
        return [project_input_grad(da, self.recurrent_kernel_t, self.recurrent_dropout_mask, 1)]

    def _weight_grads(self, need_recurrent: bool, need_bias: bool,
                      input_bias_grad: Any) -> tuple[Any, Any]:
        grad_recurrent = (project_kernel_grad(self._hidden_before(), self.grad_zx,
                                               self.recurrent_dropout_mask, 1)
                          if need_recurrent else None)
        return grad_recurrent, input_bias_grad


# ------------------------------------------------------------------------------ LSTM
class LSTMSequence(Sequence):
    """Keras's LSTM (gates ``i, f, c, o``) over a sequence; states ``(h, c)``.

    ``z = x_t @ kernel + h @ recurrent_kernel + bias``; ``i, f, o = rec_act(z_i, z_f, z_o)``,
    ``g = act(z_c)``; ``c' = f * c + i * g``; ``h' = o * act(c')``.

    Three layout choices keep the per-step work small:

    * the gates are stored ``i, f, o, c`` internally, so one call activates the three sigmoid
      gates. The weights stay in Keras's order: the products take each internal gate's block
      from them as they lay them out (one pass, ``StepProduct``'s ``gate_order``), and the
      weight-gradient products write each gate's columns straight into Keras's order
      (``gate_order``);
    * gate-major: the pre-activations of the whole sequence are ``(4, time, batch, units)``,
      so each gate of a step is one contiguous ``(batch, units)`` block. NumPy runs the step's
      elementwise work on whole blocks about twice as fast as on the column slices of a
      ``(batch, 4 * units)`` row layout; the products write and read this layout directly
      (``StepProduct``'s gate-major forms, and one product per gate for the weight gradients);
    * with the sigmoid, ``sigmoid(z) = (1 + tanh(z / 2)) / 2``, and the forward pass multiplies
      by weights whose i, f, o columns are halved (in the same pass that lays them out,
      ``_gate_scales``): one ``tanh`` then covers all four gates (with a tanh activation) and no
      separate ``z / 2`` pass is needed. The backward pass uses the original weights (the
      gradients are those of the unscaled pre-activations).
    """

    gates = 4
    n_states = 2
    overwrites_gates = True
    gate_major = True
    gate_order = (0, 1, 3, 2)  # internal i, f, o, c -> Keras's column blocks i, f, c, o

    def _internal_masks(self, masks: Any) -> Any:
        return masks if masks.shape[0] == 1 else masks[list(self.gate_order)]

    def _gate_scales(self) -> tuple[float, ...] | None:
        """What the forward pass multiplies each internal gate's weights by (the halved i, f, o
        of the sigmoid written with tanh), or None."""
        return (0.5, 0.5, 0.5, 1.0) if self.rec_act is sigmoid else None

    def _input_weight(self, kernel: Any, input_bias: Any) -> Any:
        """The kernel gate-major, ``(4, input_dim (+ 1 for the bias), units)``, in the internal
        order and rescaled: one pass."""
        u = self.units
        size = kernel.shape[0] + (input_bias is not None)
        weight = self.xp.empty((4, size, u), dtype=self.dtype)
        columns = [slice(block * u, (block + 1) * u) for block in self.gate_order]
        copy_gates([kernel[:, c] for c in columns], self._gate_scales(), weight[:, : kernel.shape[0]])
        if input_bias is not None:  # the last row, multiplying the column of ones
            copy_gates([input_bias[c] for c in columns], self._gate_scales(), weight[:, -1])
        return weight

    def _project_inputs(self, xs: Any, weight: Any) -> Any:
        xp, u, size = self.xp, self.units, xs.shape[-1]
        zx = self._buffer(4, self.steps, self.batch, u)
        flat_out = zx.reshape(4, -1, u)
        masks = self.input_masks
        if masks is None or masks.shape[0] == 1:  # one call: a product per gate
            inputs = xs if masks is None else xs * masks[0]
            xp.matmul(inputs.reshape(-1, size), weight, out=flat_out)
        else:
            for g in range(4):
                xp.matmul((xs * masks[g]).reshape(-1, size), weight[g], out=flat_out[g])
        return zx

    def _setup(self, bias: Any) -> None:
        xp = self.xp
        self.forward_recurrent = StepProduct(self.recurrent_kernel, gates_out=4,
                                             gate_order=self.gate_order,
                                             gate_scales=self._gate_scales())
        self.buffer = xp.empty((4, self.batch, self.units), dtype=self.dtype)
        self.scratch = xp.empty((self.batch, self.units), dtype=self.dtype)
        self.act_c = self._buffer(self.steps, self.batch, self.units)
        # with per-gate recurrent dropout masks, each gate's weights multiply its own masked h
        self.masked_recurrent = (None if self.recurrent_dropout_mask is None
                                 else self.forward_recurrent.gate_pieces(0))

    def _recurrent_product(self, h: Any) -> Any:
        """``h @ recurrent_kernel`` gate-major in ``self.buffer`` (per-gate dropout masks)."""
        masks = self.recurrent_dropout_mask
        if masks is None:
            return self.forward_recurrent(h, self.buffer)
        for g, gate_weight in enumerate(self.masked_recurrent):
            self.xp.matmul(h * masks[0 if masks.shape[0] == 1 else g], gate_weight,
                           out=self.buffer[g])
        return self.buffer

    def _activate(self, z: Any) -> None:
        """Apply the gates' activations to the pre-activations ``z`` (4, batch, units) in place."""
        gates = z[:3]
        if self.rec_act is sigmoid:  # z holds z / 2 for i, f, o
            if self.act is tanh:
                tanh(z)
            else:
                tanh(gates)
                self.act(z[3])
            gates *= 0.5
            gates += 0.5
        else:
            self.rec_act(gates)
            self.act(z[3])

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        xp = self.xp
        h, c = previous
        z = zx[:, t]
        z += self._recurrent_product(h)
        self._activate(z)
        i, f, o, g = z
        if out is None:
            new_h, new_c = xp.empty_like(h), xp.empty_like(c)
        else:
            new_h, new_c = out
        xp.multiply(f, c, out=new_c)
        new_c += xp.multiply(i, g, out=self.scratch)
        act_c = self.act(new_c, out=self.act_c[t])
        xp.multiply(o, act_c, out=new_h)
        return [new_h, new_c]

    def _prepare_backward(self) -> None:
        xp = self.xp
        self.scratch = xp.empty((self.batch, self.units), dtype=self.dtype)
        self.upstream = xp.empty((4, self.batch, self.units), dtype=self.dtype)

    def _transposed_recurrent_product(self) -> StepProduct:
        # The step's gradient arrives gate-major: gate g multiplies the rows of gate g. The
        # transposed view is enough: the product lays the weight out in one copy, taking each
        # internal gate's rows from Keras's block.
        return StepProduct(self.recurrent_kernel.T, gates_in=4, gate_order=self.gate_order)

    def _gradient_product(self, dz: Any) -> Any:
        """``dz @ recurrent_kernel.T`` for a gate-major ``dz`` (per-gate dropout masks)."""
        masks = self.recurrent_dropout_mask
        if masks is None:
            return self.recurrent_kernel_t(dz)
        rows = self.recurrent_kernel_t.weight.reshape(4, self.units, -1)
        parts = [self.xp.matmul(dz[g], rows[g]) * masks[0 if masks.shape[0] == 1 else g]
                 for g in range(4)]
        return parts[0] + parts[1] + parts[2] + parts[3]

    def _step_backward(self, t: int, d_new: list[Any]) -> list[Any]:
        xp = self.xp
        dh, dc = d_new  # both owned by this pass: updated in place
        gates = self.zx[:, t]
        i, f, o, g = gates
        act_c = self.act_c[t]
        scratch, upstream = self.scratch, self.upstream
        # h' = o * act(c'): the gradient reaching c' adds to the one carried from step t + 1
        self.act_grad(act_c, out=scratch)
        scratch *= o
        scratch *= dh
        dc += scratch
        # the gradient of each gate's output ...
        xp.multiply(dc, g, out=upstream[0])  # i
        xp.multiply(dc, self.states[1][t], out=upstream[1])  # f
        xp.multiply(dh, act_c, out=upstream[2])  # o
        xp.multiply(dc, i, out=upstream[3])  # g
        dc *= f  # the gradient reaching c_{t-1}
        # ... times the activation's derivative gives the pre-activations' gradient, written
        # over the gates (grad_zx is zx: step t's gates are not needed any more)
        dz = self.grad_zx[:, t]
        self.rec_act_grad(gates[:3], out=dz[:3])
        self.act_grad(g, out=dz[3])
        dz *= upstream
        return [self._gradient_product(dz), dc]

    def _weight_grads(self, need_recurrent: bool, need_bias: bool,
                      input_bias_grad: Any) -> tuple[Any, Any]:
        grad_recurrent = (project_kernel_grad(self._hidden_before(), self.grad_zx,
                                               self.recurrent_dropout_mask, 4, gate_major=True,
                                               order=self.gate_order)
                          if need_recurrent else None)
        return grad_recurrent, input_bias_grad


# ------------------------------------------------------------------------------ GRU
class GRUSequence(Sequence):
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

    def _input_bias(self, bias: Any) -> Any:
        if bias is None:
            return None
        return bias[0] if self.reset_after else bias

    def _setup(self, bias: Any) -> None:
        u, xp = self.units, self.xp
        self.recurrent_bias = bias[1] if (bias is not None and self.reset_after) else None
        masks = gate_masks(self.recurrent_dropout_mask, 3)
        self.h_mask = masks[2]
        if self.reset_after:
            self.inner = self._buffer(self.steps, self.batch, 3 * u)
            self.recurrent_step = StepProduct(self.recurrent_kernel)
        else:
            rm = self.recurrent_dropout_mask
            self.zr_masks = None if rm is None else (rm if rm.shape[0] == 1 else rm[:2])
            self.kernel_zr = StepProduct(xp.ascontiguousarray(self.recurrent_kernel[:, : 2 * u]))
            self.kernel_h = xp.ascontiguousarray(self.recurrent_kernel[:, 2 * u:])
            self.buffer = xp.empty((self.batch, 2 * u), dtype=self.dtype)
            self.reset_h = self._buffer(self.steps, self.batch, u)

    def _step(self, t: int, zx: Any, previous: list[Any], out: list[Any] | None) -> list[Any]:
        xp, u = self.xp, self.units
        (h,) = previous
        a = zx[t]
        if self.reset_after:
            inner = self.inner[t]
            project(h, self.recurrent_step, self.recurrent_dropout_mask, 3, out=inner)
            if self.recurrent_bias is not None:
                inner += self.recurrent_bias
            a[:, : 2 * u] += inner[:, : 2 * u]
            self.rec_act(a[:, : 2 * u])
            r = a[:, u: 2 * u]
            a[:, 2 * u:] += r * inner[:, 2 * u:]
        else:
            a[:, : 2 * u] += project(h, self.kernel_zr, self.zr_masks, 2, out=self.buffer)
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
            self.grad_inner = self._buffer(*self.inner.shape)
        else:
            self.kernel_h_t = self.xp.ascontiguousarray(self.kernel_h.T)
            self.kernel_zr_t = StepProduct(self.xp.ascontiguousarray(self.kernel_zr.weight.T))

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
            dh_previous += project_input_grad(d_inner, self.recurrent_kernel_t,
                                               self.recurrent_dropout_mask, 3)
        else:
            d_reset_h = xp.matmul(d_hh, self.kernel_h_t)
            h_used = h if self.h_mask is None else h * self.h_mask
            xp.multiply(d_reset_h * h_used, self.rec_act_grad(r), out=dz[:, u: 2 * u])
            d_h_part = d_reset_h * r
            if self.h_mask is not None:
                d_h_part *= self.h_mask
            dh_previous += d_h_part
            dh_previous += project_input_grad(dz[:, : 2 * u], self.kernel_zr_t, self.zr_masks, 2)
        return [dh_previous]

    def _weight_grads(self, need_recurrent: bool, need_bias: bool,
                      input_bias_grad: Any) -> tuple[Any, Any]:
        xp, u = self.xp, self.units
        h_before = self._hidden_before()
        grad_recurrent = grad_bias = None
        if self.reset_after:
            if need_recurrent:
                grad_recurrent = project_kernel_grad(h_before, self.grad_inner,
                                                      self.recurrent_dropout_mask, 3)
            if need_bias:
                grad_bias = xp.stack([input_bias_grad, self.grad_inner.sum(axis=(0, 1))])
        else:
            if need_recurrent:
                grad_recurrent = xp.empty((u, 3 * u), dtype=self.dtype)
                grad_recurrent[:, : 2 * u] = project_kernel_grad(
                    h_before, self.grad_zx[..., : 2 * u], self.zr_masks, 2)
                grad_recurrent[:, 2 * u:] = project_kernel_grad(
                    self.reset_h, self.grad_zx[..., 2 * u:], None, 1)
            grad_bias = input_bias_grad
        return grad_recurrent, grad_bias
