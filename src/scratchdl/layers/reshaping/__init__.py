"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D, Cropping1D/2D,
UpSampling1D/2D."""

from scratchdl.layers.reshaping.cropping1d import Cropping1D
from scratchdl.layers.reshaping.cropping2d import Cropping2D
from scratchdl.layers.reshaping.flatten import Flatten
from scratchdl.layers.reshaping.permute import Permute
from scratchdl.layers.reshaping.repeat_vector import RepeatVector
from scratchdl.layers.reshaping.reshape import Reshape
from scratchdl.layers.reshaping.up_sampling1d import UpSampling1D
from scratchdl.layers.reshaping.up_sampling2d import UpSampling2D
from scratchdl.layers.reshaping.zero_padding1d import ZeroPadding1D
from scratchdl.layers.reshaping.zero_padding2d import ZeroPadding2D

__all__ = [
    "Cropping1D", "Cropping2D", "Flatten", "Permute", "RepeatVector", "Reshape", "UpSampling1D",
    "UpSampling2D", "ZeroPadding1D", "ZeroPadding2D",
]
