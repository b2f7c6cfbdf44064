"""Attention ops: scaled dot-product attention with masks, and the Transformer's helpers.

Scaled dot-product attention (Vaswani et al., 2017) of queries ``Q`` (..., Tq, d), keys ``K``
(..., Tk, d) and values ``V`` (..., Tk, dv) is

    S = scale * Q K^T            (..., Tq, Tk)   scores; scale = 1 / sqrt(d) by default
    P = softmax(S + M, axis=-1)                  M: 0 where attending, a large negative elsewhere
    O = P V                      (..., Tq, dv)

Masks are **boolean with True = attend**, as in Keras (``keras.ops.dot_product_attention``,
``MultiHeadAttention(attention_mask=...)``); PyTorch's boolean ``attn_mask`` uses the same
convention. A masked logit does not become ``-inf``: it is set to the large negative number
Keras's ops add (``-0.7 * 3.38953e38``; at that size adding and setting give the same number),
so a row whose every position is masked attends uniformly instead of producing NaN, and masked
logits get no gradient.

The backward pass is fused through the softmax, one matrix product per gradient:

    dV = P^T dO        dP = dO V^T        dS = P * (dP - sum(dP * P, axis=-1))
    dQ = scale * dS K                     dK = scale * dS^T Q

The Keras layers reuse the same engine with the masking conventions of their own code paths
(``attention_core`` and ``attention_from_scores`` below): Keras's ``Attention`` adds -1e9 to
masked scores, its ``Softmax`` layer (used by ``MultiHeadAttention`` when scores are returned)
replaces them by -1e9 and zeroes the masked probabilities, and its fused path adds
``-0.7 * 3.38953e38``. The three agree except on rows that are masked entirely.

The module also has the Transformer's helpers, in Keras's True = attend convention:
``padding_mask``, ``look_ahead_mask`` and the sinusoidal ``positional_encoding``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._helpers import shape_of

__all__ = [
    "scaled_dot_product_attention", "padding_mask", "look_ahead_mask", "positional_encoding",
]

_OP = "scaled_dot_product_attention"


def _swap(a: Any) -> Any:
    """The matrix transpose of the last two axes (a view)."""
    return a.swapaxes(-1, -2)


def large_negative(dtype: Any) -> float:
    """The number ``keras.ops.dot_product_attention`` (torch backend) adds to masked logits:
    ``-0.7 * 65500`` in float16, ``-0.7 * 3.38953e38`` otherwise."""
    return -0.7 * (65500.0 if np.dtype(dtype) == np.float16 else 3.38953e38)


# --------------------------------------------------------------------------- raw-array kernels
_MODES = ("fill", "add", "softmax")


def _row_max(x: Any) -> Any:
    """``x.max(axis=-1, keepdims=True)``, as a tree of elementwise maxima for long rows.

    NumPy reduces a short contiguous last axis row by row (slow for many rows of 64); halving
    the row with ``maximum(left half, right half)`` runs vectorized over all rows at once.
    """
    n = x.shape[-1]
    if n < 16:
        return x.max(axis=-1, keepdims=True)
    xp = get_array_module(x)
    while n > 1:
        half = n // 2
        folded = xp.maximum(x[..., :half], x[..., half:2 * half])
        if n % 2:
            folded[..., :1] = xp.maximum(folded[..., :1], x[..., 2 * half:])
        x, n = folded, half
    return x


def _row_sum(x: Any) -> Any:
    """``x.sum(axis=-1, keepdims=True)`` as a product with a ones vector (one BLAS call)."""
    return x @ get_array_module(x).ones((x.shape[-1], 1), dtype=x.dtype)


def _masked_softmax(xp: Any, scores: Any, mask: Any, fill: float, mode: str) -> Any:
    """Softmax over the last axis of ``scores`` with masked positions pushed to ``fill``.

    ``mode`` ``'fill'`` sets masked scores to ``fill``; ``'add'`` adds ``fill`` to them;
    ``'softmax'`` sets them and then zeroes the masked probabilities (Keras's ``Softmax``
    layer). ``scores`` is a fresh array and may be overwritten.
    """
    if mask is not None:
        if mode == "add":
            scores = scores + xp.where(mask, scores.dtype.type(0), scores.dtype.type(fill))
        else:
            scores = xp.where(mask, scores, scores.dtype.type(fill))
    scores -= _row_max(scores)
    xp.exp(scores, out=scores)
    scores /= _row_sum(scores)
    if mask is not None and mode == "softmax":
        scores = xp.where(mask, scores, scores.dtype.type(0))
    return scores


def _softmax_backward(p: Any, grad_p: Any) -> Any:
    """``J^T g`` of the softmax over the last axis, given its output ``p`` (``grad_p`` may be
    overwritten)."""
    xp = get_array_module(grad_p)
    grad_p -= xp.einsum("...ij,...ij->...i", grad_p, p)[..., None]
    grad_p *= p
    return grad_p


def _keep_mask(rng: np.random.Generator | None, shape: tuple[int, ...], rate: float,
               dtype: Any, xp: Any) -> Any:
    """An inverted-dropout mask of 0 and ``1 / (1 - rate)`` from ``rng`` (the global generator
    when None)."""
    generator = rng if rng is not None else backend.random_generator()
    keep = generator.random(shape) >= rate
    return xp.asarray(keep.astype(dtype) * np.dtype(dtype).type(1.0 / (1.0 - rate)))


class _AttentionBase(Function):
    """Shared configuration and the weights/backward halves of both attention functions."""

    def __init__(self, mask: Any, fill: float, mode: str, dropout_rate: float,
                 rng: np.random.Generator | None, return_scores: bool) -> None:
        self.mask = mask
        self.fill = fill
        self.mode = mode
        self.dropout_rate = dropout_rate
        self.rng = rng
        self.return_scores = return_scores
        self.keep: Any = None

    def _apply(self, xp: Any, scores: Any, value: Any) -> tuple[Any, Any]:
        p = _masked_softmax(xp, scores, self.mask, self.fill, self.mode)
        weights = p
        if self.dropout_rate > 0.0:
            self.keep = _keep_mask(self.rng, p.shape, self.dropout_rate, p.dtype, xp)
            weights = p * self.keep
        return p, xp.matmul(weights, value)

    def _grads(self, p: Any, value: Any, grad_out: Any, grad_p: Any) -> tuple[Any, Any]:
        """(d scores, d value) from the output gradient and the returned scores' gradient."""
        weights = p if self.keep is None else p * self.keep
        grad_v = _swap(weights) @ grad_out if self.needs_input_grad[-1] else None
        dp = grad_out @ _swap(value)
        if self.keep is not None:
            dp *= self.keep
        if grad_p is not None:
            dp = dp + grad_p
        grad_scores = _softmax_backward(p, dp)
        if self.mask is not None and self.mode != "add":
            # A score overwritten by the fill value does not reach the output.
            grad_scores = get_array_module(grad_scores).where(self.mask, grad_scores, 0)
        return grad_scores, grad_v


