"""Recurrent ops: simple_rnn, lstm, gru (fused, hand-written BPTT) and the generic ``rnn`` loop.

Every case runs through the op harness: float64 forward against a NumPy reference, numerical
gradients, PyTorch parity in float64 and float32 (forward and all input gradients), float32 and
non-contiguous inputs. The references are written once as a plain per-step loop with Keras's
semantics (gate orders, masking, go_backwards, per-gate dropout masks) and run in NumPy and in
torch; the unmasked LSTM and GRU are also checked against ``torch.nn.LSTM`` / ``torch.nn.GRU``
with Keras's weights reordered, tying the gate layout to PyTorch's own kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.func import functional_call

from scratchdl import Tensor, ops
from scratchdl.autograd.mode import no_grad
from tests.ops.harness import Arg, OpCase, op_tests, run_all_checks


# ---------------------------------------------------------------------------------- references
class _NumPy:
    """The array operations the reference loop needs, in NumPy."""

    where = staticmethod(np.where)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)

    @staticmethod
    def stack(arrays: list[Any], axis: int) -> Any:
        return np.stack(arrays, axis)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return 1 / (1 + np.exp(-x))

    @staticmethod
    def relu(x: Any) -> Any:
        return np.maximum(x, 0)

    @staticmethod
    def clip(x: Any, low: float, high: float) -> Any:
        return np.clip(x, low, high)

    @staticmethod
    def asarray(x: Any, like: Any) -> Any:
        return np.asarray(x, dtype=like.dtype)


class _Torch:
    """The same operations in torch (autograd gives the reference gradients)."""

    where = staticmethod(torch.where)
    tanh = staticmethod(torch.tanh)
    sigmoid = staticmethod(torch.sigmoid)
    relu = staticmethod(torch.relu)
    abs = staticmethod(torch.abs)

    @staticmethod
    def stack(arrays: list[Any], axis: int) -> Any:
        return torch.stack(arrays, axis)

    @staticmethod
    def clip(x: Any, low: float, high: float) -> Any:
        return torch.clamp(x, low, high)

    @staticmethod
    def asarray(x: Any, like: Any) -> Any:
        return torch.as_tensor(np.asarray(x)).to(like.dtype)


def _activation(lib: Any, name: str) -> Any:
    return {
        "tanh": lib.tanh,
        "sigmoid": lib.sigmoid,
        "relu": lib.relu,
        "linear": lambda x: x,
        "hard_sigmoid": lambda x: lib.clip(x + 3, 0, 6) / 6,
        "softsign": lambda x: x / (1 + lib.abs(x)),
    }[name]


def _per_gate(lib: Any, masks: Any, gates: int, like: Any) -> list[Any]:
    if masks is None:
        return [None] * gates
    masks = lib.asarray(masks, like)
    return [masks] * gates if masks.ndim == 2 else [masks[g] for g in range(gates)]


def _dropped(value: Any, mask: Any) -> Any:
    return value if mask is None else value * mask


def _loop(lib: Any, cell: Any, x: Any, states: list[Any], mask: Any, go_backwards: bool,
          return_sequences: bool, zero_output_for_mask: bool) -> tuple[Any, ...]:
    """Keras's rnn loop, written out step by step."""
    steps = x.shape[1]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs: list[Any] = []
    previous = None
    for t in order:
        output, new_states = cell(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_states = [lib.where(keep, n, s) for n, s in zip(new_states, states)]
            fallback = output * 0 if (zero_output_for_mask or previous is None) else previous
            output = lib.where(keep, output, fallback)
        states = new_states
        previous = output
        outputs.append(output)
    result = lib.stack(outputs, 1) if return_sequences else outputs[-1]
    return (result, *states)


def _split(w: Any, gates: int) -> list[Any]:
    size = w.shape[-1] // gates
    return [w[..., g * size:(g + 1) * size] for g in range(gates)]


def reference_simple_rnn(lib: Any, x: Any, h0: Any, kernel: Any, recurrent_kernel: Any,
                         bias: Any = None, mask: Any = None, activation: str = "tanh",
                         go_backwards: bool = False, return_sequences: bool = False,
                         zero_output_for_mask: bool = False, dropout_mask: Any = None,
                         recurrent_dropout_mask: Any = None) -> tuple[Any, ...]:
    act = _activation(lib, activation)
    (dm,) = _per_gate(lib, dropout_mask, 1, x)
    (rm,) = _per_gate(lib, recurrent_dropout_mask, 1, x)

    def cell(x_t: Any, states: list[Any]) -> Any:
        a = _dropped(x_t, dm) @ kernel + _dropped(states[0], rm) @ recurrent_kernel
        h = act(a if bias is None else a + bias)
        return h, [h]

    return _loop(lib, cell, x, [h0], mask, go_backwards, return_sequences, zero_output_for_mask)


def reference_lstm(lib: Any, x: Any, h0: Any, c0: Any, kernel: Any, recurrent_kernel: Any,
                   bias: Any = None, mask: Any = None, activation: str = "tanh",
                   recurrent_activation: str = "sigmoid", go_backwards: bool = False,
                   return_sequences: bool = False, zero_output_for_mask: bool = False,
                   dropout_mask: Any = None, recurrent_dropout_mask: Any = None) -> tuple[Any, ...]:
    act, rec = _activation(lib, activation), _activation(lib, recurrent_activation)
    dms = _per_gate(lib, dropout_mask, 4, x)
    rms = _per_gate(lib, recurrent_dropout_mask, 4, x)
    ks, rks = _split(kernel, 4), _split(recurrent_kernel, 4)
    bs = _split(bias, 4) if bias is not None else [0] * 4

    def cell(x_t: Any, states: list[Any]) -> Any:
        h, c = states
        z = [_dropped(x_t, dms[g]) @ ks[g] + _dropped(h, rms[g]) @ rks[g] + bs[g] for g in range(4)]
        c = rec(z[1]) * c + rec(z[0]) * act(z[2])
        h = rec(z[3]) * act(c)
        return h, [h, c]

    return _loop(lib, cell, x, [h0, c0], mask, go_backwards, return_sequences, zero_output_for_mask)


def reference_gru(lib: Any, x: Any, h0: Any, kernel: Any, recurrent_kernel: Any, bias: Any = None,
                  mask: Any = None, activation: str = "tanh", recurrent_activation: str = "sigmoid",
                  go_backwards: bool = False, return_sequences: bool = False,
                  zero_output_for_mask: bool = False, reset_after: bool = True,
                  dropout_mask: Any = None, recurrent_dropout_mask: Any = None) -> tuple[Any, ...]:
    act, rec = _activation(lib, activation), _activation(lib, recurrent_activation)
    dms = _per_gate(lib, dropout_mask, 3, x)
    rms = _per_gate(lib, recurrent_dropout_mask, 3, x)
    ks, rks = _split(kernel, 3), _split(recurrent_kernel, 3)
    if bias is None:
        input_bias, recurrent_bias = [0] * 3, [0] * 3
    elif reset_after:
        input_bias, recurrent_bias = _split(bias[0], 3), _split(bias[1], 3)
    else:
        input_bias, recurrent_bias = _split(bias, 3), [0] * 3

    def cell(x_t: Any, states: list[Any]) -> Any:
        (h,) = states
        xz, xr, xh = [_dropped(x_t, dms[g]) @ ks[g] + input_bias[g] for g in range(3)]
        z = rec(xz + _dropped(h, rms[0]) @ rks[0] + recurrent_bias[0])
        r = rec(xr + _dropped(h, rms[1]) @ rks[1] + recurrent_bias[1])
        if reset_after:
            hh = act(xh + r * (_dropped(h, rms[2]) @ rks[2] + recurrent_bias[2]))
        else:
            hh = act(xh + (r * _dropped(h, rms[2])) @ rks[2])
        h = z * h + (1 - z) * hh
        return h, [h]

    return _loop(lib, cell, x, [h0], mask, go_backwards, return_sequences, zero_output_for_mask)


# ---------------------------------------------------------------------------------- torch.nn kernels
def torch_nn_lstm(x: Any, h0: Any, c0: Any, kernel: Any, recurrent_kernel: Any, bias: Any,
                  return_sequences: bool = False) -> tuple[Any, ...]:
    """torch.nn.LSTM with Keras's weights: the gate order (i, f, g, o) is the same; Keras has
    one bias, so torch's second bias is zero."""
    units = recurrent_kernel.shape[0]
    module = torch.nn.LSTM(x.shape[-1], units, batch_first=True)
    params = {"weight_ih_l0": kernel.T, "weight_hh_l0": recurrent_kernel.T, "bias_ih_l0": bias,
              "bias_hh_l0": torch.zeros_like(bias)}
    out, (h, c) = functional_call(module, params, (x, (h0[None], c0[None])))
    return (out if return_sequences else out[:, -1], h[0], c[0])


def _torch_gate_order(w: Any) -> Any:
    z, r, h = _split(w, 3)
    return torch.cat([r, z, h], dim=-1)  # torch's GRU order is (r, z, n)


def torch_nn_gru(x: Any, h0: Any, kernel: Any, recurrent_kernel: Any, bias: Any,
                 return_sequences: bool = False) -> tuple[Any, ...]:
    """torch.nn.GRU with Keras's reset_after=True weights (gates reordered z,r,h -> r,z,n)."""
    units = recurrent_kernel.shape[0]
    module = torch.nn.GRU(x.shape[-1], units, batch_first=True)
    params = {"weight_ih_l0": _torch_gate_order(kernel).T,
              "weight_hh_l0": _torch_gate_order(recurrent_kernel).T,
              "bias_ih_l0": _torch_gate_order(bias[0]), "bias_hh_l0": _torch_gate_order(bias[1])}
    out, h = functional_call(module, params, (x, h0[None]))
    return (out if return_sequences else out[:, -1], h[0])


# ---------------------------------------------------------------------------------- cases
B, T, D, U = 3, 5, 4, 3


def _w(shape: tuple[int, ...]) -> Arg:
    return Arg(shape, -0.6, 0.6)


def _mask_inputs(shapes: list[tuple[int, ...]], masked_prefix: bool = True) -> Any:
    """Random inputs plus a (batch, time) mask; row 0 starts with masked steps (so a nonzero
    initial state and the zero initial output differ), row 1 is fully masked."""
    def make(rng: np.random.Generator) -> list[Any]:
        arrays = [rng.uniform(-0.8, 0.8, s) for s in shapes]
        mask = rng.random((B, T)) < 0.6
        if masked_prefix:
            mask[0, :2] = False
            mask[0, 2] = True
        mask[1] = False
        mask[2, -1] = False
        return [*arrays, mask]
    return make


def _simple_fn(x: Any, h0: Any, k: Any, rk: Any, b: Any, mask: Any = None, **kw: Any) -> Any:
    return ops.simple_rnn(x, h0, k, rk, b, mask=mask, **kw)


def _lstm_fn(x: Any, h0: Any, c0: Any, k: Any, rk: Any, b: Any, mask: Any = None, **kw: Any) -> Any:
    return ops.lstm(x, (h0, c0), k, rk, b, mask=mask, **kw)


def _gru_fn(x: Any, h0: Any, k: Any, rk: Any, b: Any, mask: Any = None, **kw: Any) -> Any:
    return ops.gru(x, h0, k, rk, b, mask=mask, **kw)


def _refs(reference: Any) -> tuple[Any, Any]:
    def numpy_fn(*arrays: Any, **kw: Any) -> Any:
        return reference(_NumPy, *arrays, **kw)

    def torch_fn(*tensors: Any, **kw: Any) -> Any:
        return reference(_Torch, *tensors, **kw)

    return numpy_fn, torch_fn


SIMPLE_NP, SIMPLE_TORCH = _refs(reference_simple_rnn)
LSTM_NP, LSTM_TORCH = _refs(reference_lstm)
GRU_NP, GRU_TORCH = _refs(reference_gru)

SIMPLE_ARGS = [Arg((B, T, D)), Arg((B, U)), _w((D, U)), _w((U, U)), _w((U,))]
LSTM_ARGS = [Arg((B, T, D)), Arg((B, U)), Arg((B, U)), _w((D, 4 * U)), _w((U, 4 * U)), _w((4 * U,))]
GRU_ARGS = [Arg((B, T, D)), Arg((B, U)), _w((D, 3 * U)), _w((U, 3 * U)), _w((2, 3 * U))]
GRU_V1_ARGS = [Arg((B, T, D)), Arg((B, U)), _w((D, 3 * U)), _w((U, 3 * U)), _w((3 * U,))]


def _shapes(args: list[Arg]) -> list[tuple[int, ...]]:
    return [a.shape for a in args]


def _case(name: str, fn: Any, args: Any, refs: tuple[Any, Any], **kwargs: Any) -> OpCase:
    numpy_fn, torch_fn = refs
    if callable(args):
        return OpCase(name, fn, [], numpy_fn=numpy_fn, torch_fn=torch_fn, kwargs=kwargs,
                      make_inputs=args)
    return OpCase(name, fn, args, numpy_fn=numpy_fn, torch_fn=torch_fn, kwargs=kwargs)


SIMPLE = (SIMPLE_NP, SIMPLE_TORCH)
LSTM = (LSTM_NP, LSTM_TORCH)
GRU = (GRU_NP, GRU_TORCH)

CASES = [
    # ---- simple_rnn
    _case("simple_rnn_last", _simple_fn, SIMPLE_ARGS, SIMPLE),
    _case("simple_rnn_sequences", _simple_fn, SIMPLE_ARGS, SIMPLE, return_sequences=True),
    _case("simple_rnn_backwards", _simple_fn, SIMPLE_ARGS, SIMPLE, return_sequences=True,
          go_backwards=True),
    _case("simple_rnn_relu_masked", _simple_fn, _mask_inputs(_shapes(SIMPLE_ARGS)), SIMPLE,
          activation="relu", return_sequences=True),
    _case("simple_rnn_linear_masked_last", _simple_fn, _mask_inputs(_shapes(SIMPLE_ARGS)),
          SIMPLE, activation="linear"),
    _case("simple_rnn_generic_softsign", _simple_fn, SIMPLE_ARGS, SIMPLE, activation="softsign",
          return_sequences=True),
    # ---- lstm
    _case("lstm_last", _lstm_fn, LSTM_ARGS, LSTM),
    _case("lstm_sequences", _lstm_fn, LSTM_ARGS, LSTM, return_sequences=True),
    _case("lstm_backwards", _lstm_fn, LSTM_ARGS, LSTM, return_sequences=True, go_backwards=True),
    _case("lstm_masked", _lstm_fn, _mask_inputs(_shapes(LSTM_ARGS)), LSTM, return_sequences=True),
    _case("lstm_masked_backwards_last", _lstm_fn, _mask_inputs(_shapes(LSTM_ARGS)), LSTM,
          go_backwards=True),
    _case("lstm_masked_zero_output", _lstm_fn, _mask_inputs(_shapes(LSTM_ARGS)), LSTM,
          return_sequences=True, zero_output_for_mask=True),
    _case("lstm_hard_sigmoid_relu", _lstm_fn, LSTM_ARGS, LSTM, activation="relu",
          recurrent_activation="hard_sigmoid", return_sequences=True),
    _case("lstm_generic_softsign", _lstm_fn, _mask_inputs(_shapes(LSTM_ARGS)), LSTM,
          activation="softsign", return_sequences=True, go_backwards=True),
    # ---- gru
    _case("gru_last", _gru_fn, GRU_ARGS, GRU),
    _case("gru_sequences", _gru_fn, GRU_ARGS, GRU, return_sequences=True),
    _case("gru_backwards_masked", _gru_fn, _mask_inputs(_shapes(GRU_ARGS)), GRU,
          return_sequences=True, go_backwards=True),
    _case("gru_reset_before_last", _gru_fn, GRU_V1_ARGS, GRU, reset_after=False),
    _case("gru_reset_before_sequences", _gru_fn, GRU_V1_ARGS, GRU, reset_after=False,
          return_sequences=True, go_backwards=True),
    _case("gru_reset_before_masked", _gru_fn, _mask_inputs(_shapes(GRU_V1_ARGS)), GRU,
          reset_after=False, return_sequences=True, zero_output_for_mask=True),
    _case("gru_generic_softsign", _gru_fn, GRU_V1_ARGS, GRU, reset_after=False,
          activation="softsign", recurrent_activation="hard_sigmoid", return_sequences=True),
]


# Without a bias (None is passed through as a constant).
def _lstm_no_bias(x: Any, h0: Any, c0: Any, k: Any, rk: Any, **kw: Any) -> Any:
    return ops.lstm(x, (h0, c0), k, rk, None, **kw)


def _gru_no_bias(x: Any, h0: Any, k: Any, rk: Any, **kw: Any) -> Any:
    return ops.gru(x, h0, k, rk, None, **kw)


CASES += [
    OpCase("lstm_no_bias", _lstm_no_bias, LSTM_ARGS[:-1],
           numpy_fn=lambda *a, **kw: reference_lstm(_NumPy, *a, **kw),
           torch_fn=lambda *a, **kw: reference_lstm(_Torch, *a, **kw),
           kwargs={"return_sequences": True}),
    OpCase("gru_no_bias", _gru_no_bias, GRU_ARGS[:-1],
           numpy_fn=lambda *a, **kw: reference_gru(_NumPy, *a, **kw),
           torch_fn=lambda *a, **kw: reference_gru(_Torch, *a, **kw)),
]

# Against torch.nn's own LSTM and GRU kernels (Keras weights reordered into torch's layout).
CASES += [
    OpCase("lstm_vs_torch_nn", _lstm_fn, LSTM_ARGS, numpy_fn=LSTM_NP, torch_fn=torch_nn_lstm,
           kwargs={"return_sequences": True}),
    OpCase("gru_vs_torch_nn", _gru_fn, GRU_ARGS, numpy_fn=GRU_NP, torch_fn=torch_nn_gru,
           kwargs={"return_sequences": True}),
]


# Dropout masks (fixed, given to the op): shared by the gates or one per gate, as Keras draws them.
def _dropout_case(name: str, fn: Any, args: list[Arg], refs: tuple[Any, Any], gates: int,
                  per_gate_input: bool, per_gate_recurrent: bool, **kwargs: Any) -> OpCase:
    rng = np.random.default_rng(len(name))
    dm_shape = (gates, B, D) if per_gate_input else (B, D)
    rm_shape = (gates, B, U) if per_gate_recurrent else (B, U)
    dropout_mask = (rng.random(dm_shape) < 0.7) / 0.7
    recurrent_mask = (rng.random(rm_shape) < 0.7) / 0.7
    return _case(name, fn, args, refs, dropout_mask=dropout_mask,
                 recurrent_dropout_mask=recurrent_mask, **kwargs)


CASES += [
    _dropout_case("simple_rnn_dropout", _simple_fn, SIMPLE_ARGS, SIMPLE, 1, False, False,
                  return_sequences=True),
    _dropout_case("lstm_dropout_shared", _lstm_fn, LSTM_ARGS, LSTM, 4, False, False),
    _dropout_case("lstm_dropout_per_gate", _lstm_fn, _mask_inputs(_shapes(LSTM_ARGS)), LSTM, 4,
                  True, True, return_sequences=True),
    _dropout_case("gru_dropout_per_gate", _gru_fn, GRU_ARGS, GRU, 3, True, True,
                  return_sequences=True),
    _dropout_case("gru_reset_before_dropout_per_gate", _gru_fn, GRU_V1_ARGS, GRU, 3, True, True,
                  reset_after=False, return_sequences=True),
]


# Inputs that are an embedding lookup, ``take(table, rows, axis=0)`` with fewer table rows than the
# batch reads: the fused ops then project the table's rows once and gather them (the gradients
# reach the table directly). Negative rows count from the end, as in ``take``.
LOOKUP_ROWS = np.array([[0, 2, -1, 1, 0], [2, 2, 0, -3, 1], [1, 0, 2, 2, -2]])  # (B, T)
V = 3  # table rows: 3 <= 15 reads / 4


def _lookup(fn: Any) -> Any:
    def call(table: Any, *rest: Any, **kw: Any) -> Any:
        return fn(ops.take(table, LOOKUP_ROWS, axis=0), *rest, **kw)
    return call


def _lookup_refs(refs: tuple[Any, Any]) -> tuple[Any, Any]:
    numpy_fn, torch_fn = refs
    return (lambda table, *rest, **kw: numpy_fn(table[LOOKUP_ROWS], *rest, **kw),
            lambda table, *rest, **kw: torch_fn(table[torch.as_tensor(LOOKUP_ROWS)], *rest, **kw))


def _table_args(args: list[Arg]) -> list[Arg]:
    return [Arg((V, D)), *args[1:]]


CASES += [
    _case("simple_rnn_lookup_relu", _lookup(_simple_fn), _table_args(SIMPLE_ARGS),
          _lookup_refs(SIMPLE), activation="relu", return_sequences=True),
    _case("lstm_lookup_sequences", _lookup(_lstm_fn), _table_args(LSTM_ARGS), _lookup_refs(LSTM),
          return_sequences=True),
    _case("lstm_lookup_masked_backwards", _lookup(_lstm_fn),
          _mask_inputs(_shapes(_table_args(LSTM_ARGS))), _lookup_refs(LSTM), go_backwards=True,
          return_sequences=True),
    _case("lstm_lookup_hard_sigmoid_last", _lookup(_lstm_fn), _table_args(LSTM_ARGS),
          _lookup_refs(LSTM), recurrent_activation="hard_sigmoid"),
    OpCase("lstm_lookup_no_bias", _lookup(_lstm_no_bias), _table_args(LSTM_ARGS)[:-1],
           numpy_fn=_lookup_refs(LSTM)[0], torch_fn=_lookup_refs(LSTM)[1],
           kwargs={"return_sequences": True}),
    _case("gru_lookup_backwards", _lookup(_gru_fn), _table_args(GRU_ARGS), _lookup_refs(GRU),
          return_sequences=True, go_backwards=True),
    _case("gru_reset_before_lookup_masked", _lookup(_gru_fn),
          _mask_inputs(_shapes(_table_args(GRU_V1_ARGS))), _lookup_refs(GRU), reset_after=False),
]

test_recurrent = op_tests(CASES)


# ---------------------------------------------------------------------------------- fused vs generic
def _wrapped(name: str) -> Any:
    """The same activation as a plain function, which forces the generic (composed-ops) path."""
    function = {"tanh": ops.tanh, "sigmoid": ops.sigmoid, "relu": ops.relu,
                "hard_sigmoid": ops.hard_sigmoid, "linear": lambda x: x}[name]
    return lambda x: function(x)


def _run_both(op: Any, arrays: list[np.ndarray], n_states: int, **kwargs: Any) -> None:
    results = []
    for generic in (False, True):
        tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        x, states, weights = tensors[0], tensors[1:1 + n_states], tensors[1 + n_states:]
        call = dict(kwargs)
        if generic:
            call["activation"] = _wrapped(kwargs.get("activation", "tanh"))
            if op is not ops.simple_rnn:
                call["recurrent_activation"] = _wrapped(kwargs.get("recurrent_activation", "sigmoid"))
        initial = tuple(states) if n_states == 2 else states[0]
        outputs = op(x, initial, *weights, **call)
        upstream = np.random.default_rng(3)
        loss = None
        for out in outputs:
            term = (out * Tensor(upstream.standard_normal(out.shape))).sum()
            loss = term if loss is None else loss + term
        loss.backward()
        results.append(([o.numpy() for o in outputs], [t.grad for t in tensors]))
    (fused_out, fused_grads), (generic_out, generic_grads) = results
    for a, b in zip(fused_out, generic_out):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for index, (a, b) in enumerate(zip(fused_grads, generic_grads)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"gradient of input {index}")


VARIANTS = [
    {},
    {"return_sequences": True, "go_backwards": True},
    {"mask": True, "return_sequences": True},
    {"mask": True, "go_backwards": True, "zero_output_for_mask": True, "return_sequences": True},
    {"dropout": "shared", "mask": True},
    {"dropout": "per_gate", "return_sequences": True},
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(sorted(map(str, v))) or "plain")
@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru", "gru_reset_before"])
def test_fused_equals_generic(cell: str, variant: dict[str, Any]) -> None:
    rng = np.random.default_rng(11)
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_reset_before": 3}[cell]
    n_states = 2 if cell == "lstm" else 1
    batch, steps, dim, units = 4, 6, 5, 3
    bias_shape = (2, 3 * units) if cell == "gru" else (gates * units,)
    arrays = [rng.uniform(-1, 1, (batch, steps, dim)),
              *[rng.uniform(-1, 1, (batch, units)) for _ in range(n_states)],
              rng.uniform(-0.7, 0.7, (dim, gates * units)),
              rng.uniform(-0.7, 0.7, (units, gates * units)), rng.uniform(-0.5, 0.5, bias_shape)]
    kwargs = {k: v for k, v in variant.items() if k not in ("mask", "dropout")}
    if variant.get("mask"):
        mask = rng.random((batch, steps)) < 0.6
        mask[0, :2] = False
        kwargs["mask"] = mask
    if "dropout" in variant:
        g = gates if variant["dropout"] == "per_gate" else None
        kwargs["dropout_mask"] = (rng.random(((g,) if g else ()) + (batch, dim)) < 0.7) / 0.7
        kwargs["recurrent_dropout_mask"] = (rng.random(((g,) if g else ()) + (batch, units)) < 0.7) / 0.7
    op = {"simple_rnn": ops.simple_rnn, "lstm": ops.lstm, "gru": ops.gru,
          "gru_reset_before": ops.gru}[cell]
    if cell == "gru_reset_before":
        kwargs["reset_after"] = False
    _run_both(op, arrays, n_states, **kwargs)


@pytest.mark.parametrize("activation", ["relu", "hard_sigmoid", "linear", "sigmoid"])
def test_fused_equals_generic_activations(activation: str) -> None:
    rng = np.random.default_rng(5)
    arrays = [rng.uniform(-1, 1, (3, 4, 2)), rng.uniform(-1, 1, (3, 5)), rng.uniform(-1, 1, (3, 5)),
              rng.uniform(-0.7, 0.7, (2, 20)), rng.uniform(-0.7, 0.7, (5, 20)),
              rng.uniform(-0.5, 0.5, (20,))]
    _run_both(ops.lstm, arrays, 2, activation=activation, recurrent_activation="hard_sigmoid",
              return_sequences=True)


# ---------------------------------------------------------------------------------- generic rnn
def test_rnn_generic_loop_matches_reference() -> None:
    """``ops.rnn`` with a user step function (a minimal RNN cell) equals the reference loop."""
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (3, 6, 4))
    kernel, recurrent = rng.uniform(-0.5, 0.5, (4, 5)), rng.uniform(-0.5, 0.5, (5, 5))
    mask = rng.random((3, 6)) < 0.7
    mask[1, :3] = False
    h0 = rng.uniform(-1, 1, (3, 5))
    xt, kt, rt, ht = (Tensor(a, requires_grad=True) for a in (x, kernel, recurrent, h0))

    def step(inputs: Tensor, states: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        h = ops.matmul(inputs, kt) + ops.matmul(states[0], rt)
        return h, [h]

    last, seq, (h,) = ops.rnn(step, xt, [ht], go_backwards=True, mask=mask)
    expected = reference_simple_rnn(_NumPy, x, h0, kernel, recurrent, mask=mask, activation="linear",
                                    go_backwards=True, return_sequences=True)
    np.testing.assert_allclose(seq.numpy(), expected[0], rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), expected[1], rtol=1e-12)
    np.testing.assert_allclose(last.numpy(), expected[0][:, -1], rtol=1e-12)
    (seq.sum() + h.sum()).backward()
    tensors = [torch.tensor(a, requires_grad=True) for a in (x, kernel, recurrent, h0)]
    out, h_t = reference_simple_rnn(_Torch, tensors[0], tensors[3], tensors[1], tensors[2],
                                    mask=torch.tensor(mask), activation="linear", go_backwards=True,
                                    return_sequences=True)
    (out.sum() + h_t.sum()).backward()
    for ours, theirs in zip((xt, kt, rt, ht), tensors):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_rnn_last_output_only_keeps_time_axis_of_one() -> None:
    def step(inputs: Tensor, states: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        h = states[0] + inputs
        return h, [h]

    last, outputs, (h,) = ops.rnn(step, Tensor(np.ones((2, 4, 3))), [Tensor(np.zeros((2, 3)))],
                                  return_all_outputs=False)
    assert outputs.shape == (2, 1, 3)
    np.testing.assert_array_equal(last.numpy(), np.full((2, 3), 4.0))
    np.testing.assert_array_equal(h.numpy(), last.numpy())


# ---------------------------------------------------------------------------------- details
def test_float32_stays_float32_and_initial_state_none_means_zeros() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    k = rng.uniform(-1, 1, (4, 8)).astype(np.float32)
    rk = rng.uniform(-1, 1, (2, 8)).astype(np.float32)
    b = np.zeros(8, np.float32)
    out, h, c = ops.lstm(x, None, k, rk, b, return_sequences=True)
    assert out.dtype == np.float32 and h.dtype == np.float32 and c.dtype == np.float32
    zeros = np.zeros((2, 2), np.float32)
    expected = ops.lstm(x, (zeros, zeros), k, rk, b, return_sequences=True)
    np.testing.assert_array_equal(out.numpy(), expected[0].numpy())
    np.testing.assert_array_equal(out.numpy()[:, -1], h.numpy())


def test_fully_masked_row_keeps_initial_state_and_outputs_zeros() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (2, 4, 3))
    h0 = rng.uniform(-1, 1, (2, 5))
    mask = np.array([[True] * 4, [False] * 4])
    out, h = ops.gru(x, h0, rng.uniform(-1, 1, (3, 15)), rng.uniform(-1, 1, (5, 15)),
                     rng.uniform(-1, 1, (2, 15)), mask=mask, return_sequences=True)
    np.testing.assert_array_equal(h.numpy()[1], h0[1])
    np.testing.assert_array_equal(out.numpy()[1], np.zeros((4, 5)))


