"""Pooling ops: max_pool1d/2d, avg_pool1d/2d and the global poolings.

Data is channels-last, ``(N, W, C)`` or ``(N, H, W, C)`` (``data_format='channels_first'``
transposes at entry and exit). A pooling window of size ``(ph, pw)`` at output pixel ``(i, j)``
covers rows ``i * sh .. i * sh + ph - 1`` and columns ``j * sw .. j * sw + pw - 1`` of the padded
input; ``strides`` default to the pool size. ``padding='same'`` pads as TensorFlow does (output
``ceil(H / sh)``, the odd pixel at the bottom/right) and padded pixels never count: they never win
a max and are left out of an average's divisor.

Both ops loop over the ``ph * pw`` window offsets only, each step handling one strided slice of the
whole batch. Max pooling sends each window's gradient to exactly one element, the first maximum in
row-major window order (as PyTorch and TensorFlow do), even when windows overlap or values tie.

When windows do not overlap (strides at least the pool size, the usual case) max pooling takes a
faster path with the same results (``_first_max_disjoint``): it reduces the window rows first, on
slices whose inner runs are whole image rows, then the few window columns, and its backward pass
is one scatter of the gradient through the saved flat positions of the winners.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._windows import (
    Layout,
    Pads,
    as_operand,
    crop_spatial,
    input_layout,
    int_tuple,
    offsets,
    output_size,
    pad_spatial,
    same_padding,
    shape_text,
    window_view,
)

__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "global_max_pool1d", "global_max_pool2d", "global_avg_pool1d", "global_avg_pool2d",
]


@dataclass(frozen=True)
class PoolGeometry:
    """Window sizes of a pooling op in the internal 2-D layout."""

    layout: Layout
    pool: tuple[int, int]
    strides: tuple[int, int]
    pads: Pads
    out: tuple[int, int]
    padded_shape: tuple[int, int, int, int]


def _pool_geometry(
    op: str, x_shape: tuple[int, ...], spatial_dims: int, pool_size: Any, strides: Any,
    padding: Any, data_format: str,
) -> PoolGeometry:
    layout = input_layout(op, x_shape, spatial_dims, data_format)
    channels_first = layout.channels_first
    pool = int_tuple(pool_size, spatial_dims, "pool_size", op)
    steps = pool if strides is None else int_tuple(strides, spatial_dims, "strides", op)
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same', got {padding!r}")
    spatial = tuple(x_shape[2:] if channels_first else x_shape[1:-1])
    if mode == "same":
        pads = tuple(same_padding(n, k, s, 1) for n, k, s in zip(spatial, pool, steps))
    else:
        pads = ((0, 0),) * spatial_dims
    padded = tuple(n + a + b for n, (a, b) in zip(spatial, pads))
    out = tuple(output_size(n, k, s, 1) for n, k, s in zip(padded, pool, steps))
    if any(o < 1 for o in out):
        raise ValueError(
            f"{op}: pool_size {shape_text(pool)} is larger than the input's spatial size "
            f"{shape_text(spatial)} (input shape {shape_text(x_shape)}, padding {padding!r})"
        )
    channels = x_shape[1] if channels_first else x_shape[-1]
    if spatial_dims == 1:
        return PoolGeometry(layout, (1, pool[0]), (1, steps[0]), ((0, 0), pads[0]),
                            (1, out[0]), (x_shape[0], 1, padded[0], channels))
    return PoolGeometry(layout, pool, steps, pads, out,  # type: ignore[arg-type]
                        (x_shape[0], *padded, channels))  # type: ignore[arg-type]


def _lowest(dtype: Any) -> Any:
    """A value no element of ``dtype`` is below: the padding of max pooling."""
    return -np.inf if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


# Max pooling with non-overlapping windows takes ``_first_max_disjoint`` (tests switch it off to
# compare both paths). Measured on the benchmark CNN's first pool (64x64x64x8, pool 8, float32):
# forward 3x and backward 20x faster than the loop over the 64 window offsets, whose every step
# works on runs of only 8 contiguous channels.
DISJOINT_FAST_PATH = True


def _index_dtype(area: int) -> Any:
    """The smallest integer type that numbers every offset of a window of ``area`` pixels."""
    return np.uint8 if area <= 256 else np.int32


def _first_max_by_offset(padded: Any, g: PoolGeometry) -> tuple[Any, Any]:
    """Every window's maximum and the row-major number ``k`` of its first maximum (any geometry).

    A NaN wins (the last one, as in PyTorch) and propagates into the maximum.
    """
    xp = get_array_module(padded)
    floating = np.issubdtype(padded.dtype, np.floating)
    best = choice = None
    for k, (rows, columns) in offsets(g.pool, g.strides, (1, 1), g.out):
        window = padded[:, rows, columns]
        if best is None:
            best = window.copy()
            choice = xp.zeros(best.shape, dtype=_index_dtype(g.pool[0] * g.pool[1]))
            continue
        # Strictly greater: on ties the earlier offset keeps the gradient. A NaN wins (and
        # propagates through maximum) as in PyTorch.
        better = window > best
        if floating:
            better |= xp.isnan(window)
        xp.maximum(best, window, out=best)
        # Offsets come in increasing order, so "k where better, else keep" is a maximum
        # (branch-free; masked assignment is several times slower).
        xp.maximum(choice, xp.multiply(better, k, dtype=choice.dtype), out=choice)
    return best, choice


def _first_max_disjoint(padded: Any, g: PoolGeometry) -> tuple[Any, Any] | None:
    """``_first_max_by_offset`` for windows that do not overlap, or None if a window holds a NaN.

    Returns every window's maximum and the flat position of its first maximum in ``padded``
    (made contiguous). Two passes replace the loop over all ``ph * pw`` offsets:

    1. over the window rows ``a``: for every window column ``b``, its maximum and the first row
       holding it. Each step reads one slice ``(N, OH, OW, pw, C)`` whose ``pw * C`` values are
       contiguous (whole image rows when the windows tile the image).
    2. over the window columns ``b``: the column with the largest maximum wins; on a tie, the one
       whose maximum comes first in row-major order, ``row * pw + b`` (not simply the smaller
       ``b``: column 1's maximum may sit in an earlier row than column 0's).

    NaNs are left to the plain loop (its rule "the last NaN wins" would cost two more operations
    per step here); a NaN propagates into the maximum, which is how it is detected.
    """
    xp = get_array_module(padded)
    padded = xp.ascontiguousarray(padded)
    (ph, pw), (sh, sw), (oh, ow) = g.pool, g.strides, g.out
    n, height, width, channels = padded.shape
    index_type = np.dtype(_index_dtype(ph * pw)).type
    # (N, OH, OW, ph, pw, C) -> (N, OH, ph, OW, pw, C): fixing the window row a leaves, for every
    # image row of windows, one contiguous run when the windows tile the row.
    windows = window_view(padded, g.pool, g.strides, (1, 1), g.out).transpose(0, 1, 3, 2, 4, 5)
    column_max = windows[:, :, 0].copy()  # (N, OH, OW, pw, C)
    key = xp.zeros(column_max.shape, dtype=index_type)  # first row holding it, times pw
    better = xp.empty(column_max.shape, dtype=bool)
    step = xp.empty(column_max.shape, dtype=index_type)
    for a in range(1, ph):
        row = windows[:, :, a]
        xp.greater(row, column_max, out=better)
        xp.maximum(column_max, row, out=column_max)
        # Rows come in increasing order: "a where better, else keep" is a maximum (branch-free).
        xp.maximum(key, xp.multiply(better, index_type(a * pw), out=step), out=key)
    # Step 2: key[..., b, :] = a * pw + b, the row-major offset of column b's first maximum.
    key += xp.arange(pw, dtype=index_type)[:, None]
    best = column_max[:, :, :, 0].copy()
    choice = key[:, :, :, 0].copy()
    for b in range(1, pw):
        value, offset = column_max[:, :, :, b], key[:, :, :, b]
        better = (value > best) | ((value == best) & (offset < choice))
        xp.maximum(best, value, out=best)
        choice ^= (choice ^ offset) * better  # choice = offset where better (branch-free select)
    if np.issubdtype(padded.dtype, np.floating) and bool(xp.isnan(best).any()):
        return None
    # Flat position of offset k = (a, b) of window (i, j): image row i * sh + a, column j * sw + b.
    offsets_k = xp.arange(ph * pw)
    within = (offsets_k // pw * width + offsets_k % pw) * channels
    corner = (xp.arange(n)[:, None, None, None] * (height * width * channels)
              + xp.arange(oh)[:, None, None] * (sh * width * channels)
              + xp.arange(ow)[:, None] * (sw * channels) + xp.arange(channels))
    return best, corner + within[choice]


class MaxPooling(Function):
    """Max over each window; the gradient goes to the window's first maximum only."""

    def __init__(self, geometry: PoolGeometry) -> None:
        self.geometry = geometry
        self.scatter = False  # saved the winners' flat positions (disjoint windows), not offsets

    def forward(self, x: Any) -> Any:
        g = self.geometry
        padded = pad_spatial(g.layout.inward(x), g.pads, _lowest(x.dtype))
        if DISJOINT_FAST_PATH and all(s >= p for s, p in zip(g.strides, g.pool)):
            found = _first_max_disjoint(padded, g)
            if found is not None:
                best, flat = found
                self.scatter = True
                self.save_for_backward(flat)
                return g.layout.outward(best)
        best, choice = _first_max_by_offset(padded, g)
        self.save_for_backward(choice)
        return g.layout.outward(best)

    def backward(self, grad: Any) -> Any:
        g = self.geometry
        xp = get_array_module(grad)
        grad = g.layout.inward(grad)
        result = xp.zeros(g.padded_shape, dtype=grad.dtype)
        if self.scatter:  # each winner is in one window only: one scatter
            (flat,) = self.saved
            result.reshape(-1)[flat] = grad
            return g.layout.outward(crop_spatial(result, g.pads))
        (choice,) = self.saved
        disjoint = all(s >= p for s, p in zip(g.strides, g.pool))
        for k, (rows, columns) in offsets(g.pool, g.strides, (1, 1), g.out):
            if disjoint:  # every pixel is in at most one window: write in place
                xp.multiply(grad, choice == k, out=result[:, rows, columns])
            else:
                result[:, rows, columns] += grad * (choice == k)
        return g.layout.outward(crop_spatial(result, g.pads))