class ScaledDotProductAttention(_AttentionBase):
    """softmax(mask(scale * q @ k^T)) @ v, with the backward fused through the softmax."""

    def __init__(self, scale: float, mask: Any, fill: float, mode: str, dropout_rate: float,
                 rng: np.random.Generator | None, return_scores: bool) -> None:
        super().__init__(mask, fill, mode, dropout_rate, rng, return_scores)
        self.scale = scale

    def forward(self, q: Any, k: Any, v: Any) -> Any:
        xp = get_array_module(q, k, v)
        scores = xp.matmul(q, _swap(k))
        if self.scale != 1.0:
            scores *= scores.dtype.type(self.scale)
        p, out = self._apply(xp, scores, v)
        self.save_for_backward(q, k, v, p)
        return (out, p) if self.return_scores else out

    def backward(self, grad_out: Any, grad_p: Any = None) -> tuple[Any, Any, Any]:
        q, k, v, p = self.saved
        need_q, need_k, _ = self.needs_input_grad
        if not (need_q or need_k):
            weights = p if self.keep is None else p * self.keep
            return None, None, _swap(weights) @ grad_out
        ds, grad_v = self._grads(p, v, grad_out, grad_p)
        if self.scale != 1.0:
            ds *= ds.dtype.type(self.scale)
        grad_q = ds @ k if need_q else None
        grad_k = _swap(ds) @ q if need_k else None
        return grad_q, grad_k, grad_v


