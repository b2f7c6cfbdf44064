"""The ``Function`` base class: one differentiable operation on raw arrays.

An op is a small subclass with two methods:

* ``forward(*arrays)`` computes the outputs from raw arrays (NumPy or CuPy) and saves, with
  ``save_for_backward``, exactly what its backward needs;
* ``backward(*output_grads)`` returns one gradient array (or ``None``) per input, each with the
  shape of the *broadcast* result; the engine reduces broadcast gradients to each input's shape,
  so ops never repeat that logic.

Calling a function instance on tensors runs ``forward`` and, when gradients are needed, links the
outputs to the function (define-by-run). A function instance is used once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from numbers import Number
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.mode import _GradMode
from scratchdl.autograd.tensor import Tensor

Array = Any  # a numpy.ndarray or cupy.ndarray
_SCALARS = (Number, np.generic)
_CUPY = backend.cupy_available()
# The active ``capture.Tracer`` (at most one): while a computation is traced for replay, every
# call made by the tracing thread is handed to it, which records it and runs it here untraced.
_TRACERS: list[Any] = []


class Function:
    """Base class of every differentiable op.

    Attributes set when the graph is recorded:
        inputs: the input tensors (``None`` after the graph was freed by ``backward``).
        needs_input_grad: one bool per input, True where that input requires grad.
        generation: the order key of the backward pass (consumers run before producers).
        saved: the arrays saved by ``save_for_backward``.
    """

    inputs: tuple[Any, ...] | None
    needs_input_grad: tuple[bool, ...]
    generation: int
    saved: tuple[Array, ...]
    output_meta: tuple[tuple[tuple[int, ...], Any], ...]

    def __call__(self, *inputs: Any) -> Any:
        # The hot path of every model: one pass over the inputs, plain loops (a generator
        # expression costs ~0.5 us to set up) and a separate path for the usual single output.
        if _TRACERS and _TRACERS[-1].thread == threading.get_ident():
            return _TRACERS[-1].record(self, inputs)
        arrays = []
        needs = []
        record = False
        generation = 0
        for value in inputs:
            if isinstance(value, Tensor):
                arrays.append(value.data)
                if value._requires_grad:
                    record = True
                    needs.append(True)
                    creator = value.creator
                    if creator is not None and creator.generation >= generation:
                        generation = creator.generation + 1
                    continue
            elif type(value) is np.ndarray:  # before _raw's slower checks (Number is an ABC)
                arrays.append(value)
            else:
                arrays.append(_raw(value))
            needs.append(False)
        if _CUPY:
            backend.get_array_module(*arrays)  # raises on a NumPy/CuPy mix
        outputs = self.forward(*arrays)
        record = record and _GradMode.enabled
        if type(outputs) is not tuple:  # one output
            if type(outputs) is not np.ndarray:
                outputs = _ensure_array(outputs)
            if not record:
                self.saved = ()
                return Tensor(outputs)
            self.inputs = inputs
            self.needs_input_grad = tuple(needs)
            self.generation = generation
            self.output_meta = ((outputs.shape, outputs.dtype),)
            return Tensor._from_op(outputs, self, 0) if outputs.dtype.kind == "f" else Tensor(outputs)

        outputs = tuple(y if type(y) is np.ndarray else _ensure_array(y) for y in outputs)
        if not record:
            self.saved = ()
            return tuple(Tensor(y) for y in outputs)
        self.inputs = inputs
        self.needs_input_grad = tuple(needs)
        self.generation = generation
        self.output_meta = tuple((y.shape, y.dtype) for y in outputs)
        return tuple(Tensor._from_op(y, self, index) if y.dtype.kind == "f" else Tensor(y)
                     for index, y in enumerate(outputs))

    def forward(self, *arrays: Array) -> Array | tuple[Array, ...]:
        """Compute the outputs from raw input arrays."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, *output_grads: Array) -> Array | None | Sequence[Array | None]:
        """Return the gradient of each input (``None`` for inputs that need none)."""
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    def save_for_backward(self, *arrays: Array) -> None:
        """Keep ``arrays`` for ``backward``; they are released when the graph is freed."""
        self.saved = arrays

    def release(self) -> None:
        """Drop the inputs and saved arrays once backward has run (frees the graph)."""
        self.inputs = None
        self.saved = ()

    @property
    def name(self) -> str:
        """The op's class name, used in error messages."""
        return type(self).__name__


def _raw(value: Any) -> Any:
    if isinstance(value, _SCALARS) or hasattr(value, "__array_interface__") or _is_cupy(value):
        return value
    return backend.as_array(value)


def _is_cupy(value: Any) -> bool:
    return _CUPY and type(value).__module__.startswith("cupy")


def _ensure_array(value: Any) -> Array:
    # NumPy returns scalars, not 0-d arrays, from some ufuncs on 0-d inputs.
    if isinstance(value, np.ndarray) or _is_cupy(value):
        return value
    return np.asarray(value)