class AvgPooling(Function):
    """Mean over each window's real (non-padded) elements."""

    def __init__(self, geometry: PoolGeometry) -> None:
        self.geometry = geometry

    def _counts(self, xp: Any, dtype: Any) -> Any:
        """How many real pixels each window covers: a scalar, or (1, OH, OW, 1) with padding."""
        g = self.geometry
        if not any(a or b for a, b in g.pads):
            return g.pool[0] * g.pool[1]
        _, height, width, _ = g.padded_shape
        (top, bottom), (left, right) = g.pads
        real = pad_spatial(xp.ones((1, height - top - bottom, width - left - right, 1),
                                   dtype=dtype), g.pads)
        counts = xp.zeros((1, *g.out, 1), dtype=dtype)
        for _, (rows, columns) in offsets(g.pool, g.strides, (1, 1), g.out):
            counts += real[:, rows, columns]
        return counts

    def forward(self, x: Any) -> Any:
        g = self.geometry
        xp = get_array_module(x)
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
        padded = pad_spatial(g.layout.inward(x), g.pads)
        total = None
        for _, (rows, columns) in offsets(g.pool, g.strides, (1, 1), g.out):
            window = padded[:, rows, columns]
            if total is None:
                total = window.astype(dtype, copy=True)
            else:
                total += window
        self.counts = self._counts(xp, dtype)
        return g.layout.outward(total / self.counts)

    def backward(self, grad: Any) -> Any:
        g = self.geometry
        xp = get_array_module(grad)
        share = g.layout.inward(grad) / self.counts
        result = xp.zeros(g.padded_shape, dtype=share.dtype)
        for _, (rows, columns) in offsets(g.pool, g.strides, (1, 1), g.out):
            result[:, rows, columns] += share
        return g.layout.outward(crop_spatial(result, g.pads))


