"""``AdditiveAttention``: Bahdanau-style attention, scores from ``tanh(query + key)``."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.attention.attention import Attention

__all__ = ["AdditiveAttention"]


class AdditiveAttention(Attention):
    """Additive attention layer, a.k.a. Bahdanau-style attention (Keras 3 semantics).

    Like ``Attention`` (same inputs, masks, causal mask, dropout and returned scores), with the
    scores of every query/key pair computed as a non-linear sum over the feature axis:

        scores[b, i, j] = sum_d scale[d] * tanh(query[b, i, d] + key[b, j, d])

    where ``scale`` is a trainable vector of length ``dim`` (glorot-uniform initialized) when
    ``use_scale``, else 1.

    Args:
        use_scale: create the trainable ``scale`` vector.
        dropout: the dropout rate on the attention probabilities.
        seed: (keyword) an int makes the dropout masks reproducible.

    >>> import numpy as np
    >>> q, v = np.ones((2, 3, 4), "float32"), np.ones((2, 5, 4), "float32")
    >>> AdditiveAttention()([q, v]).shape
    (2, 3, 4)
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape: Any) -> None:
        """Create ``scale`` (dim,) when ``use_scale``."""
        self._validate_inputs(input_shape)
        dim = tuple(input_shape[0])[-1]
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(dim,), initializer="glorot_uniform", name="scale")

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        """``sum(scale * tanh(q[:, :, None] + k[:, None]), axis=-1)``: (batch, Tq, Tv)."""
        q = ops.expand_dims(query, -2)  # (batch, Tq, 1, dim)
        k = ops.expand_dims(key, -3)  # (batch, 1, Tv, dim)
        activated = ops.tanh(q + k)
        if self.scale is not None:
            activated = self.scale * activated
        return ops.sum(activated, axis=-1)

    def get_config(self) -> dict[str, Any]:
        """Keras's AdditiveAttention config (Attention's without ``score_mode``)."""
        config = super().get_config()
        del config["score_mode"]
        return config
