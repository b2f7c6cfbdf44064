"""Resizing ops: upsampling1d/2d, zero_padding1d/2d and cropping1d/2d (Keras's reshaping layers).

Data is channels-last, ``(N, W, C)`` or ``(N, H, W, C)``; the 2-D ops (and ``zero_padding1d``) take
``data_format='channels_first'`` as Keras does. Padding and cropping are each other's backward;
upsampling's backward sums each input pixel's share of the output gradient.

Bilinear upsampling matches Keras's ``UpSampling2D(interpolation='bilinear')`` (an image resize
with half-pixel centers, no antialiasing; PyTorch's ``interpolate(..., align_corners=False)``):
output pixel ``o`` of an axis enlarged ``s`` times samples the input at ``(o + 0.5) / s - 0.5``,
clamped to the edges, and mixes its two neighbours linearly. For an integer factor the output pixel
``i * s + r`` always sits at ``i + f_r`` with ``f_r = (r + 0.5) / s - 0.5`` in ``(-0.5, 0.5)``, so

    out[i * s + r] = max(-f_r, 0) * x[i - 1] + (1 - |f_r|) * x[i] + max(f_r, 0) * x[i + 1]

with the neighbour indices clamped to ``[0, n - 1]``: three shifted copies of ``x`` and ``s``
weights, no per-pixel loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._windows import (
    Layout,
    Pads,
    as_operand,
    check_data_format,
    check_input_rank,
    crop_spatial,
    int_tuple,
    pad_spatial,
    pair,
    pair_of_pairs,
    shape_text,
)

__all__ = [
    "upsampling1d", "upsampling2d", "zero_padding1d", "zero_padding2d", "cropping1d", "cropping2d",
]


class UpsampleNearest(Function):
    """Repeat every pixel ``(fh, fw)`` times; the backward sums each block of copies."""

    def __init__(self, layout: Layout, factors: tuple[int, int]) -> None:
        self.layout, self.factors = layout, factors

    def forward(self, x: Any) -> Any:
        x = self.layout.inward(x)
        n, h, w, c = x.shape
        fh, fw = self.factors
        blocks = get_array_module(x).broadcast_to(x[:, :, None, :, None, :], (n, h, fh, w, fw, c))
        return self.layout.outward(blocks.reshape(n, h * fh, w * fw, c))

    def backward(self, grad: Any) -> Any:
        grad = self.layout.inward(grad)
        n, height, width, c = grad.shape
        fh, fw = self.factors
        blocks = grad.reshape(n, height // fh, fh, width // fw, fw, c)
        return self.layout.outward(blocks.sum(axis=(2, 4)))


def _linear_weights(factor: int, dtype: Any) -> tuple[Any, Any, Any]:
    """The weights of the previous, own and next input pixel for each of the ``factor`` phases."""
    offset = (np.arange(factor) + 0.5) / factor - 0.5
    return (np.maximum(-offset, 0).astype(dtype), (1 - np.abs(offset)).astype(dtype),
            np.maximum(offset, 0).astype(dtype))


def _along(axis: int, index: Any) -> tuple[Any, ...]:
    """An indexing tuple that applies ``index`` to ``axis`` of an (N, H, W, C) array."""
    return (slice(None),) * axis + (index,)


def _linear_upsample(x: Any, factor: int, axis: int) -> Any:
    """Enlarge ``axis`` (1 or 2) of ``x`` ``factor`` times by half-pixel linear interpolation."""
    if factor == 1:
        return x
    xp = get_array_module(x)
    size = x.shape[axis]
    previous = x[_along(axis, xp.maximum(xp.arange(size) - 1, 0))]
    following = x[_along(axis, xp.minimum(xp.arange(size) + 1, size - 1))]
    shape = [1] * (x.ndim + 1)
    shape[axis + 1] = factor
    a, b, c = (xp.asarray(w).reshape(shape) for w in _linear_weights(factor, x.dtype))
    phases = (xp.expand_dims(previous, axis + 1) * a + xp.expand_dims(x, axis + 1) * b
              + xp.expand_dims(following, axis + 1) * c)
    new_shape = list(x.shape)
    new_shape[axis] *= factor
    return phases.reshape(new_shape)


def _linear_upsample_grad(grad: Any, factor: int, axis: int) -> Any:
    """The adjoint of ``_linear_upsample``: each input pixel collects its weighted gradients."""
    if factor == 1:
        return grad
    xp = get_array_module(grad)
    shape = list(grad.shape)
    shape[axis: axis + 1] = [shape[axis] // factor, factor]
    phases = grad.reshape(shape)
    weight_shape = [1] * len(shape)
    weight_shape[axis + 1] = factor
    a, b, c = (xp.asarray(w).reshape(weight_shape) for w in _linear_weights(factor, grad.dtype))
    to_previous = (phases * a).sum(axis=axis + 1)
    result = (phases * b).sum(axis=axis + 1)
    to_next = (phases * c).sum(axis=axis + 1)
    # Pixel i read x[max(i - 1, 0)] and x[min(i + 1, n - 1)]: route those shares back.
    result[_along(axis, slice(None, -1))] += to_previous[_along(axis, slice(1, None))]
    result[_along(axis, 0)] += to_previous[_along(axis, 0)]
    result[_along(axis, slice(1, None))] += to_next[_along(axis, slice(None, -1))]
    result[_along(axis, -1)] += to_next[_along(axis, -1)]
    return result


class UpsampleBilinear(Function):
    """Half-pixel bilinear enlargement by integer factors, one axis after the other."""

    def __init__(self, layout: Layout, factors: tuple[int, int]) -> None:
        self.layout, self.factors = layout, factors

    def forward(self, x: Any) -> Any:
        x = self.layout.inward(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        taller = _linear_upsample(x, self.factors[0], 1)
        return self.layout.outward(_linear_upsample(taller, self.factors[1], 2))

    def backward(self, grad: Any) -> Any:
        grad = _linear_upsample_grad(self.layout.inward(grad), self.factors[1], 2)
        return self.layout.outward(_linear_upsample_grad(grad, self.factors[0], 1))


class ZeroPad(Function):
    """Surround the image with zeros; the backward crops the gradient."""

    def __init__(self, layout: Layout, pads: Pads) -> None:
        self.layout, self.pads = layout, pads

    def forward(self, x: Any) -> Any:
        padded = pad_spatial(self.layout.inward(x), self.pads)
        return self.layout.outward(padded.copy() if padded is x else padded)

    def backward(self, grad: Any) -> Any:
        return self.layout.outward(crop_spatial(self.layout.inward(grad), self.pads))


class Crop(Function):
    """Cut rows and columns off the borders; the backward pads the gradient with zeros."""

    def __init__(self, layout: Layout, crops: Pads) -> None:
        self.layout, self.crops = layout, crops

    def forward(self, x: Any) -> Any:
        inner = crop_spatial(self.layout.inward(x), self.crops)
        return get_array_module(x).ascontiguousarray(self.layout.outward(inner))

    def backward(self, grad: Any) -> Any:
        return self.layout.outward(pad_spatial(self.layout.inward(grad), self.crops))


def upsampling1d(x: Any, size: int = 2) -> Tensor:
    """Repeat every step of ``(N, W, C)`` ``size`` times: ``y[n, j, c] = x[n, j // size, c]``.

    Output ``(N, W * size, C)``; as Keras's ``UpSampling1D``.

    >>> upsampling1d(Tensor(np.array([[[1.0], [2.0]]])), 2).numpy().ravel()
    array([1., 1., 2., 2.])
    """
    x = as_operand(x)
    factor = int_tuple(size, 1, "size", "upsampling1d")
    layout = Layout(1, False)
    check_input_rank("upsampling1d", tuple(x.shape), layout)
    return UpsampleNearest(layout, (1, factor[0]))(x)


def upsampling2d(
    x: Any, size: int | tuple[int, int] = (2, 2), data_format: str = "channels_last",
    interpolation: str = "nearest",
) -> Tensor:
    """Enlarge ``(N, H, W, C)`` to ``(N, H * sh, W * sw, C)``, as Keras's ``UpSampling2D``.

    ``'nearest'`` repeats pixels: ``y[n, i, j, c] = x[n, i // sh, j // sw, c]``. ``'bilinear'``
    samples the input at ``((i + 0.5) / sh - 0.5, (j + 0.5) / sw - 0.5)`` (half-pixel centers,
    clamped at the borders) and interpolates linearly in both directions.

    >>> x = Tensor(np.array([[[[0.0], [4.0]]]]))
    >>> upsampling2d(x, (1, 2), interpolation="bilinear").numpy().ravel()
    array([0., 1., 3., 4.])
    """
    op = "upsampling2d"
    x = as_operand(x)
    layout = Layout(2, check_data_format(data_format, op))
    factors = int_tuple(size, 2, "size", op)
    check_input_rank(op, tuple(x.shape), layout)
    mode = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if mode == "nearest":
        return UpsampleNearest(layout, factors)(x)  # type: ignore[arg-type]
    if mode == "bilinear":
        return UpsampleBilinear(layout, factors)(x)  # type: ignore[arg-type]
    raise ValueError(f"{op}: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")


def zero_padding1d(
    x: Any, padding: int | tuple[int, int] = 1, data_format: str = "channels_last",
) -> Tensor:
    """Add zeros before and after the steps of ``(N, W, C)``: ``(N, left + W + right, C)``.

    ``padding`` is an int (both sides) or ``(left, right)``, as Keras's ``ZeroPadding1D``.

    >>> zero_padding1d(Tensor(np.ones((1, 2, 1))), (1, 2)).numpy().ravel()
    array([0., 1., 1., 0., 0.])
    """
    op = "zero_padding1d"
    x = as_operand(x)
    layout = Layout(1, check_data_format(data_format, op))
    check_input_rank(op, tuple(x.shape), layout)
    return ZeroPad(layout, ((0, 0), pair(padding, "padding", op)))(x)


def zero_padding2d(
    x: Any, padding: Any = (1, 1), data_format: str = "channels_last",
) -> Tensor:
    """Add rows and columns of zeros around ``(N, H, W, C)``, as Keras's ``ZeroPadding2D``.

    ``padding`` is ``p`` (all sides), ``(ph, pw)`` (symmetric) or
    ``((top, bottom), (left, right))``; the output is
    ``(N, top + H + bottom, left + W + right, C)``.

    >>> zero_padding2d(Tensor(np.ones((1, 2, 2, 3))), ((1, 0), (2, 1))).shape
    (1, 3, 5, 3)
    """
    op = "zero_padding2d"
    x = as_operand(x)
    layout = Layout(2, check_data_format(data_format, op))
    check_input_rank(op, tuple(x.shape), layout)
    return ZeroPad(layout, pair_of_pairs(padding, "padding", op))(x)


def _check_crops(op: str, x: Any, layout: Layout, crops: Pads) -> None:
    check_input_rank(op, tuple(x.shape), layout)
    spatial = tuple(x.shape[2:] if layout.channels_first else x.shape[1:-1])
    names = ("steps",) if layout.spatial_dims == 1 else ("rows", "columns")
    active = crops[1:] if layout.spatial_dims == 1 else crops
    for name, size, (before, after) in zip(names, spatial, active):
        if before + after >= size:
            amounts = active[0] if layout.spatial_dims == 1 else crops
            raise ValueError(
                f"{op}: cropping {amounts} removes all {size} {name} of input shape "
                f"{shape_text(x.shape)}"
            )


def cropping1d(x: Any, cropping: int | tuple[int, int] = (1, 1)) -> Tensor:
    """Cut steps off both ends of ``(N, W, C)``: ``y = x[:, left:W - right]``, as ``Cropping1D``.

    >>> cropping1d(Tensor(np.arange(5.0).reshape(1, 5, 1)), (1, 2)).numpy().ravel()
    array([1., 2.])
    """
    op = "cropping1d"
    x = as_operand(x)
    layout = Layout(1, False)
    crops = ((0, 0), pair(cropping, "cropping", op))
    _check_crops(op, x, layout, crops)
    return Crop(layout, crops)(x)


def cropping2d(
    x: Any, cropping: Any = ((0, 0), (0, 0)), data_format: str = "channels_last",
) -> Tensor:
    """Cut rows and columns off the borders of ``(N, H, W, C)``, as Keras's ``Cropping2D``.

    ``cropping`` is ``p``, ``(ph, pw)`` or ``((top, bottom), (left, right))``:
    ``y = x[:, top:H - bottom, left:W - right]``.

    >>> cropping2d(Tensor(np.ones((1, 5, 6, 3))), ((1, 2), (0, 3))).shape
    (1, 2, 3, 3)
    """
    op = "cropping2d"
    x = as_operand(x)
    layout = Layout(2, check_data_format(data_format, op))
    crops = pair_of_pairs(cropping, "cropping", op)
    _check_crops(op, x, layout, crops)
    return Crop(layout, crops)(x)
