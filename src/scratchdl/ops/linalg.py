"""Linear algebra ops: matmul, einsum, tensordot, outer, dot and norm.

Products are differentiated with the same product in reverse: for ``z = x @ y`` the gradients are
``dz @ y.T`` and ``x.T @ dz``; for an einsum, each operand's gradient is another einsum that maps
the output gradient and the other operands back to that operand's subscripts. Batch dimensions
that broadcasting stretched are summed back by the engine.
"""

from __future__ import annotations

import functools
import math
import string
from collections import Counter
from typing import Any

import numpy as np

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor, as_tensor
from scratchdl.backend import as_array, get_array_module
from scratchdl.ops._helpers import normalize_axis, shape_of

__all__ = ["matmul", "linear", "einsum", "tensordot", "outer", "dot", "norm"]


def _swap(a: Any) -> Any:
    """The matrix transpose of the last two axes (a view)."""
    return a.swapaxes(-1, -2)


# --------------------------------------------------------------------------- matmul
def _matmul_error(xs: tuple[int, ...], ys: tuple[int, ...]) -> ValueError:
    prefix = f"matmul: shapes {xs} and {ys} are incompatible: "
    if not xs or not ys:
        return ValueError(prefix + "0-d operands are not allowed (use multiply)")
    inner_x, inner_y = xs[-1], (ys[0] if len(ys) == 1 else ys[-2])
    if inner_x != inner_y:
        return ValueError(prefix + f"{inner_x} != {inner_y}")
    return ValueError(
        prefix + f"batch dimensions {xs[:-2]} and {ys[:-2]} cannot be broadcast together"
    )


def _stacked_times_matrix(xp: Any, a: Any, b: Any) -> Any:
    """``a @ b`` for ``a`` ``(..., n, k)`` and a matrix ``b`` ``(k, m)``.

    A C-contiguous ``a`` is folded into the rows of ONE ``(rows, k) @ (k, m)`` product (a
    Dense layer on sequences); ``matmul`` would call BLAS once per leading index (measured
    1.2-1.5x slower for (32, 64, 256) @ (256, 65)). Anything else goes to ``matmul`` as is.
    """
    if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous and a.shape[-1] == b.shape[0]:
        return xp.matmul(a.reshape(-1, a.shape[-1]), b).reshape(*a.shape[:-1], b.shape[1])
    return xp.matmul(a, b)


class MatMul(Function):
    """x @ y with NumPy's rules (1-D operands promoted, batch dimensions broadcast)."""

    def forward(self, x: Any, y: Any) -> Any:
        try:
            out = _stacked_times_matrix(get_array_module(x, y), x, y)
        except ValueError:
            raise _matmul_error(shape_of(x), shape_of(y)) from None
        self.save_for_backward(x, y)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        if x.ndim == 1 and y.ndim == 1:  # inner product: grad is a scalar
            return (grad * y if need_x else None), (grad * x if need_y else None)
        # Promote 1-D operands to matrices (a row for x, a column for y) as matmul does, and
        # give the gradient the matching unit axis; squeeze it out of the results at the end.
        x2, y2, grad2 = x, y, grad
        if x.ndim == 1:
            x2, grad2 = x[None, :], grad2[..., None, :]
        if y.ndim == 1:
            y2, grad2 = y[:, None], grad2[..., None]
        xp = get_array_module(grad)
        grad_x = grad_y = None
        if need_x:
            if x2.ndim == 2 and y2.ndim > 2:
                # Sum over the batch inside the product instead of materializing (batch, n, k).
                batch = list(range(y2.ndim - 2)) + [y2.ndim - 1]
                grad_x = xp.tensordot(grad2, y2, axes=(batch, batch))
            else:
                grad_x = _stacked_times_matrix(xp, grad2, _swap(y2))
            if x.ndim == 1:
                grad_x = grad_x[..., 0, :]
        if need_y:
            if y2.ndim == 2 and x2.ndim > 2:
                # The Dense-on-sequences case: fold the batch into the rows of one product.
                k, m = x2.shape[-1], grad2.shape[-1]
                grad_y = x2.reshape(-1, k).T @ grad2.reshape(-1, m)
            else:
                grad_y = _swap(x2) @ grad2
            if y.ndim == 1:
                grad_y = grad_y[..., 0]
        return grad_x, grad_y