def test_gradients_reach_initial_states_through_masked_prefix() -> None:
    rng = np.random.default_rng(4)
    x = Tensor(rng.uniform(-1, 1, (1, 4, 2)))
    h0 = Tensor(rng.uniform(-1, 1, (1, 3)), requires_grad=True)
    c0 = Tensor(rng.uniform(-1, 1, (1, 3)), requires_grad=True)
    mask = np.array([[False, False, True, False]])
    _, h, c = ops.lstm(x, (h0, c0), rng.uniform(-1, 1, (2, 12)), rng.uniform(-1, 1, (3, 12)),
                       mask=mask)
    (h.sum() + c.sum()).backward()
    assert np.all(h0.grad != 0) and np.all(c0.grad != 0)


@settings(max_examples=8, deadline=None)
@given(batch=st.integers(1, 3), steps=st.integers(1, 4), dim=st.integers(1, 3), units=st.integers(1, 3),
       go_backwards=st.booleans(), return_sequences=st.booleans())
def test_lstm_shapes_hypothesis(batch: int, steps: int, dim: int, units: int, go_backwards: bool,
                                return_sequences: bool) -> None:
    def make(rng: np.random.Generator) -> list[Any]:
        mask = rng.random((batch, steps)) < 0.7
        return [rng.uniform(-1, 1, (batch, steps, dim)), rng.uniform(-1, 1, (batch, units)),
                rng.uniform(-1, 1, (batch, units)), rng.uniform(-0.6, 0.6, (dim, 4 * units)),
                rng.uniform(-0.6, 0.6, (units, 4 * units)), rng.uniform(-0.6, 0.6, (4 * units,)), mask]

    name = f"lstm_h_{batch}_{steps}_{dim}_{units}_{go_backwards}_{return_sequences}"
    run_all_checks(OpCase(name, _lstm_fn, [], numpy_fn=LSTM_NP, torch_fn=LSTM_TORCH,
                          kwargs={"go_backwards": go_backwards, "return_sequences": return_sequences},
                          make_inputs=make))


