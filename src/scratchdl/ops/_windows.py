"""Sliding windows shared by convolution and pooling (private).

Every op in ``conv.py``, ``conv_transpose.py`` and ``pooling.py`` works internally on one layout:
a batch of 2-D images ``(N, H, W, C)`` (channels last). One-dimensional ops insert a height of 1,
channels-first inputs are transposed on the way in and out (``Layout``).

A window of a convolution with kernel ``(kh, kw)``, strides ``(sh, sw)`` and dilation ``(dh, dw)``
at output pixel ``(i, j)`` reads the padded input at rows ``i*sh + a*dh`` and columns
``j*sw + b*dw`` for the kernel offsets ``0 <= a < kh``, ``0 <= b < kw``. The tools:

* ``im2col`` copies all windows into one matrix, one row per output pixel, through a strided view
  of the padded input (no Python loop at all), so a convolution becomes one matrix product;
* ``col2im_products`` is its adjoint (applied to a product ``rows @ W.T``): it adds every window's
  contribution back onto the pixels the window read, looping over the ``kh * kw`` kernel offsets
  only; each step is one matrix product and one strided-slice addition for the whole batch;
* ``window_view`` and ``row_window_view`` are copy-free strided views of the windows, per output
  pixel or per output row, for the depthwise convolution's einsums.

Padding follows TensorFlow/Keras: ``'valid'`` adds none; ``'same'`` adds
``max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)`` pixels in total, half before and the rest
(the extra pixel when odd) after, so the output has ``ceil(n / s)`` pixels; ``'causal'`` (1-D only)
adds ``(k - 1) * d`` before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import as_array, get_array_module
from scratchdl.ops._helpers import is_int

Pads = tuple[tuple[int, int], tuple[int, int]]


# --------------------------------------------------------------------------- arguments
def as_operand(value: Any) -> Any:
    """Tensors and arrays pass through; Python numbers and lists become arrays (for their shape)."""
    return value if isinstance(value, Tensor) or hasattr(value, "shape") else as_array(value)


def int_tuple(value: Any, n: int, name: str, op: str, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int or a sequence of ``n`` ints, each ``>= minimum``) as an ``n``-tuple."""
    items = (value,) * n if is_int(value) else value
    if (
        not isinstance(items, (tuple, list))
        or len(items) != n
        or not all(is_int(v) for v in items)
        or any(v < minimum for v in items)
    ):
        bound = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(
            f"{op}: {name} must be a {bound} int or a sequence of {n} such ints, got {value!r}"
        )
    return tuple(int(v) for v in items)


def pair_of_pairs(value: Any, name: str, op: str) -> Pads:
    """Keras's 2-D amounts: ``p``, ``(ph, pw)`` or ``((top, bottom), (left, right))``, all >= 0."""
    if is_int(value):
        result = ((value, value), (value, value))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        result = tuple(  # type: ignore[assignment]
            (item, item) if is_int(item)
            else tuple(item) if isinstance(item, (tuple, list))
            else None
            for item in value
        )
    else:
        result = None  # type: ignore[assignment]
    if (
        result is None
        or any(item is None or len(item) != 2 for item in result)
        or not all(is_int(v) and v >= 0 for item in result for v in item)
    ):
        raise ValueError(
            f"{op}: {name} must be a non-negative int, a pair (height, width) or a pair of pairs "
            f"((top, bottom), (left, right)), got {value!r}"
        )
    return tuple((int(a), int(b)) for a, b in result)  # type: ignore[return-value]


def pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """Keras's 1-D amounts: ``p`` or ``(before, after)``, both >= 0."""
    items = (value, value) if is_int(value) else value
    if (
        not isinstance(items, (tuple, list))
        or len(items) != 2
        or not all(is_int(v) and v >= 0 for v in items)
    ):
        raise ValueError(
            f"{op}: {name} must be a non-negative int or a pair (before, after), got {value!r}"
        )
    return int(items[0]), int(items[1])


