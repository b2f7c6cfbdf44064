"""``EinsumDense``: a dense layer whose product is any einsum of the input and the kernel."""

from __future__ import annotations

import math
import re
from typing import Any

from scratchdl import activations, constraints, initializers, ops, regularizers
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["EinsumDense", "analyze_einsum_string", "matmul_split"]


def analyze_einsum_string(equation: str, bias_axes: str | None, input_shape: tuple[Any, ...],
                          output_shape: Any, where: str = "EinsumDense") -> tuple[Any, ...]:
    """Kernel shape, bias shape, full output shape and the kernel's input/output axes.

    Supports Keras's three forms: ``ab,bc->ac`` (no ellipsis), ``...ab,bc->...ac`` (leading
    axes elided) and ``ab...,bc->ac...`` (trailing axes elided). ``output_shape`` gives the
    output's sizes without the batch axis and the elided axes (``None`` for sizes taken from the
    input). Returns ``(kernel_shape, bias_shape or None, full_output_shape, input_axes,
    output_axes)`` where the axes index the kernel (they set the fans of its initializer).
    """
    replaced = equation.replace("...", "0")
    forms = [("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", "none"),
             ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", "left"),
             ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", "right")]
    for pattern, elision in forms:
        match = re.match(pattern, replaced)
        if match:
            return _analyze_split(match.group(1), match.group(2), match.group(3), bias_axes,
                                  tuple(input_shape), output_shape, elision, where)
    raise ValueError(
        f"{where}: invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def _analyze_split(input_spec: str, weight_spec: str, output_spec: str, bias_axes: str | None,
                   input_shape: tuple[Any, ...], output_shape: Any, elision: str,
                   where: str) -> tuple[Any, ...]:
    left_elided = elision == "left"
    elided = len(input_shape) - len(input_spec)
    if elided < 0 or (elision == "none" and elided != 0):
        raise ValueError(
            f"{where}: the input of shape {input_shape} has {len(input_shape)} dimensions, but "
            f"the equation's input '{input_spec}' names {len(input_spec)}"
        )
    output = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    output.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        # The elided axes after the batch axis, in order (Keras inserts them one by one at
        # position 1, which reverses them when there are several).
        output[1:1] = list(input_shape[1:elided])
    elif elided > 0:
        output.extend(input_shape[len(input_shape) - elided:])

    if left_elided:
        input_map = {dim: (i + elided) - len(input_shape) for i, dim in enumerate(input_spec)}
        output_map = {dim: i + elided for i, dim in enumerate(output_spec)}
    else:
        input_map = {dim: i for i, dim in enumerate(input_spec)}
        output_map = {dim: i for i, dim in enumerate(output_spec)}
    if len(output) != len(output_spec) + (elided if elided > 0 else 0):
        raise ValueError(
            f"{where}: output_shape {tuple(output_shape) if not isinstance(output_shape, int) else (output_shape,)} "
            f"does not fit the equation's output '{output_spec}' for input shape {input_shape}"
        )

    for dim in input_spec:
        in_size = input_shape[input_map[dim]]
        if dim in output_map:
            out_size = output[output_map[dim]]
            if out_size is not None and in_size is not None and out_size != in_size:
                raise ValueError(
                    f"{where}: input shape and output shape do not match at shared dimension "
                    f"'{dim}'. Input shape is {in_size}, and output shape is {out_size}."
                )
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"{where}: dimension '{dim}' was specified in the output '{output_spec}' but has "
                f"no corresponding dim in the input spec '{input_spec}' or weight spec "
                f"'{weight_spec}'"
            )

    weight_shape: list[Any] = []
    input_axes: list[int] = []
    output_axes: list[int] = []
    for i, dim in enumerate(weight_spec):
        if dim in output_map:
            weight_shape.append(output[output_map[dim]])
            output_axes.append(i)
        elif dim in input_map:
            weight_shape.append(input_shape[input_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"{where}: weight dimension '{dim}' did not have a match in either the input "
                f"spec '{input_spec}' or the output spec '{output_spec}'. For this layer, the "
                "weight must be fully specified."
            )

    bias_shape = None
    if bias_axes is not None:
        left = elided if left_elided else 0
        sizes = {char: output[i + left] for i, char in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(
                    f"{where}: bias dimension '{char}' was requested, but is not part of the "
                    f"output spec '{output_spec}'"
                )
        first = min(output_spec.find(char) for char in bias_axes)
        bias_shape = [sizes[char] if char in bias_axes else 1 for char in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return weight_shape, bias_shape, output, input_axes, output_axes


def matmul_split(equation: str) -> int | None:
    """For equations that are a matrix product in disguise, the number of contracted axes.

    ``'abc,cde->abde'`` contracts the input's last axes with the kernel's first ones and keeps
    the rest in order, so it equals ``x.reshape(-1, c) @ kernel.reshape(c, d * e)`` reshaped
    back: one BLAS product forward and one per gradient. Returns None for other equations.
    """
    match = re.match(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", equation.replace(" ", ""))
    if not match:
        return None
    inputs, kernel, output = match.groups()
    if any(len(set(term)) != len(term) for term in (inputs, kernel, output)):
        return None
    bound = "".join(c for c in inputs if c in kernel and c not in output)
    n = len(bound)
    if n == 0 or not inputs.endswith(bound) or not kernel.startswith(bound):
        return None
    if output != inputs[:-n] + kernel[n:]:
        return None
    return n


class EinsumDense(Layer):
    """A dense layer computing ``activation(einsum(equation, inputs, kernel) + bias)``.

    The kernel's shape follows from the equation: each kernel label takes its size from the
    input (contracted labels) or from ``output_shape`` (new output labels). ``bias_axes`` names
    the output labels the bias varies along (it broadcasts over the others), as in Keras.

    Args:
        equation: ``'ab,bc->ac'``, ``'...ab,bc->...ac'`` or ``'ab...,bc->ac...'`` forms.
        output_shape: the output's shape without the batch axis and the elided axes; an int
            for one axis, ``None`` entries for sizes taken from the input.
        activation: an activation name or function (None: linear).
        bias_axes: output labels the bias has (None: no bias).
        kernel_initializer, bias_initializer: initializers (a variance-scaling kernel
            initializer counts its fans over the kernel's input and output axes).
        kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint: as ``Dense``.
        quantization_config: must be None (scratchdl does not quantize); kept for Keras configs.

    >>> import numpy as np
    >>> EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de")(
    ...     np.ones((4, 5, 6), "float32")).shape
    (4, 5, 2, 3)
    """

    def __init__(self, equation: str, output_shape: Any, activation: Any = None,
                 bias_axes: str | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, quantization_config: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if quantization_config is not None:
            raise ValueError(f"{label(self)}: quantization is not supported; quantization_config must be None")
        if not isinstance(equation, str):
            raise TypeError(f"{label(self)}: equation must be a string such as 'ab,bc->ac', got {equation!r}")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.quantization_config = None

    def _analyze(self, input_shape: Any) -> tuple[Any, ...]:
        return analyze_einsum_string(self.equation, self.bias_axes, tuple(input_shape),
                                     self.partial_output_shape, where=label(self))

    def build(self, input_shape: Any) -> None:
        """Create ``kernel`` (shape from the equation) and, with ``bias_axes``, ``bias``."""
        kernel_shape, bias_shape, _, input_axes, output_axes = self._analyze(input_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"{label(self)}: the kernel shape {tuple(kernel_shape)} has unknown "
                             f"sizes for input shape {tuple(input_shape)}")
        self._input_rank = len(tuple(input_shape))
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, initializers.VarianceScaling) and (
                kernel_initializer.input_axes is None or kernel_initializer.output_axes is None):
            # As Keras: the fans of a (in, heads, dim) kernel are in and heads * dim.
            config = kernel_initializer.get_config()
            config.update(seed=kernel_initializer.seed, input_axes=input_axes,
                          output_axes=output_axes)
            kernel_initializer = type(kernel_initializer).from_config(config)
        self.kernel = self.add_weight(
            shape=tuple(kernel_shape), initializer=kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, name="kernel",
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                shape=tuple(bias_shape), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        else:
            self.bias = None

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        """``activation(einsum(equation, inputs, kernel) + bias)``."""
        if inputs.ndim != self._input_rank:
            raise ValueError(f"{label(self)}: expected input of rank {self._input_rank}, got "
                             f"shape {tuple(inputs.shape)}")
        bound = matmul_split(self.equation)
        if bound is not None:
            # The same contraction as one 2-D matrix product (BLAS forward and backward).
            free = tuple(inputs.shape[:inputs.ndim - bound])
            kernel = self.kernel
            contracted = math.prod(kernel.shape[:bound])
            new = tuple(kernel.shape[bound:])
            flat = ops.matmul(ops.reshape(inputs, (-1, contracted)),
                              ops.reshape(kernel, (contracted, math.prod(new))))
            outputs = ops.reshape(flat, free + new)
        else:
            outputs = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The full output shape the equation and ``output_shape`` give for ``input_shape``."""
        return tuple(self._analyze(input_shape)[2])

    def get_config(self) -> dict[str, Any]:
        """Keras's EinsumDense config."""
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }
