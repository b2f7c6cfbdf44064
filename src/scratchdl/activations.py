"""Activation functions with Keras 3's names, arguments and defaults, built on ``scratchdl.ops``.

Every function takes a Tensor (or array) and returns a differentiable Tensor. ``get(name)`` finds
one by name (None gives ``linear``); ``serialize(fn)`` returns the name, as Keras does.

>>> from scratchdl import Tensor
>>> relu(Tensor([-1.0, 2.0, 8.0]), max_value=6.0)
Tensor([0., 2., 6.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scratchdl import ops
from scratchdl._serialization import (
    deserialize_function, get_registered_name, get_registered_object, serialize_function,
)
from scratchdl.autograd.tensor import Tensor, as_tensor

__all__ = [
    "linear", "relu", "relu6", "leaky_relu", "sigmoid", "softmax", "log_softmax", "tanh", "elu",
    "selu", "celu", "gelu", "glu", "softplus", "softsign", "silu", "swish", "hard_sigmoid",
    "hard_silu", "hard_swish", "hard_tanh", "exponential", "mish", "log_sigmoid", "tanh_shrink",
    "soft_shrink", "hard_shrink", "threshold", "squareplus", "sparse_plus", "sparse_sigmoid",
    "get", "serialize", "deserialize",
]


def _float(x: Any) -> Tensor:
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else ops.cast(x, "float32")


def linear(x: Any) -> Any:
    """The identity: returns ``x`` unchanged."""
    return x


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Rectified linear unit, with Keras's options.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold < x < max_value`` and
    ``negative_slope * (x - threshold)`` otherwise.

    >>> relu(Tensor([-2.0, 1.0]), negative_slope=0.5)
    Tensor([-1.,  1.])
    """
    x = _float(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    negative_part: Any = None
    if negative_slope != 0.0:
        negative_part = ops.relu(threshold - x) if threshold != 0 else ops.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        y = ops.where(ops.greater(x, threshold), x, 0.0)
    elif max_value == 6:
        y = ops.relu6(x)
        clip_max = False
    else:
        y = ops.relu(x)
    if clip_max:
        y = ops.clip(y, 0.0, max_value)
    if negative_part is not None:
        y = y - negative_part * negative_slope
    return y


def relu6(x: Any) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return ops.relu6(_float(x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return ops.leaky_relu(_float(x), negative_slope=negative_slope)


def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(_float(x))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x), axis)`` (computed stably)."""
    return ops.softmax(_float(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """``x - logsumexp(x, axis)``."""
    return ops.log_softmax(_float(x), axis=axis)


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return ops.tanh(_float(x))


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return ops.elu(_float(x), alpha=alpha)


def selu(x: Any) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalizing constants (1.0507..., 1.6732...)."""
    return ops.selu(_float(x))


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = _float(x)
    return ops.relu(x) + ops.minimum(ops.expm1(x / alpha) * alpha, 0.0)


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``; the tanh approximation when ``approximate``.

    Keras's activation defaults to the exact (erf) form, unlike ``ops.gelu``.
    """
    return ops.gelu(_float(x), approximate=approximate)


def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``; ``a * sigmoid(b)``."""
    x = _float(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: axis {axis} of the input must have an even size, got shape {x.shape}"
        )
    a, b = ops.split(x, 2, axis=axis)
    return a * ops.sigmoid(b)


def softplus(x: Any) -> Tensor:
    """``log(1 + exp(x))`` (computed stably)."""
    return ops.softplus(_float(x))


def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``."""
    return ops.softsign(_float(x))


def silu(x: Any) -> Tensor:
    """``x * sigmoid(x)`` (also called swish)."""
    return ops.silu(_float(x))


swish = silu


def hard_sigmoid(x: Any) -> Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear in between."""
    return ops.hard_sigmoid(_float(x))


def hard_silu(x: Any) -> Tensor:
    """``x * hard_sigmoid(x)`` (also called hard swish)."""
    return ops.hard_silu(_float(x))


hard_swish = hard_silu


def hard_tanh(x: Any) -> Tensor:
    """``clip(x, -1, 1)``."""
    return ops.clip(_float(x), -1.0, 1.0)


def exponential(x: Any) -> Tensor:
    """``exp(x)``."""
    return ops.exp(_float(x))


def mish(x: Any) -> Tensor:
    """``x * tanh(softplus(x))``."""
    x = _float(x)
    return x * ops.tanh(ops.softplus(x))


def log_sigmoid(x: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)`` (stable)."""
    return -ops.softplus(-_float(x))


def tanh_shrink(x: Any) -> Tensor:
    """``x - tanh(x)``."""
    x = _float(x)
    return x - ops.tanh(x)


def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    x = _float(x)
    return ops.where(ops.greater(x, threshold), x - threshold,
                     ops.where(ops.less(x, -threshold), x + threshold, 0.0))


def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, else 0."""
    x = _float(x)
    return ops.where(ops.greater(ops.abs(x), threshold), x, 0.0)


def threshold(x: Any, threshold: float, default_value: float) -> Tensor:  # noqa: F811 - Keras's name
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _float(x)
    return ops.where(ops.greater(x, threshold), x, default_value)


def squareplus(x: Any, b: float = 4) -> Tensor:
    """``(x + sqrt(x**2 + b)) / 2``: a smooth, algebraic relu."""
    x = _float(x)
    return (x + ops.sqrt(ops.square(x) + b)) * 0.5


def sparse_plus(x: Any) -> Tensor:
    """0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``."""
    x = _float(x)
    middle = ops.square(x + 1.0) * 0.25
    return ops.where(ops.less_equal(x, -1.0), 0.0, ops.where(ops.greater_equal(x, 1.0), x, middle))


def sparse_sigmoid(x: Any) -> Tensor:
    """``clip((x + 1) / 2, 0, 1)``."""
    return ops.clip((_float(x) + 1.0) * 0.5, 0.0, 1.0)


_BUILTINS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn for fn in (
        linear, relu, relu6, leaky_relu, sigmoid, softmax, log_softmax, tanh, elu, selu, celu,
        gelu, glu, softplus, softsign, silu, hard_sigmoid, hard_silu, hard_tanh, exponential,
        mish, log_sigmoid, tanh_shrink, soft_shrink, hard_shrink, threshold, squareplus,
        sparse_plus, sparse_sigmoid,
    )
}
ALL_OBJECTS_DICT: dict[str, Callable[..., Any]] = {**_BUILTINS, "swish": silu, "hard_swish": hard_silu}


