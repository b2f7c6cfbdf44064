"""``Rescaling``: ``inputs * scale + offset`` (e.g. pixels from [0, 255] to [0, 1])."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import ops
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.layers.layer import Layer

__all__ = ["Rescaling"]


def _serialize_value(value: Any) -> Any:
    """Scalars as they are; arrays as Keras stores them (``{"class_name": "__numpy__", ...}``)."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _deserialize_value(value: Any) -> Any:
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        config = value["config"]
        return np.asarray(config["value"], dtype=config["dtype"])
    return value


class Rescaling(Layer):
    """Computes ``inputs * scale + offset`` in the layer's dtype (inputs of any dtype are cast).

    Args:
        scale: a scalar, or an array broadcast against the input (e.g. one value per channel).
        offset: a scalar or array added after scaling.

    >>> import numpy as np
    >>> Rescaling(1 / 255)(np.array([[0, 255]], dtype="uint8"))
    Tensor([[0., 1.]])
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        """``cast(inputs) * scale + offset``."""
        dtype = np.dtype(self.compute_dtype)
        if inputs.dtype != dtype:
            inputs = ops.cast(inputs, dtype)
        xp = get_array_module(inputs.data)
        scale = xp.asarray(np.asarray(self.scale), dtype=dtype)
        offset = xp.asarray(np.asarray(self.offset), dtype=dtype)
        return inputs * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's Rescaling config (arrays stored as Keras's ``__numpy__`` dicts)."""
        return {**super().get_config(), "scale": _serialize_value(self.scale),
                "offset": _serialize_value(self.offset)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Rescaling:
        """Rebuild the layer, turning stored arrays back into NumPy arrays."""
        config = dict(config)
        config["scale"] = _deserialize_value(config["scale"])
        config["offset"] = _deserialize_value(config["offset"])
        return cls(**config)