class Linear(Function):
    """``x @ kernel + bias`` as one op (a Dense layer's affine map), optionally followed by ReLU.

    The bias is added, and ReLU applied, in place in the product's fresh output, so the layer
    makes one output array and one graph node instead of two or three of each; the bias gradient
    is the output gradient, which the engine sums over the leading axes (``sum_to``: one
    matrix-vector product). With ReLU the output itself is saved: its positive entries are where
    the gradient passes (0 at 0, as ``ops.relu``).
    """

    def __init__(self, has_bias: bool, relu: bool = False) -> None:
        self.has_bias = has_bias
        self.relu = relu

    def forward(self, x: Any, kernel: Any, bias: Any = None) -> Any:
        xp = get_array_module(x, kernel, bias)
        try:
            out = _stacked_times_matrix(xp, x, kernel)
        except ValueError:
            message = str(_matmul_error(shape_of(x), shape_of(kernel)))
            raise ValueError(message.replace("matmul:", "linear:", 1)) from None
        if self.has_bias:
            if (xp.result_type(out, bias) == out.dtype and getattr(bias, "ndim", 0) == 1
                    and bias.shape[0] == out.shape[-1]):
                out += bias
            else:  # a promoting dtype, or a bias that is not a vector along the last axis
                out = out + bias
        if self.relu:
            xp.maximum(out, 0, out=out)
            self.save_for_backward(x, kernel, out)
        else:
            self.save_for_backward(x, kernel)
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, kernel = self.saved[:2]
        xp = get_array_module(grad)
        if self.relu:
            grad = grad * (self.saved[2] > 0)
        need = self.needs_input_grad
        grad_x = _stacked_times_matrix(xp, grad, kernel.T) if need[0] else None
        grad_kernel = None
        if need[1]:
            k, m = x.shape[-1], grad.shape[-1]
            grad_kernel = x.reshape(-1, k).T @ grad.reshape(-1, m)
        if not self.has_bias:
            return grad_x, grad_kernel
        return grad_x, grad_kernel, (grad if need[2] else None)


# --------------------------------------------------------------------------- einsum
_LABELS = string.ascii_letters


class _EinsumSpec:
    """Subscripts with every ``...`` replaced by explicit labels and the output made explicit."""

    def __init__(self, subscripts: str, shapes: list[tuple[int, ...]]) -> None:
        self.text = subscripts
        spec = subscripts.replace(" ", "")
        if spec.count("->") > 1:
            raise ValueError(f"einsum: subscripts {subscripts!r} contain more than one '->'")
        inputs, arrow, output = spec.partition("->")
        bad = set(spec.replace("->", "").replace("...", "")) - set(_LABELS) - {","}
        if bad or (not arrow and ">" in spec) or "." in output.replace("...", ""):
            raise ValueError(
                f"einsum: invalid subscripts {subscripts!r}: use letters, ',', '->' and '...'"
            )
        terms = inputs.split(",")
        if len(terms) != len(shapes):
            raise ValueError(
                f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), got "
                f"{len(shapes)} with shapes {', '.join(str(s) for s in shapes)}"
            )
        # Each '...' stands for the operand's extra dimensions; they broadcast right-aligned.
        extra = []
        for index, (term, shape) in enumerate(zip(terms, shapes)):
            named = len(term.replace("...", ""))
            if term.count("...") > 1 or "." in term.replace("...", ""):
                raise ValueError(f"einsum: operand {index} has a malformed '...' in {term!r}")
            if ("..." in term and named > len(shape)) or ("..." not in term and named != len(shape)):
                raise ValueError(
                    f"einsum: operand {index} has shape {shape} ({len(shape)} dimensions) but "
                    f"its subscripts {term!r} name {named}"
                )
            extra.append(len(shape) - named if "..." in term else 0)
        free = [c for c in _LABELS if c not in spec]
        width = max(extra, default=0)
        if width > len(free):
            raise ValueError(f"einsum: too many dimensions under '...' in {subscripts!r}")
        ellipsis = "".join(free[:width])
        self.inputs = [
            term.replace("...", ellipsis[width - n:]) for term, n in zip(terms, extra)
        ]
        if arrow:
            if width and "..." not in output:
                raise ValueError(
                    f"einsum: the inputs of {subscripts!r} have {width} dimension(s) under '...' "
                    "but the output has no '...' to keep them"
                )
            self.output = output.replace("...", ellipsis)
            for label in self.output:
                if not any(label in term for term in self.inputs):
                    raise ValueError(
                        f"einsum: output label {label!r} of {subscripts!r} is not in any input"
                    )
            if len(set(self.output)) != len(self.output):
                raise ValueError(f"einsum: output subscripts of {subscripts!r} repeat a label")
        else:
            counts = Counter(inputs.replace("...", "").replace(",", ""))
            self.output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
        self._check_sizes(shapes)

    def _check_sizes(self, shapes: list[tuple[int, ...]]) -> None:
        sizes: dict[str, tuple[int, int]] = {}
        for index, (term, shape) in enumerate(zip(self.inputs, shapes)):
            for label, size in zip(term, shape):
                if label not in sizes:
                    sizes[label] = (size, index)
                    continue
                seen, where = sizes[label]
                repeated_here = where == index
                if size != seen and (repeated_here or 1 not in (size, seen)):
                    name = label if label in self.text else "under '...'"
                    raise ValueError(
                        f"einsum: subscripts {self.text!r} do not fit shapes "
                        f"{', '.join(str(s) for s in shapes)}: label {name} has size {seen} in "
                        f"operand {where} and {size} in operand {index}"
                    )
                if seen == 1:
                    sizes[label] = (size, index)

    def explicit(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


@functools.lru_cache(maxsize=512)
def _contraction_path(subscripts: str, shapes: tuple[tuple[int, ...], ...]) -> list[Any]:
    """NumPy's optimized contraction order for these subscripts and shapes, computed once.

    Searching the path costs more than a small contraction itself; it depends only on the shapes,
    so stand-in zero-stride arrays of those shapes are enough to find it.
    """
    stand_ins = [np.broadcast_to(np.zeros((), dtype=np.float32), shape) for shape in shapes]
    return np.einsum_path(subscripts, *stand_ins, optimize="greedy")[0]


def _contract(subscripts: str, *operands: Any) -> Any:
    """``einsum`` with an optimized contraction order (a cached path for NumPy arrays)."""
    xp = get_array_module(*operands)
    if xp is not np:
        return xp.einsum(subscripts, *operands, optimize=True)
    path = _contraction_path(subscripts, tuple(op.shape for op in operands))
    return np.einsum(subscripts, *operands, optimize=path)


class Einsum(Function):
    """Einstein summation; each operand's gradient is an einsum of the output grad and the rest."""

    def __init__(self, spec: _EinsumSpec) -> None:
        self.spec = spec

    def forward(self, *operands: Any) -> Any:
        self.save_for_backward(*operands)
        return _contract(self.spec.explicit(), *operands)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        operands = self.saved
        return tuple(
            self._operand_grad(k, grad, operands) if needed else None
            for k, needed in enumerate(self.needs_input_grad)
        )

    def _operand_grad(self, k: int, grad: Any, operands: tuple[Any, ...]) -> Any:
        xp = get_array_module(grad)
        spec, operand = self.spec, operands[k]
        labels = spec.inputs[k]
        own = dict(zip(labels, operand.shape))
        unique = list(dict.fromkeys(labels))
        others = [j for j in range(len(operands)) if j != k]
        available = set(spec.output).union(*(spec.inputs[j] for j in others))
        # Labels only this operand has were summed away: the gradient is constant along them.
        computed = [label for label in unique if label in available]
        if not others and "".join(computed) == spec.output:
            result = grad
        else:
            terms = ",".join([spec.output] + [spec.inputs[j] for j in others])
            result = xp.asarray(_contract(
                f"{terms}->{''.join(computed)}", grad, *(operands[j] for j in others)
            ))
        # A size-1 dimension broadcast against a longer one collects the whole sum.
        stretched = tuple(
            axis for axis, label in enumerate(computed)
            if own[label] == 1 and result.shape[axis] != 1
        )
        if stretched:
            result = result.sum(axis=stretched, keepdims=True)
        if len(computed) != len(unique):
            result = result.reshape([own[label] if label in computed else 1 for label in unique])
            result = xp.broadcast_to(result, [own[label] for label in unique])
        if len(unique) == len(labels):
            return result
        # A label repeated within the operand ('ii->i') reads its diagonal: write the gradient
        # onto that diagonal of zeros, through a strided view that walks it.
        full = xp.zeros(operand.shape, dtype=result.dtype)
        strides = [
            sum(full.strides[p] for p, name in enumerate(labels) if name == label)
            for label in unique
        ]
        diagonal = xp.lib.stride_tricks.as_strided(
            full, shape=[own[label] for label in unique], strides=strides
        )
        diagonal[...] = result
        return full


# --------------------------------------------------------------------------- tensordot, outer
def _inverse(layout: list[int]) -> list[int]:
    """The permutation that puts axis ``layout[i]`` (found at position i) back at its place."""
    return [layout.index(axis) for axis in range(len(layout))]


class TensorDot(Function):
    """Sum of products over the paired axes ``x_axes`` / ``y_axes``."""

    def __init__(self, x_axes: list[int], y_axes: list[int]) -> None:
        self.x_axes, self.y_axes = x_axes, y_axes

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return get_array_module(x, y).tensordot(x, y, axes=(self.x_axes, self.y_axes))

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        xp = get_array_module(grad)
        xa, ya = self.x_axes, self.y_axes
        x_free = [a for a in range(x.ndim) if a not in xa]
        y_free = [b for b in range(y.ndim) if b not in ya]
        nx, ny = len(x_free), len(y_free)
        need_x, need_y = self.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            # Contract grad's y part with y's free axes; y's remaining (contracted) axes come out
            # in ascending order, each standing for its partner axis of x.
            partial = xp.tensordot(grad, y, axes=(list(range(nx, nx + ny)), y_free))
            layout = x_free + [xa[ya.index(b)] for b in sorted(ya)]
            grad_x = partial.transpose(_inverse(layout))
        if need_y:
            partial = xp.tensordot(x, grad, axes=(x_free, list(range(nx))))
            layout = [ya[xa.index(a)] for a in sorted(xa)] + y_free
            grad_y = partial.transpose(_inverse(layout))
        return grad_x, grad_y


class Outer(Function):
    """The outer product of the flattened x and y."""

    def forward(self, x: Any, y: Any) -> Any:
        self.save_for_backward(x, y)
        return x.reshape(-1, 1) * y.reshape(1, -1)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x, y = self.saved
        need_x, need_y = self.needs_input_grad
        grad_x = (grad @ y.reshape(-1)).reshape(x.shape) if need_x else None
        grad_y = (x.reshape(-1) @ grad).reshape(y.shape) if need_y else None
        return grad_x, grad_y


# --------------------------------------------------------------------------- norm
_VECTOR_ORDS = "None, 0, 1, 2, inf, -inf or another number"
_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _spread(values: Any, chosen: Any, axes: Any) -> Any:
    """Split a max/min's gradient evenly between tied entries (as PyTorch's amax does)."""
    mask = chosen.astype(values.dtype)
    return mask / mask.sum(axis=axes, keepdims=True)


class Norm(Function):
    """Vector norm over ``axes`` (one or all axes) or matrix norm over the axis pair ``axes``."""

    def __init__(self, ord: Any, axes: tuple[int, ...], matrix: bool, keepdims: bool) -> None:
        self.ord, self.axes, self.matrix, self.keepdims = ord, axes, matrix, keepdims

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.input_shape = x.shape
        kept = tuple(1 if a in self.axes else n for a, n in enumerate(x.shape))
        if self.matrix and self.ord in (2, -2, "nuc"):
            out = self._singular_forward(xp, x).reshape(kept)
        elif self.matrix and self.ord not in (None, "fro"):
            out = self._induced_forward(xp, x)
        else:
            out = self._vector_forward(xp, x)
        self.kept_shape = kept
        if self.keepdims:
            return out
        return out.reshape(tuple(n for a, n in enumerate(x.shape) if a not in self.axes))

    def _vector_forward(self, xp: Any, x: Any) -> Any:
        p, axes = self.ord, self.axes
        if p in (None, 2, "fro"):
            out = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=True))
        elif p == 1:
            out = xp.sum(xp.abs(x), axis=axes, keepdims=True)
        elif p in (math.inf, -math.inf):
            pick = xp.max if p > 0 else xp.min
            out = pick(xp.abs(x), axis=axes, keepdims=True)
        elif p == 0:
            out = xp.sum(x != 0, axis=axes, keepdims=True).astype(x.dtype)
        else:
            out = xp.sum(xp.abs(x) ** p, axis=axes, keepdims=True) ** (1.0 / p)
        self.save_for_backward(x, out)
        return out

    def _induced_forward(self, xp: Any, x: Any) -> Any:
        # ord=±1: max/min column sum (sum over the row axis); ord=±inf: the same with rows.
        rows, cols = self.axes
        summed, picked = (rows, cols) if self.ord in (1, -1) else (cols, rows)
        line_sums = xp.sum(xp.abs(x), axis=summed, keepdims=True)
        pick = xp.max if self.ord > 0 else xp.min
        out = pick(line_sums, axis=picked, keepdims=True)
        self.save_for_backward(x, line_sums, out)
        return out

    def _singular_forward(self, xp: Any, x: Any) -> Any:
        stacked = xp.moveaxis(x, self.axes, (-2, -1))
        u, s, vh = xp.linalg.svd(stacked, full_matrices=False)
        self.save_for_backward(u, vh)
        if self.ord == "nuc":
            return s.sum(axis=-1)
        return s[..., 0] if self.ord == 2 else s[..., -1]

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        grad = grad.reshape(self.kept_shape)
        p = self.ord
        if self.matrix and p in (2, -2, "nuc"):
            u, vh = self.saved
            if p == "nuc":
                direction = u @ vh
            else:
                pick = slice(0, 1) if p == 2 else slice(-1, None)
                direction = u[..., :, pick] @ vh[..., pick, :]
            batch = xp.moveaxis(grad, self.axes, (-2, -1))
            return xp.moveaxis(batch * direction, (-2, -1), self.axes)
        if self.matrix and p not in (None, "fro"):
            x, line_sums, out = self.saved
            picked = self.axes[1] if p in (1, -1) else self.axes[0]
            return grad * xp.sign(x) * _spread(line_sums, line_sums == out, picked)
        x, out = self.saved
        if p in (None, 2, "fro"):
            # d||x|| = x / ||x||, taken as 0 at the zero vector (a subgradient) instead of NaN.
            return (grad / xp.where(out > 0, out, 1)) * x
        if p == 1:
            return grad * xp.sign(x)
        if p in (math.inf, -math.inf):
            return grad * xp.sign(x) * _spread(out, xp.abs(x) == out, self.axes)
        if p == 0:
            return xp.zeros(x.shape, dtype=grad.dtype)
        magnitude = xp.abs(x)
        nonzero = magnitude > 0
        powered = xp.where(nonzero, xp.where(nonzero, magnitude, 1) ** (p - 1), 0)
        scale = xp.where(out > 0, xp.where(out > 0, out, 1) ** (1 - p), 0)
        return grad * xp.sign(x) * powered * scale