def get(identifier: Any) -> Callable[..., Any]:
    """Return the activation function for ``identifier``.

    None gives ``linear``; a string is a Keras activation name (``'relu'``, ``'swish'``, ...) or a
    registered custom name; a dict is a serialized activation; a callable is returned as-is.

    >>> get("swish") is silu
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        fn = ALL_OBJECTS_DICT.get(identifier) or get_registered_object(identifier)
        if fn is None:
            raise ValueError(
                f"Could not interpret activation function identifier: {identifier!r}. Known "
                f"names: {sorted(ALL_OBJECTS_DICT)}"
            )
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(activation: Callable[..., Any]) -> Any:
    """The name of a built-in activation (``'relu'``; ``silu`` for swish) as Keras stores it.

    Custom activations must be registered (``register_serializable``); they serialize to a
    Keras-style dict holding their registered name. Objects with ``get_config`` serialize to a
    config dict.
    """
    if activation is None:
        return "linear"
    for name, fn in _BUILTINS.items():
        if activation is fn:
            return name
    if get_registered_name(activation) is not None:
        return serialize_function(activation)
    if hasattr(activation, "get_config"):
        return {"module": type(activation).__module__, "class_name": type(activation).__name__,
                "config": activation.get_config(),
                "registered_name": get_registered_name(type(activation))}
    raise ValueError(
        f"Unknown activation function '{activation}' cannot be serialized: use a built-in "
        "activation name or register the function with scratchdl's register_serializable"
    )


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Callable[..., Any]:
    """Return the activation that ``serialize`` produced ``config`` for."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    if isinstance(config, dict):
        if config.get("class_name") in ("function", "__lambda__"):
            return deserialize_function(config, ALL_OBJECTS_DICT, "activation", custom_objects)
        key = config.get("registered_name") or config.get("class_name")
        cls = (custom_objects or {}).get(key) or get_registered_object(key)
        if cls is None:
            raise ValueError(f"Could not deserialize activation {config!r}: unknown class {key!r}")
        return cls.from_config(config.get("config") or {})
    raise ValueError(f"Could not interpret activation function identifier: {config!r}")