class AttentionFromScores(_AttentionBase):
    """softmax(mask(scores)) @ v for precomputed scores, with a fused backward."""

    def forward(self, scores: Any, v: Any) -> Any:
        xp = get_array_module(scores, v)
        p, out = self._apply(xp, scores.copy(), v)
        self.save_for_backward(v, p)
        return (out, p) if self.return_scores else out

    def backward(self, grad_out: Any, grad_p: Any = None) -> tuple[Any, Any]:
        v, p = self.saved
        if not self.needs_input_grad[0]:
            weights = p if self.keep is None else p * self.keep
            return None, _swap(weights) @ grad_out
        return self._grads(p, v, grad_out, grad_p)


# --------------------------------------------------------------------------- argument checks
def _float_operands(op: str, *values: Any) -> list[Any]:
    """Tensors (or arrays) in one common floating dtype; integer inputs become ``floatx()``."""
    arrays = [v.data if isinstance(v, Tensor) else backend.as_array(v) for v in values]
    dtype = np.result_type(*[a.dtype for a in arrays])
    if not backend.is_floating(dtype):
        dtype = np.dtype(backend.floatx())
    result = []
    for value, array in zip(values, arrays):
        if array.dtype == dtype:
            result.append(value if isinstance(value, Tensor) else array)
        else:
            from scratchdl.ops.arithmetic import cast

            result.append(cast(value, dtype.name))
    return result


def _mask_array(mask: Any, xp: Any) -> Any:
    """A raw boolean mask (True = attend); numbers count as True when non-zero, as Keras's
    ``cast(mask, 'bool')`` does."""
    raw = mask.data if isinstance(mask, Tensor) else mask
    raw = xp.asarray(raw)
    return raw if raw.dtype == np.bool_ else raw != 0


def _check_mask(op: str, mask: Any, scores_shape: tuple[int, ...]) -> None:
    try:
        np.broadcast_shapes(tuple(mask.shape), scores_shape)
    except ValueError:
        raise ValueError(
            f"{op}: the mask of shape {tuple(mask.shape)} does not broadcast to the attention "
            f"scores' shape {scores_shape} (..., query length, key length)"
        ) from None


def _check_rate(op: str, rate: Any) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{op}: dropout_rate must be a number in [0, 1), got {rate!r}")
    return float(rate)


