"""The recurrent step's matrix product ``h @ weight``, in the layout the BLAS library runs fastest.

Every step of a recurrent layer multiplies the previous state ``h`` ``(batch, units)`` by the same
recurrent weight ``(units, gates * units)``: for an LSTM of 256 units on a batch of 32, a
32 x 256 @ 256 x 1024 product, 64 times per sequence and again (transposed) on the way back. At
that size a general BLAS ``gemm`` spends a good part of its time copying ("packing") the weight
into its internal layout on every call. OpenBLAS has a separate kernel for small products that
skips the packing (on AVX-512 CPUs for ``m * n * k`` up to about a million), so the same product
split into column blocks of the weight, each block small enough for that kernel, runs up to 1.7x
faster there; with other BLAS libraries or CPUs the split may gain nothing, or lose.

:class:`StepProduct` therefore keeps two layouts of the weight: the plain one, and column blocks
``(blocks, units, block)`` that one batched ``matmul`` call multiplies, writing each block's result
straight into its columns of the output (a strided view of it: nothing is copied). The first
product of each shape times the plain product against every block size that divides the columns
and keeps the fastest (by at least :data:`MIN_GAIN`), once per process; ``choose_blocks``
overrides the choice (tests run both layouts on the same data). CuPy always uses the plain
product. Both layouts compute the same sums, so results agree to float rounding.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from scratchdl.backend import get_array_module

__all__ = ["MIN_GAIN", "StepProduct", "choose_blocks"]

# Block widths tried (columns of the weight per block); a width must divide the column count.
CANDIDATE_BLOCKS = (32, 64, 128)
# A block layout must beat the plain product by this factor to be chosen (timing noise margin).
MIN_GAIN = 1.1
# Timing of one candidate: the minimum over ROUNDS rounds of CALLS calls each.
ROUNDS, CALLS = 5, 4

# (rows, size, columns, dtype) -> chosen block width, or 0 for the plain product
_CHOSEN: dict[tuple[int, int, int, str], int] = {}


def choose_blocks(rows: int, size: int, columns: int, dtype: Any, blocks: int | None) -> None:
    """Fix the layout for products ``(rows, size) @ (size, columns)`` of ``dtype``.

    ``blocks`` is a block width dividing ``columns``, ``0`` for the plain product, or ``None``
    to forget the choice (the next product times the layouts again).
    """
    key = (rows, size, columns, np.dtype(dtype).str)
    if blocks is None:
        _CHOSEN.pop(key, None)
        return
    if blocks and columns % blocks:
        raise ValueError(f"choose_blocks: a block width of {blocks} does not divide the "
                         f"{columns} columns of the weight")
    _CHOSEN[key] = blocks


def _blocked(weight: Any, width: int) -> Any:
    """``weight`` ``(size, columns)`` as contiguous column blocks ``(columns / width, size, width)``."""
    size, columns = weight.shape
    return np.ascontiguousarray(weight.reshape(size, columns // width, width).transpose(1, 0, 2))


def _out_blocks(out: Any, width: int) -> Any:
    """The ``(blocks, rows, width)`` strided view of ``out`` ``(rows, columns)`` that the batched
    product writes into: block ``b`` is ``out[:, b * width:(b + 1) * width]``."""
    rows, columns = out.shape
    return out.reshape(rows, columns // width, width).transpose(1, 0, 2)


def _fastest(h: Any, weight: Any) -> int:
    """Time the plain product against each block width on ``h``'s shape; the width to use."""
    rows, columns = h.shape[0], weight.shape[1]
    out = np.empty((rows, columns), dtype=weight.dtype)
    candidates = {0: (weight, out)}
    for width in CANDIDATE_BLOCKS:
        if columns % width == 0 and width < columns:
            candidates[width] = (_blocked(weight, width), _out_blocks(out, width))
    if len(candidates) == 1:
        return 0
    best = {width: float("inf") for width in candidates}
    for _ in range(ROUNDS):
        for width, (right, target) in candidates.items():
            start = time.perf_counter()
            for _ in range(CALLS):
                np.matmul(h, right, out=target)
            best[width] = min(best[width], time.perf_counter() - start)
    width = min(best, key=best.__getitem__)
    return width if width and best[width] * MIN_GAIN < best[0] else 0


class StepProduct:
    """``h @ weight`` for every step of a sequence, with the weight laid out once.

    ``weight`` is ``(size, columns)``; calling the object with ``h`` ``(rows, size)`` and a
    contiguous ``out`` ``(rows, columns)`` writes ``h @ weight`` into ``out`` and returns it.
    """

    def __init__(self, weight: Any) -> None:
        self.weight = weight
        self.width = -1  # not decided yet: the first call picks the layout
        self.blocks: Any = None

    def _decide(self, h: Any) -> None:
        xp = get_array_module(h, self.weight)
        self.width = 0
        if xp is not np or h.ndim != 2:
            return
        size, columns = self.weight.shape
        key = (h.shape[0], size, columns, np.result_type(h.dtype, self.weight.dtype).str)
        if key not in _CHOSEN:
            _CHOSEN[key] = _fastest(h, self.weight) if h.dtype == self.weight.dtype else 0
        self.width = _CHOSEN[key]
        if self.width:
            self.blocks = _blocked(self.weight, self.width)

    def __call__(self, h: Any, out: Any) -> Any:
        if self.width < 0:
            self._decide(h)
        if not self.width:
            return get_array_module(h).matmul(h, self.weight, out=out)
        np.matmul(h, self.blocks, out=_out_blocks(out, self.width))
        return out
