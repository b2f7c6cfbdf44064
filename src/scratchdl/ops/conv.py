"""Convolution ops: conv1d, conv2d, depthwise_conv1d, depthwise_conv2d.

Data is channels-last, ``(N, W, C)`` or ``(N, H, W, C)``, and kernels use Keras's layout
``(kw, C_in / groups, C_out)`` or ``(kh, kw, C_in / groups, C_out)``;
``data_format='channels_first'`` transposes the input at entry and the output at exit. Bias is not
part of these ops (layers add it).

How it is computed (``_windows.py`` has the window arithmetic, ``_conv_common.py`` the
validated geometry and the fused bias/ReLU epilogue, ``_depthwise_conv.py`` the depthwise op):

* forward: ``im2col`` copies every window of the padded input into one row of a matrix
  ``cols`` of shape ``(N * OH * OW, kh * kw * C)``; the convolution is then one matrix product
  ``cols @ kernel.reshape(-1, C_out)``. With ``groups > 1`` each group has its own ``cols`` and
  kernel slice, and one batched product handles all groups at once. For inputs with fewer than
  ``CHANNEL_MAJOR_BELOW`` channels the matrix is built transposed (``channel_major_windows``),
  which copies faster, a block of images at a time that is multiplied while still in the cache.
  Depthwise convolutions (one input channel per group) skip the window copy: an einsum contracts
  a strided view of the windows, whole output rows at a time where the horizontal stride is 1.
* backward: the kernel gradient is ``cols.T @ grad``; the input gradient is the transposed
  convolution ``col2im(grad @ kernel.T)``, which adds every window's gradient back onto the pixels
  the window read, one kernel offset at a time (``grad @ kernel[a, b].T`` added to a strided slice).
"""

from __future__ import annotations

from typing import Any

from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._conv_common import ConvGeometry, ConvolutionFunction, conv_geometry
from scratchdl.ops._depthwise_conv import DepthwiseConvolution
from scratchdl.ops._windows import (
    as_operand,
    channel_major_windows,
    channel_planes,
    check_data_format,
    check_kernel_rank,
    col2im_products,
    crop_spatial,
    im2col,
    is_int,
    output_size,
    pad_spatial,
    shape_text,
)

__all__ = ["conv1d", "conv2d", "depthwise_conv1d", "depthwise_conv2d", "conv_output_size"]


# Below this many input channels (RGB or grey first layers) an ungrouped convolution builds its
# window matrix channel-major, ``(kh * kw * C, P)``: im2col's copy would move runs of only C
# values (12 bytes for RGB), while here every run is a whole output row, and the products keep
# the long P axis innermost. Measured fwd+bwd: 1.16x faster for 64x64x64x3 * 4x4x3->8, 1.08x
# for ResNet-50's 7x7/2 stem; from 8 channels on the plain layout is as fast or faster.
CHANNEL_MAJOR_BELOW = 8
# The channel-major matrix is built a few images at a time, each block about this large, and
# multiplied while it is still in the cache; the backward pass builds it again instead of keeping
# it (it is kh * kw times the size of the input: 50 MB for the benchmark CNN's first layer,
# whose every step then paid to write, page in and read it twice).
CHANNEL_MAJOR_BLOCK_BYTES = 1 << 20
# The plain window matrix (im2col) of a whole batch is built at once and kept for the kernel
# gradient up to WINDOW_WHOLE_BYTES. A larger one is built and multiplied a block of images at a
# time, each block at most WINDOW_BLOCK_BYTES (at least one image), and built again for the
# kernel gradient. For 32x32x32x64 * 3x3x64->64 the whole matrix is 75 MB: blocks of one image
# (2.4 MB) take the forward pass from 50 to 31 ms and the backward's second im2col costs 7 ms of
# that back (fwd+kernel gradient -15%); at 38 MB -9%; at 19 MB and below, blocks are slower.
WINDOW_WHOLE_BYTES = 32 << 20
WINDOW_BLOCK_BYTES = 4 << 20


class Convolution(ConvolutionFunction):
    """Grouped 2-D convolution (1-D as height 1): im2col, then one matrix product per group."""

    def __init__(self, geometry: ConvGeometry, relu: bool = False) -> None:
        super().__init__(geometry, relu)
        self.channel_major = False
        self.whole_windows = False  # the forward pass kept the whole im2col matrix

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        g = self.geometry
        x = g.layout.inward(x)
        kh, kw = g.kernel
        filters = kernel.shape[-1]
        if g.groups == 1 and x.shape[-1] < CHANNEL_MAJOR_BELOW:
            self.channel_major = True
            first = planes = channel_planes(x, g.pads)
            weights = kernel.reshape(-1, filters)
            out = self._channel_major_products(planes, weights, None)
        else:
            # (kh, kw, C/groups, C_out) -> (groups, kh*kw*C/groups, C_out/groups): each group's
            # rows in im2col's (kernel row, kernel column, channel) order.
            weights = kernel.reshape(kh * kw * kernel.shape[-2], g.groups, filters // g.groups)
            weights = weights.transpose(1, 0, 2)
            padded = pad_spatial(x, g.pads)
            first = self._window_matrix(padded, weights)  # the whole im2col matrix, or None
            if first is None:  # too large: built block by block, here and in the backward pass
                first = padded
                out = self._window_products(padded, weights, None)
            else:
                self.whole_windows = True
                out = _window_product(first, weights)
        out = self._epilogue(out, bias).reshape(x.shape[0], *g.out, filters)
        self.save_for_backward(first, weights, out if self.relu else None)
        return g.layout.outward(out)

    def _channel_major_products(self, planes: Any, weights: Any, grad: Any) -> Any:
        """Block by block of images, with ``cols_t`` the block's ``(kh*kw*C, P_block)`` windows:
        the output ``cols_t.T @ weights`` (``grad`` None, forward) as ``(P, C_out)``, or the kernel
        gradient, the sum of ``cols_t @ grad_block`` (``grad`` given as ``(P, C_out)``)."""
        g = self.geometry
        xp = get_array_module(planes, weights)
        dtype = xp.result_type(planes.dtype, weights.dtype)
        windows = channel_major_windows(planes, g.kernel, g.strides, g.dilation, g.out)
        rows, images = weights.shape[0], planes.shape[1]
        pixels = g.out[0] * g.out[1]  # per image
        step = max(1, CHANNEL_MAJOR_BLOCK_BYTES // (rows * pixels * dtype.itemsize))
        block = xp.empty(rows * min(step, images) * pixels, dtype=dtype)
        weights = weights.astype(dtype, copy=False)
        if grad is None:
            result = xp.empty((images * pixels, weights.shape[1]), dtype=dtype)
        else:
            result = xp.zeros(weights.shape, dtype=xp.result_type(dtype, grad.dtype))
        for start in range(0, images, step):
            count = min(step, images - start)
            cols_t = block[:rows * count * pixels].reshape(rows, count * pixels)  # contiguous
            cols_t.reshape(windows.shape[:3] + (count,) + g.out)[...] = (
                windows[:, :, :, start:start + count])
            span = slice(start * pixels, (start + count) * pixels)
            if grad is None:  # BLAS reads the transpose in place
                xp.matmul(cols_t.T, weights, out=result[span])
            else:
                result += cols_t @ grad[span]
        return result

    def _window_matrix(self, padded: Any, weights: Any) -> Any:
        """The whole batch's im2col matrix ``(groups, P, kh*kw*C/groups)``, or None when it
        would take more than ``WINDOW_WHOLE_BYTES``."""
        g = self.geometry
        dtype = get_array_module(padded).result_type(padded.dtype, weights.dtype)
        size = padded.shape[0] * g.out[0] * g.out[1] * weights.shape[0] * weights.shape[1]
        if size * dtype.itemsize > WINDOW_WHOLE_BYTES:
            return None
        return im2col(padded, g.kernel, g.strides, g.dilation, g.out, g.groups)

    def _window_products(self, padded: Any, weights: Any, grad: Any) -> Any:
        """Block by block of images, with ``cols`` the block's im2col matrix ``(groups, P_block,
        kh*kw*C/groups)``: the output ``cols @ weights`` (``grad`` None, forward) as
        ``(P, C_out)``, output channels group-major; or the kernel gradient ``(groups,
        kh*kw*C/groups, C_out/groups)``, the sum of ``cols.T @ grad_block`` (``grad`` given as
        ``(groups, P, C_out/groups)``)."""
        g = self.geometry
        xp = get_array_module(padded, weights)
        groups, rows, columns = weights.shape
        images, pixels = padded.shape[0], g.out[0] * g.out[1]
        dtype = xp.result_type(padded.dtype, weights.dtype)
        step = max(1, WINDOW_BLOCK_BYTES // (groups * pixels * rows * dtype.itemsize))
        if grad is None:
            result = xp.empty((images * pixels, groups * columns), dtype=dtype)
        else:
            result = xp.zeros(weights.shape, dtype=xp.result_type(dtype, grad.dtype))
        for start in range(0, images, step):
            stop = min(start + step, images)
            cols = im2col(padded[start:stop], g.kernel, g.strides, g.dilation, g.out, groups)
            span = slice(start * pixels, stop * pixels)
            if grad is None:
                _window_product(cols, weights, out=result[span])
            else:
                result += _window_kernel_grad(cols, grad[:, span])
        return result

    def backward(self, grad: Any) -> tuple[Any, ...]:
        g = self.geometry
        first, weights, activated = self.saved  # first: the padded input (or its planes)
        if self.channel_major:  # weights (kh*kw*C, C_out)
            weights = weights[None]
        groups = weights.shape[0]
        grad, grad_bias = self._epilogue_grad(g.layout.inward(grad), activated)
        grad = grad.reshape(-1, groups, grad.shape[-1] // groups).transpose(1, 0, 2)
        grad_x = grad_kernel = None
        if self.needs_input_grad[0]:
            # Per kernel offset: (groups, C_out/groups, C/groups), the transpose of that slice.
            per_offset = weights.reshape(groups, g.kernel[0] * g.kernel[1], -1, grad.shape[-1])
            padded = col2im_products(grad, per_offset.transpose(1, 0, 3, 2), g.padded_shape,
                                     g.kernel, g.strides, g.dilation, g.out)
            grad_x = g.layout.outward(crop_spatial(padded, g.pads))
        if self.needs_input_grad[1]:
            if self.channel_major:
                grad_w = self._channel_major_products(first, weights[0], grad[0])[None]
            elif self.whole_windows:  # first: the im2col matrix
                grad_w = _window_kernel_grad(first, grad)
            else:  # (groups, kh*kw*C/groups, C_out/groups), block by block
                grad_w = self._window_products(first, weights, grad)
            grad_kernel = grad_w.transpose(1, 0, 2).reshape(g.kernel_shape)
        return self._with_bias_grad((grad_x, grad_kernel), grad_bias)


def _window_kernel_grad(cols: Any, grad: Any) -> Any:
    """``cols.T @ grad`` per group, ``(groups, K, C_out/groups)``, for an im2col matrix ``(groups,
    P, K)`` and the output gradient ``(groups, P, C_out/groups)`` (one 2-D product ungrouped)."""
    if cols.shape[0] == 1:
        return (cols[0].T @ grad[0])[None]
    return get_array_module(cols, grad).matmul(cols.transpose(0, 2, 1), grad)


def _window_product(cols: Any, weights: Any, out: Any = None) -> Any:
    """``cols @ weights`` per group as ``(P, C_out)``, output channels group-major, for an im2col
    matrix ``(groups, P, K)`` and ``weights`` ``(groups, K, C_out/groups)`` (into ``out``)."""
    xp = get_array_module(cols, weights)
    if cols.shape[0] == 1:
        if out is not None and cols.dtype == weights.dtype == out.dtype:
            return xp.matmul(cols[0], weights[0], out=out)
        product = cols[0] @ weights[0]
    else:  # (groups, P, C_out/groups) -> (P, C_out)
        product = (cols @ weights).transpose(1, 0, 2).reshape(cols.shape[1], -1)
    if out is None:
        return product
    out[...] = product
    return out


def _convolve(
    op: str, spatial_dims: int, x: Any, kernel: Any, strides: Any, padding: Any,
    dilation_rate: Any, groups: int, data_format: str, kernel_name: str = "kernel",
    bias: Any = None, activation: str | None = None,
) -> Tensor:
    x, kernel = as_operand(x), as_operand(kernel)
    geometry = conv_geometry(op, tuple(x.shape), tuple(kernel.shape), spatial_dims, strides,
                             padding, dilation_rate, groups, data_format, kernel_name)
    if activation not in (None, "relu"):
        raise ValueError(f"{op}: activation must be None or 'relu', got {activation!r}")
    function = DepthwiseConvolution if groups > 1 and kernel.shape[-2] == 1 else Convolution
    op_function = function(geometry, relu=activation == "relu")
    if bias is None:
        return op_function(x, kernel)
    bias = as_operand(bias)
    filters = kernel.shape[-1]
    if tuple(bias.shape) != (filters,):
        raise ValueError(
            f"{op}: bias must have shape ({filters},) (one value per output channel), got shape "
            f"{shape_text(bias.shape)}"
        )
    return op_function(x, kernel, bias)


def conv_output_size(
    size: int | None, kernel: int, stride: int = 1, padding: Any = "valid", dilation: int = 1,
) -> int | None:
    """Output length of a convolution (or pooling, with ``dilation=1``) along one axis.

    ``'valid'``: ``floor((size - (kernel - 1) * dilation - 1) / stride) + 1``; ``'same'``:
    ``ceil(size / stride)``; ``'causal'``: as ``'same'`` for ``stride=1``, in general the valid
    length of the input left-padded with ``(kernel - 1) * dilation``; explicit ``(before, after)``
    pads add to ``size`` first. ``None`` (an unknown size) gives ``None``, as Keras's shape
    inference does. A result below 1 means the kernel does not fit.

    >>> conv_output_size(7, 3, 2, "same"), conv_output_size(7, 3, 2, "valid")
    (4, 3)
    """
    if size is None:
        return None
    if isinstance(padding, str) and padding.lower() in ("same", "valid", "causal"):
        mode = padding.lower()
        if mode == "same":
            return -(-size // stride)
        if mode == "causal":
            size += (kernel - 1) * dilation
    else:
        before, after = (padding, padding) if is_int(padding) else padding
        size += before + after
    return output_size(size, kernel, stride, dilation)


def conv1d(
    x: Any, kernel: Any, strides: int | tuple[int] = 1, padding: Any = "valid",
    dilation_rate: int | tuple[int] = 1, groups: int = 1, data_format: str = "channels_last",
    *, bias: Any = None, activation: str | None = None,
) -> Tensor:
    """1-D convolution (cross-correlation, as in every deep learning framework), without bias.

    With ``x`` of shape ``(N, W, C_in)`` and ``kernel`` of shape ``(kw, C_in / groups, C_out)``::

        y[n, j, o] = sum_{b, c} x_pad[n, j * s + b * d, g(o) * C_in / groups + c] * kernel[b, c, o]

    where ``g(o) = o // (C_out / groups)`` is the group of output channel ``o``.
    Output width ``floor((W + pad_left + pad_right - (kw - 1) * d - 1) / s) + 1``: ``padding`` is
    ``'valid'`` (no padding), ``'same'`` (TensorFlow's: output width ``ceil(W / s)``, the odd pixel
    of padding on the right), ``'causal'`` (``(kw - 1) * d`` zeros on the left, so output ``j``
    sees inputs up to ``j * s`` only) or explicit ``(left, right)``.

    ``bias`` (shape ``(C_out,)``) and ``activation`` (None or ``'relu'``), scratchdl's fused
    epilogue, give what a convolution layer computes: the same values and gradients as adding
    the bias and applying ``relu`` after the op, done in place in the op's output.

    >>> import numpy as np
    >>> x = Tensor(np.ones((1, 5, 2), dtype=np.float32))
    >>> conv1d(x, Tensor(np.ones((3, 2, 4), dtype=np.float32))).shape
    (1, 3, 4)
    """
    return _convolve("conv1d", 1, x, kernel, strides, padding, dilation_rate, groups, data_format,
                     bias=bias, activation=activation)


def conv2d(
    x: Any, kernel: Any, strides: int | tuple[int, int] = 1, padding: Any = "valid",
    dilation_rate: int | tuple[int, int] = 1, groups: int = 1, data_format: str = "channels_last",
    *, bias: Any = None, activation: str | None = None,
) -> Tensor:
    """2-D convolution (cross-correlation) in Keras's layout, without bias.

    With ``x`` of shape ``(N, H, W, C_in)`` and ``kernel`` of shape
    ``(kh, kw, C_in / groups, C_out)``::

        y[n, i, j, o] = sum_{a, b, c} x_pad[n, i * sh + a * dh, j * sw + b * dw,
                                            g(o) * C_in / groups + c] * kernel[a, b, c, o]

    with ``g(o) = o // (C_out / groups)`` the group of output channel ``o`` (``groups = C_in`` is
    a depthwise convolution). Output height ``floor((H + pad_top + pad_bottom - (kh - 1) * dh - 1)
    / sh) + 1``, likewise the width. ``padding`` is ``'valid'``, ``'same'`` (TensorFlow's: output
    ``ceil(H / sh)``, total padding ``max((ceil(H / sh) - 1) * sh + (kh - 1) * dh + 1 - H, 0)``,
    the odd pixel at the bottom/right) or explicit ``((top, bottom), (left, right))``.

    ``bias`` (shape ``(C_out,)``) and ``activation`` (None or ``'relu'``), scratchdl's fused
    epilogue, give what a convolution layer computes: the same values and gradients as adding
    the bias and applying ``relu`` after the op, done in place in the op's output.

    >>> import numpy as np
    >>> x = Tensor(np.ones((2, 5, 5, 3), dtype=np.float32))
    >>> conv2d(x, Tensor(np.ones((3, 3, 3, 8), dtype=np.float32)), strides=2, padding="same").shape
    (2, 3, 3, 8)
    """
    return _convolve("conv2d", 2, x, kernel, strides, padding, dilation_rate, groups, data_format,
                     bias=bias, activation=activation)


def _depthwise(
    op: str, spatial_dims: int, x: Any, kernel: Any, strides: Any, padding: Any,
    dilation_rate: Any, data_format: str, bias: Any = None, activation: str | None = None,
) -> Tensor:
    from scratchdl.ops.shape import reshape

    x, kernel = as_operand(x), as_operand(kernel)
    channels_first = check_data_format(data_format, op)
    check_kernel_rank(op, tuple(kernel.shape), spatial_dims, "depthwise_kernel",
                      "input_channels, depth_multiplier")
    channels = x.shape[1 if channels_first else -1] if len(x.shape) == spatial_dims + 2 else None
    if channels is not None and channels != kernel.shape[-2]:
        raise ValueError(
            f"{op}: input has {channels} channels but the depthwise_kernel expects "
            f"{kernel.shape[-2]} (depthwise_kernel shape {shape_text(kernel.shape)}, input shape "
            f"{shape_text(x.shape)})"
        )
    # Output channel c * depth_multiplier + m uses input channel c alone: a convolution with
    # groups = C_in whose kernel holds one input channel per group.
    size, (c_in, multiplier) = tuple(kernel.shape[:-2]), kernel.shape[-2:]
    grouped = reshape(kernel, (*size, 1, c_in * multiplier))
    return _convolve(op, spatial_dims, x, grouped, strides, padding, dilation_rate, c_in,
                     data_format, kernel_name="depthwise_kernel", bias=bias,
                     activation=activation)


def depthwise_conv1d(
    x: Any, depthwise_kernel: Any, strides: int | tuple[int] = 1, padding: Any = "valid",
    dilation_rate: int | tuple[int] = 1, data_format: str = "channels_last",
    *, bias: Any = None, activation: str | None = None,
) -> Tensor:
    """1-D depthwise convolution: every input channel is convolved with its own filters.

    ``depthwise_kernel`` has shape ``(kw, C_in, depth_multiplier)``; output channel
    ``c * depth_multiplier + m`` is input channel ``c`` convolved with
    ``depthwise_kernel[:, c, m]``, so the output has ``C_in * depth_multiplier`` channels. Sizes
    and padding as ``conv1d``.

    ``bias`` (shape ``(C_out,)``) and ``activation`` (None or ``'relu'``), scratchdl's fused
    epilogue, give what a convolution layer computes: the same values and gradients as adding
    the bias and applying ``relu`` after the op, done in place in the op's output.

    >>> import numpy as np
    >>> x = Tensor(np.ones((1, 6, 3), dtype=np.float32))
    >>> depthwise_conv1d(x, Tensor(np.ones((3, 3, 2), dtype=np.float32))).shape
    (1, 4, 6)
    """
    return _depthwise("depthwise_conv1d", 1, x, depthwise_kernel, strides, padding,
                      dilation_rate, data_format, bias=bias, activation=activation)


def depthwise_conv2d(
    x: Any, depthwise_kernel: Any, strides: int | tuple[int, int] = 1, padding: Any = "valid",
    dilation_rate: int | tuple[int, int] = 1, data_format: str = "channels_last",
    *, bias: Any = None, activation: str | None = None,
) -> Tensor:
    """2-D depthwise convolution in Keras's layout (a separable convolution's first half).

    ``depthwise_kernel`` has shape ``(kh, kw, C_in, depth_multiplier)``::

        y[n, i, j, c * M + m] = sum_{a, b} x_pad[n, i * sh + a * dh, j * sw + b * dw, c]
                                           * depthwise_kernel[a, b, c, m]

    (``M`` = depth_multiplier); it is ``conv2d`` with ``groups = C_in``. Sizes and padding as
    ``conv2d``.

    ``bias`` (shape ``(C_out,)``) and ``activation`` (None or ``'relu'``), scratchdl's fused
    epilogue, give what a convolution layer computes: the same values and gradients as adding
    the bias and applying ``relu`` after the op, done in place in the op's output.

    >>> import numpy as np
    >>> x = Tensor(np.ones((1, 5, 5, 3), dtype=np.float32))
    >>> depthwise_conv2d(x, Tensor(np.ones((3, 3, 3, 2), dtype=np.float32))).shape
    (1, 3, 3, 6)
    """
    return _depthwise("depthwise_conv2d", 2, x, depthwise_kernel, strides, padding,
                      dilation_rate, data_format, bias=bias, activation=activation)