# --------------------------------------------------------------------------- public functions
def matmul(x: Any, y: Any) -> Tensor:
    """Matrix product with NumPy's rules: ``out[..., i, j] = sum_k x[..., i, k] y[..., k, j]``.

    A 1-D ``x`` is a row vector and a 1-D ``y`` a column vector (the unit axis is dropped from
    the result); leading batch dimensions broadcast. Gradients: ``dx = dz @ y^T`` and
    ``dy = x^T @ dz``, summed over broadcast batch dimensions. The dtype is kept (float32 stays
    float32).

    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    Tensor([[11.]])
    """
    return MatMul()(x, y)


def linear(x: Any, kernel: Any, bias: Any = None, activation: str | None = None) -> Tensor:
    """``x @ kernel + bias``: what a ``Dense`` layer computes, fused into one op.

    ``x`` is ``(..., in)``, ``kernel`` ``(in, out)`` (Keras's layout) and ``bias`` ``(out,)`` or
    None; ``activation`` is None or ``'relu'`` (applied in the same op). The same value and
    gradients as ``matmul(x, kernel) + bias`` (then ``relu``), with one output array and one
    graph node: ``dx = dz @ kernel^T``, ``dkernel = x^T @ dz`` (leading axes folded into the
    rows), ``dbias = dz`` summed over the leading axes, ``dz`` masked by ``out > 0`` for ReLU.

    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]), Tensor([0.5]))
    Tensor([[11.5]])
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    if x.ndim < 1 or kernel.ndim != 2:
        raise ValueError(
            f"linear: expected x (..., in) and a 2-D kernel (in, out), got shapes {tuple(x.shape)} "
            f"and {tuple(kernel.shape)}"
        )
    if activation not in (None, "relu"):
        raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
    relu = activation == "relu"
    if bias is None:
        return Linear(False, relu)(x, kernel)
    return Linear(True, relu)(x, kernel, bias)


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation over ``operands``, as ``np.einsum`` (explicit or implicit output).

    Labels repeated across operands are multiplied together; labels missing from the output are
    summed; a label repeated inside one operand takes its diagonal (``'ii->i'``); ``'...'``
    stands for broadcast dimensions. The gradient of each operand is the einsum that maps the
    output gradient and the other operands to that operand's subscripts.

    >>> einsum("ij,j->i", Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([1.0, 1.0]))
    Tensor([3., 7.])
    """
    if not isinstance(subscripts, str):
        raise TypeError(
            f"einsum: subscripts must be a string such as 'ij,jk->ik', got {type(subscripts).__name__}"
        )
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    shapes = [shape_of(op) if hasattr(op, "shape") else as_array(op).shape for op in operands]
    return Einsum(_EinsumSpec(subscripts, shapes))(*operands)


