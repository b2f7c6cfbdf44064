"""``Activation``: apply an activation function to the input."""

from __future__ import annotations

from typing import Any

from scratchdl import activations
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import Layer

__all__ = ["Activation"]


class Activation(Layer):
    """Applies ``activation`` elementwise (or along the last axis, for softmax).

    The symbolic output shape is found by running the activation on a small dummy input, so it is
    right even for shape-changing activations such as ``glu`` (which halves the last axis).

    Args:
        activation: an activation name (``'relu'``, ``'softmax'``, ...) or function.

    >>> import numpy as np
    >>> Activation("relu")(np.array([[-1.0, 2.0]], dtype="float32"))
    Tensor([[0., 2.]])
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """``activation(inputs)``."""
        return self.activation(inputs)

    def get_config(self) -> dict[str, Any]:
        """Keras's Activation config (the activation's name)."""
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
