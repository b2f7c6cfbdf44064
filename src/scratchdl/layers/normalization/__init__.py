"""Normalization layers: BatchNormalization, LayerNormalization."""

from scratchdl.layers.normalization.batch_normalization import BatchNormalization
from scratchdl.layers.normalization.layer_normalization import LayerNormalization

__all__ = ["BatchNormalization", "LayerNormalization"]
