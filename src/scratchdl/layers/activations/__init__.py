"""Activation layers: ReLU, LeakyReLU, ELU, PReLU, Softmax."""

from scratchdl.layers.activations.elu import ELU
from scratchdl.layers.activations.leaky_relu import LeakyReLU
from scratchdl.layers.activations.prelu import PReLU
from scratchdl.layers.activations.relu import ReLU
from scratchdl.layers.activations.softmax import Softmax

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]
