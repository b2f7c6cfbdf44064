"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector."""

from scratchdl.layers.reshaping.flatten import Flatten
from scratchdl.layers.reshaping.permute import Permute
from scratchdl.layers.reshaping.repeat_vector import RepeatVector
from scratchdl.layers.reshaping.reshape import Reshape

__all__ = ["Flatten", "Permute", "RepeatVector", "Reshape"]
