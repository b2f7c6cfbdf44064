"""Small helpers shared by the layer families: labels and checks for clear error messages."""

from __future__ import annotations

from typing import Any

__all__ = ["label", "check_min_rank", "check_axis_size", "check_positive_int", "standardize_data_format"]


def label(layer: Any) -> str:
    """``"Dense 'dense_2'"``: how errors name a layer."""
    return f"{type(layer).__name__} '{layer.name}'"


def check_min_rank(layer: Any, shape: tuple[Any, ...], min_rank: int) -> None:
    """Raise a ValueError naming the layer unless ``shape`` has at least ``min_rank`` axes."""
    if len(shape) < min_rank:
        raise ValueError(
            f"{label(layer)}: expected input of rank >= {min_rank}, got shape {tuple(shape)}"
        )


def check_axis_size(layer: Any, shape: tuple[Any, ...], axis: int, expected: int,
                    what: str = "last dimension") -> None:
    """Raise a ValueError naming the layer when ``shape[axis]`` is known and differs from
    ``expected`` (e.g. ``Dense 'dense_2': expected input with last dimension 64, got shape
    (32, 10)``)."""
    size = shape[axis] if len(shape) > 0 else None
    if size is not None and size != expected:
        raise ValueError(
            f"{label(layer)}: expected input with {what} {expected}, got shape {tuple(shape)}"
        )


def check_positive_int(layer: Any, name: str, value: Any) -> None:
    """Raise a ValueError naming the layer unless ``value`` (the argument ``name``) is an int
    ``> 0`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"{label(layer)}: invalid value for argument `{name}`, expected a strictly positive "
            f"int, got {name}={value!r}"
        )


def standardize_data_format(data_format: str | None, layer_name: str) -> str:
    """``'channels_last'`` for None; otherwise ``data_format`` after checking it is valid."""
    if data_format is None:
        return "channels_last"
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError(
            f"{layer_name}: data_format must be 'channels_first' or 'channels_last', got "
            f"{data_format!r}"
        )
    return value
