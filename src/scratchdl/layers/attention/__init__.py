"""Attention layers: Attention, AdditiveAttention, MultiHeadAttention."""

from scratchdl.layers.attention.additive_attention import AdditiveAttention
from scratchdl.layers.attention.attention import Attention
from scratchdl.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
