"""``MultiHeadAttention``: the Transformer's attention, with Keras 3's weights and semantics.

The layer projects ``query``, ``key`` and ``value`` with ``EinsumDense`` sub-layers into
``num_heads`` heads (kernels of shape (dim, heads, key_dim); Keras's names ``query``, ``key``,
``value`` and ``attention_output``), runs scaled dot-product attention in every head at once, and
projects the concatenated heads back with the ``attention_output`` kernel (heads, value_dim, dim).

Attention is computed by the fused ``scaled_dot_product_attention`` engine (one product per
direction, backward fused through the softmax): the projected tensors are laid out as
(batch dims..., heads, attention positions, channels), several ``attention_axes`` flattened into
one position axis, so a 2-D attention over (height, width) is the same computation as over one
sequence of ``height * width`` positions with a softmax over all of them.
"""

from __future__ import annotations

import math
import string
from typing import Any

import numpy as np

from scratchdl import constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.activations.softmax import large_negative_number
from scratchdl.layers.attention.attention import raw_mask
from scratchdl.layers.core.einsum_dense import EinsumDense
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor
from scratchdl.ops.attention import attention_core, causal_mask, large_negative

__all__ = ["MultiHeadAttention"]


def _build_proj_equation(free_dims: int, bound_dims: int, output_dims: int) -> tuple[str, str, int]:
    """Keras's projection einsum: ``free`` axes kept, ``bound`` contracted, ``output`` new."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims:free_dims + bound_dims]
    new = letters[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{new}->{free}{new}", new, free_dims + output_dims


def _get_output_shape(output_rank: int, known_last_dims: list[Any]) -> list[Any]:
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


class MultiHeadAttention(Layer):
    """Multi-head attention ("Attention Is All You Need"), with Keras 3's API and weights.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (``key_dim`` by default).
        dropout: dropout rate on the attention probabilities (while training).
        use_bias: whether the projections have biases.
        output_shape: the output's shape without the batch and attention axes (an int or a
            tuple); by default the query's last dimension.
        attention_axes: the axes attention runs over (by default every axis but the batch and
            feature axes); e.g. ``(1, 2)`` on (batch, height, width, channels) inputs.
        sliding_window: if set, query ``i`` attends only to keys ``j`` with
            ``|i - j| < sliding_window``.
        flash_attention: must be None or False (a GPU kernel; scratchdl runs on NumPy).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for every projection.
        use_gate: also project the query through a sigmoid gate that multiplies the attention
            output of every head before the output projection.
        seed: an int makes the dropout masks reproducible for this layer.

    Call arguments:
        query: (batch, Tq, dim); value: (batch, Tv, dim); key: (batch, Tv, dim), default value.
        query_mask, value_mask, key_mask: padding masks (batch, Tq) / (batch, Tv); the query's
            comes from its Keras mask (``query._keras_mask``), the others from the argument or
            the tensor's Keras mask. Masks on the inputs are consumed (cleared), as in Keras.
        attention_mask: boolean (batch, Tq, Tv), True = attend; broadcast over the heads.
        return_attention_scores: also return the probabilities (batch, heads, Tq, Tv).
        training: dropout only while training.
        use_causal_mask: query ``i`` attends to keys ``j <= i`` only.

    Masked logits follow Keras's two code paths: without dropout and returned scores (and for
    one attention axis) they become ``-0.7 * 3.38953e38``, the number
    ``keras.ops.dot_product_attention`` adds to them, so a fully masked query row attends
    uniformly; otherwise Keras's ``Softmax`` layer semantics apply (replaced by -1e9, masked
    probabilities set to 0, so a fully masked row gives zeros). Only fully masked rows tell the
    two apart.

    >>> import numpy as np
    >>> x = np.ones((2, 5, 8), "float32")
    >>> MultiHeadAttention(num_heads=2, key_dim=4)(x, x).shape
    (2, 5, 8)
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, sliding_window: int | None = None,
                 flash_attention: bool | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 use_gate: bool = False, seed: int | None = None, **kwargs: Any) -> None:
        def positive(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and value > 0

        if not positive(num_heads):
            raise ValueError(f"{type(self).__name__}: received an invalid value for argument `num_heads`, expected a "
                             f"positive integer. Received: num_heads={num_heads}")
        if not positive(key_dim):
            raise ValueError(f"{type(self).__name__}: received an invalid value for argument `key_dim`, expected a "
                             f"positive integer. Received: key_dim={key_dim}")
        if value_dim is not None and not positive(value_dim):
            raise ValueError(f"{type(self).__name__}: received an invalid value for argument `value_dim`, expected a "
                             f"positive integer or `None`. Received: value_dim={value_dim}")
        super().__init__(**kwargs)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{label(self)}: dropout must be a number in [0, 1), got {dropout!r}")
        if flash_attention:
            raise ValueError(
                f"{label(self)}: flash attention is a fused GPU kernel that scratchdl (NumPy) "
                "does not have; pass flash_attention=None or False"
            )
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"{label(self)}: invalid `output_shape`: {output_shape}. When specified, the `output_shape` "
                    "should be of type tuple, list, or int."
                ) from None
        self._output_shape = output_shape
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"{label(self)}: `attention_axes` must be an int, list, or tuple. "
                             f"Received: attention_axes={attention_axes}")
        self._attention_axes = attention_axes
        if sliding_window is not None and not positive(sliding_window):
            raise ValueError(f"{label(self)}: `sliding_window` must be `None` or a positive integer. "
                             f"Received: sliding_window={sliding_window}")
        self._sliding_window = sliding_window
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))

    # ------------------------------------------------------------------ properties
    @property
    def num_heads(self) -> int:
        """The number of heads."""
        return self._num_heads

    @property
    def key_dim(self) -> int:
        """The size of each query/key head."""
        return self._key_dim

    @property
    def value_dim(self) -> int:
        """The size of each value head."""
        return self._value_dim

    @property
    def dropout(self) -> float:
        """The dropout rate on the attention probabilities."""
        return self._dropout

    @property
    def use_bias(self) -> bool:
        """Whether the projections have biases."""
        return self._use_bias

    @property
    def attention_axes(self) -> Any:
        """The attention axes (normalized to a tuple once built)."""
        return self._attention_axes

    @property
    def query_dense(self) -> EinsumDense:
        """The query projection."""
        return self._query_dense

    @property
    def key_dense(self) -> EinsumDense:
        """The key projection."""
        return self._key_dense

    @property
    def value_dense(self) -> EinsumDense:
        """The value projection."""
        return self._value_dense

    @property
    def output_dense(self) -> EinsumDense:
        """The output projection."""
        return self._output_dense

    # ------------------------------------------------------------------ build
    def _common_kwargs(self) -> dict[str, Any]:
        # A fresh initializer per projection, so seeded initializers are not shared objects.
        def clone(initializer: Any) -> Any:
            return initializer.clone() if hasattr(initializer, "clone") else initializer

        return dict(kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype,
                    kernel_initializer=clone(self._kernel_initializer),
                    bias_initializer=clone(self._bias_initializer))

    def _projection(self, rank: int, last_dims: list[int], name: str, bound_dims: int = 1,
                    activation: Any = None) -> EinsumDense:
        equation, bias_axes, output_rank = _build_proj_equation(rank - 1, bound_dims, len(last_dims))
        return EinsumDense(equation, output_shape=_get_output_shape(output_rank - 1, last_dims),
                           bias_axes=bias_axes if self._use_bias else None, activation=activation,
                           name=name, **self._common_kwargs())

    def _resolve_shapes(self, query_shape: Any, value_shape: Any,
                        key_shape: Any) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
        """The three shapes as tuples (``value`` defaults to ``query``, ``key`` to ``value``),
        checking that ``value`` and ``key`` agree on every axis but the last."""
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{label(self)}: All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        return query_shape, value_shape, key_shape

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        """Create the query/key/value (and gate) projections and the output projection."""
        query_shape, value_shape, key_shape = self._resolve_shapes(query_shape, value_shape, key_shape)
        heads = self._num_heads
        self._query_dense = self._projection(len(query_shape), [heads, self._key_dim], "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection(len(key_shape), [heads, self._key_dim], "key")
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(len(query_shape), [heads, self._value_dim], "gate",
                                                activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection(len(value_shape), [heads, self._value_dim], "value")
        self._value_dense.build(value_shape)
        rank = len(query_shape) + 1  # of the projected (batch, ..., heads, channels) tensors
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a for a in self._attention_axes)
        bad = [a for a in self._attention_axes if not 0 < a < rank - 2]
        if bad or len(set(self._attention_axes)) != len(self._attention_axes):
            raise ValueError(f"{label(self)}: attention_axes {self._attention_axes} must be "
                             f"distinct axes in 1..{rank - 3} of inputs of shape {query_shape}")
        output_dims = list(self._output_shape) if self._output_shape else [query_shape[-1]]
        self._output_dense = self._projection(len(query_shape), output_dims, "attention_output",
                                              bound_dims=2)
        projected = list(self._query_dense.compute_output_shape(query_shape))
        projected[-1] = self._value_dim
        self._output_dense.build(tuple(projected))
        for weight in self.weights:  # Keras's paths: 'multi_head_attention/query/kernel'
            weight.path = f"{self.name}/{weight.path}"

    # ------------------------------------------------------------------ masks
    def _compute_causal_mask(self, query: Any, value: Any = None) -> np.ndarray:
        """(1, Tq, Tv) lower-triangular True: query ``i`` attends to keys ``j <= i``."""
        q_length = query.shape[1]
        v_length = q_length if value is None else value.shape[1]
        return causal_mask(q_length, v_length)[None]

    def _compute_sliding_window_mask(self, query: Any, value: Any = None) -> np.ndarray:
        """(1, Tq, Tv) band: True where ``|i - j| < sliding_window``."""
        q_length = query.shape[1]
        v_length = q_length if value is None else value.shape[1]
        rows = np.arange(q_length)[None, :, None]
        cols = np.arange(v_length)[None, None, :]
        return np.abs(rows - cols) < self._sliding_window

    def _compute_attention_mask(self, query: Any, value: Any, query_mask: Any = None,
                                value_mask: Any = None, key_mask: Any = None,
                                attention_mask: Any = None,
                                use_causal_mask: bool = False) -> np.ndarray | None:
        """Keras's combination of the masks (all ANDed): query (B, T, 1), value and key
        (B, 1, S), causal and sliding-window (1, T, S), and ``attention_mask``."""
        auto = None

        def join(mask: Any) -> None:
            nonlocal auto
            auto = mask if auto is None else auto & mask

        if query_mask is not None:
            join(np.expand_dims(raw_mask(query_mask), -1))
        if value_mask is not None:
            join(np.expand_dims(raw_mask(value_mask), -2))
        if key_mask is not None:
            join(np.expand_dims(raw_mask(key_mask), -2))
        if use_causal_mask:
            join(self._compute_causal_mask(query, value))
        if self._sliding_window is not None:
            join(self._compute_sliding_window_mask(query, value))
        if attention_mask is not None:
            attention_mask = raw_mask(attention_mask)
        if auto is not None:
            attention_mask = auto if attention_mask is None else attention_mask & auto
        return attention_mask

    # ------------------------------------------------------------------ attention
    def _compute_attention(self, query: Tensor, key: Tensor, value: Tensor,
                           attention_mask: Any = None, training: bool | None = None,
                           return_attention_scores: bool = False) -> tuple[Tensor, Any]:
        """Attention of projected (batch, <positions>, heads, channels) tensors.

        Returns the output in the same layout and the probabilities (batch dims, heads, query
        positions, key positions) when asked (else None).
        """
        rank = query.ndim
        attn = list(self._attention_axes)
        batch_axes = [i for i in range(rank - 1) if i not in attn]  # includes the heads axis
        perm = batch_axes + attn + [rank - 1]
        n_batch = len(batch_axes)

        def to_core(t: Tensor) -> tuple[Tensor, tuple[int, ...]]:
            t = ops.transpose(t, perm) if perm != list(range(rank)) else t
            positions = tuple(t.shape[n_batch:-1])
            if len(attn) > 1:
                t = ops.reshape(t, (*t.shape[:n_batch], math.prod(positions), t.shape[-1]))
            return t, positions

        q, q_positions = to_core(query)
        k, k_positions = to_core(key)
        v, _ = to_core(value)
        scores_shape = (*q.shape[:n_batch], *q_positions, *k_positions)

        mask = expanded = attention_mask
        if mask is not None:
            # As Keras: missing leading axes are added just before the query positions (so a
            # (B, T, S) mask broadcasts over the heads).
            axis = -len(attn) * 2 - 1
            given = mask.shape
            while mask.ndim < len(scores_shape):
                mask = np.expand_dims(mask, axis)
            try:
                np.broadcast_shapes(mask.shape, scores_shape)
            except ValueError:
                raise ValueError(
                    f"{label(self)}: the attention mask of shape {given} does not broadcast to the "
                    f"attention scores' shape {scores_shape} (batch, heads, query positions, key "
                    "positions; the heads axis is added to a mask that lacks it)"
                ) from None
            expanded = mask
            if len(attn) > 1:
                mask = np.broadcast_to(mask, scores_shape).reshape(
                    (*scores_shape[:n_batch], q.shape[-2], k.shape[-2]))
        # Keras's fused path (no dropout, no returned scores, one attention axis) adds a large
        # negative to masked logits; its other path goes through the Softmax layer.
        fused = not (self._dropout > 0.0 or return_attention_scores or rank != 4)
        fill = large_negative(q.dtype) if fused else large_negative_number(q.dtype)
        rate = self._dropout if training and self._dropout > 0.0 else 0.0
        result = attention_core(q, k, v, mask=mask, scale=self._inverse_sqrt_key_dim, fill=fill,
                                mask_mode="fill" if fused else "softmax", dropout_rate=rate,
                                rng=self._rng,
                                return_attention_scores=return_attention_scores, op=label(self))
        output, scores = result if return_attention_scores else (result, None)
        if len(attn) > 1:
            output = ops.reshape(output, (*output.shape[:n_batch], *q_positions, output.shape[-1]))
            if scores is not None:
                scores = ops.reshape(scores, scores_shape)
        if scores is not None and expanded is not None:
            # Keras's scores come out of its Softmax layer, which passes its mask on.
            scores._keras_mask = expanded
        if perm != list(range(rank)):
            output = ops.transpose(output, [perm.index(i) for i in range(rank)])
        return output, scores

    def _check_inputs(self, query: Tensor, value: Tensor, key: Tensor) -> None:
        for name, tensor, dense in (("query", query, self._query_dense),
                                    ("value", value, self._value_dense),
                                    ("key", key, self._key_dense)):
            rank, dim = dense._input_rank, dense.kernel.shape[0]
            if tensor.ndim != rank or tensor.shape[-1] != dim:
                raise ValueError(
                    f"{label(self)}: expected {name} of rank {rank} with last dimension {dim}, "
                    f"got shape {tuple(tensor.shape)}"
                )
        if tuple(value.shape[1:-1]) != tuple(key.shape[1:-1]):
            raise ValueError(
                f"{label(self)}: all dimensions of `value` and `key`, except the last one, must "
                f"be equal. Received: value shape {tuple(value.shape)} and key shape "
                f"{tuple(key.shape)}"
            )

    def call(self, query: Any, value: Any, key: Any = None, query_mask: Any = None,
             value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: bool | None = None,
             use_causal_mask: bool = False) -> Any:
        """Multi-head attention of ``query`` over ``value`` (and ``key``)."""
        key_given = key is not None
        query, value = self._convert_input(query), self._convert_input(value)
        key = self._convert_input(key) if key_given else value
        # Keras 3 reads the query's mask from the tensor (the argument is not used) and fills the
        # value/key masks from the tensors' Keras masks when they are not given.
        query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key_mask is None and key_given:
            key_mask = getattr(key, "_keras_mask", None)
        for tensor in (query, value, key):
            if isinstance(tensor, Tensor):
                tensor._keras_mask = None
        self._check_inputs(query, value, key)
        attention_mask = self._compute_attention_mask(
            query, value, query_mask=query_mask, value_mask=value_mask, key_mask=key_mask,
            attention_mask=attention_mask, use_causal_mask=use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        projected_query = self._query_dense(query)
        projected_key = self._key_dense(key)
        projected_value = self._value_dense(value)
        output, scores = self._compute_attention(projected_query, projected_key, projected_value,
                                                 attention_mask, training, return_attention_scores)
        if gate is not None:
            output = output * gate
        output = self._output_dense(output)
        if query_mask is not None:
            output._keras_mask = query_mask
        if return_attention_scores:
            return output, scores
        return output

    # ------------------------------------------------------------------ shapes and config
    def compute_output_shape(self, query_shape: Any, value_shape: Any = None,
                             key_shape: Any = None) -> tuple[Any, ...]:
        """The query's shape, with the last axis replaced by ``output_shape`` when given."""
        query_shape, value_shape, key_shape = self._resolve_shapes(query_shape, value_shape, key_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, query: Any, value: Any, key: Any = None, query_mask: Any = None,
                            value_mask: Any = None, key_mask: Any = None,
                            attention_mask: Any = None, return_attention_scores: bool = False,
                            training: bool | None = None, use_causal_mask: bool = False) -> Any:
        """Symbolic output, and with ``return_attention_scores`` the scores' spec (batch dims,
        heads, query positions, key positions)."""
        output = KerasTensor(self.compute_output_shape(
            query.shape, value.shape, None if key is None else key.shape), self.dtype)
        if not return_attention_scores:
            return output
        rank = len(query.shape) + 1
        axes = self._attention_axes if self.built else None
        if axes is None:
            axes = tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else (rank - 1) + a for a in axes)
        projected = (*query.shape[:-1], self._num_heads)
        batch = [projected[i] for i in range(rank - 1) if i not in axes]
        scores = (*batch, *(query.shape[a] for a in axes), *(value.shape[a] for a in axes))
        return output, KerasTensor(scores, self.dtype)

    def get_config(self) -> dict[str, Any]:
        """Keras's MultiHeadAttention config."""
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }
