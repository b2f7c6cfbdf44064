"""``Lambda``: wrap a function of tensors as a layer.

Configs store the function by name only (its ``register_serializable`` name, or its ``__name__``),
never its code: loading a config finds the function in the registry. A Python ``lambda`` has no
name, so a layer built on one can be used and its config inspected, but not rebuilt from that
config (running code stored in a file would allow arbitrary code execution).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from scratchdl import activations
from scratchdl._serialization import deserialize_function, serialize_function
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer
from scratchdl.layers.symbolic import KerasTensor, flatten, zip_structure

__all__ = ["Lambda"]


def _is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _plain(value: Any) -> Any:
    """``value`` as JSON-friendly data (arrays become nested lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    if hasattr(value, "numpy") and hasattr(value, "shape"):
        return value.numpy().tolist()
    return value


class Lambda(Layer):
    """Calls ``function(inputs, **arguments)`` (also passing ``mask`` and ``training`` when the
    function has parameters with those names).

    Args:
        function: the function to wrap.
        output_shape: the output shape without the batch axis (a tuple, or a list of tuples
            for several outputs), or a function of the input shape; inferred by running the
            function on small dummy inputs when None.
        mask: a fixed output mask, or ``mask(inputs, previous_mask)`` computing it; with a
            mask the layer supports masking.
        arguments: extra keyword arguments for ``function``.

    >>> import numpy as np
    >>> Lambda(lambda x: x * 2.0)(np.ones((1, 2), dtype="float32"))
    Tensor([[2., 2.]])
    """

    def __init__(self, function: Callable[..., Any], output_shape: Any = None, mask: Any = None,
                 arguments: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"{label(self)}: function must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):  # some builtins have no signature
            parameters = {}
        self._fn_expects_training_arg = "training" in parameters
        self._fn_expects_mask_arg = "mask" in parameters
        self.built = True

    def call(self, inputs: Any, mask: Any = None, training: bool | None = None) -> Any:
        """``function(inputs, **arguments)``."""
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """``mask(inputs, previous_mask)`` for a callable mask, else the fixed ``mask``."""
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        """From ``output_shape`` (the batch size of the first input is prepended), or inferred."""
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape[0] if _is_shape(input_shape) else flatten(input_shape)[0]
        batch = first if not isinstance(first, (tuple, list)) else first[0]
        if _is_shape(self._output_shape):
            return (batch, *tuple(self._output_shape))
        return [(batch, *tuple(shape)) for shape in self._output_shape]

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """Symbolic outputs: from ``output_shape`` when given, else by dummy calls."""
        if self._output_shape is None:
            # Run the function on two small dummy batches; sizes that differ become None.
            first = self._dummy_call(args, kwargs, 2)
            second = self._dummy_call(args, kwargs, 3)
            return zip_structure(
                lambda a, b: KerasTensor(tuple(x if x == y else None for x, y in zip(a.shape, b.shape)),
                                         a.dtype),
                first, second,
            )

        def shape_of(value: Any) -> Any:
            if isinstance(value, (list, tuple)):
                return [shape_of(v) for v in value]
            return tuple(value.shape)

        shapes = self.compute_output_shape(shape_of(args[0]))
        if _is_shape(shapes):
            return KerasTensor(tuple(shapes), self.compute_dtype)
        return [KerasTensor(tuple(shape), self.compute_dtype) for shape in shapes]

    def get_config(self) -> dict[str, Any]:
        """Keras's Lambda config; functions are stored by name only (see the module docstring)."""
        config: dict[str, Any] = {"function": serialize_function(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (serialize_function(self._output_shape)
                                      if callable(self._output_shape) else _plain(self._output_shape))
        if self.mask is not None:
            config["mask"] = serialize_function(self.mask) if callable(self.mask) else _plain(self.mask)
        config["arguments"] = _plain(self.arguments)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Lambda:
        """Rebuild the layer; the function must be registered (or given in ``custom_objects``).

        Raises:
            ValueError: the config holds a Python lambda (it cannot be loaded safely) or a name
                that nothing is registered under.
        """
        config = dict(config)
        config["function"] = deserialize_function(
            config["function"], activations.ALL_OBJECTS_DICT, "Lambda layer's function", custom_objects
        )
        for key in ("output_shape", "mask"):
            value = config.get(key)
            if isinstance(value, dict) and value.get("class_name") in ("function", "__lambda__"):
                config[key] = deserialize_function(value, {}, f"Lambda layer's {key}", custom_objects)
            elif key == "output_shape" and isinstance(value, list):
                config[key] = tuple(value) if _is_shape(value) else [tuple(v) for v in value]
        return cls(**config)