def check_data_format(data_format: str, op: str) -> bool:
    """Validate ``data_format``; return True for ``'channels_first'``."""
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{op}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
        )
    return data_format == "channels_first"


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding (before, after) for one spatial axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def resolve_padding(
    padding: Any,
    spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    op: str,
) -> tuple[tuple[int, int], ...]:
    """The (before, after) pads of each spatial axis for a Keras ``padding`` argument.

    ``padding`` is ``'valid'``, ``'same'``, ``'causal'`` (1-D only) or explicit amounts:
    ``((top, bottom), (left, right))`` in 2-D, ``(left, right)`` in 1-D, or one int for all sides.
    """
    n = len(spatial)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * n
        if mode == "same":
            return tuple(same_padding(*args) for args in zip(spatial, kernel, strides, dilation))
        if mode == "causal" and n == 1:
            return (((kernel[0] - 1) * dilation[0], 0),)
        allowed = "'valid', 'same', 'causal'" if n == 1 else "'valid', 'same'"
        raise ValueError(
            f"{op}: padding must be {allowed} or explicit amounts, got {padding!r}"
        )
    if n == 1:
        return (pair(padding, "padding", op),)
    return pair_of_pairs(padding, "padding", op)


def output_size(padded: int, kernel: int, stride: int, dilation: int) -> int:
    """Window positions: ``floor((padded - (kernel - 1) * dilation - 1) / stride) + 1``."""
    return (padded - (kernel - 1) * dilation - 1) // stride + 1


# --------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class Layout:
    """Maps a user's array to the internal ``(N, H, W, C)`` layout and back.

    One-dimensional data ``(N, W, C)`` gains a height of 1; channels-first data has its channel axis
    moved last. Every conversion is a view.
    """

    spatial_dims: int
    channels_first: bool

    def inward(self, array: Any) -> Any:
        """User layout -> ``(N, H, W, C)``."""
        if self.channels_first:
            array = get_array_module(array).moveaxis(array, 1, -1)
        return array[:, None] if self.spatial_dims == 1 else array

    def outward(self, array: Any) -> Any:
        """``(N, H, W, C)`` -> user layout."""
        if self.spatial_dims == 1:
            array = array[:, 0]
        if self.channels_first:
            array = get_array_module(array).moveaxis(array, -1, 1)
        return array

    def describe(self) -> str:
        """The expected input layout in words, for error messages."""
        spatial = "width" if self.spatial_dims == 1 else "height, width"
        if self.channels_first:
            return f"(batch, channels, {spatial})"
        return f"(batch, {spatial}, channels)"


def check_input_rank(op: str, x_shape: tuple[int, ...], layout: Layout) -> None:
    """Raise a ValueError naming ``op``, the expected layout and the shape unless ``x_shape`` has
    ``layout.spatial_dims + 2`` axes."""
    rank = layout.spatial_dims + 2
    if len(x_shape) != rank:
        raise ValueError(
            f"{op}: expected a {rank}-D input {layout.describe()}, got shape {shape_text(x_shape)}"
        )


def input_layout(op: str, x_shape: tuple[int, ...], spatial_dims: int, data_format: str) -> Layout:
    """Check ``data_format`` and the rank of ``x_shape`` (``check_input_rank``); return the
    input's ``Layout``."""
    layout = Layout(spatial_dims, check_data_format(data_format, op))
    check_input_rank(op, x_shape, layout)
    return layout


def check_kernel_rank(op: str, kernel_shape: tuple[int, ...], spatial_dims: int, kernel_name: str,
                      channel_axes: str) -> None:
    """Raise a ValueError naming ``op`` unless ``kernel_shape`` has ``spatial_dims + 2`` axes:
    the window's, then ``channel_axes`` (e.g. ``"filters, input_channels"``)."""
    rank = spatial_dims + 2
    if len(kernel_shape) != rank:
        dims = "(kernel_width" if spatial_dims == 1 else "(kernel_height, kernel_width"
        raise ValueError(
            f"{op}: expected a {rank}-D {kernel_name} {dims}, {channel_axes}), got shape "
            f"{shape_text(kernel_shape)}"
        )


