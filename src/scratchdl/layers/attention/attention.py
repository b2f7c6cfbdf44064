"""``Attention``: dot-product (Luong-style) attention over a query and a value sequence."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor
from scratchdl.ops.attention import attention_core, attention_from_scores, causal_mask

__all__ = ["Attention", "raw_mask"]


def raw_mask(mask: Any) -> Any:
    """A mask (Tensor, array or list) as a raw boolean array: True (or non-zero) = keep."""
    if mask is None:
        return None
    raw = mask.data if isinstance(mask, Tensor) else mask
    raw = get_array_module(raw).asarray(raw) if hasattr(raw, "shape") else np.asarray(raw)
    return raw if raw.dtype == np.bool_ else raw != 0


class Attention(Layer):
    """Dot-product attention layer, a.k.a. Luong-style attention (Keras 3 semantics).

    Called on ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to ``value``) with
    ``query`` (batch, Tq, dim), ``value`` (batch, Tv, dim) and ``key`` (batch, Tv, dim):

    1. scores (batch, Tq, Tv): ``query @ key^T`` (``'dot'``, times a trainable scalar ``scale``
       when ``use_scale``), or ``'concat'``: ``concat_score_weight * sum(tanh(scale * (q + k)))``
       over the feature axis for every query/key pair;
    2. masked positions get -1e9 added (65504 subtracted in float16), then a softmax over Tv;
    3. the output is the probability-weighted sum of the values, (batch, Tq, dim).

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: ``[query_mask, value_mask]`` (booleans of shape (batch, Tq) and (batch, Tv)): the
            output is 0 at masked queries, masked values get no attention. Taken from the
            inputs' Keras masks when not given.
        training: dropout on the attention probabilities only while training.
        return_attention_scores: also return the probabilities (batch, Tq, Tv), before dropout.
        use_causal_mask: query ``i`` attends to values ``j <= i`` only.

    Args:
        use_scale: create the trainable scalar ``scale`` (initialized to 1).
        score_mode: ``'dot'`` or ``'concat'``.
        dropout: the dropout rate on the attention probabilities.
        seed: an int makes the dropout masks reproducible for this layer.

    >>> import numpy as np
    >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    >>> Attention()([q, v]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{label(self)}: Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. "
                f"Received: score_mode={score_mode}"
            )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"{label(self)}: dropout must be a number in [0, 1), got {dropout!r}")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True

    # ------------------------------------------------------------------ validation
    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or (
                inputs and all(isinstance(d, (int, type(None))) for d in inputs)):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs}."
            )
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                    f"Received: mask={mask}."
                )
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. "
                                 f"Received: mask of length {len(mask)}.")

    def _check_shapes(self, query: Any, value: Any, key: Any) -> None:
        qs, vs, ks = tuple(query.shape), tuple(value.shape), tuple(key.shape)
        if len(qs) < 2 or len(vs) < 2 or len(ks) < 2:
            raise ValueError(f"{label(self)}: query, value and key need a rank >= 2, got shapes "
                             f"query {qs}, value {vs}, key {ks}")
        if ks[-2] is not None and vs[-2] is not None and ks[-2] != vs[-2]:
            raise ValueError(f"{label(self)}: key and value must have the same length, got "
                             f"key {ks} and value {vs}")
        if qs[-1] is not None and ks[-1] is not None and qs[-1] != ks[-1]:
            raise ValueError(f"{label(self)}: query and key must have the same last dimension, "
                             f"got query {qs} and key {ks}")

    # ------------------------------------------------------------------ build and call
    def build(self, input_shape: Any) -> None:
        """Create ``scale`` (use_scale) and ``concat_score_weight`` (score_mode='concat')."""
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(shape=(), initializer="ones",
                                                       name="concat_score_weight")

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        """Concat scores ``w * sum(tanh(scale * (q + k)), -1)`` (the dot mode is fused into
        ``attention_core`` in ``call``)."""
        q = ops.expand_dims(query, -2)  # (batch, Tq, 1, dim)
        k = ops.expand_dims(key, -3)  # (batch, 1, Tv, dim)
        summed = q + k if self.scale is None else self.scale * (q + k)
        return self.concat_score_weight * ops.sum(ops.tanh(summed), axis=-1)

    def _masking_fill(self, dtype: Any) -> float:
        return -65504.0 if np.dtype(dtype) == np.float16 else -1.0e9

    def call(self, inputs: Any, mask: Any = None, training: bool | None = False,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        """The attention output (and the attention probabilities when asked)."""
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query, value, key = (v if isinstance(v, Tensor) else self._convert_input(v)
                             for v in (query, value, key))
        self._check_shapes(query, value, key)
        q_mask = raw_mask(mask[0]) if mask else None
        v_mask = raw_mask(mask[1]) if mask else None
        scores_mask = None if v_mask is None else np.expand_dims(v_mask, -2)  # (batch, 1, Tv)
        if use_causal_mask:
            causal = causal_mask(query.shape[-2], key.shape[-2])[None]  # (1, Tq, Tv)
            scores_mask = causal if scores_mask is None else np.logical_and(scores_mask, causal)
        rate = self.dropout if training and self.dropout > 0 else 0.0
        options = dict(mask=scores_mask, fill=self._masking_fill(query.dtype), mask_mode="add",
                       dropout_rate=rate,
                       rng=self._rng, return_attention_scores=True, op=label(self))
        if self.score_mode == "dot" and type(self)._calculate_scores is Attention._calculate_scores:
            scaled = query if self.scale is None else query * self.scale
            output, weights = attention_core(scaled, key, value, scale=1.0, **options)
        else:
            output, weights = attention_from_scores(self._calculate_scores(query, key), value,
                                                    **options)
        if q_mask is not None:
            output = ops.where(np.expand_dims(q_mask, -1), output, 0.0)
        if return_attention_scores:
            if q_mask is not None:
                output._keras_mask = mask[0]
            return output, weights
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The query mask (``mask[0]``), or None."""
        self._validate_inputs(inputs, previous_mask)
        if previous_mask is None or previous_mask[0] is None:
            return None
        return previous_mask[0]

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(*query_shape[:-1], value_shape[-1])``."""
        query_shape, value_shape = tuple(input_shape[0]), tuple(input_shape[1])
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(self, inputs: Any, mask: Any = None,
                            return_attention_scores: bool = False, training: bool | None = None,
                            use_causal_mask: bool = False) -> Any:
        """Symbolic output (and scores (batch, Tq, Tv) with ``return_attention_scores``)."""
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        output = KerasTensor(self.compute_output_shape([query.shape, value.shape]), self.dtype)
        if return_attention_scores:
            return output, KerasTensor((*query.shape[:-1], key.shape[-2]), self.dtype)
        return output

    def get_config(self) -> dict[str, Any]:
        """Keras's Attention config."""
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}
