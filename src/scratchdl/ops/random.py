"""Random ops: dropout and random tensors, all drawn from scratchdl's one seeded generator.

Every draw goes through ``backend.random_generator()``, so ``set_random_seed(n)`` makes a whole
run (weights, dropout masks, shuffling) reproducible. Dropout is *inverted* dropout, as in Keras:
kept values are scaled by ``1 / (1 - rate)`` during training, so nothing changes at inference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor, as_tensor
from scratchdl.backend import get_array_module

__all__ = ["dropout_mask", "dropout", "random_normal", "random_uniform"]


def _shape(shape: Any, op: str) -> tuple[int, ...]:
    """Normalize an int or a sequence of ints to a shape tuple, with a clear error."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        result = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in result):
        raise ValueError(f"{op}: shape must not have negative dimensions, got {result}")
    return result


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    resolved = np.dtype(backend.floatx() if dtype is None else dtype)
    if not backend.is_floating(resolved):
        raise TypeError(f"{op}: only floating-point dtypes are supported, got {resolved}")
    return resolved


def _check_rate(rate: Any, op: str) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: rate must be a number in [0, 1), got {rate!r}")
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    return float(rate)


def _generator(seed: int | None) -> np.random.Generator:
    return backend.random_generator() if seed is None else np.random.default_rng(seed)


class Dropout(Function):
    """x * mask, where the mask holds 0 (dropped) and 1 / (1 - rate) (kept)."""

    def __init__(self, mask: Any) -> None:
        self.mask = mask

    def forward(self, x: Any) -> Any:
        xp = get_array_module(x)
        self.mask = xp.asarray(self.mask).astype(x.dtype, copy=False)
        return x * self.mask

    def backward(self, grad: Any) -> Any:
        return grad * self.mask


def dropout_mask(shape: Any, rate: float, dtype: Any = None) -> np.ndarray:
    """A raw inverted-dropout mask: each entry is 0 with probability ``rate``, else ``1 / (1 - rate)``.

    Drawn from ``backend.random_generator()``; ``dtype`` defaults to ``floatx()``. The mean of the
    mask is 1, so ``x * mask`` keeps the expected value of ``x``.

    >>> dropout_mask((2, 3), 0.5).shape
    (2, 3)
    """
    rate = _check_rate(rate, "dropout_mask")
    shape = _shape(shape, "dropout_mask")
    dtype = _float_dtype(dtype, "dropout_mask")
    keep = backend.random_generator().random(shape) >= rate
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - rate))


def dropout(x: Any, rate: float, training: bool = True,
            noise_shape: Sequence[int | None] | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``rate``, scale the rest by ``1/(1-rate)``.

    When ``training`` is False or ``rate`` is 0 this is the identity (``x`` comes back as a
    tensor, unchanged). ``rate`` must be in ``[0, 1)``. The backward pass multiplies the
    gradient by the same mask. ``noise_shape`` (as in ``keras.random.dropout``) gives the mask's
    shape, broadcast against ``x``; ``None`` entries take ``x``'s size on that axis, so
    ``noise_shape=(None, 1, None)`` drops whole time steps' channels together.

    >>> y = dropout(Tensor(np.ones(4)), 0.5)  # entries are 0.0 or 2.0
    """
    rate = _check_rate(rate, "dropout")
    x = as_tensor(x)
    if not training or rate == 0.0:
        return x
    if not backend.is_floating(x.dtype):
        raise TypeError(f"dropout: expected a floating-point tensor, got dtype {x.dtype}")
    shape = x.shape
    if noise_shape is not None:
        noise_shape = tuple(noise_shape)
        if len(noise_shape) != x.ndim:
            raise ValueError(
                f"dropout: noise_shape {noise_shape} must have one entry per axis of the input "
                f"of shape {x.shape}"
            )
        shape = tuple(s if n is None else int(n) for n, s in zip(noise_shape, x.shape))
        try:
            np.broadcast_shapes(shape, x.shape)
        except ValueError:
            raise ValueError(
                f"dropout: noise_shape {noise_shape} does not broadcast to the input shape {x.shape}"
            ) from None
    return Dropout(dropout_mask(shape, rate, x.dtype))(x)


def random_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                  seed: int | None = None) -> Tensor:
    """A tensor of draws from the normal distribution ``N(mean, stddev**2)``.

    Drawn from ``backend.random_generator()`` (or a generator seeded with ``seed`` when given);
    ``dtype`` defaults to ``floatx()``.

    >>> random_normal((2, 3), stddev=0.1).shape
    (2, 3)
    """
    shape = _shape(shape, "random_normal")
    dtype = _float_dtype(dtype, "random_normal")
    if float(stddev) < 0:
        raise ValueError(f"random_normal: stddev must be non-negative, got {stddev}")
    values = _generator(seed).normal(float(mean), float(stddev), size=shape)
    return Tensor(values.astype(dtype))


def random_uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
                   seed: int | None = None) -> Tensor:
    """A tensor of draws from the uniform distribution on ``[minval, maxval)``.

    Drawn from ``backend.random_generator()`` (or a generator seeded with ``seed`` when given);
    ``dtype`` defaults to ``floatx()``.

    >>> random_uniform(3, -1.0, 1.0).shape
    (3,)
    """
    shape = _shape(shape, "random_uniform")
    dtype = _float_dtype(dtype, "random_uniform")
    if not float(maxval) >= float(minval):
        raise ValueError(f"random_uniform: maxval ({maxval}) must not be below minval ({minval})")
    values = _generator(seed).uniform(float(minval), float(maxval), size=shape).astype(dtype)
    if float(maxval) > float(minval):
        # Rounding to a narrower dtype can turn a draw just below maxval into maxval itself.
        values = np.minimum(values, np.nextafter(dtype.type(maxval), dtype.type(minval)))
    return Tensor(values)
