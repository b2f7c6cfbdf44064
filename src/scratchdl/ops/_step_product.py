"""The recurrent step's matrix products, in the layout the BLAS library runs fastest.

Every step of a recurrent layer multiplies the previous state ``h`` ``(batch, units)`` by the same
recurrent weight ``(units, gates * units)``: for an LSTM of 256 units on a batch of 32, a
32 x 256 @ 256 x 1024 product, 64 times per sequence, and on the way back the step's gradient
by the weight's transpose, 32 x 1024 @ 1024 x 256. At that size a general BLAS ``gemm`` spends
a good part of its time copying ("packing") the weight into its internal layout on every call.
OpenBLAS has a separate kernel for small products that skips the packing (on AVX-512 CPUs for
``m * n * k`` up to about a million), so the same product split into pieces small enough for
that kernel runs faster there: measured on this project's machine, 0.18 -> 0.11 ms forward and
0.18 -> 0.16 ms backward. With other BLAS libraries or CPUs the split may gain nothing, or lose.

:class:`StepProduct` keeps the weight in one :class:`Layout`, chosen per shape:

* ``Layout(0, 0)``: the plain product;
* ``Layout(width, 0)``: column blocks ``(columns / width, size, width)`` that one batched
  ``matmul`` call multiplies, writing each block's result straight into its columns of the
  output (a strided view of it: nothing is copied);
* ``Layout(width, depth)``: the same with the inner (summed) dimension cut into pieces of
  ``depth`` too; the pieces' partial products are then added up (one ``sum`` call).

The first product of each shape times the plain product against every candidate layout that
divides the weight and keeps the fastest (by at least :data:`MIN_GAIN`), once per process;
:func:`choose_layout` overrides the choice (tests run every layout on the same data). CuPy
always uses the plain product. All layouts compute the same sums (only their order of addition
differs), so results agree to float rounding.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import numpy as np

from scratchdl.backend import get_array_module

__all__ = ["MIN_GAIN", "Layout", "StepProduct", "choose_layout"]

# Column-block widths and inner-dimension pieces tried; each must divide the weight's dimension.
CANDIDATE_WIDTHS = (32, 64, 128)
CANDIDATE_DEPTHS = (0, 128, 256)
# A split layout must beat the plain product by this factor to be chosen (timing noise margin).
MIN_GAIN = 1.1
# Timing of one candidate: the minimum over ROUNDS rounds of CALLS calls each.
ROUNDS, CALLS = 5, 4


class Layout(NamedTuple):
    """How a weight ``(size, columns)`` is cut: column blocks of ``width`` (0: not cut) and
    inner pieces of ``depth`` rows (0: not cut). ``Layout(0, 0)`` is the plain product."""

    width: int
    depth: int


PLAIN = Layout(0, 0)

# (rows, size, columns, dtype) -> the layout products of that shape use
_CHOSEN: dict[tuple[int, int, int, str], Layout] = {}


def _fits(layout: Layout, size: int, columns: int) -> bool:
    """Whether ``layout`` cuts a ``(size, columns)`` weight into equal pieces (and cuts it)."""
    width, depth = layout
    return (0 < width < columns and columns % width == 0
            and (depth == 0 or (depth < size and size % depth == 0)))


def choose_layout(rows: int, size: int, columns: int, dtype: Any,
                  layout: Layout | tuple[int, int] | None) -> None:
    """Fix the layout of products ``(rows, size) @ (size, columns)`` of ``dtype``.

    ``layout`` is a :class:`Layout` (or ``(width, depth)``) that divides the weight,
    ``Layout(0, 0)`` for the plain product, or ``None`` to forget the choice (the next product
    times the layouts again).
    """
    key = (rows, size, columns, np.dtype(dtype).str)
    if layout is None:
        _CHOSEN.pop(key, None)
        return
    layout = Layout(*layout)
    if layout != PLAIN and not _fits(layout, size, columns):
        raise ValueError(
            f"choose_layout: {layout} does not cut a ({size}, {columns}) weight into equal "
            "pieces (the width must divide the columns and the depth, if any, the rows)")
    _CHOSEN[key] = layout


def _pieces(weight: Any, layout: Layout) -> Any:
    """``weight`` ``(size, columns)`` cut as ``layout`` says, contiguous: column blocks
    ``(columns / width, size, width)``, or with a depth ``(size / depth, columns / width,
    depth, width)``."""
    size, columns = weight.shape
    width, depth = layout
    if not depth:
        return np.ascontiguousarray(weight.reshape(size, columns // width, width).transpose(1, 0, 2))
    cut = weight.reshape(size // depth, depth, columns // width, width)
    return np.ascontiguousarray(cut.transpose(0, 2, 1, 3))


def _out_blocks(out: Any, width: int) -> Any:
    """The ``(blocks, rows, width)`` strided view of ``out`` ``(rows, columns)``: block ``b``
    is ``out[:, b * width:(b + 1) * width]``."""
    rows, columns = out.shape
    return out.reshape(rows, columns // width, width).transpose(1, 0, 2)


class _Prepared:
    """A weight cut into one layout, with the scratch its products need."""

    def __init__(self, weight: Any, layout: Layout, rows: int) -> None:
        self.layout = layout
        self.pieces = weight if layout == PLAIN else _pieces(weight, layout)
        size, columns = weight.shape
        self.partial = None
        if layout.depth:
            self.partial = np.empty((size // layout.depth, columns // layout.width, rows,
                                     layout.width), dtype=weight.dtype)

    def multiply(self, h: Any, out: Any) -> Any:
        width, depth = self.layout
        if not width:
            return np.matmul(h, self.pieces, out=out)
        if not depth:
            np.matmul(h, self.pieces, out=_out_blocks(out, width))
            return out
        rows, size = h.shape
        # (size/depth, 1, rows, depth) views of h times (size/depth, blocks, depth, width)
        h_pieces = h.reshape(rows, size // depth, depth).transpose(1, 0, 2)[:, None]
        np.matmul(h_pieces, self.pieces, out=self.partial)
        np.sum(self.partial, axis=0, out=_out_blocks(out, width))
        return out


def _fastest(h: Any, weight: Any) -> Layout:
    """Time the plain product against every candidate layout on ``h``'s shape; the one to use."""
    rows = h.shape[0]
    size, columns = weight.shape
    out = np.empty((rows, columns), dtype=weight.dtype)
    candidates = [PLAIN] + [Layout(w, d) for w in CANDIDATE_WIDTHS for d in CANDIDATE_DEPTHS
                            if _fits(Layout(w, d), size, columns)]
    if len(candidates) == 1:
        return PLAIN
    prepared = [_Prepared(weight, layout, rows) for layout in candidates]
    best = [float("inf")] * len(candidates)
    for _ in range(ROUNDS):
        for index, product in enumerate(prepared):
            start = time.perf_counter()
            for _ in range(CALLS):
                product.multiply(h, out)
            best[index] = min(best[index], time.perf_counter() - start)
    fastest = min(range(len(candidates)), key=best.__getitem__)
    return candidates[fastest] if best[fastest] * MIN_GAIN < best[0] else PLAIN


