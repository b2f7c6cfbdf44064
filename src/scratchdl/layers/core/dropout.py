"""``Dropout``: randomly zero inputs during training (inverted dropout)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Sets each input to 0 with probability ``rate`` while training and scales the rest by
    ``1 / (1 - rate)``, so the expected value is unchanged; the identity in inference.

    Args:
        rate: the fraction of inputs to drop, in [0, 1].
        noise_shape: the shape of the keep/drop mask, broadcast against the input; ``None``
            entries take the input's size (``(None, 1, None)`` drops the same features at every
            time step).
        seed: an int makes the sequence of masks reproducible for this layer; None draws from
            ``backend.random_generator()`` (seeded by ``set_random_seed``).

    >>> import numpy as np
    >>> Dropout(0.5)(np.ones((2, 2), dtype="float32"))  # inference: unchanged
    Tensor([[1., 1.],
            [1., 1.]])
    """

    def __init__(self, rate: float, noise_shape: Sequence[int | None] | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                f"{label(self)}: invalid value received for argument `rate`. Expected a float value between 0 "
                f"and 1. Received: rate={rate}"
            )
        self.rate = rate
        self.seed = seed
        self.noise_shape = self._validate_noise_shape(noise_shape)
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True
        self.built = True

    def _validate_noise_shape(self, noise_shape: Any) -> tuple[int | None, ...] | None:
        if noise_shape is None:
            return None
        if isinstance(noise_shape, str):
            raise ValueError(
                f"{label(self)}: invalid value received for argument `noise_shape`. Expected a tuple or list of "
                f"integers. Received: noise_shape={noise_shape}"
            )
        noise_shape = tuple(noise_shape)
        for i, dim in enumerate(noise_shape):
            if dim is not None and (not isinstance(dim, int) or dim <= 0):
                raise ValueError(
                    f"{label(self)}: invalid value received for argument `noise_shape`. Expected all dimensions "
                    f"to be positive integers or None. Received {dim!r} at index {i}"
                )
        return noise_shape

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"{label(self)}: noise_shape {self.noise_shape} must have one entry per axis of "
                f"the input, got input shape {shape}"
            )
        mask_shape = tuple(s if n is None else n for n, s in zip(self.noise_shape, shape))
        try:
            np.broadcast_shapes(mask_shape, shape)
        except ValueError:
            raise ValueError(
                f"{label(self)}: noise_shape {self.noise_shape} does not broadcast to the input "
                f"shape {shape}"
            ) from None
        return mask_shape

    def call(self, inputs: Tensor, training: bool | None = False) -> Tensor:
        """``inputs * mask / (1 - rate)`` when training, else ``inputs``."""
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        rng = self._rng if self._rng is not None else backend.random_generator()
        keep = rng.random(self._mask_shape(inputs.shape)) >= self.rate
        xp = backend.get_array_module(inputs.data)
        mask = xp.asarray(keep.astype(inputs.dtype) * inputs.dtype.type(1.0 / (1.0 - self.rate)))
        return inputs * mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras's Dropout config."""
        noise_shape = list(self.noise_shape) if self.noise_shape is not None else None
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": noise_shape}
