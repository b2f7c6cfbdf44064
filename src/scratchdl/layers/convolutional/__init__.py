"""Convolution layers: Conv1D/2D, Conv1DTranspose/2DTranspose, DepthwiseConv1D/2D,
SeparableConv1D/2D (and their bases)."""

from scratchdl.layers.convolutional.base_conv import BaseConv
from scratchdl.layers.convolutional.base_conv_transpose import BaseConvTranspose
from scratchdl.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
from scratchdl.layers.convolutional.base_separable_conv import BaseSeparableConv
from scratchdl.layers.convolutional.conv1d import Conv1D
from scratchdl.layers.convolutional.conv1d_transpose import Conv1DTranspose
from scratchdl.layers.convolutional.conv2d import Conv2D
from scratchdl.layers.convolutional.conv2d_transpose import Conv2DTranspose
from scratchdl.layers.convolutional.depthwise_conv1d import DepthwiseConv1D
from scratchdl.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from scratchdl.layers.convolutional.separable_conv1d import SeparableConv1D
from scratchdl.layers.convolutional.separable_conv2d import SeparableConv2D

__all__ = [
    "BaseConv", "BaseConvTranspose", "BaseDepthwiseConv", "BaseSeparableConv", "Conv1D",
    "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D",
]
