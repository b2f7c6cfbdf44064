"""Run scratchdl's ops on CuPy arrays and compare them with the same ops on NumPy arrays.

Usage (on a machine with an NVIDIA GPU and CuPy): ``python scripts/gpu_check.py``. For every op
below, the forward output and the gradient of every input, computed on the GPU, must equal the
NumPy results to float64 rounding. Prints one line per op and exits 1 if any op fails. CI has
no GPU and does not run this; it is the device check of the CuPy paths.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl import ops
from scratchdl.backend import get_array_module

try:
    import cupy as cp
except ImportError:  # pragma: no cover - depends on the machine
    sys.exit("gpu_check: CuPy is not installed")

rng = np.random.default_rng(0)


def normal(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def run(fn: Callable[..., Any], arrays: list[np.ndarray], to: Callable[[Any], Any]) -> list[np.ndarray]:
    """Forward and backward of ``fn`` on ``arrays`` moved with ``to``; results as NumPy arrays."""
    tensors = [sd.Tensor(to(a), requires_grad=True) for a in arrays]
    out = fn(*tensors)
    outputs = out if isinstance(out, (tuple, list)) else (out,)
    total = None
    for index, o in enumerate(outputs):
        weights = to(np.cos(np.arange(o.size, dtype=np.float64) + index).reshape(o.shape))
        term = (o * sd.Tensor(weights.astype(o.dtype))).sum()
        total = term if total is None else total + term
    total.backward()
    host = [cp.asnumpy(o.data) if isinstance(o.data, cp.ndarray) else o.data for o in outputs]
    for t in tensors:
        grad = t.grad
        host.append(None if grad is None else (cp.asnumpy(grad) if isinstance(grad, cp.ndarray) else grad))
    return host


# Keras-style dropout masks (kept units scaled by 1 / keep), one per LSTM gate.
LSTM_INPUT_MASKS = (rng.random((4, 3, 4)) < 0.7) / 0.7
LSTM_RECURRENT_MASKS = (rng.random((4, 3, 8)) < 0.7) / 0.7

LOOKUP_ROWS = np.array([[0, 2, -1, 1, 0], [2, 2, 0, -3, 1], [1, 0, 2, 2, -2]])

CASES: dict[str, tuple[Callable[..., Any], list[np.ndarray]]] = {
    "matmul": (ops.matmul, [normal(4, 5), normal(5, 3)]),
    "add broadcast": (ops.add, [normal(4, 5), normal(5)]),
    "relu/tanh/sigmoid": (lambda x: ops.relu(x) + ops.tanh(x) + ops.sigmoid(x), [normal(6, 7)]),
    "softmax": (lambda x: ops.softmax(x, axis=-1), [normal(4, 9)]),
    "softmax_cross_entropy": (  # integer targets live on the logits' device too
        lambda x: ops.softmax_cross_entropy(x, get_array_module(x.data).asarray([1, 0, 3, 2])),
        [normal(4, 5)]),
    "sum/mean/max": (lambda x: ops.sum(x, axis=0) + ops.mean(x, axis=0) + ops.max(x, axis=0),
                     [normal(5, 6)]),
    "linear + relu (Dense)": (lambda x, k, b: ops.linear(x, k, b, activation="relu"),
                              [normal(2, 5, 4), normal(4, 6), normal(6)]),
    "einsum": (lambda a, b: ops.einsum("bij,bjk->bik", a, b), [normal(2, 3, 4), normal(2, 4, 5)]),
    "conv2d same (3 channels)": (lambda x, k: ops.conv2d(x, k, padding="same"),
                                 [normal(2, 9, 8, 3), normal(4, 4, 3, 5)]),
    "conv2d strided dilated": (lambda x, k: ops.conv2d(x, k, strides=2, dilation_rate=1, padding="valid"),
                               [normal(2, 9, 9, 8), normal(3, 3, 8, 6)]),
    "conv2d groups": (lambda x, k: ops.conv2d(x, k, groups=2, padding="same"),
                      [normal(2, 6, 6, 8), normal(3, 3, 4, 6)]),
    "depthwise_conv2d": (lambda x, k: ops.depthwise_conv2d(x, k, padding="same"),
                         [normal(2, 7, 7, 4), normal(3, 3, 4, 2)]),
    "conv2d_transpose": (lambda x, k: ops.conv2d_transpose(x, k, strides=2, padding="same"),
                         [normal(2, 4, 4, 3), normal(3, 3, 5, 3)]),
    "max_pool2d same": (lambda x: ops.max_pool2d(x, 3, 2, padding="same"), [normal(2, 7, 7, 3)]),
    "max_pool2d disjoint": (lambda x: ops.max_pool2d(x, 2), [normal(2, 8, 8, 3)]),
    "avg_pool2d": (lambda x: ops.avg_pool2d(x, 3, 2, padding="same"), [normal(2, 7, 7, 3)]),
    "upsampling2d bilinear": (lambda x: ops.upsampling2d(x, 2, interpolation="bilinear"),
                              [normal(2, 3, 4, 2)]),
    "layer_normalization": (lambda x, g, b: ops.layer_normalization(x, g, b), [normal(3, 4, 6), normal(6), normal(6)]),
    "batch_normalization": (lambda x, m, v: ops.batch_normalization(x, m, ops.abs(v) + 1.0, axis=-1),
                            [normal(5, 4), normal(4), normal(4)]),
    "lstm": (lambda x, h, c, k, rk, b: ops.lstm(x, (h, c), k, rk, b, return_sequences=True),
             [normal(3, 5, 4), normal(3, 8), normal(3, 8), normal(4, 32), normal(8, 32), normal(32)]),
    "lstm per-gate dropout masks": (  # the masks live on the inputs' device
        lambda x, h, c, k, rk, b: ops.lstm(
            x, (h, c), k, rk, b, return_sequences=True,
            dropout_mask=get_array_module(x.data).asarray(LSTM_INPUT_MASKS),
            recurrent_dropout_mask=get_array_module(x.data).asarray(LSTM_RECURRENT_MASKS)),
        [normal(3, 5, 4), normal(3, 8), normal(3, 8), normal(4, 32), normal(8, 32), normal(32)]),
    "lstm hard_sigmoid gates": (
        lambda x, h, c, k, rk, b: ops.lstm(x, (h, c), k, rk, b, recurrent_activation="hard_sigmoid",
                                           return_sequences=True),
        [normal(3, 5, 4), normal(3, 8), normal(3, 8), normal(4, 32), normal(8, 32), normal(32)]),
    "gru": (lambda x, h, k, rk, b: ops.gru(x, h, k, rk, b, return_sequences=True),
            [normal(3, 5, 4), normal(3, 8), normal(4, 24), normal(8, 24), normal(2, 24)]),
    "simple_rnn": (lambda x, h, k, rk, b: ops.simple_rnn(x, h, k, rk, b, return_sequences=True),
                   [normal(3, 5, 4), normal(3, 8), normal(4, 8), normal(8, 8), normal(8)]),
    "scaled_dot_product_attention causal": (
        lambda q, k, v: ops.scaled_dot_product_attention(q, k, v, is_causal=True),
        [normal(2, 5, 3, 4), normal(2, 5, 3, 4), normal(2, 5, 3, 4)]),
    "take (embedding)": (lambda w: ops.take(w, np.array([[0, 2], [3, 3]]), axis=0), [normal(5, 3)]),
    # 3 table rows read 15 times: the fused ops project the table once and gather (lookup path)
    "lstm on an embedding lookup": (
        lambda w, h, c, k, rk, b: ops.lstm(ops.take(w, LOOKUP_ROWS, axis=0), (h, c), k, rk, b,
                                           return_sequences=True, go_backwards=True),
        [normal(3, 4), normal(3, 8), normal(3, 8), normal(4, 32), normal(8, 32), normal(32)]),
    "gru on an embedding lookup": (
        lambda w, h, k, rk, b: ops.gru(ops.take(w, LOOKUP_ROWS, axis=0), h, k, rk, b,
                                       return_sequences=True),
        [normal(3, 4), normal(3, 8), normal(4, 24), normal(8, 24), normal(2, 24)]),
}


def main() -> int:
    print(f"CuPy {cp.__version__}, device {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
    failures = 0
    for name, (fn, arrays) in CASES.items():
        try:
            start = time.perf_counter()
            expected = run(fn, arrays, lambda a: a)
            got = run(fn, arrays, cp.asarray)
            worst = 0.0
            for e, g in zip(expected, got):
                assert (e is None) == (g is None), "a gradient is missing on one side"
                if e is not None:
                    np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-9)
                    worst = max(worst, float(np.max(np.abs(g - e), initial=0.0)))
            print(f"ok    {name:38s} max |gpu - cpu| {worst:.1e}  ({time.perf_counter() - start:.2f} s)")
        except Exception:  # report every op, then fail
            failures += 1
            print(f"FAIL  {name}")
            traceback.print_exc(limit=4, file=sys.stdout)
    print(f"{len(CASES) - failures} of {len(CASES)} ops agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