class StepProduct:
    """``h @ weight`` for every step of a sequence, with the weight laid out once.

    ``weight`` is ``(size, columns)``; calling the object with ``h`` ``(rows, size)`` writes
    ``h @ weight`` into ``out`` (a contiguous ``(rows, columns)`` array, or a new one when
    ``out`` is None) and returns it.
    """

    def __init__(self, weight: Any) -> None:
        self.weight = weight
        self.prepared: _Prepared | None = None  # decided by the first call

    @property
    def layout(self) -> Layout | None:
        """The layout in use (None before the first product)."""
        return None if self.prepared is None else self.prepared.layout

    def _decide(self, h: Any) -> _Prepared:
        xp = get_array_module(h, self.weight)
        layout = PLAIN
        if xp is np and h.ndim == 2 and h.dtype == self.weight.dtype:
            size, columns = self.weight.shape
            key = (h.shape[0], size, columns, h.dtype.str)
            if key not in _CHOSEN:
                _CHOSEN[key] = _fastest(h, self.weight)
            layout = _CHOSEN[key]
        self.prepared = _Prepared(self.weight, layout, h.shape[0])
        return self.prepared

    def __call__(self, h: Any, out: Any = None) -> Any:
        prepared = self.prepared or self._decide(h)
        if prepared.layout == PLAIN:
            return get_array_module(h).matmul(h, self.weight, out=out)
        if out is None:
            out = np.empty((h.shape[0], self.weight.shape[1]), dtype=self.weight.dtype)
        return prepared.multiply(h, out)
