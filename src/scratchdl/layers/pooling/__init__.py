"""Pooling layers: MaxPooling1D/2D, AveragePooling1D/2D, GlobalAveragePooling1D/2D,
GlobalMaxPooling1D/2D (and their bases)."""

from scratchdl.layers.pooling.average_pooling1d import AveragePooling1D
from scratchdl.layers.pooling.average_pooling2d import AveragePooling2D
from scratchdl.layers.pooling.base_global_pooling import BaseGlobalPooling
from scratchdl.layers.pooling.base_pooling import BasePooling
from scratchdl.layers.pooling.global_average_pooling1d import GlobalAveragePooling1D
from scratchdl.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D
from scratchdl.layers.pooling.global_max_pooling1d import GlobalMaxPooling1D
from scratchdl.layers.pooling.global_max_pooling2d import GlobalMaxPooling2D
from scratchdl.layers.pooling.max_pooling1d import MaxPooling1D
from scratchdl.layers.pooling.max_pooling2d import MaxPooling2D

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "BaseGlobalPooling", "BasePooling",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "MaxPooling1D", "MaxPooling2D",
]
