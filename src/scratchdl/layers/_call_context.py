"""What every layer call shares: the ``training`` flag of the calls in progress, and a counter
of structural changes (weights, sub-layers, trainable flags) that training loops cache against."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import ClassVar

__all__ = ["current_training", "pop_training", "push_training", "structure_version", "training_scope"]


class _CallContext:
    training: ClassVar[list[bool | None]] = []


# Bumped whenever any layer gains a weight or a sub-layer or changes ``trainable``: the training
# loop reuses its flattened layer list and trainable-weight list while this stays the same.
_STRUCTURE_VERSION = [0]


def structure_version() -> int:
    """A counter that changes whenever a layer's weights, sub-layers or trainable flag change."""
    return _STRUCTURE_VERSION[0]


def current_training() -> bool | None:
    """The ``training`` flag of the innermost layer call in progress (None outside any call)."""
    stack = _CallContext.training
    return stack[-1] if stack else None


def push_training(training: bool | None) -> None:
    """Enter a layer call with this ``training`` flag (``pop_training`` leaves it): what
    ``training_scope`` does, as two plain calls for the hot path of ``Layer.__call__``."""
    _CallContext.training.append(training)


def pop_training() -> None:
    """Leave the innermost layer call entered with ``push_training``."""
    _CallContext.training.pop()


@contextlib.contextmanager
def training_scope(training: bool | None) -> Iterator[None]:
    """Make ``training`` the default for every layer called inside the block."""
    _CallContext.training.append(training)
    try:
        yield
    finally:
        _CallContext.training.pop()
