"""Padding: ``pad``, as ``np.pad`` with the modes ``'constant'``, ``'reflect'``, ``'symmetric'`` and
``'edge'``.

Padding copies values around the tensor, so its backward keeps the gradient of the interior and, for
the copying modes, folds the gradient of every padded copy back onto the element it copied.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module

__all__ = ["pad"]

PAD_MODES = ("constant", "reflect", "symmetric", "edge")


class Pad(Function):
    """Pad every axis; the gradient of the padding is folded back onto the values it copied."""

    def __init__(self, pad_width: Any, mode: str, constant_values: Any) -> None:
        if mode not in PAD_MODES:
            raise ValueError(f"pad: mode must be one of {PAD_MODES}, got {mode!r}")
        self.pad_width, self.mode, self.constant_values = pad_width, mode, constant_values

    def _pairs(self, x: Any) -> list[tuple[int, int]]:
        width = self.pad_width.numpy() if isinstance(self.pad_width, Tensor) else self.pad_width
        width = np.asarray(width)
        if width.dtype.kind not in "iu":
            raise TypeError(f"pad: pad_width must hold integers, got {self.pad_width!r}")
        try:
            # The forms np.pad accepts: n, (n,), (before, after), ((b0, a0), (b1, a1), ...).
            pairs = np.broadcast_to(width, (x.ndim, 2))
        except ValueError:
            raise ValueError(
                f"pad: pad_width {self.pad_width!r} does not fit a tensor of shape {x.shape}: "
                f"expected one (before, after) pair per axis ({x.ndim})"
            ) from None
        if (pairs < 0).any():
            raise ValueError(f"pad: pad widths must be non-negative, got {self.pad_width!r}")
        pairs = [(int(b), int(a)) for b, a in pairs]
        limit = {"reflect": 1, "symmetric": 0}.get(self.mode)
        for axis, ((before, after), length) in enumerate(zip(pairs, x.shape)):
            if before == after == 0 or self.mode == "constant":
                continue
            if length == 0:
                raise ValueError(
                    f"pad: mode {self.mode!r} cannot pad axis {axis} of length 0 (shape {x.shape})"
                )
            if limit is not None and max(before, after) > length - limit:
                bound = "smaller than" if limit else "at most"
                raise ValueError(
                    f"pad: mode {self.mode!r} needs pad widths {bound} the axis length; axis "
                    f"{axis} of shape {x.shape} has length {length} but pad widths "
                    f"{(before, after)}"
                )
        return pairs

    def forward(self, x: Any) -> Any:
        self.input_shape = x.shape
        self.pairs = self._pairs(x)
        xp = get_array_module(x)
        if self.mode == "constant":
            return xp.pad(x, self.pairs, mode="constant", constant_values=self.constant_values)
        return xp.pad(x, self.pairs, mode=self.mode)

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        # One pass per padded axis (axis pads commute): keep the interior and add to it the
        # gradient of every padded copy, reversed for mirror modes.
        for axis, (before, after) in enumerate(self.pairs):
            if before == after == 0:
                continue
            n = self.input_shape[axis]
            moved = xp.moveaxis(grad, axis, 0)
            core = moved[before:before + n].copy()
            head, tail = moved[:before], moved[before + n:]
            if self.mode == "reflect":  # [.. x2 x1 | x0 x1 x2 .. | x_{n-2} ..]: edges not repeated
                core[1:before + 1] += head[::-1]
                core[n - 1 - after:n - 1] += tail[::-1]
            elif self.mode == "symmetric":  # [.. x1 x0 | x0 x1 .. | x_{n-1} ..]: edges repeated
                core[:before] += head[::-1]
                core[n - after:] += tail[::-1]
            elif self.mode == "edge":
                core[0] += head.sum(axis=0)
                core[n - 1] += tail.sum(axis=0)
            grad = xp.moveaxis(core, 0, axis)
        return grad


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """Pad ``x`` as ``np.pad`` does, with ``pad_width`` as ``n``, ``(before, after)`` or one
    ``(before, after)`` pair per axis.

    Modes: ``'constant'`` (fill with ``constant_values``), ``'reflect'`` (mirror without
    repeating the edge; widths below the axis length), ``'symmetric'`` (mirror repeating the edge;
    widths up to the axis length), ``'edge'`` (repeat the edge value). The gradient keeps the
    interior and, for the copying modes, adds the gradient of each padded copy to the element
    it copied.

    >>> pad(Tensor([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
    Tensor([3., 2., 1., 2., 3., 2.])
    """
    if mode != "constant" and constant_values not in (0, None):
        raise ValueError(f"pad: constant_values is only used with mode='constant', not {mode!r}")
    return Pad(pad_width, mode, 0 if constant_values is None else constant_values)(x)
