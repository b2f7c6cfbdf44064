"""Keras's default names: class names in snake case (``'BatchNormalization'`` -> ``'batch_normalization'``).

Layers, losses, metrics and optimizers name their instances after their class, and weight paths
name unnamed objects the same way, so all of them share this one rule.
"""

from __future__ import annotations

import re

__all__ = ["to_snake_case"]


def to_snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``'BatchNormalization'`` -> ``'batch_normalization'``.

    Non-word characters are dropped; a digit before a capital is not split, as in Keras
    (``'Conv2D'`` -> ``'conv2d'``).

    >>> to_snake_case("SparseCategoricalAccuracy")
    'sparse_categorical_accuracy'
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
