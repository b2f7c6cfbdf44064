"""Switches for graph recording: ``no_grad`` and ``enable_grad``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class _GradMode:
    enabled: bool = True


def is_grad_enabled() -> bool:
    """Return True when ops record the graph for backward."""
    return _GradMode.enabled


def set_grad_enabled(enabled: bool) -> None:
    """Turn graph recording on or off (prefer the context managers)."""
    _GradMode.enabled = bool(enabled)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Run the block without recording the graph: outputs do not require grad and save no state.

    >>> from scratchdl import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph inside the block, even within ``no_grad``."""
    previous = _GradMode.enabled
    _GradMode.enabled = True
    try:
        yield
    finally:
        _GradMode.enabled = previous