def _check_mode(op: str, mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(f"{op}: mask_mode must be one of {_MODES}, got {mode!r}")
    return mode


def causal_mask(query_length: int, key_length: int, xp: Any = np) -> Any:
    """The boolean (query_length, key_length) mask with True where ``row >= column``: query
    ``i`` attends to keys ``0..i`` (aligned at the top left, as Keras and PyTorch do)."""
    return xp.tri(query_length, key_length, dtype=bool)


def _combine(mask: Any, other: Any, xp: Any) -> Any:
    return other if mask is None else xp.logical_and(mask, other)


# --------------------------------------------------------------------------- engines
def attention_core(query: Any, key: Any, value: Any, mask: Any = None, scale: float = 1.0,
                   fill: float | None = None, mask_mode: str = "fill",
                   dropout_rate: float = 0.0, rng: np.random.Generator | None = None,
                   return_attention_scores: bool = False, op: str = _OP) -> Any:
    """The attention engine behind ``scaled_dot_product_attention`` and the Keras layers.

    ``softmax(masked(scale * query @ key^T)) @ value`` over the last two axes, batch axes
    broadcast. ``mask`` (boolean, True = attend, broadcastable to the scores) pushes masked
    scores to ``fill`` (default ``large_negative(dtype)``) as ``mask_mode`` says:

    * ``'fill'``: masked scores are set to ``fill`` (and get no gradient);
    * ``'add'``: ``fill`` is added to them (Keras's ``Attention`` layer; the gradient passes);
    * ``'softmax'``: set to ``fill``, and the masked probabilities set to 0 afterwards (Keras's
      ``Softmax`` layer, so a fully masked row gives zeros).

    ``dropout_rate`` drops attention probabilities (inverted dropout, drawn from ``rng`` or the
    global generator). Returns the output, or ``(output, probabilities before dropout)``.
    """
    query, key, value = _float_operands(op, query, key, value)
    qs, ks, vs = shape_of(query), shape_of(key), shape_of(value)
    shapes = f"query {qs}, key {ks}, value {vs}"
    if len(qs) < 2 or len(ks) < 2 or len(vs) < 2:
        raise ValueError(f"{op}: query, key and value need at least 2 dimensions (..., seq, "
                         f"depth), got {shapes}")
    if qs[-1] != ks[-1]:
        raise ValueError(f"{op}: query depth {qs[-1]} != key depth {ks[-1]} ({shapes})")
    if ks[-2] != vs[-2]:
        raise ValueError(f"{op}: key length {ks[-2]} != value length {vs[-2]} ({shapes})")
    try:
        batch = np.broadcast_shapes(qs[:-2], ks[:-2], vs[:-2])
    except ValueError:
        raise ValueError(f"{op}: the batch dimensions of {shapes} cannot be broadcast "
                         "together") from None
    dtype = query.dtype
    xp = get_array_module(query.data if isinstance(query, Tensor) else query)
    if mask is not None:
        mask = _mask_array(mask, xp)
        _check_mask(op, mask, (*batch, qs[-2], ks[-2]))
    rate = _check_rate(op, dropout_rate)
    fill = large_negative(dtype) if fill is None else fill
    return ScaledDotProductAttention(float(scale), mask, fill, _check_mode(op, mask_mode), rate,
                                     rng, return_attention_scores)(query, key, value)


def attention_from_scores(scores: Any, value: Any, mask: Any = None, fill: float | None = None,
                          mask_mode: str = "fill", dropout_rate: float = 0.0,
                          rng: np.random.Generator | None = None,
                          return_attention_scores: bool = False,
                          op: str = "attention_from_scores") -> Any:
    """``softmax(masked(scores)) @ value`` for scores computed elsewhere (additive or concat
    attention), with the same masking, dropout and return conventions as ``attention_core``.

    ``scores`` has shape (..., Tq, Tk) and ``value`` (..., Tk, dv).
    """
    scores, value = _float_operands(op, scores, value)
    ss, vs = shape_of(scores), shape_of(value)
    if len(ss) < 2 or len(vs) < 2 or ss[-1] != vs[-2]:
        raise ValueError(f"{op}: scores (..., Tq, Tk) and value (..., Tk, dv) do not fit: "
                         f"scores {ss}, value {vs}")
    xp = get_array_module(scores.data if isinstance(scores, Tensor) else scores)
    if mask is not None:
        mask = _mask_array(mask, xp)
        _check_mask(op, mask, ss)
    rate = _check_rate(op, dropout_rate)
    fill = large_negative(scores.dtype) if fill is None else fill
    return AttentionFromScores(mask, fill, _check_mode(op, mask_mode), rate, rng,
                               return_attention_scores)(scores, value)


# --------------------------------------------------------------------------- public functions
def scaled_dot_product_attention(query: Any, key: Any, value: Any, mask: Any = None,
                                 scale: float | None = None, is_causal: bool = False,
                                 dropout_rate: float = 0.0,
                                 return_attention_scores: bool = False) -> Any:
    """``softmax(scale * query @ key^T + M) @ value`` over the last two axes.

    Args:
        query: (batch..., Tq, d).
        key: (batch..., Tk, d).
        value: (batch..., Tk, dv). Batch axes broadcast (e.g. one key for every head).
        mask: boolean, **True = attend** (Keras's convention; numbers count as True when
            non-zero), broadcastable to the scores' shape (batch..., Tq, Tk). Masked logits become
            ``-0.7 * 3.38953e38`` (``-0.7 * 65500`` in float16), what
            ``keras.ops.dot_product_attention`` adds to them, so a fully masked row attends
            uniformly; masked logits get no gradient.
        scale: the factor on the logits; ``1 / sqrt(d)`` by default.
        is_causal: also mask the future: query ``i`` attends to keys ``j <= i`` (the
            ``look_ahead_mask``, aligned at the top left when Tq != Tk).
        dropout_rate: drop attention probabilities with this rate (inverted dropout from the
            global generator); use 0 at inference.
        return_attention_scores: also return the attention probabilities (before dropout).

    Returns:
        The output (batch..., Tq, dv), or ``(output, probabilities)`` with probabilities of
        shape (batch..., Tq, Tk).

    The backward pass is fused: ``dS = P * (dP - sum(dP * P))`` then one product per input.

    >>> q = Tensor(np.ones((1, 2, 4), "float32"))
    >>> out, p = scaled_dot_product_attention(q, q, q, is_causal=True, return_attention_scores=True)
    >>> p.numpy()[0]
    array([[1. , 0. ],
           [0.5, 0.5]], dtype=float32)
    """
    qs, ks = shape_of(query), shape_of(key)
    if len(qs) < 2 or len(ks) < 2 or len(shape_of(value)) < 2:
        raise ValueError(f"{_OP}: query, key and value need at least 2 dimensions (..., seq, "
                         f"depth), got query {qs}, key {ks}, value {shape_of(value)}")
    if scale is None:
        scale = 1.0 / math.sqrt(qs[-1]) if qs[-1] > 0 else 1.0
    if is_causal:
        xp = get_array_module(*(v.data if isinstance(v, Tensor) else v for v in (query, key)))
        causal = causal_mask(qs[-2], ks[-2], xp)
        mask = _combine(None if mask is None else _mask_array(mask, xp), causal, xp)
    return attention_core(query, key, value, mask=mask, scale=scale, dropout_rate=dropout_rate,
                          return_attention_scores=return_attention_scores)


def padding_mask(sequences: Any, pad_value: Any = 0) -> Any:
    """The attention mask of padded token sequences: True at real tokens (attend), False at
    ``pad_value``.

    The course's ``create_padding_mask`` in Keras's True = attend convention: ``sequences``
    (batch, seq) gives a boolean array of shape (batch, 1, seq), which broadcasts over the query
    axis of (batch, Tq, seq) scores and can be passed to ``MultiHeadAttention(attention_mask=)``
    as it is; add a head axis (``mask[:, None]``) for (batch, heads, Tq, seq) scores.

    >>> padding_mask(np.array([[7, 6, 0, 0]]))
    array([[[ True,  True, False, False]]])
    """
    raw = sequences.data if isinstance(sequences, Tensor) else sequences
    xp = get_array_module(raw) if hasattr(raw, "shape") else np
    raw = xp.asarray(raw)
    if raw.ndim < 1:
        raise ValueError(f"padding_mask: expected sequences of shape (batch, seq), got shape {raw.shape}")
    return (raw != pad_value)[..., None, :]


def look_ahead_mask(size: int) -> np.ndarray:
    """The causal mask for a sequence of ``size`` tokens: position ``i`` attends to ``0..i``.

    The course's ``create_look_ahead_mask`` in Keras's True = attend convention: a boolean
    array of shape (1, size, size), lower-triangular True (diagonal included).

    >>> look_ahead_mask(3)[0]
    array([[ True, False, False],
           [ True,  True, False],
           [ True,  True,  True]])
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
        raise ValueError(f"look_ahead_mask: size must be a non-negative int, got {size!r}")
    return causal_mask(int(size), int(size))[None]


def positional_encoding(length: int, depth: int, dtype: Any = None) -> np.ndarray:
    """The sinusoidal positional encoding of "Attention Is All You Need", shape (length, depth).

    ``PE[pos, i] = sin(pos / 10000^(2 * (i // 2) / depth))`` for even ``i`` and ``cos(...)`` of
    the same angle for odd ``i`` (the course's ``positional_encoding``; index ``[None]`` for its
    (1, length, depth) shape). A constant array in ``dtype`` (``floatx()`` by default), to be
    added to token embeddings.

    >>> positional_encoding(2, 4).round(4)
    array([[0.    , 1.    , 0.    , 1.    ],
           [0.8415, 0.5403, 0.01  , 1.    ]], dtype=float32)
    """
    for name, value in (("length", length), ("depth", depth)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"positional_encoding: {name} must be a non-negative int, got {value!r}")
    dtype = np.dtype(backend.floatx() if dtype is None else dtype)
    if not backend.is_floating(dtype):
        raise TypeError(f"positional_encoding: dtype must be a float dtype, got {dtype}")
    positions = np.arange(length, dtype=np.float64)[:, None]
    i = np.arange(depth)[None, :]
    angles = positions / np.power(10000.0, (2 * (i // 2)) / max(depth, 1))
    encoding = np.where(i % 2 == 0, np.sin(angles), np.cos(angles))
    return encoding.astype(dtype)