def _pool(
    kind: type[Function], op: str, spatial_dims: int, x: Any, pool_size: Any, strides: Any,
    padding: Any, data_format: str,
) -> Tensor:
    x = as_operand(x)
    geometry = _pool_geometry(op, tuple(x.shape), spatial_dims, pool_size, strides, padding,
                              data_format)
    return kind(geometry)(x)


def max_pool1d(
    x: Any, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
    padding: str = "valid", data_format: str = "channels_last",
) -> Tensor:
    """1-D max pooling: ``y[n, j, c] = max_{0 <= b < p} x_pad[n, j * s + b, c]``.

    ``x`` is ``(N, W, C)``. Output width ``floor((W - p) / s) + 1`` for ``'valid'``, ``ceil(W / s)``
    for ``'same'``; ``strides`` default to ``pool_size``. The gradient of each window goes to its
    first maximum.

    >>> max_pool1d(Tensor(np.array([[[1.0], [3.0], [2.0], [0.0]]]))).numpy().ravel()
    array([3., 2.])
    """
    return _pool(MaxPooling, "max_pool1d", 1, x, pool_size, strides, padding, data_format)


def max_pool2d(
    x: Any, pool_size: int | tuple[int, int] = 2, strides: int | tuple[int, int] | None = None,
    padding: str = "valid", data_format: str = "channels_last",
) -> Tensor:
    """2-D max pooling: ``y[n, i, j, c] = max_{a < ph, b < pw} x_pad[n, i*sh + a, j*sw + b, c]``.

    ``x`` is ``(N, H, W, C)``. Output height ``floor((H - ph) / sh) + 1`` for ``'valid'`` and
    ``ceil(H / sh)`` for ``'same'`` (padded pixels never win), likewise the width; ``strides``
    default to ``pool_size``. Each window's gradient goes to exactly one element, its first maximum
    in row-major order, also when windows overlap or values tie.

    >>> x = Tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> max_pool2d(x, 2).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool(MaxPooling, "max_pool2d", 2, x, pool_size, strides, padding, data_format)


def avg_pool1d(
    x: Any, pool_size: int | tuple[int] = 2, strides: int | tuple[int] | None = None,
    padding: str = "valid", data_format: str = "channels_last",
) -> Tensor:
    """1-D average pooling: the mean of each window's real (non-padded) elements.

    ``y[n, j, c] = sum_b x_pad[n, j * s + b, c] / count_j`` where ``count_j`` is ``pool_size``
    except for ``'same'`` windows that overlap the padding. Sizes as ``max_pool1d``.

    >>> avg_pool1d(Tensor(np.array([[[1.0], [3.0], [2.0]]])), 2, 1).numpy().ravel()
    array([2. , 2.5])
    """
    return _pool(AvgPooling, "avg_pool1d", 1, x, pool_size, strides, padding, data_format)


def avg_pool2d(
    x: Any, pool_size: int | tuple[int, int] = 2, strides: int | tuple[int, int] | None = None,
    padding: str = "valid", data_format: str = "channels_last",
) -> Tensor:
    """2-D average pooling, dividing by the number of real (non-padded) pixels in each window.

    ``y[n, i, j, c] = sum_{a, b} x_pad[n, i*sh + a, j*sw + b, c] / count[i, j]``, as Keras and
    TensorFlow compute it (``count`` is ``ph * pw`` for ``'valid'``). Sizes as ``max_pool2d``.

    >>> avg_pool2d(Tensor(np.arange(16.0).reshape(1, 4, 4, 1)), 2).numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return _pool(AvgPooling, "avg_pool2d", 2, x, pool_size, strides, padding, data_format)


