"""Reverse-mode automatic differentiation: tensors, functions, the backward engine, gradcheck."""

# tensor first: it imports the ops at its end, and they import Function, which needs Tensor.
from scratchdl.autograd.tensor import Parameter, Tensor, as_tensor
from scratchdl.autograd.function import Function
from scratchdl.autograd.mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from scratchdl.autograd.engine import backward, sum_to

__all__ = [
    "Function", "Tensor", "Parameter", "as_tensor", "backward", "sum_to",
    "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
]