def tensordot(x: Any, y: Any, axes: Any = 2) -> Tensor:
    """Sum of products over paired axes, as ``np.tensordot``.

    ``axes=N`` pairs the last N axes of ``x`` with the first N of ``y``; ``axes=(x_axes,
    y_axes)`` pairs them explicitly. The result has ``x``'s free axes then ``y``'s. Gradients
    are tensordots of the output gradient with the other operand, transposed back.

    >>> tensordot(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]), axes=1)
    Tensor([[11.]])
    """
    xs = shape_of(x) if hasattr(x, "shape") else as_array(x).shape
    ys = shape_of(y) if hasattr(y, "shape") else as_array(y).shape
    if isinstance(axes, int):
        if not 0 <= axes <= min(len(xs), len(ys)):
            raise ValueError(
                f"tensordot: axes={axes} is invalid for shapes {xs} and {ys} (need 0 <= axes <= "
                f"{min(len(xs), len(ys))})"
            )
        x_axes, y_axes = list(range(len(xs) - axes, len(xs))), list(range(axes))
    else:
        try:
            x_part, y_part = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}") from None
        x_list = [x_part] if isinstance(x_part, int) else list(x_part)
        y_list = [y_part] if isinstance(y_part, int) else list(y_part)
        if len(x_list) != len(y_list):
            raise ValueError(
                f"tensordot: axes {axes!r} pair {len(x_list)} axes of x with {len(y_list)} of y"
            )
        x_axes = [normalize_axis(a, len(xs), "tensordot")[0] for a in x_list]
        y_axes = [normalize_axis(b, len(ys), "tensordot")[0] for b in y_list]
        if len(set(x_axes)) != len(x_axes) or len(set(y_axes)) != len(y_axes):
            raise ValueError(f"tensordot: repeated axis in axes {axes!r}")
    for a, b in zip(x_axes, y_axes):
        if xs[a] != ys[b]:
            raise ValueError(
                f"tensordot: shapes {xs} and {ys} are incompatible: axis {a} of x has size "
                f"{xs[a]} but axis {b} of y has size {ys[b]}"
            )
    return TensorDot(x_axes, y_axes)(x, y)


