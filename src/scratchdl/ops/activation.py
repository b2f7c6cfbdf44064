"""Activation functions, with Keras 3's names, definitions and defaults.

sigmoid, relu, relu6, leaky_relu, elu, selu, gelu, softplus, softsign, silu, hard_sigmoid and
hard_silu. All are elementwise: the output has the input's shape and float dtype (integer inputs
are computed in ``floatx()``).

At a kink the gradient follows PyTorch: relu and relu6 give 0 at 0 (and relu6 0 at 6),
leaky_relu and elu give their negative-side slope at 0, hard_sigmoid gives 0 at -3 and 3,
hard_silu gives 0 at -3 and 1 at 3.
Everything is written to stay finite for any finite input: sigmoid never exponentiates a
positive number, softplus is ``logaddexp(0, x)``, elu exponentiates only the negative part.
"""

from __future__ import annotations

import math
from typing import Any

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._special import normal_cdf
from scratchdl.ops.elementwise import as_float_array

__all__ = [
    "sigmoid", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "softplus", "softsign",
    "silu", "hard_sigmoid", "hard_silu",
]

# SELU's fixed point constants (Klambauer et al. 2017), to the digits Keras uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_ONE_OVER_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715


def stable_sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` on a raw array without overflow.

    ``exp(-x)`` overflows for x < -709 (float64) or x < -88 (float32); with ``e = exp(-|x|) <= 1``
    the two equal forms ``1/(1+e)`` (x >= 0) and ``e/(1+e)`` (x < 0) never do.
    """
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r)


def _number(value: Any, op: str, name: str) -> float:
    # A Python float is "weak" in NumPy's promotion, so float32 inputs stay float32.
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}") from None


class Sigmoid(Function):
    """1 / (1 + e ** -x)."""

    def forward(self, x: Any) -> Any:
        out = stable_sigmoid(as_float_array(x))
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out * (1 - out)


class Relu(Function):
    """max(x, 0); gradient 0 at 0.

    The output is saved, not a mask: ``max(x, 0) > 0`` exactly where ``x > 0`` (NaN included),
    so the forward pass is one pass over ``x`` and keeps no extra array.
    """

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        out = get_array_module(x).maximum(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * (out > 0)


class Relu6(Function):
    """min(max(x, 0), 6); gradient 0 at 0 and 6."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        xp = get_array_module(x)
        self.save_for_backward((x > 0) & (x < 6))
        return xp.minimum(xp.maximum(x, 0), 6)

    def backward(self, grad: Any) -> Any:
        (inside,) = self.saved
        return grad * inside


class LeakyRelu(Function):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope: float) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        positive = x > 0
        self.save_for_backward(positive)
        return get_array_module(x).where(positive, x, x * self.negative_slope)

    def backward(self, grad: Any) -> Any:
        (positive,) = self.saved
        return get_array_module(grad).where(positive, grad, grad * self.negative_slope)


class Elu(Function):
    """scale * (x if x > 0 else alpha * (e ** x - 1))."""

    def __init__(self, alpha: float, scale: float = 1.0) -> None:
        self.alpha, self.scale = alpha, scale

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        xp = get_array_module(x)
        self.save_for_backward(x)
        # expm1 of the negative part only: exp of a large positive x would overflow.
        negative_part = self.alpha * xp.expm1(xp.minimum(x, 0))
        out = xp.where(x > 0, x, negative_part)
        return out * self.scale if self.scale != 1.0 else out

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        xp = get_array_module(x)
        slope = xp.where(x > 0, 1, self.alpha * xp.exp(xp.minimum(x, 0)))
        return grad * (slope * self.scale if self.scale != 1.0 else slope)


class Selu(Elu):
    """SELU_SCALE * elu(x, SELU_ALPHA)."""

    def __init__(self) -> None:
        super().__init__(SELU_ALPHA, SELU_SCALE)


class Gelu(Function):
    """x * Phi(x), exactly (erf) or with the tanh approximation."""

    def __init__(self, approximate: bool) -> None:
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        if self.approximate:
            t = get_array_module(x).tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            self.save_for_backward(x, t)
            return 0.5 * x * (1 + t)
        cdf = normal_cdf(x)
        self.save_for_backward(x, cdf)
        return x * cdf

    def backward(self, grad: Any) -> Any:
        xp = get_array_module(grad)
        if self.approximate:
            x, t = self.saved
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
        x, cdf = self.saved
        pdf = _ONE_OVER_SQRT_2PI * xp.exp(-0.5 * x * x)
        return grad * (cdf + x * pdf)


class Softplus(Function):
    """log(1 + e ** x), computed as logaddexp(0, x)."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        out = get_array_module(x).logaddexp(x, 0)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        # d/dx = sigmoid(x) = 1 - e ** -out, and -expm1(-out) keeps it exact where it is tiny.
        return grad * -get_array_module(out).expm1(-out)


class Softsign(Function):
    """x / (1 + |x|)."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        denominator = 1 + get_array_module(x).abs(x)
        self.save_for_backward(denominator)
        return x / denominator

    def backward(self, grad: Any) -> Any:
        (denominator,) = self.saved
        return grad / (denominator * denominator)


class Silu(Function):
    """x * sigmoid(x)."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        s = stable_sigmoid(x)
        self.save_for_backward(x, s)
        return x * s

    def backward(self, grad: Any) -> Any:
        x, s = self.saved
        return grad * (s * (1 + x * (1 - s)))


class HardSigmoid(Function):
    """relu6(x + 3) / 6."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        xp = get_array_module(x)
        self.save_for_backward((x > -3) & (x < 3))
        return xp.minimum(xp.maximum(x + 3, 0), 6) / 6

    def backward(self, grad: Any) -> Any:
        (inside,) = self.saved
        return grad * inside / 6


class HardSilu(Function):
    """x * relu6(x + 3) / 6."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        xp = get_array_module(x)
        self.save_for_backward(x)
        return x * (xp.minimum(xp.maximum(x + 3, 0), 6) / 6)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        xp = get_array_module(x)
        slope = xp.where(x <= -3, 0, xp.where(x >= 3, 1, x / 3 + 0.5))
        return grad * slope


def sigmoid(x: Any) -> Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, finite for every input; d/dx = s (1 - s).

    >>> sigmoid(Tensor([-1000.0, 0.0, 1000.0]))
    Tensor([0. , 0.5, 1. ])
    """
    return Sigmoid()(x)


def relu(x: Any) -> Tensor:
    """Rectified linear unit ``max(x, 0)``; d/dx = 1 where x > 0, else 0 (also at exactly 0).

    >>> relu(Tensor([-2.0, 0.0, 3.0]))
    Tensor([0., 0., 3.])
    """
    return Relu()(x)


def relu6(x: Any) -> Tensor:
    """ReLU capped at 6: ``min(max(x, 0), 6)``; d/dx = 1 where 0 < x < 6, else 0.

    >>> relu6(Tensor([-1.0, 3.0, 9.0]))
    Tensor([0., 3., 6.])
    """
    return Relu6()(x)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """Leaky ReLU: ``x`` where x > 0, ``negative_slope * x`` elsewhere (Keras default 0.2).

    d/dx = 1 where x > 0, ``negative_slope`` elsewhere (including 0).

    >>> leaky_relu(Tensor([-1.0, 2.0]))
    Tensor([-0.2,  2. ])
    """
    return LeakyRelu(_number(negative_slope, "leaky_relu", "negative_slope"))(x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: ``x`` where x > 0, ``alpha * (exp(x) - 1)`` elsewhere.

    d/dx = 1 where x > 0, ``alpha * exp(x)`` elsewhere (including 0).

    >>> elu(Tensor([-1.0, 2.0]))
    Tensor([-0.63212055,  2.        ])
    """
    return Elu(_number(alpha, "elu", "alpha"))(x)


def selu(x: Any) -> Tensor:
    """Scaled ELU: ``scale * elu(x, alpha)`` with Keras's constants
    ``alpha = 1.6732632423543772``, ``scale = 1.0507009873554805``.

    >>> selu(Tensor([0.0, 1.0]))
    Tensor([0.      , 1.050701])
    """
    return Selu()(x)


def gelu(x: Any, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)``, ``Phi`` the standard normal CDF.

    ``approximate=True`` (Keras's ``ops.gelu`` default) uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``; ``approximate=False`` the exact
    ``Phi(x) = (1 + erf(x / sqrt(2))) / 2``, computed to float64 accuracy in both tails.
    d/dx (exact) = Phi(x) + x exp(-x**2/2) / sqrt(2 pi).

    >>> round(gelu(Tensor([1.0]), approximate=False).item(), 5)
    0.84134
    """
    return Gelu(bool(approximate))(x)


def softplus(x: Any) -> Tensor:
    """``log(1 + exp(x))``, computed as ``logaddexp(0, x)`` (finite for large x);
    d/dx = sigmoid(x).

    >>> softplus(Tensor([0.0, 1000.0]))
    Tensor([6.931472e-01, 1.000000e+03])
    """
    return Softplus()(x)


def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``; d/dx = 1 / (1 + |x|)**2.

    >>> softsign(Tensor([-1.0, 3.0]))
    Tensor([-0.5 ,  0.75])
    """
    return Softsign()(x)


def silu(x: Any) -> Tensor:
    """Sigmoid linear unit (swish) ``x * sigmoid(x)``; d/dx = s (1 + x (1 - s)), s = sigmoid(x).

    >>> silu(Tensor([0.0, 1.0]))
    Tensor([0.       , 0.7310586])
    """
    return Silu()(x)


def hard_sigmoid(x: Any) -> Tensor:
    """Piecewise-linear sigmoid ``relu6(x + 3) / 6`` (Keras 3): 0 below -3, 1 above 3.

    d/dx = 1/6 where -3 < x < 3, else 0.

    >>> hard_sigmoid(Tensor([-4.0, 0.0, 1.5]))
    Tensor([0.  , 0.5 , 0.75])
    """
    return HardSigmoid()(x)


def hard_silu(x: Any) -> Tensor:
    """Hard swish ``x * hard_sigmoid(x)``: 0 below -3, x above 3.

    d/dx = 0 where x <= -3, 1 where x >= 3, ``x/3 + 1/2`` in between.

    >>> hard_silu(Tensor([-4.0, 0.0, 1.5, 4.0]))
    Tensor([-0.   ,  0.   ,  1.125,  4.   ])
    """
    return HardSilu()(x)
