"""Elementwise transcendental functions: exp, log, log1p, expm1, sin, cos, tanh.

Each maps every element independently, so input and output shapes match and backward is the
upstream gradient times the derivative. Where the derivative is a function of the output
(exp, expm1, tanh), backward reuses the saved output instead of recomputing from the input.
Float inputs keep their dtype; integer and bool inputs (and Python numbers) are computed in the
default float dtype (``floatx()``), as Keras does.
"""

from __future__ import annotations

from typing import Any

from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import as_array, floatx, get_array_module, is_floating

__all__ = ["exp", "log", "log1p", "expm1", "sin", "cos", "tanh"]


def as_float_array(x: Any) -> Any:
    """``x`` as an array of a float dtype: floats unchanged, anything else in ``floatx()``."""
    x = as_array(x)
    return x if is_floating(x.dtype) else x.astype(floatx())


class Exp(Function):
    """e ** x."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        out = get_array_module(x).exp(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * out


class Log(Function):
    """Natural logarithm."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        self.save_for_backward(x)
        return get_array_module(x).log(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / x


class Log1p(Function):
    """log(1 + x), accurate for tiny x."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        self.save_for_backward(x)
        return get_array_module(x).log1p(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad / (1 + x)


class Expm1(Function):
    """e ** x - 1, accurate for tiny x."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        out = get_array_module(x).expm1(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * (out + 1)


class Sin(Function):
    """sin(x)."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        self.save_for_backward(x)
        return get_array_module(x).sin(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return grad * get_array_module(x).cos(x)


class Cos(Function):
    """cos(x)."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        self.save_for_backward(x)
        return get_array_module(x).cos(x)

    def backward(self, grad: Any) -> Any:
        (x,) = self.saved
        return -grad * get_array_module(x).sin(x)


class Tanh(Function):
    """tanh(x)."""

    def forward(self, x: Any) -> Any:
        x = as_float_array(x)
        out = get_array_module(x).tanh(x)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Any) -> Any:
        (out,) = self.saved
        return grad * (1 - out * out)


def exp(x: Any) -> Tensor:
    """Elementwise ``e ** x``; d/dx = e ** x (the saved output).

    >>> exp(Tensor([0.0, 1.0]))
    Tensor([1.      , 2.718282])
    """
    return Exp()(x)


def log(x: Any) -> Tensor:
    """Elementwise natural logarithm; d/dx = 1/x.

    ``log(0)`` is ``-inf`` and negative inputs give NaN, as in NumPy.

    >>> log(Tensor([1.0, 100.0]))
    Tensor([0.       , 4.6051702])
    """
    return Log()(x)


def log1p(x: Any) -> Tensor:
    """Elementwise ``log(1 + x)``, exact for tiny ``x``; d/dx = 1/(1 + x).

    >>> log1p(Tensor([1e-10]))
    Tensor([1.e-10])
    """
    return Log1p()(x)


def expm1(x: Any) -> Tensor:
    """Elementwise ``e ** x - 1``, exact for tiny ``x``; d/dx = e ** x = output + 1.

    >>> expm1(Tensor([1e-10]))
    Tensor([1.e-10])
    """
    return Expm1()(x)


def sin(x: Any) -> Tensor:
    """Elementwise sine (radians); d/dx = cos(x).

    >>> sin(Tensor([0.0]))
    Tensor([0.])
    """
    return Sin()(x)


def cos(x: Any) -> Tensor:
    """Elementwise cosine (radians); d/dx = -sin(x).

    >>> cos(Tensor([0.0]))
    Tensor([1.])
    """
    return Cos()(x)


def tanh(x: Any) -> Tensor:
    """Elementwise hyperbolic tangent; d/dx = 1 - tanh(x)**2 (from the saved output).

    >>> tanh(Tensor([0.0, 100.0]))
    Tensor([0., 1.])
    """
    return Tanh()(x)