def _global(
    op: str, spatial_dims: int, x: Any, keepdims: bool, data_format: str, reduce: Any,
) -> Tensor:
    x = as_operand(x)
    channels_first = input_layout(op, tuple(x.shape), spatial_dims, data_format).channels_first
    rank = spatial_dims + 2
    axes = tuple(range(2, rank)) if channels_first else tuple(range(1, rank - 1))
    return reduce(x, axis=axes, keepdims=keepdims)


def global_max_pool1d(x: Any, keepdims: bool = False, data_format: str = "channels_last") -> Tensor:
    """Maximum over the steps of ``(N, W, C)``: ``(N, C)``, or ``(N, 1, C)`` with ``keepdims``.

    The gradient is ``ops.max``'s (split evenly among tied maxima, as Keras's torch backend).

    >>> global_max_pool1d(Tensor(np.ones((2, 5, 3)))).shape
    (2, 3)
    """
    from scratchdl.ops.reduction import max as reduce_max

    return _global("global_max_pool1d", 1, x, keepdims, data_format, reduce_max)


def global_max_pool2d(x: Any, keepdims: bool = False, data_format: str = "channels_last") -> Tensor:
    """Maximum over height and width of ``(N, H, W, C)``: ``(N, C)`` (``(N, 1, 1, C)`` kept).

    >>> global_max_pool2d(Tensor(np.ones((2, 4, 4, 3))), keepdims=True).shape
    (2, 1, 1, 3)
    """
    from scratchdl.ops.reduction import max as reduce_max

    return _global("global_max_pool2d", 2, x, keepdims, data_format, reduce_max)


def global_avg_pool1d(x: Any, keepdims: bool = False, data_format: str = "channels_last") -> Tensor:
    """Mean over the steps of ``(N, W, C)``: ``y[n, c] = sum_j x[n, j, c] / W``.

    >>> global_avg_pool1d(Tensor(np.ones((2, 5, 3)))).shape
    (2, 3)
    """
    from scratchdl.ops.reduction import mean

    return _global("global_avg_pool1d", 1, x, keepdims, data_format, mean)


def global_avg_pool2d(x: Any, keepdims: bool = False, data_format: str = "channels_last") -> Tensor:
    """Mean over height and width: ``y[n, c] = sum_{i, j} x[n, i, j, c] / (H * W)``.

    >>> global_avg_pool2d(Tensor(np.ones((2, 4, 4, 3)))).shape
    (2, 3)
    """
    from scratchdl.ops.reduction import mean

    return _global("global_avg_pool2d", 2, x, keepdims, data_format, mean)