# ---------------------------------------------------------------------------------- errors
def test_errors_name_the_op_and_shapes() -> None:
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"lstm: kernel must have shape .*\(4, 20\), got \(4, 16\)"):
        ops.lstm(x, None, np.zeros((4, 16)), np.zeros((5, 20)))
    with pytest.raises(ValueError, match=r"lstm: recurrent_kernel must have shape \(units, 4 \* units\), got \(5, 15\)"):
        ops.lstm(x, None, np.zeros((4, 20)), np.zeros((5, 15)))
    with pytest.raises(ValueError, match=r"gru: bias must have shape \(2, 9\), got \(9,\)"):
        ops.gru(x, None, np.zeros((4, 9)), np.zeros((3, 9)), np.zeros(9))
    with pytest.raises(ValueError, match=r"gru: mask must have shape \(batch, time\) = \(2, 3\), got \(2, 4\)"):
        ops.gru(x, None, np.zeros((4, 9)), np.zeros((3, 9)), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"lstm: initial_state must be 2 tensor\(s\) of shape \(batch, units\) = \(2, 5\), got shapes \[\(2, 5\)\]"):
        ops.lstm(x, np.zeros((2, 5)), np.zeros((4, 20)), np.zeros((5, 20)))
    with pytest.raises(ValueError, match=r"simple_rnn: expected inputs of shape \(batch, time, features\), got shape \(3, 4\)"):
        ops.simple_rnn(np.zeros((3, 4)), None, np.zeros((4, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"simple_rnn: the inputs have no time steps"):
        ops.simple_rnn(np.zeros((3, 0, 4)), None, np.zeros((4, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"lstm: recurrent_dropout_mask must have shape \(batch, 5\) = \(2, 5\) or one mask per gate \(4, 2, 5\), got \(3, 2, 5\)"):
        ops.lstm(x, None, np.zeros((4, 20)), np.zeros((5, 20)), recurrent_dropout_mask=np.ones((3, 2, 5)))


# ---------------------------------------------------------------------------------- graph reuse
@pytest.mark.parametrize("op", ["simple_rnn", "lstm", "gru"])
def test_retained_graph_walked_twice_doubles_the_gradients(op: str) -> None:
    """The LSTM/SimpleRNN backward writes gradients over its gate buffer; walking a retained
    graph a second time recomputes the forward first, so both walks agree."""
    rng = np.random.default_rng(8)
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[op]
    x = Tensor(rng.uniform(-1, 1, (2, 5, 3)), requires_grad=True)
    kernel = Tensor(rng.uniform(-0.5, 0.5, (3, gates * 4)), requires_grad=True)
    recurrent = Tensor(rng.uniform(-0.5, 0.5, (4, gates * 4)), requires_grad=True)
    outputs = getattr(ops, op)(x, None, kernel, recurrent, return_sequences=True)
    loss = (outputs[0] * Tensor(rng.standard_normal(outputs[0].shape))).sum()
    loss.backward(retain_graph=True)
    first = [t.grad.copy() for t in (x, kernel, recurrent)]
    loss.backward()
    for tensor, once in zip((x, kernel, recurrent), first):
        np.testing.assert_allclose(tensor.grad, 2 * once, rtol=1e-12)


def test_outputs_never_share_recycled_buffers() -> None:
    """Results stay intact when later calls reuse the op's pooled work buffers (also for a
    single step and batch, where a transposed copy could be a no-op)."""
    rng = np.random.default_rng(9)
    for shape in ((1, 1, 1), (2, 3, 4)):
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        kernel = rng.uniform(-1, 1, (shape[2], 8)).astype(np.float32)
        recurrent = rng.uniform(-1, 1, (2, 8)).astype(np.float32)
        with no_grad():
            first = ops.lstm(x, None, kernel, recurrent, return_sequences=True)
            kept = [t.numpy().copy() for t in first]
            for _ in range(3):
                ops.lstm(x * 2, None, kernel, recurrent, return_sequences=True)
        for tensor, copy in zip(first, kept):
            np.testing.assert_array_equal(tensor.numpy(), copy)
        tracked = ops.lstm(Tensor(x, requires_grad=True), None, kernel, recurrent, return_sequences=True)
        np.testing.assert_allclose(tracked[0].numpy(), kept[0], rtol=1e-6)


# ---------------------------------------------------------------------------------- lookup path
@pytest.mark.parametrize("op", ["simple_rnn", "lstm", "gru"])
def test_lookup_path_projects_the_table_and_equals_the_rows_path(op: str) -> None:
    """On an embedding lookup the fused op takes the table itself as its input (its gradient
    goes straight to the table) and gives what it gives on the gathered rows as a plain
    tensor, in float32 as in training; too large a table, or an input dropout mask, keeps
    the rows path."""
    rng = np.random.default_rng(21)
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[op]
    function = getattr(ops, op)
    rows, units, dim = rng.integers(0, 9, (6, 12)), 5, 4
    table0 = rng.standard_normal((9, dim)).astype(np.float32)
    weights0 = [rng.standard_normal(s).astype(np.float32) * 0.5
                for s in ((dim, gates * units), (units, gates * units), (gates * units,))]
    upstream = rng.standard_normal((6, 12, units)).astype(np.float32)
    options = {"reset_after": False} if op == "gru" else {}
    results = []
    for lookup in (True, False):
        table = Tensor(table0.copy(), requires_grad=True)
        weights = [Tensor(w.copy(), requires_grad=True) for w in weights0]
        x = ops.take(table, rows, axis=0)
        if not lookup:
            x = x + 0.0  # the same values, no longer a lookup's output
        outputs = function(x, None, *weights, return_sequences=True, **options)
        assert (outputs[0].creator.inputs[0] is table) == lookup
        (outputs[0] * Tensor(upstream)).sum().backward()
        results.append([outputs[0].numpy(), outputs[1].numpy(), table.grad,
                        *[w.grad for w in weights]])
    for index, (a, b) in enumerate(zip(*results)):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5, err_msg=f"result {index}")

    big = Tensor(rng.standard_normal((40, dim)).astype(np.float32), requires_grad=True)
    out = function(ops.take(big, rows, axis=0), None, *weights0, **options)  # 40 > 72 / 4
    assert out[0].creator.inputs[0] is not big
    dropped = function(ops.take(table, rows, axis=0), None, *weights0,
                       dropout_mask=np.ones((6, dim), np.float32), **options)
    assert dropped[0].creator.inputs[0] is not table


def test_lookup_path_rejects_an_input_dropout_mask() -> None:
    from scratchdl.ops._recurrent_cells import LSTMSequence

    with pytest.raises(ValueError, match="LSTMSequence: a lookup's rows"):
        LSTMSequence("tanh", "sigmoid", True, None, False, True, False,
                     np.ones((2, 3)), None, lookup=np.zeros((2, 4), dtype=int))
