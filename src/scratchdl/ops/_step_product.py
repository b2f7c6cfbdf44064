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

The LSTM keeps its gates gate-major, ``(4, batch, units)``: its forward product writes each
gate's columns into that gate's block (``gates_out=4``), and its backward product reads the
gradient in that layout, each gate's block multiplying that gate's rows of the weight, the four
products summed (``gates_in=4``; the depth is then one gate's rows). A gate-major product may
also take the gates in another order than the weight holds them, each rescaled
(``gate_order``, ``gate_scales``): its pieces are then cut from the weight as given, reordered and
rescaled in the same single pass (the LSTM's weights change at every training step, so the
layout is made anew for every sequence).

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

__all__ = ["MIN_GAIN", "Layout", "StepProduct", "choose_layout", "copy_gates"]

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

# (rows, size, columns, dtype, gates_in, gates_out) -> the layout products of that shape use
_CHOSEN: dict[tuple[int, int, int, str, int, int], Layout] = {}


def _fits(layout: Layout, size: int, columns: int, gates_in: int = 1, gates_out: int = 1) -> bool:
    """Whether ``layout`` cuts a ``(size, columns)`` weight into equal pieces (and cuts it).

    With ``gates_out`` the output is gate-major, so a block must also stay inside one gate's
    columns; with ``gates_in`` the input is gate-major and the depth is one gate's rows.
    """
    width, depth = layout
    if gates_in > 1:
        return depth == size // gates_in and (width == 0 or (width < columns and columns % width == 0))
    if width == 0 or width >= columns or columns % width or (columns // gates_out) % width:
        return False
    if gates_out > 1:
        return depth == 0
    return depth == 0 or (depth < size and size % depth == 0)


def choose_layout(rows: int, size: int, columns: int, dtype: Any,
                  layout: Layout | tuple[int, int] | None, gates_in: int = 1,
                  gates_out: int = 1) -> None:
    """Fix the layout of products ``(rows, size) @ (size, columns)`` of ``dtype``.

    ``layout`` is a :class:`Layout` (or ``(width, depth)``) that divides the weight,
    ``Layout(0, 0)`` for the plain product, or ``None`` to forget the choice (the next product
    times the layouts again). ``gates_in``/``gates_out`` select the gate-major products of
    :class:`StepProduct` (a gate-major input's only depth is one gate's rows; ``Layout(0,
    size // gates_in)`` is its plain product).
    """
    key = (rows, size, columns, np.dtype(dtype).str, gates_in, gates_out)
    if layout is None:
        _CHOSEN.pop(key, None)
        return
    layout = Layout(*layout)
    plain = Layout(0, size // gates_in) if gates_in > 1 else PLAIN
    if layout != plain and not _fits(layout, size, columns, gates_in, gates_out):
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


def copy_gates(blocks: list[Any], scales: tuple[float, ...] | None, out: Any) -> Any:
    """``out[g] = blocks[g] * scales[g]`` for every gate (a plain copy where the scale is 1, or
    for every gate when ``scales`` is None): reordering and rescaling gates in one pass."""
    xp = get_array_module(out)
    for g, block in enumerate(blocks):
        scale = 1.0 if scales is None else scales[g]
        if scale == 1:
            xp.copyto(out[g], block)
        else:
            xp.multiply(block, scale, out=out[g])
    return out


def _out_blocks(out: Any, width: int) -> Any:
    """The ``(blocks, rows, width)`` strided view of ``out`` ``(rows, columns)``: block ``b``
    is ``out[:, b * width:(b + 1) * width]``."""
    rows, columns = out.shape
    return out.reshape(rows, columns // width, width).transpose(1, 0, 2)


class _Prepared:
    """A weight cut into one layout, with the scratch its products need.

    ``gates_out > 1``: the output is gate-major, ``(gates, rows, columns / gates)``.
    ``gates_in > 1``: the input is gate-major, ``(gates, rows, size / gates)``; the products of
    the gates' rows are summed.

    Partial products (of the gates' rows, or of the depth pieces) are kept row-major,
    ``(pieces, rows, columns)``: the batched product writes each block through a strided view,
    and the sum over the pieces then runs on contiguous arrays (summing into a strided view of
    the output was several times slower than the product's own share of the step).
    """

    def __init__(self, product: StepProduct, layout: Layout, rows: int) -> None:
        weight, gates_in, gates_out = product.source, product.gates_in, product.gates_out
        self.layout, self.gates_in, self.gates_out = layout, gates_in, gates_out
        size, columns = weight.shape
        width, depth = layout
        self.partial = self.partial_blocks = None
        if gates_out > 1 or gates_in > 1:
            # (gates, size, units) or (gates, units / width, size, width) with gate-major output;
            # (gates, depth, columns) or (gates, columns / width, depth, width) with gate-major input
            self.pieces = product.gate_pieces(width)
            if gates_out > 1:
                return
            count = gates_in
        else:
            self.pieces = weight if layout == PLAIN else _pieces(weight, layout)
            count = size // depth if depth else 0
        if count:
            self.partial = np.empty((count, rows, columns), dtype=weight.dtype)
            if width:  # the (count, blocks, rows, width) view the batched product writes
                self.partial_blocks = self.partial.reshape(
                    count, rows, columns // width, width).transpose(0, 2, 1, 3)

    def multiply(self, h: Any, out: Any) -> Any:
        width, depth = self.layout
        if self.gates_out > 1:
            if not width:
                return np.matmul(h, self.pieces, out=out)
            gates, rows, units = out.shape
            view = out.reshape(gates, rows, units // width, width).transpose(0, 2, 1, 3)
            np.matmul(h, self.pieces, out=view)
            return out
        if self.gates_in > 1:
            if not width:
                np.matmul(h, self.pieces, out=self.partial)
            else:
                np.matmul(h[:, None], self.pieces, out=self.partial_blocks)
            return np.add.reduce(self.partial, axis=0, out=out)
        if not width:
            return np.matmul(h, self.pieces, out=out)
        if not depth:
            np.matmul(h, self.pieces, out=_out_blocks(out, width))
            return out
        rows, size = h.shape
        # (size/depth, 1, rows, depth) views of h times (size/depth, blocks, depth, width)
        h_pieces = h.reshape(rows, size // depth, depth).transpose(1, 0, 2)[:, None]
        np.matmul(h_pieces, self.pieces, out=self.partial_blocks)
        return np.add.reduce(self.partial, axis=0, out=out)


def _fastest(h: Any, product: StepProduct) -> Layout:
    """Time the plain product against every candidate layout on ``h``'s shape; the one to use."""
    rows = h.shape[-2]
    weight, gates_in, gates_out = product.source, product.gates_in, product.gates_out
    size, columns = weight.shape
    if gates_out > 1:
        out = np.empty((gates_out, rows, columns // gates_out), dtype=weight.dtype)
    else:
        out = np.empty((rows, columns), dtype=weight.dtype)
    if gates_in > 1:
        depth = size // gates_in
        plain = Layout(0, depth)
        candidates = [plain] + [Layout(w, depth) for w in CANDIDATE_WIDTHS
                                if _fits(Layout(w, depth), size, columns, gates_in)]
    else:
        plain = PLAIN
        depths = CANDIDATE_DEPTHS if gates_out == 1 else (0,)
        candidates = [plain] + [Layout(w, d) for w in CANDIDATE_WIDTHS for d in depths
                                if _fits(Layout(w, d), size, columns, 1, gates_out)]
    if len(candidates) == 1:
        return plain
    prepared = [_Prepared(product, layout, rows) for layout in candidates]
    best = [float("inf")] * len(candidates)
    for _ in range(ROUNDS):
        for index, candidate in enumerate(prepared):
            start = time.perf_counter()
            for _ in range(CALLS):
                candidate.multiply(h, out)
            best[index] = min(best[index], time.perf_counter() - start)
    fastest = min(range(len(candidates)), key=best.__getitem__)
    return candidates[fastest] if best[fastest] * MIN_GAIN < best[0] else plain


class StepProduct:
    """``h @ weight`` for every step of a sequence, with the weight laid out once.

    ``weight`` is ``(size, columns)``; calling the object with ``h`` ``(rows, size)`` writes
    ``h @ weight`` into ``out`` (a contiguous ``(rows, columns)`` array, or a new one when
    ``out`` is None) and returns it. Gate-major variants (the LSTM's layout): with
    ``gates_out = G`` the output is ``(G, rows, columns / G)`` (gate ``g``'s columns in
    ``out[g]``); with ``gates_in = G`` the input ``h`` is ``(G, rows, size / G)`` (gate ``g``'s
    part of the inner dimension in ``h[g]``) and the output ``(rows, columns)``.

    A gate-major product can take its gates from ``weight`` in another order and rescaled:
    gate ``g`` is then ``weight``'s block ``gate_order[g]`` (of columns with ``gates_out``, of
    rows with ``gates_in``) times ``gate_scales[g]``. :attr:`weight` is the weight so formed.
    """

    def __init__(self, weight: Any, gates_in: int = 1, gates_out: int = 1,
                 gate_order: tuple[int, ...] | None = None,
                 gate_scales: tuple[float, ...] | None = None) -> None:
        gates = max(gates_in, gates_out)
        for name, value in (("gate_order", gate_order), ("gate_scales", gate_scales)):
            if value is None:
                continue
            if gates == 1:
                raise ValueError(f"StepProduct: {name} applies to gate-major products only "
                                 f"(gates_in or gates_out > 1), got {name}={tuple(value)}")
            if len(value) != gates:
                raise ValueError(f"StepProduct: {name} needs one entry per gate ({gates} gates), "
                                 f"got {tuple(value)}")
        if gate_order is not None and sorted(gate_order) != list(range(gates)):
            raise ValueError(f"StepProduct: gate_order must order the gates 0..{gates - 1}, "
                             f"got {tuple(gate_order)}")
        self.source = weight
        self.gates_in, self.gates_out = gates_in, gates_out
        self.gate_order, self.gate_scales = gate_order, gate_scales
        self._weight = weight if gate_order is None and gate_scales is None else None
        self.prepared: _Prepared | None = None  # decided by the first call

    @property
    def layout(self) -> Layout | None:
        """The layout in use (None before the first product)."""
        return None if self.prepared is None else self.prepared.layout

    def _gate_blocks(self) -> list[Any]:
        """Views of ``weight``'s block for each gate, in the product's gate order (unscaled)."""
        source = self.source
        gates = max(self.gates_in, self.gates_out)
        order = self.gate_order or range(gates)
        if self.gates_out > 1:
            units = source.shape[1] // gates
            return [source[:, k * units:(k + 1) * units] for k in order]
        depth = source.shape[0] // gates
        return [source[k * depth:(k + 1) * depth] for k in order]

    def _scale(self, gate: int) -> float:
        return 1.0 if self.gate_scales is None else self.gate_scales[gate]

    @property
    def weight(self) -> Any:
        """The ``(size, columns)`` weight the product multiplies by (made once when the gates are
        reordered or rescaled)."""
        if self._weight is None:
            xp = get_array_module(self.source)
            blocks = [block * self._scale(g) for g, block in enumerate(self._gate_blocks())]
            self._weight = xp.concatenate(blocks, axis=1 if self.gates_out > 1 else 0)
        return self._weight

    def gate_pieces(self, width: int) -> Any:
        """The gates' weights stacked, ``(gates, rows, columns)`` (each gate's columns with
        ``gates_out``, its rows with ``gates_in``), or with ``width`` each cut into column blocks,
        ``(gates, columns / width, rows, width)``: one pass over ``weight`` (a view of it when
        nothing is cut, reordered or rescaled)."""
        source, gates = self.source, max(self.gates_in, self.gates_out)
        if not width and self.gate_order is None and self.gate_scales is None:
            size, columns = source.shape
            if self.gates_out > 1:
                return source.reshape(size, gates, columns // gates).transpose(1, 0, 2)
            return source.reshape(gates, size // gates, columns)
        blocks = self._gate_blocks()
        if width:
            rows, columns = blocks[0].shape
            blocks = [block.reshape(rows, columns // width, width).transpose(1, 0, 2)
                      for block in blocks]
        pieces = get_array_module(source).empty((gates, *blocks[0].shape), dtype=source.dtype)
        return copy_gates(blocks, self.gate_scales, pieces)

    def _decide(self, h: Any) -> _Prepared | None:
        if get_array_module(h, self.source) is not np:
            return None  # CuPy: the plain products, untimed and uncut
        size, columns = self.source.shape
        layout = Layout(0, size // self.gates_in) if self.gates_in > 1 else PLAIN
        if h.ndim == (3 if self.gates_in > 1 else 2) and h.dtype == self.source.dtype:
            key = (h.shape[-2], size, columns, h.dtype.str, self.gates_in, self.gates_out)
            if key not in _CHOSEN:
                _CHOSEN[key] = _fastest(h, self)
            layout = _CHOSEN[key]
        self.prepared = _Prepared(self, layout, h.shape[-2])
        return self.prepared

    def _plain(self, h: Any, out: Any) -> Any:
        """The product without any cut, for any array module and dtypes (the gate-major forms
        too)."""
        xp = get_array_module(h, self.source)
        weight = self.weight
        size, columns = weight.shape
        if self.gates_out > 1:
            gates = self.gates_out
            return xp.matmul(h, weight.reshape(size, gates, columns // gates).transpose(1, 0, 2),
                             out=out)
        if self.gates_in > 1:
            gates = self.gates_in
            parts = xp.matmul(h, weight.reshape(gates, size // gates, columns))
            return parts.sum(axis=0, out=out)
        return xp.matmul(h, weight, out=out)

    def __call__(self, h: Any, out: Any = None) -> Any:
        prepared = self.prepared or self._decide(h)
        if prepared is None or h.dtype != self.source.dtype:  # CuPy, or a promoted product
            return self._plain(h, out)
        if out is None:
            rows = h.shape[-2]
            columns = self.source.shape[1]
            shape = ((self.gates_out, rows, columns // self.gates_out)
                     if self.gates_out > 1 else (rows, columns))
            out = np.empty(shape, dtype=self.source.dtype)
        return prepared.multiply(h, out)
