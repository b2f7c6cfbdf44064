"""scratchdl: a deep learning framework written from scratch on NumPy, with a Keras-compatible API."""

from scratchdl import backend
from scratchdl.autograd import (
    Function, Parameter, Tensor, as_tensor, enable_grad, is_grad_enabled, no_grad,
)
from scratchdl import ops
from scratchdl.autograd.gradcheck import gradcheck, gradcheck_parameters
from scratchdl import (
    activations, callbacks, constraints, initializers, layers, losses, metrics, models, optimizers,
    regularizers, utils,
)
from scratchdl.models import Input, Model, Sequential
from scratchdl import applications, data

__version__ = "0.1.0"

__all__ = [
    "Function", "Parameter", "Tensor", "as_tensor", "backend", "enable_grad",
    "is_grad_enabled", "no_grad", "ops", "gradcheck", "gradcheck_parameters", "__version__",
    "Input", "Model", "Sequential", "activations", "callbacks", "constraints", "initializers", "layers", "losses",
    "metrics", "models", "optimizers", "regularizers", "utils", "applications", "data",
]
