"""``Embedding``: map integer indices to dense vectors (rows of a trainable table)."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["Embedding"]


class Embedding(Layer):
    """Turns integer indices into vectors: ``output[..., :] = embeddings[inputs[...]]``.

    An input of shape ``(batch, length)`` gives ``(batch, length, output_dim)``. The backward
    pass adds each output gradient into the row it was read from (repeated indices accumulate).

    Args:
        input_dim: the vocabulary size; indices must lie in ``[0, input_dim)``.
        output_dim: the size of each vector.
        embeddings_initializer: initializer of the ``(input_dim, output_dim)`` table
            (``'uniform'``: uniform in [-0.05, 0.05], as Keras).
        embeddings_regularizer, embeddings_constraint: as for any weight.
        mask_zero: treat index 0 as padding: the output carries the mask ``inputs != 0`` (so
            ``input_dim`` should be the vocabulary size + 1).
        weights: an optional list holding the initial ``(input_dim, output_dim)`` table.
        quantization_config: must be None (scratchdl does not quantize); kept for Keras configs.

    >>> import numpy as np
    >>> Embedding(10, 4)(np.array([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None,
                 mask_zero: bool = False, weights: Any = None, quantization_config: Any = None,
                 **kwargs: Any) -> None:
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"{type(self).__name__}: `{arg}` must be a positive integer. Received: {arg}={value} "
                    f"(of type {type(value).__name__})."
                )
        kwargs.pop("input_length", None)  # deprecated in Keras 3; ignored there too
        super().__init__(**kwargs)
        if quantization_config is not None:
            raise ValueError(f"{label(self)}: quantization is not supported; quantization_config must be None")
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False
        self.quantization_config = None
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape: Any = None) -> None:
        """Create the ``embeddings`` table (input_dim, output_dim)."""
        if self.built:
            return
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint,
            name="embeddings",
        )

    def call(self, inputs: Tensor) -> Tensor:
        """Gather the rows of ``embeddings`` at ``inputs``."""
        indices = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if indices.dtype.kind == "f":
            indices = indices.astype("int32")
        elif indices.dtype.kind not in "iu":
            raise TypeError(f"{label(self)}: expected integer indices, got dtype {indices.dtype}")
        if indices.size:
            low, high = int(indices.min()), int(indices.max())
            if low < 0 or high >= self.input_dim:
                raise ValueError(
                    f"{label(self)}: indices must lie in [0, {self.input_dim}) (input_dim="
                    f"{self.input_dim}), got values from {low} to {high} in input of shape "
                    f"{tuple(indices.shape)}"
                )
        outputs = ops.take(self.embeddings, indices, axis=0)
        if outputs.dtype != np.dtype(self.compute_dtype):
            outputs = ops.cast(outputs, self.compute_dtype)
        return outputs

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """``inputs != 0`` when ``mask_zero``, else None."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """``(*input_shape, output_dim)``."""
        return (*tuple(input_shape), self.output_dim)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """A float KerasTensor of shape ``(*input_shape, output_dim)``, whatever the input dtype."""
        from scratchdl.layers.symbolic import KerasTensor

        return KerasTensor(self.compute_output_shape(args[0].shape), self.compute_dtype)

    def get_config(self) -> dict[str, Any]:
        """Keras's Embedding config."""
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
