"""``TimeDistributed``: apply a layer to every time step of a sequence."""

from __future__ import annotations

from typing import Any

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor, as_tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.rnn.rnn import prefix_weight_paths

__all__ = ["TimeDistributed"]


class TimeDistributed(Layer):
    """Applies ``layer`` to each time slice ``inputs[:, t]`` with the same weights (Keras's
    ``TimeDistributed``).

    The time axis is folded into the batch once, ``(batch, time, ...) -> (batch * time, ...)``,
    the wrapped layer runs a single time on all slices, and the result is unfolded: no loop
    over time steps. (A layer whose result couples the samples of a batch, such as
    ``BatchNormalization`` in training, therefore sees all steps' samples together, where Keras
    calls it once per step.)

    Args:
        layer: the layer to apply (a ``Dense``, ``Conv2D``, a model, ...).

    Call arguments: ``inputs`` of rank >= 3, ``training``, ``mask`` (``(batch, time)``; passed
    to the wrapped layer, folded the same way, when it takes a mask).

    >>> import numpy as np
    >>> from scratchdl.layers import Dense
    >>> TimeDistributed(Dense(8))(np.zeros((2, 5, 3), "float32")).shape
    (2, 5, 8)
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                "TimeDistributed: please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                f"Received: {layer}"
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _child_input_shape(self, input_shape: Any) -> tuple[Any, ...]:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"{label(self)}: `TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {input_shape}"
            )
        return (input_shape[0], *input_shape[2:])

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(batch, time, *layer output shape without its batch axis)``."""
        input_shape = tuple(input_shape)
        child_output = tuple(self.layer.compute_output_shape(self._child_input_shape(input_shape)))
        return (child_output[0], input_shape[1], *child_output[1:])

    def build(self, input_shape: Any) -> None:
        """Build the wrapped layer for one time slice ``(batch, *input_shape[2:])``."""
        child_shape = self._child_input_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(child_shape)
            self.layer.built = True
            prefix_weight_paths(self.layer, self.name)

    def call(self, inputs: Tensor, training: bool | None = None, mask: Any = None) -> Tensor:
        """The wrapped layer on ``(batch * time, ...)``, reshaped back to ``(batch, time, ...)``."""
        inputs = as_tensor(inputs)
        if inputs.ndim < 3:
            raise ValueError(
                f"{label(self)}: expected input with at least 3 dimensions (batch, time, ...), got "
                f"shape {inputs.shape}"
            )
        batch, steps = inputs.shape[0], inputs.shape[1]
        if mask is not None:
            mask_shape = tuple(mask.shape)
            if len(mask_shape) < 2 or mask_shape[:2] != (batch, steps):
                raise ValueError(
                    f"{label(self)}: the `mask` passed to the `TimeDistributed` layer has a shape {mask_shape} "
                    f"that is incompatible with the input shape {inputs.shape}. The first two "
                    "dimensions of the mask (batch size and timesteps) must match the input's "
                    f"first two dimensions. Expected mask shape prefix: ({batch}, {steps})."
                )
        folded = ops.reshape(inputs, (batch * steps, *inputs.shape[2:]))
        kwargs: dict[str, Any] = {}
        if "training" in self.layer._call_accepts:
            kwargs["training"] = training
        if "mask" in self.layer._call_accepts and mask is not None:
            mask_data = mask.data if isinstance(mask, Tensor) else mask
            kwargs["mask"] = mask_data.reshape((batch * steps, *mask_data.shape[2:]))
        outputs = self.layer.call(folded, **kwargs)
        return ops.reshape(outputs, (batch, steps, *outputs.shape[1:]))

    def get_config(self) -> dict[str, Any]:
        """Keras's config: the wrapped layer serialized under ``layer``."""
        from scratchdl.models.layer_serialization import serialize_layer

        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> TimeDistributed:
        """Rebuild the wrapper and its layer."""
        from scratchdl.models.layer_serialization import deserialize_layer

        config = dict(config)
        layer = deserialize_layer(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
