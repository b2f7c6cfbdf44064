"""Transposed convolution ops: conv1d_transpose and conv2d_transpose (Keras's Conv*DTranspose).

A transposed convolution is the input gradient of a convolution used as a forward op: every input
pixel scatters ``x[n, i, j] @ kernel[a, b].T`` onto output pixel
``(i * sh + a * dh, j * sw + b * dw)`` of a "full" output of height
``(H - 1) * sh + (kh - 1) * dh + 1``, which is then cropped (or extended with zeros) to Keras's
output size. Kernels use Keras's ``Conv2DTranspose`` layout
``(kh, kw, C_out, C_in)``.

So its forward is ``col2im(x @ kernel.T)`` (one product per kernel offset) and its backward is an
ordinary convolution: the input gradient is ``im2col(grad) @ kernel`` and the kernel gradient
``im2col(grad).T @ x``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._windows import (
    Layout,
    as_operand,
    check_kernel_rank,
    col2im_products,
    im2col,
    input_layout,
    int_tuple,
    shape_text,
)

__all__ = ["conv1d_transpose", "conv2d_transpose", "conv_transpose_output_size"]


def _keras_transpose_padding(
    kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None,
) -> tuple[int, int]:
    """Keras's (left, right) padding of the stride-dilated input for one spatial axis.

    Mirrors ``keras.src.backend.common.backend_utils._convert_conv_transpose_padding_args_from_
    keras_to_jax``: the output has ``(n - 1) * s + 1 + left + right - (k_eff - 1)`` pixels.
    """
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return span - 1, span - 1 + extra
    if output_padding is None:
        total = stride + span - 2
    else:
        total = span + span % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, span - 1)
    return left, total - left


def conv_transpose_output_size(
    size: int | None, kernel: int, stride: int, padding: str = "valid",
    output_padding: int | None = None, dilation: int = 1,
) -> int | None:
    """Output length of a transposed convolution along one axis, as Keras computes it.

    ``k_eff = (kernel - 1) * dilation + 1``. Without ``output_padding``: ``'valid'`` gives
    ``(size - 1) * stride + max(k_eff, stride)`` and ``'same'`` gives ``size * stride``. With it:
    ``'valid'`` gives ``(size - 1) * stride + k_eff + output_padding`` and ``'same'`` gives
    ``(size - 1) * stride + k_eff % 2 + output_padding``. ``None`` (unknown) gives ``None``.

    >>> conv_transpose_output_size(5, 3, 2, "same")
    10
    """
    if size is None:
        return None
    padding = padding.lower()
    left, right = _keras_transpose_padding(kernel, stride, dilation, padding, output_padding)
    return (size - 1) * stride + 1 + left + right - (kernel - 1) * dilation


@dataclass(frozen=True)
class TransposeGeometry:
    """Sizes of a transposed convolution in the internal 2-D layout."""

    layout: Layout
    kernel: tuple[int, int]
    strides: tuple[int, int]
    dilation: tuple[int, int]
    in_size: tuple[int, int]
    out: tuple[int, int]
    crop: tuple[int, int]
    buffer: tuple[int, int]
    kernel_shape: tuple[int, ...]


def _transpose_geometry(
    op: str, x_shape: tuple[int, ...], kernel_shape: tuple[int, ...], spatial_dims: int,
    strides: Any, padding: Any, output_padding: Any, dilation_rate: Any, data_format: str,
) -> TransposeGeometry:
    layout = input_layout(op, x_shape, spatial_dims, data_format)
    channels_first = layout.channels_first
    check_kernel_rank(op, kernel_shape, spatial_dims, "kernel", "filters, input_channels")
    channels = x_shape[1] if channels_first else x_shape[-1]
    if channels != kernel_shape[-1]:
        raise ValueError(
            f"{op}: input has {channels} channels but the kernel expects {kernel_shape[-1]} "
            f"(kernel shape {shape_text(kernel_shape)} is (..., filters, input_channels), input "
            f"shape {shape_text(x_shape)})"
        )
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', got {padding!r}")
    padding = padding.lower()
    strides_t = int_tuple(strides, spatial_dims, "strides", op)
    dilation_t = int_tuple(dilation_rate, spatial_dims, "dilation_rate", op)
    extras: tuple[int | None, ...] = (
        (None,) * spatial_dims if output_padding is None
        else int_tuple(output_padding, spatial_dims, "output_padding", op, minimum=0)
    )
    spatial = tuple(x_shape[2:] if channels_first else x_shape[1:-1])
    size = tuple(kernel_shape[:spatial_dims])
    out, crop, buffer = [], [], []
    for n, k, s, d, extra in zip(spatial, size, strides_t, dilation_t, extras):
        left, _ = _keras_transpose_padding(k, s, d, padding, extra)
        length = conv_transpose_output_size(n, k, s, padding, extra, d)
        full = (n - 1) * s + (k - 1) * d + 1
        # The output starts `k_eff - 1 - left` pixels into the full output; it may run past the
        # full output's end (then those pixels are zeros), hence a buffer that holds both.
        start = (k - 1) * d - left
        out.append(length)
        crop.append(start)
        buffer.append(max(full, start + length))
    if spatial_dims == 1:
        return TransposeGeometry(
            layout, (1, size[0]), (1, strides_t[0]), (1, dilation_t[0]), (1, spatial[0]),
            (1, out[0]), (0, crop[0]), (1, buffer[0]), tuple(kernel_shape),
        )
    return TransposeGeometry(
        layout, size, strides_t, dilation_t, spatial,  # type: ignore[arg-type]
        tuple(out), tuple(crop), tuple(buffer), tuple(kernel_shape),  # type: ignore[arg-type]
    )


class ConvolutionTranspose(Function):
    """Transposed 2-D convolution (1-D as height 1): col2im(x @ kernel.T), then crop."""

    def __init__(self, geometry: TransposeGeometry) -> None:
        self.geometry = geometry

    def forward(self, x: Any, kernel: Any) -> Any:
        g = self.geometry
        x = g.layout.inward(x)
        n, h, w, c_in = x.shape
        filters = kernel.shape[-2]
        rows = x.reshape(n * h * w, c_in)
        weights = kernel.reshape(-1, c_in)  # (kh * kw * C_out, C_in)
        # Offset (a, b) sends x[n, i, j] @ kernel[a, b].T to full pixel (i*sh + a*dh, j*sw + b*dw).
        per_offset = kernel.reshape(-1, 1, filters, c_in).transpose(0, 1, 3, 2)
        full = col2im_products(rows[None], per_offset, (n, *g.buffer, filters), g.kernel,
                               g.strides, g.dilation, g.in_size)
        (top, left), (oh, ow) = g.crop, g.out
        self.save_for_backward(rows, weights)
        return g.layout.outward(full[:, top:top + oh, left:left + ow])

    def backward(self, grad: Any) -> tuple[Any, Any]:
        g = self.geometry
        rows, weights = self.saved
        grad = g.layout.inward(grad)
        (top, left), (oh, ow) = g.crop, g.out
        if g.buffer == g.out and g.crop == (0, 0):
            full = grad
        else:
            full = get_array_module(grad).zeros((grad.shape[0], *g.buffer, grad.shape[-1]),
                                                dtype=grad.dtype)
            full[:, top:top + oh, left:left + ow] = grad
        # The adjoint of col2im is im2col: the gradient of every window the forward wrote.
        cols = im2col(full, g.kernel, g.strides, g.dilation, g.in_size)[0]
        grad_x = grad_kernel = None
        if self.needs_input_grad[0]:
            n, (h, w) = grad.shape[0], g.in_size
            grad_x = g.layout.outward((cols @ weights).reshape(n, h, w, rows.shape[1]))
        if self.needs_input_grad[1]:
            grad_kernel = (cols.T @ rows).reshape(g.kernel_shape)
        return grad_x, grad_kernel


def _transpose(
    op: str, spatial_dims: int, x: Any, kernel: Any, strides: Any, padding: Any,
    output_padding: Any, dilation_rate: Any, data_format: str,
) -> Tensor:
    x, kernel = as_operand(x), as_operand(kernel)
    geometry = _transpose_geometry(op, tuple(x.shape), tuple(kernel.shape), spatial_dims,
                                   strides, padding, output_padding, dilation_rate, data_format)
    return ConvolutionTranspose(geometry)(x, kernel)


def conv1d_transpose(
    x: Any, kernel: Any, strides: int | tuple[int] = 1, padding: str = "valid",
    output_padding: int | tuple[int] | None = None, dilation_rate: int | tuple[int] = 1,
    data_format: str = "channels_last",
) -> Tensor:
    """1-D transposed convolution ("deconvolution") in Keras's ``Conv1DTranspose`` layout.

    ``x`` is ``(N, W, C_in)`` and ``kernel`` is ``(kw, C_out, C_in)``. Every input step scatters
    onto the full output: ``full[n, j * s + b * d, o] += sum_c x[n, j, c] * kernel[b, o, c]``;
    the result is ``full`` cropped to the width ``conv_transpose_output_size`` gives (``W * s``
    for ``'same'`` without ``output_padding``, ``(W - 1) * s + max(k_eff, s)`` for ``'valid'``).

    >>> import numpy as np
    >>> x = Tensor(np.ones((1, 4, 3), dtype=np.float32))
    >>> conv1d_transpose(x, Tensor(np.ones((3, 2, 3), dtype=np.float32)), strides=2).shape
    (1, 9, 2)
    """
    return _transpose("conv1d_transpose", 1, x, kernel, strides, padding, output_padding,
                      dilation_rate, data_format)


def conv2d_transpose(
    x: Any, kernel: Any, strides: int | tuple[int, int] = 1, padding: str = "valid",
    output_padding: int | tuple[int, int] | None = None,
    dilation_rate: int | tuple[int, int] = 1, data_format: str = "channels_last",
) -> Tensor:
    """2-D transposed convolution in Keras's ``Conv2DTranspose`` layout, without bias.

    ``x`` is ``(N, H, W, C_in)`` and ``kernel`` is ``(kh, kw, C_out, C_in)``; it is the gradient
    of ``conv2d`` with respect to its input (for the same kernel, strides and dilation)::

        full[n, i * sh + a * dh, j * sw + b * dw, o] += sum_c x[n, i, j, c] * kernel[a, b, o, c]

    cropped to Keras's output size per axis (``conv_transpose_output_size``): ``H * sh`` for
    ``'same'``, ``(H - 1) * sh + max(k_eff, sh)`` for ``'valid'``, and with ``output_padding``
    ``(H - 1) * sh + k_eff + p`` ('valid') or ``(H - 1) * sh + k_eff % 2 + p`` ('same'), where
    ``k_eff = (kh - 1) * dh + 1``.

    >>> import numpy as np
    >>> x = Tensor(np.ones((1, 3, 3, 4), dtype=np.float32))
    >>> conv2d_transpose(x, Tensor(np.ones((3, 3, 8, 4), dtype=np.float32)), 2, "same").shape
    (1, 6, 6, 8)
    """
    return _transpose("conv2d_transpose", 2, x, kernel, strides, padding, output_padding,
                      dilation_rate, data_format)
