"""Convolution and pooling benchmarks (issue 4): scratchdl's ops against torch.nn.functional.

Every workload is forward + backward in float32, channels-last for scratchdl and NCHW for PyTorch
(each framework in its native layout, the same numbers). The last workload compares conv2d with
the naive convolution textbooks write (four nested Python loops) and reports the speed-up.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from benchmarks.timing import Result, compare_pair, format_seconds, measure


def _conv_workload(
    title: str, x_shape: tuple[int, int, int, int], kernel_shape: tuple[int, int, int, int],
    strides: int, padding: str, input_grad: bool, quick: bool,
) -> Result:
    import torch
    import torch.nn.functional as F

    import scratchdl as sd
    from scratchdl import ops

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(x_shape).astype(np.float32)
    k_np = (rng.standard_normal(kernel_shape) * 0.1).astype(np.float32)
    kh, kw = kernel_shape[:2]

    x_sd = sd.Tensor(x_np, requires_grad=input_grad)
    k_sd = sd.Parameter(k_np)
    probe = ops.conv2d(x_sd, k_sd, strides=strides, padding=padding)
    upstream_np = rng.standard_normal(probe.shape).astype(np.float32)
    upstream_sd = sd.Tensor(upstream_np)

    def run_scratchdl() -> None:
        y = ops.conv2d(x_sd, k_sd, strides=strides, padding=padding)
        (y * upstream_sd).sum().backward()
        k_sd.grad = x_sd.grad = None

    # TensorFlow's 'same' padding (the odd pixel at the bottom/right), as Keras's torch backend.
    pads = []
    for size, k in zip((x_shape[2], x_shape[1]), (kw, kh)):
        out = -(-size // strides)
        total = max((out - 1) * strides + k - size, 0) if padding == "same" else 0
        pads += [total // 2, total - total // 2]
    x_t = torch.from_numpy(x_np).permute(0, 3, 1, 2).contiguous().requires_grad_(input_grad)
    k_t = torch.from_numpy(k_np).permute(3, 2, 0, 1).contiguous().requires_grad_()
    upstream_t = torch.from_numpy(upstream_np).permute(0, 3, 1, 2).contiguous()

    def run_torch() -> None:
        inputs = F.pad(x_t, pads) if any(pads) else x_t
        y = F.conv2d(inputs, k_t, stride=strides)
        (y * upstream_t).sum().backward()
        k_t.grad = x_t.grad = None

    repeats = 3 if quick else 10
    name = (f"conv2d {title}: {'x'.join(map(str, x_shape))} * {kh}x{kw}x{kernel_shape[2]}->"
            f"{kernel_shape[3]} s{strides} {padding}, fwd+bwd")
    return Result(name, *compare_pair(run_scratchdl, run_torch, repeats), target=2.0,
                  note="" if input_grad else "kernel gradient only (the input is data)")


def conv_first_layer(quick: bool) -> Result:
    """A first layer: 64x64 RGB images, batch 32, 8 filters 4x4 'same' (no input gradient)."""
    return _conv_workload("first layer", (32, 64, 64, 3), (4, 4, 3, 8), 1, "same", False, quick)


def conv_middle_layer(quick: bool) -> Result:
    """A middle layer: 32x32x64 -> 64 channels, 3x3 'same', batch 32."""
    return _conv_workload("middle layer", (32, 32, 32, 64), (3, 3, 64, 64), 1, "same", True, quick)


def conv_strided_layer(quick: bool) -> Result:
    """A downsampling layer: 32x32x64 -> 128 channels, 3x3 stride 2 'same', batch 32."""
    return _conv_workload("strided layer", (32, 32, 32, 64), (3, 3, 64, 128), 2, "same", True,
                          quick)


def depthwise_layer(quick: bool) -> Result:
    """A depthwise 3x3 'same' layer on 32x32x64, batch 32 (MobileNet's building block)."""
    import torch
    import torch.nn.functional as F

    import scratchdl as sd
    from scratchdl import ops

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((32, 32, 32, 64)).astype(np.float32)
    k_np = (rng.standard_normal((3, 3, 64, 1)) * 0.1).astype(np.float32)
    upstream_np = rng.standard_normal((32, 32, 32, 64)).astype(np.float32)
    x_sd, k_sd = sd.Tensor(x_np, requires_grad=True), sd.Parameter(k_np)
    upstream_sd = sd.Tensor(upstream_np)

    def run_scratchdl() -> None:
        (ops.depthwise_conv2d(x_sd, k_sd, padding="same") * upstream_sd).sum().backward()
        x_sd.grad = k_sd.grad = None

    x_t = torch.from_numpy(x_np).permute(0, 3, 1, 2).contiguous().requires_grad_()
    k_t = torch.from_numpy(k_np).permute(2, 3, 0, 1).contiguous().requires_grad_()  # (C, 1, 3, 3)
    upstream_t = torch.from_numpy(upstream_np).permute(0, 3, 1, 2).contiguous()

    def run_torch() -> None:
        (F.conv2d(x_t, k_t, padding=1, groups=64) * upstream_t).sum().backward()
        x_t.grad = k_t.grad = None

    repeats = 3 if quick else 10
    return Result("depthwise_conv2d 3x3: 32x32x32x64 same, fwd+bwd",
                  *compare_pair(run_scratchdl, run_torch, repeats), target=2.0)


def max_pool(quick: bool) -> Result:
    """2x2 max pooling (stride 2) of 32x64x64x16, forward + backward."""
    import torch
    import torch.nn.functional as F

    import scratchdl as sd
    from scratchdl import ops

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((32, 64, 64, 16)).astype(np.float32)
    upstream_np = rng.standard_normal((32, 32, 32, 16)).astype(np.float32)
    x_sd, upstream_sd = sd.Tensor(x_np, requires_grad=True), sd.Tensor(upstream_np)

    def run_scratchdl() -> None:
        (ops.max_pool2d(x_sd, 2) * upstream_sd).sum().backward()
        x_sd.grad = None

    x_t = torch.from_numpy(x_np).permute(0, 3, 1, 2).contiguous().requires_grad_()
    upstream_t = torch.from_numpy(upstream_np).permute(0, 3, 1, 2).contiguous()

    def run_torch() -> None:
        (F.max_pool2d(x_t, 2) * upstream_t).sum().backward()
        x_t.grad = None

    repeats = 5 if quick else 20
    return Result("max_pool2d 2x2: 32x64x64x16, fwd+bwd",
                  *compare_pair(run_scratchdl, run_torch, repeats), target=2.0)


def naive_conv2d(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The textbook convolution ('valid', stride 1): one Python loop per output index."""
    n, h, w, _ = x.shape
    kh, kw, _, filters = kernel.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, filters), dtype=x.dtype)
    for b in range(n):
        for i in range(h - kh + 1):
            for j in range(w - kw + 1):
                for f in range(filters):
                    out[b, i, j, f] = np.sum(x[b, i:i + kh, j:j + kw, :] * kernel[:, :, :, f])
    return out


def conv_vs_naive(quick: bool) -> Result:
    """conv2d forward against the naive 4-loop convolution on 4x16x16x8 * 3x3x8->16."""
    import torch
    import torch.nn.functional as F

    from scratchdl import ops

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((4, 16, 16, 8)).astype(np.float32)
    k_np = rng.standard_normal((3, 3, 8, 16)).astype(np.float32)
    naive_out = naive_conv2d(x_np, k_np)
    np.testing.assert_allclose(ops.conv2d(x_np, k_np).numpy(), naive_out, rtol=1e-4, atol=1e-4)

    x_t = torch.from_numpy(x_np).permute(0, 3, 1, 2).contiguous()
    k_t = torch.from_numpy(k_np).permute(3, 2, 0, 1).contiguous()

    def run_torch() -> None:
        with torch.no_grad():
            F.conv2d(x_t, k_t)

    run: Callable[[], object] = lambda: ops.conv2d(x_np, k_np)
    repeats = 5 if quick else 20
    ours, theirs = compare_pair(run, run_torch, repeats)
    naive = measure(lambda: naive_conv2d(x_np, k_np), 1 if quick else 3, warmup=0)
    return Result(
        "conv2d fwd vs naive 4-loop: 4x16x16x8 * 3x3x8->16", ours, theirs,
        note=f"naive loops {format_seconds(naive)}: conv2d is {naive / ours:,.0f}x faster",
        extra={"naive_s": naive, "speedup_vs_naive": naive / ours}, min_speedup=200.0,
    )


WORKLOADS = [
    conv_first_layer, conv_middle_layer, conv_strided_layer, depthwise_layer, max_pool,
    conv_vs_naive,
]
