"""Weight initializers with Keras 3's names, arguments, statistics and configs.

An initializer is called as ``init(shape, dtype=None)`` and returns a NumPy array of that shape
(dtype ``floatx()`` by default). Random initializers draw from ``backend.random_generator()``
when ``seed`` is None, so ``backend.set_random_seed`` makes a whole run reproducible; with an int
``seed`` every call returns the same values (as in Keras).

Variance scaling (Glorot, He, LeCun) uses the fans of ``compute_fans``: for a dense kernel
``(fan_in, fan_out)``; for a convolution kernel ``(*kernel_size, in_channels, out_channels)`` the
receptive field ``prod(kernel_size)`` multiplies both channel counts.

>>> w = GlorotUniform(seed=0)((64, 32))
>>> w.shape, bool(abs(w).max() <= (6 / (64 + 32)) ** 0.5)
((64, 32), True)
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl._serialization import deserialize_object, serialize_object
from scratchdl.autograd.tensor import Tensor

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "compute_fans",
    "get", "serialize", "deserialize",
]

# The standard deviation of a unit normal truncated to [-2, 2]: dividing by it makes a truncated
# normal draw have the intended variance (Keras's constant).
_TRUNCATED_STDDEV_FACTOR = 0.87962566103423978


def _dtype(dtype: Any) -> np.dtype:
    return np.dtype(dtype or backend.floatx())


def _shape(shape: Any, name: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"{name}: shape must be a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise ValueError(f"{name}: shape must not have negative sizes, got {shape}")
    return shape


def compute_fans(shape: Sequence[int], input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of ``shape``, exactly as Keras computes them.

    Scalars: (1, 1); vectors: (n, n); matrices: (rows, cols); larger ranks are convolution kernels
    ``(*spatial, in, out)``: ``fan_in = in * prod(spatial)``, ``fan_out = out * prod(spatial)``.
    ``input_axes``/``output_axes`` (both given) override this with explicit products.

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class Initializer:
    """Base class of initializers: ``__call__(shape, dtype=None)`` returns an array.

    Subclasses store their arguments as attributes and return them from ``get_config``;
    ``from_config(config)`` calls the constructor with them.
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None)")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-serializable."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Create an initializer from ``get_config()``'s output."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros.

    >>> Zeros()((2,))
    array([0., 0.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.zeros(_shape(shape, "Zeros"), dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones.

    >>> Ones()((2,))
    array([1., 1.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.ones(_shape(shape, "Ones"), dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equal to ``value`` (a scalar).

    >>> Constant(0.5)((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value: float = 0.0) -> None:
        if np.ndim(value) != 0:
            raise ValueError(f"Constant: value must be a scalar, got an array of shape {np.shape(value)}")
        self.value = value.item() if isinstance(value, np.generic) else value

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        return np.full(_shape(shape, "Constant"), self.value, dtype=_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; rectangular shapes get ``np.eye``).

    >>> Identity(2.0)((2, 2))
    array([[2., 0.],
           [0., 2.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return (self.gain * np.eye(*shape)).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


class RandomInitializer(Initializer):
    """Base of the random initializers: holds ``seed`` and picks the generator it implies."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)):
            raise ValueError(
                f"{type(self).__name__}: `seed` argument should be an integer or None. Received: seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)

    def _generator(self) -> np.random.Generator:
        if self.seed is None:
            return backend.random_generator()
        return np.random.default_rng(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, ...], mean: float,
                      stddev: float) -> np.ndarray:
    """Normal draws, redrawing every value farther than two standard deviations from the mean."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():  # each round redraws all rejected values at once (~4.6% of the last)
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return mean + stddev * values


class RandomNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _shape(shape, "RandomNormal")
        return self._generator().normal(self.mean, self.stddev, shape).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Normal draws with ``mean`` and ``stddev``, redrawn when more than 2 stddev from the mean."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _shape(shape, "TruncatedNormal")
        return _truncated_normal(self._generator(), shape, self.mean, self.stddev).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Uniform draws in ``[minval, maxval)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _shape(shape, "RandomUniform")
        return self._generator().uniform(self.minval, self.maxval, shape).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    """Draws with variance ``scale / n``, ``n`` the fan picked by ``mode``.

    Args:
        scale: positive scaling factor.
        mode: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'`` (mean of both); ``n = max(1, fan)``.
        distribution: ``'truncated_normal'`` (``'normal'`` is an alias; stddev
            ``sqrt(scale / n) / 0.8796...`` so the truncated draws keep variance ``scale / n``),
            ``'untruncated_normal'`` (stddev ``sqrt(scale / n)``) or ``'uniform'`` (in
            ``[-limit, limit]``, ``limit = sqrt(3 * scale / n)``).
        seed: int for deterministic draws; None to use the global generator.
        input_axes, output_axes: explicit axes for the fans (see ``compute_fans``).
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: int | None = None,
                 input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> None:
        if scale <= 0.0:
            raise ValueError(
                f"{type(self).__name__}: argument `scale` must be positive float. Received: scale={scale}"
            )
        allowed_modes = ("fan_in", "fan_out", "fan_avg")
        if mode not in allowed_modes:
            raise ValueError(
                f"{type(self).__name__}: invalid `mode` argument: {mode}. Please use one of {allowed_modes}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        allowed = ("uniform", "truncated_normal", "untruncated_normal")
        if distribution not in allowed:
            raise ValueError(
                f"{type(self).__name__}: invalid `distribution` argument: {distribution}. Please use one "
                f"of {allowed}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _shape(shape, type(self).__name__)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        rng = self._generator()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(scale) / _TRUNCATED_STDDEV_FACTOR)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(scale), shape)
        else:
            limit = math.sqrt(3.0 * scale)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset: only ``seed`` and the fan axes are configurable."""

    _preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: int | None = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> None:
        scale, mode, distribution = self._preset
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))`` (Xavier uniform)."""

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))`` (Xavier normal)."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``."""

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / fan_in)``."""

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform in ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``."""

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(1 / fan_in)``."""

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal draw.

    Shapes of rank > 2 are treated as ``(prod(shape[:-1]), shape[-1])`` matrices; the rows (or
    columns, whichever are fewer) are orthonormal.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> np.ndarray:
        shape = _shape(shape, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(
                f"{type(self).__name__}: the tensor to initialize must be at least two-dimensional. Received: "
                f"shape={shape} of rank {len(shape)}."
            )
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        a = self._generator().standard_normal((max(num_rows, num_cols), min(num_rows, num_cols)))
        q, r = np.linalg.qr(a)
        # Multiplying by sign(diag(r)) makes the decomposition unique, so q is Haar-distributed.
        q = q * np.sign(np.diag(r))
        if num_rows < num_cols:
            q = q.T
        return np.ascontiguousarray(self.gain * q.reshape(shape), dtype=_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


_CLASSES = [Initializer, Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform,
            TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
            LecunUniform, LecunNormal, Orthogonal]
ALL_OBJECTS_DICT: dict[str, type[Initializer]] = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
    "normal": RandomNormal, "uniform": RandomUniform, "one": Ones, "zero": Zeros,
})


def serialize(initializer: Any) -> dict[str, Any] | None:
    """The Keras-style config dict of ``initializer`` (``module`` is ``'keras.initializers'``).

    >>> serialize(Zeros())
    {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None}
    """
    return serialize_object(initializer, "keras.initializers")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Initializer:
    """Rebuild an initializer from ``serialize``'s dict (a Keras initializer config works too)."""
    return deserialize_object(config, ALL_OBJECTS_DICT, "initializer", custom_objects)


def get(identifier: Any) -> Any:
    """Return an initializer for ``identifier``.

    Accepts None (returns None), a name (``'glorot_uniform'``, ``'GlorotUniform'``, ``'zeros'``,
    ``'uniform'``, ...), a serialized dict, an initializer class (instantiated with defaults) or
    instance, a callable ``f(shape, dtype=None)``, or an array (returned as-is for a matching shape).

    >>> type(get("he_normal")).__name__
    'HeNormal'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj: Any = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            raise ValueError(
                f"Could not interpret initializer identifier: {identifier!r}. Known names: "
                f"{sorted(ALL_OBJECTS_DICT)}"
            )
        obj = ALL_OBJECTS_DICT[identifier]()
    elif isinstance(identifier, (np.ndarray, np.generic, Tensor)):
        value = identifier.numpy() if isinstance(identifier, Tensor) else np.asarray(identifier)

        def initialize_fn(shape: Sequence[int], dtype: Any = None) -> np.ndarray:
            if tuple(shape) != value.shape:
                raise ValueError(
                    f"Expected `shape` to be {value.shape} for direct tensor as initializer. "
                    f"Received shape={tuple(shape)}"
                )
            return value.astype(_dtype(dtype))

        obj = initialize_fn
    else:
        obj = identifier
    if inspect.isclass(obj):
        obj = obj()
    if not callable(obj):
        raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
    return obj
