"""Argument and shape helpers shared by the spatial layers (convolution, pooling, reshaping).

Keras's layers standardize ``kernel_size=3`` to ``(3, 3)``, lower-case ``padding``, and compute
output shapes symbolically (``None`` sizes stay ``None``). These helpers do the same, and their
errors name the layer (``Conv2D 'conv2d_1': ...``) and the shapes involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scratchdl.layers._utils import label
from scratchdl.ops._helpers import is_int

__all__ = [
    "channel_axis",
    "check_channels",
    "check_rank",
    "check_strides_dilation",
    "check_window_fits",
    "conv_output_length",
    "known_channels",
    "output_shape",
    "spatial_axes",
    "standardize_padding",
    "standardize_tuple",
]


def standardize_tuple(layer: Any, value: Any, n: int, name: str, allow_zero: bool = False) -> tuple[int, ...]:
    """``value`` (an int or ``n`` ints) as an ``n``-tuple of ints, each ``> 0`` (``>= 0`` with
    ``allow_zero``), as Keras's ``standardize_tuple``; otherwise a ValueError naming the layer."""
    items = (value,) * n if is_int(value) else value
    lowest = 0 if allow_zero else 1
    if (
        not isinstance(items, (tuple, list))
        or len(items) != n
        or not all(is_int(v) for v in items)
        or any(v < lowest for v in items)
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{label(layer)}: `{name}` must be a {kind} int or a tuple of {n} {kind} ints, "
            f"got {name}={value!r}"
        )
    return tuple(int(v) for v in items)


def standardize_padding(layer: Any, value: Any, allow_causal: bool = False) -> str:
    """``'valid'``, ``'same'`` (or ``'causal'`` where allowed), lower-cased."""
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    mode = value.lower() if isinstance(value, str) else value
    if mode not in allowed:
        raise ValueError(
            f"{label(layer)}: `padding` must be one of {allowed}, got padding={value!r}"
        )
    return mode


def spatial_axes(rank: int, data_format: str) -> tuple[int, ...]:
    """The spatial axes of an input with ``rank`` spatial dimensions (batch axis 0)."""
    return tuple(range(2, rank + 2)) if data_format == "channels_first" else tuple(range(1, rank + 1))


def channel_axis(data_format: str) -> int:
    """``1`` for channels-first data, ``-1`` for channels-last."""
    return 1 if data_format == "channels_first" else -1


def _layout(rank: int, data_format: str) -> str:
    spatial = {1: "steps", 2: "height, width"}.get(rank, "spatial dims")
    if data_format == "channels_first":
        return f"(batch, channels, {spatial})"
    return f"(batch, {spatial}, channels)"


def check_rank(layer: Any, shape: Sequence[Any], rank: int, data_format: str) -> None:
    """Raise unless ``shape`` has ``rank + 2`` axes (batch, spatial dims, channels)."""
    if len(shape) != rank + 2:
        raise ValueError(
            f"{label(layer)}: expected a {rank + 2}-D input {_layout(rank, data_format)}, got "
            f"shape {tuple(shape)}"
        )


def check_channels(layer: Any, shape: Sequence[Any], data_format: str, expected: int) -> None:
    """Raise when the channel axis of ``shape`` is known and is not ``expected``:
    ``Conv2D 'conv2d_1': expected input with 3 channels (axis -1), got shape (8, 32, 32, 4)``."""
    axis = channel_axis(data_format)
    size = shape[axis]
    if size is not None and size != expected:
        raise ValueError(
            f"{label(layer)}: expected input with {expected} channels (axis {axis}), got shape "
            f"{tuple(shape)}"
        )


def known_channels(layer: Any, shape: Sequence[Any], data_format: str) -> int:
    """The size of the channel axis of ``shape``; a ValueError naming the layer when it is unknown
    (``None``), since the weights cannot be built without it."""
    channels = shape[channel_axis(data_format)]
    if channels is None:
        raise ValueError(
            f"{label(layer)}: the channel dimension (axis {channel_axis(data_format)}) of "
            f"the input must be known, got shape {tuple(shape)}"
        )
    return channels


def check_strides_dilation(layer: Any, strides: tuple[int, ...], dilation_rate: tuple[int, ...]) -> None:
    """Keras's rule for convolutions: ``strides > 1`` and ``dilation_rate > 1`` do not combine."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            f"{label(layer)}: `strides > 1` not supported in conjunction with "
            f"`dilation_rate > 1`, got strides={strides} and dilation_rate={dilation_rate}"
        )


def output_shape(batch: Any, spatial: Sequence[Any], channels: Any, data_format: str) -> tuple[Any, ...]:
    """``(batch, *spatial, channels)``, or ``(batch, channels, *spatial)`` for channels-first data."""
    if data_format == "channels_first":
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def conv_output_length(size: int | None, kernel: int, stride: int, padding: str,
                       dilation: int = 1) -> int | None:
    """Output length along one axis of a convolution or pooling window (``None`` stays ``None``).

    ``'valid'``: ``floor((size - (kernel - 1) * dilation - 1) / stride) + 1``;
    ``'same'`` and ``'causal'``: ``ceil(size / stride)``.
    """
    if size is None:
        return None
    if padding == "valid":
        return (size - (kernel - 1) * dilation - 1) // stride + 1
    return -(-size // stride)


def check_window_fits(layer: Any, shape: Sequence[Any], data_format: str, window: tuple[int, ...],
                      strides: tuple[int, ...], padding: str, dilation: tuple[int, ...] | None = None,
                      what: str = "kernel_size") -> tuple[int | None, ...]:
    """The output spatial sizes; a ValueError naming the layer when a window does not fit.

    With ``'valid'`` padding the window (``(k - 1) * d + 1`` pixels with dilation) must fit inside
    the input, otherwise the output would be empty.
    """
    rank = len(window)
    dilation = dilation or (1,) * rank
    spatial = tuple(shape[a] for a in spatial_axes(rank, data_format))
    out = tuple(conv_output_length(n, k, s, padding, d)
                for n, k, s, d in zip(spatial, window, strides, dilation))
    if any(o is not None and o < 1 for o in out):
        span = tuple((k - 1) * d + 1 for k, d in zip(window, dilation))
        dilated = f" with dilation_rate {dilation}" if any(d > 1 for d in dilation) else ""
        raise ValueError(
            f"{label(layer)}: {what} {window}{dilated} spans {span} pixels, more than the "
            f"input's spatial size {spatial} with padding '{padding}' (input shape {tuple(shape)})"
        )
    return out