# --------------------------------------------------------------------------- windows
def pad_spatial(x: Any, pads: Pads, value: float = 0.0) -> Any:
    """``x`` (N, H, W, C) with ``pads`` added around H and W (``x`` itself when there are none)."""
    (top, bottom), (left, right) = pads
    if not (top or bottom or left or right):
        return x
    xp = get_array_module(x)
    n, h, w, c = x.shape
    out = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top:top + h, left:left + w, :] = x
    return out


def crop_spatial(x: Any, pads: Pads) -> Any:
    """Undo ``pad_spatial``: the interior of ``x`` (a view)."""
    (top, bottom), (left, right) = pads
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]


def offsets(
    kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
    out: tuple[int, int],
) -> Iterator[tuple[int, tuple[slice, slice]]]:
    """For each kernel offset ``(a, b)`` (row-major, numbered ``k``): ``k`` and the strided
    slices of the padded input that the offset reads for every output pixel."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilation, out
    for a in range(kh):
        rows = slice(a * dh, a * dh + (oh - 1) * sh + 1, sh)
        for b in range(kw):
            yield a * kw + b, (rows, slice(b * dw, b * dw + (ow - 1) * sw + 1, sw))


def _strided_view(x: Any, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    """A view of ``x`` with ``shape`` and byte ``strides`` (read-only with NumPy)."""
    xp = get_array_module(x)
    if xp is np:
        return np.lib.stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def window_view(
    x: Any, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
    out: tuple[int, int],
) -> Any:
    """A read-only strided view ``(N, OH, OW, kh, kw, C)`` of every window of the padded ``x``.

    ``view[n, i, j, a, b, c] = x[n, i * sh + a * dh, j * sw + b * dw, c]``; nothing is copied.
    """
    n, _, _, c = x.shape
    s_n, s_h, s_w, s_c = x.strides
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilation, out
    return _strided_view(x, (n, oh, ow, kh, kw, c),
                         (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c))


def row_window_view(
    x: Any, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
    out: tuple[int, int],
) -> Any | None:
    """The windows of the padded ``x`` as whole output rows: a view ``(N, OH, kh, kw, OW * C)``.

    ``view[n, i, a, b, j * C + c] = x[n, i * sh + a * dh, j + b * dw, c]``: with a horizontal
    stride of 1, the pixels and channels that one kernel offset reads for a whole output row are
    one contiguous run of the input row, shifted by ``b * dw`` pixels. An elementwise
    contraction over this view runs its inner loop along ``OW * C`` elements instead of ``C``.
    Returns None when the horizontal stride is not 1 or a row of ``x`` is not contiguous
    (channels-first data seen through ``Layout.inward``, say).
    """
    n, _, width, c = x.shape
    s_n, s_h, s_w, s_c = x.strides
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilation, out
    if sw != 1 or (c > 1 and s_c != x.itemsize) or (width > 1 and s_w != c * x.itemsize):
        return None
    return _strided_view(x, (n, oh, kh, kw, ow * c),
                         (s_n, s_h * sh, s_h * dh, s_w * dw, x.itemsize))


def im2col(
    x: Any, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
    out: tuple[int, int], groups: int = 1,
) -> Any:
    """All windows of the padded input ``x`` (N, Hp, Wp, C) as a contiguous matrix per group.

    Returns ``(groups, N * OH * OW, kh * kw * C / groups)``: row ``(n, i, j)`` holds window
    ``(i, j)`` of image ``n`` in ``(kernel row, kernel column, channel)`` order, restricted to the
    group's channels. The copy reads one strided view of ``x``; there is no Python loop.
    """
    xp = get_array_module(x)
    n, _, _, c = x.shape
    per_group = c // groups
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilation, out
    s_n, s_h, s_w, s_c = x.strides
    view = _strided_view(x, (groups, n, oh, ow, kh, kw, per_group),
                         (per_group * s_c, s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c))
    return xp.ascontiguousarray(view).reshape(groups, n * oh * ow, kh * kw * per_group)


def channel_planes(x: Any, pads: Pads) -> Any:
    """``x`` (N, H, W, C) as contiguous channel planes ``(C, N, Hp, Wp)``, zero-padded by ``pads``.

    The transpose and the padding are one copy.
    """
    xp = get_array_module(x)
    (top, bottom), (left, right) = pads
    planes = x.transpose(3, 0, 1, 2)
    if not (top or bottom or left or right):
        return xp.ascontiguousarray(planes)
    c, n, h, w = planes.shape
    out = xp.zeros((c, n, h + top + bottom, w + left + right), dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = planes
    return out


def channel_major_windows(
    planes: Any, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
    out: tuple[int, int],
) -> Any:
    """A read-only strided view ``(kh, kw, C, N, OH, OW)`` of the windows of ``channel_planes``.

    ``view[a, b, c, n, i, j] = planes[c, n, i * sh + a * dh, j * sw + b * dw]``. Copying images
    ``n0:n1`` of it gives ``im2col(x)[0].T`` for those images, ``(kh * kw * C, P)``: row
    ``(a, b, c)`` holds input channel ``c`` at kernel offset ``(a, b)`` for every output pixel,
    and the copy moves whole output rows instead of ``im2col``'s runs of ``C`` values (faster for
    few channels, see ``conv.py``).
    """
    c, n, _, _ = planes.shape
    s_c, s_n, s_h, s_w = planes.strides
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilation, out
    return _strided_view(planes, (kh, kw, c, n, oh, ow),
                         (s_h * dh, s_w * dw, s_c, s_n, s_h * sh, s_w * sw))


def col2im_products(
    rows: Any, weights: Any, padded_shape: tuple[int, int, int, int], kernel: tuple[int, int],
    strides: tuple[int, int], dilation: tuple[int, int], out: tuple[int, int],
) -> Any:
    """``col2im(rows @ weights)``: scatter window contributions back onto the pixels they came from.

    ``rows`` is ``(groups, N * OH * OW, m)`` (one row per window) and ``weights`` is
    ``(kh * kw, groups, m, C / groups)``. For every kernel offset ``k`` the product
    ``rows @ weights[k]`` is what each window gives to the pixel that offset read; it is added to
    that strided slice of the result ``(N, Hp, Wp, C)``, so overlapping windows accumulate. This
    is the adjoint of ``im2col`` applied to ``rows @ W.T``, computed one offset at a time: the loop
    runs over the ``kh * kw`` offsets only, and the ``(P, kh * kw * C)`` matrix is never built
    (each product is a contiguous ``(P, C)`` block that adds onto the slice in long runs).
    """
    xp = get_array_module(rows, weights)
    n, hp, wp, c = padded_shape
    groups = rows.shape[0]
    per_group = c // groups
    oh, ow = out
    dtype = xp.result_type(rows.dtype, weights.dtype)
    result = xp.zeros((n, hp, wp, groups, per_group), dtype=dtype)
    for k, (row_slice, column_slice) in offsets(kernel, strides, dilation, out):
        if groups == 1:
            product = (rows[0] @ weights[k, 0])[:, None, :]
        else:  # (groups, P, C/groups) -> (P, groups, C/groups): channels group-major
            product = xp.matmul(rows, weights[k]).transpose(1, 0, 2)
        result[:, row_slice, column_slice] += product.reshape(n, oh, ow, groups, per_group)
    return result.reshape(padded_shape)


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python prints it, for error messages."""
    return str(tuple(int(s) for s in shape))

