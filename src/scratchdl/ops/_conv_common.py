"""What every convolution op shares (private): the validated geometry and the fused epilogue.

``conv_geometry`` checks a convolution's arguments and works out its padding and output size in
the internal channels-last 2-D layout (``_windows.Layout``); ``ConvolutionFunction`` is the base
of the convolution Functions, with the optional ``+ bias`` and ReLU applied in place in their
output (``ops.conv2d(..., bias=, activation='relu')``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scratchdl.autograd.engine import sum_to
from scratchdl.autograd.function import Function
from scratchdl.backend import get_array_module
from scratchdl.ops._helpers import in_place
from scratchdl.ops._windows import (
    Layout,
    Pads,
    check_kernel_rank,
    input_layout,
    int_tuple,
    is_int,
    output_size,
    resolve_padding,
    shape_text,
)

__all__ = ["ConvGeometry", "ConvolutionFunction", "conv_geometry"]


@dataclass(frozen=True)
class ConvGeometry:
    """Everything a convolution needs besides the arrays, in the internal 2-D layout."""

    layout: Layout
    kernel: tuple[int, int]
    strides: tuple[int, int]
    dilation: tuple[int, int]
    pads: Pads
    out: tuple[int, int]
    padded_shape: tuple[int, int, int, int]
    groups: int
    kernel_shape: tuple[int, ...]


def conv_geometry(
    op: str, x_shape: tuple[int, ...], kernel_shape: tuple[int, ...], spatial_dims: int,
    strides: Any, padding: Any, dilation_rate: Any, groups: Any, data_format: str,
    kernel_name: str = "kernel",
) -> ConvGeometry:
    """Validate a convolution's arguments and work out its output size (raises naming ``op``)."""
    layout = input_layout(op, x_shape, spatial_dims, data_format)
    channels_first = layout.channels_first
    check_kernel_rank(op, kernel_shape, spatial_dims, kernel_name, "input_channels / groups, filters")
    if not is_int(groups) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    strides_t = int_tuple(strides, spatial_dims, "strides", op)
    dilation_t = int_tuple(dilation_rate, spatial_dims, "dilation_rate", op)
    channels = x_shape[1] if channels_first else x_shape[-1]
    spatial = tuple(x_shape[2:] if channels_first else x_shape[1:-1])
    per_group, filters = kernel_shape[-2], kernel_shape[-1]
    if channels != per_group * groups:
        with_groups = f" with groups={groups}" if groups > 1 else ""
        raise ValueError(
            f"{op}: input has {channels} channels but the {kernel_name} expects "
            f"{per_group * groups}{with_groups} ({kernel_name} shape {shape_text(kernel_shape)}, "
            f"input shape {shape_text(x_shape)})"
        )
    if filters % groups:
        raise ValueError(
            f"{op}: the {kernel_name}'s {filters} output channels do not divide into "
            f"groups={groups} ({kernel_name} shape {shape_text(kernel_shape)})"
        )
    size = tuple(kernel_shape[:spatial_dims])
    pads = resolve_padding(padding, spatial, size, strides_t, dilation_t, op)
    padded = tuple(n + a + b for n, (a, b) in zip(spatial, pads))
    out = tuple(output_size(*args) for args in zip(padded, size, strides_t, dilation_t))
    if any(o < 1 for o in out):
        span = tuple((k - 1) * d + 1 for k, d in zip(size, dilation_t))
        raise ValueError(
            f"{op}: the {kernel_name} {shape_text(size)} with dilation_rate "
            f"{shape_text(dilation_t)} spans {shape_text(span)} pixels, more than the padded input "
            f"{shape_text(padded)} (input shape {shape_text(x_shape)}, padding {padding!r})"
        )
    if spatial_dims == 1:
        return ConvGeometry(
            layout, (1, size[0]), (1, strides_t[0]), (1, dilation_t[0]), ((0, 0), pads[0]),
            (1, out[0]), (x_shape[0], 1, padded[0], channels), groups, tuple(kernel_shape),
        )
    return ConvGeometry(
        layout, size, strides_t, dilation_t, pads, out,  # type: ignore[arg-type]
        (x_shape[0], *padded, channels), groups, tuple(kernel_shape),  # type: ignore[arg-type]
    )


class ConvolutionFunction(Function):
    """A convolution op with an optional fused epilogue: ``+ bias`` and ``relu``, what a
    convolution layer applies next, done in place in the op's fresh output array (as ``Linear``
    does for ``Dense``): no output array and graph node per step, and for ReLU no mask array
    (``out > 0`` is the mask). The bias is the op's third input; its gradient is the output
    gradient summed over every axis but the channels (``sum_to``: one matrix-vector product).
    """

    def __init__(self, geometry: ConvGeometry, relu: bool = False) -> None:
        self.geometry = geometry
        self.relu = relu

    def _epilogue(self, out: Any, bias: Any) -> Any:
        """Add ``bias`` to ``out`` (internal layout, channels last) and apply ReLU, in place."""
        xp = get_array_module(out)
        if bias is not None:
            out = in_place(xp.add, out, bias)
        if self.relu:
            xp.maximum(out, 0, out=out)
        return out

    def _epilogue_grad(self, grad: Any, activated: Any) -> tuple[Any, Any]:
        """The gradient reaching the convolution (internal layout) and the bias gradient."""
        if self.relu:
            grad = grad * (activated > 0)
        need_bias = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        return grad, (sum_to(grad, grad.shape[-1:]) if need_bias else None)

    def _with_bias_grad(self, grads: tuple[Any, Any], grad_bias: Any) -> tuple[Any, ...]:
        return grads if len(self.needs_input_grad) == 2 else (*grads, grad_bias)