def outer(x: Any, y: Any) -> Tensor:
    """Outer product ``out[i, j] = x_flat[i] * y_flat[j]`` of the flattened inputs.

    >>> outer(Tensor([1.0, 2.0]), Tensor([3.0, 4.0, 5.0]))
    Tensor([[ 3.,  4.,  5.],
            [ 6.,  8., 10.]])
    """
    return Outer()(x, y)


def dot(x: Any, y: Any) -> Tensor:
    """Dot product with ``np.dot`` (and ``keras.ops.dot``) semantics.

    0-d operands multiply elementwise; if ``y`` is 1-D or both are at most 2-D this is
    ``matmul``; otherwise it sums the last axis of ``x`` against the second-to-last axis of
    ``y``: ``dot(a, b)[i, j, k, m] = sum(a[i, j, :] * b[k, :, m])``.

    >>> dot(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor(11.)
    """
    xs = shape_of(x) if hasattr(x, "shape") else as_array(x).shape
    ys = shape_of(y) if hasattr(y, "shape") else as_array(y).shape
    if not xs or not ys:
        from scratchdl.ops.arithmetic import multiply

        return multiply(x, y)
    if len(ys) == 1 or (len(xs) <= 2 and len(ys) <= 2):
        try:
            return matmul(x, y)
        except ValueError as error:
            raise ValueError(str(error).replace("matmul:", "dot:", 1)) from None
    if xs[-1] != ys[-2]:
        raise ValueError(f"dot: shapes {xs} and {ys} are incompatible: {xs[-1]} != {ys[-2]}")
    return tensordot(x, y, axes=([len(xs) - 1], [len(ys) - 2]))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """Vector or matrix norm, as ``np.linalg.norm`` (and ``keras.ops.norm``).

    * ``axis`` an int (or ``axis=None`` with ``ord=None``, which flattens): vector norm
      ``(sum |x|^p)^(1/p)`` with ``ord`` ``None``/2 (Euclidean), 1, ``inf`` (max ``|x|``),
      ``-inf`` (min), 0 (count of non-zeros, gradient 0) or another number ``p``.
    * ``axis`` a pair ``(rows, cols)`` (or ``axis=None`` with a 2-D ``x`` and an ``ord``): matrix
      norm with ``ord`` ``None``/``'fro'`` (Frobenius), ``'nuc'`` (sum of singular values), 2 / -2
      (largest / smallest singular value), 1 / -1 (max / min column sum of ``|x|``), ``inf`` /
      ``-inf`` (max / min row sum).

    The Euclidean gradient ``x / ||x||`` is taken as 0 at the zero vector rather than NaN; at ties
    of max/min the gradient is split evenly.

    >>> norm(Tensor([3.0, 4.0]))
    Tensor(5.)
    """
    shape = shape_of(x) if hasattr(x, "shape") else as_array(x).shape
    ndim = len(shape)
    if axis is None:
        if ord is None:
            axes, matrix = tuple(range(ndim)), False
        elif ndim == 1:
            axes, matrix = (0,), False
        elif ndim == 2:
            axes, matrix = (0, 1), True
        else:
            raise ValueError(
                f"norm: ord={ord!r} with axis=None needs a 1-D or 2-D tensor, got shape {shape}; "
                "pass axis"
            )
    else:
        items = (axis,) if isinstance(axis, int) else tuple(axis)
        if len(items) not in (1, 2):
            raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")
        axes = tuple(normalize_axis(a, ndim, "norm")[0] for a in items)
        if len(set(axes)) != len(axes):
            raise ValueError(f"norm: repeated axis in {axis!r}")
        matrix = len(axes) == 2
    number = isinstance(ord, (int, float)) and not isinstance(ord, bool)
    if matrix:
        if not (ord is None or ord in _MATRIX_ORDS and (number or isinstance(ord, str))):
            raise ValueError(
                f"norm: invalid matrix norm order {ord!r}: use None, 'fro', 'nuc', 1, -1, 2, -2, "
                "inf or -inf"
            )
    elif not (ord is None or number):
        raise ValueError(
            f"norm: invalid vector norm order {ord!r} for axis {axis!r}: use {_VECTOR_ORDS} "
            "('fro' and 'nuc' need a pair of axes)"
        )
    return Norm(ord, axes, matrix, keepdims)(x)
