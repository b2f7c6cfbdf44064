"""Utilities with Keras's names: seeding, label encoding, array normalization, model plots,
downloads (``get_file``) and a progress bar.

These work on NumPy arrays (``keras.utils`` semantics); they are not differentiable ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.backend import set_random_seed
from scratchdl.utils.file_utils import get_file
from scratchdl.utils.model_visualization import plot_model
from scratchdl.utils.progbar import Progbar

__all__ = ["set_random_seed", "to_categorical", "normalize", "get_file", "plot_model", "Progbar"]


def to_categorical(y: Any, num_classes: int | None = None) -> np.ndarray:
    """Convert integer class labels to a one-hot matrix, as ``keras.utils.to_categorical``.

    A trailing axis of length 1 is dropped first (``(n, 1)`` labels give ``(n, num_classes)``).
    ``num_classes`` defaults to ``max(y) + 1``. The result is a float64 NumPy array, as in
    Keras 3, with the class axis last. Labels outside ``[0, num_classes)`` raise a ``ValueError``.

    >>> to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    labels = np.asarray(y.numpy() if hasattr(y, "numpy") else y)
    if labels.size and not np.all(np.equal(np.mod(labels, 1), 0)):
        raise ValueError("to_categorical: expected integer class labels, got non-integer values")
    labels = labels.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("to_categorical: cannot infer num_classes from empty labels; pass num_classes")
        num_classes = int(labels.max()) + 1
    num_classes = int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = int(labels.min()) if labels.min() < 0 else int(labels.max())
        raise ValueError(
            f"to_categorical: label {bad} is out of range for {num_classes} classes "
            f"(valid 0..{num_classes - 1})"
        )
    categorical = np.zeros((labels.size, num_classes))
    categorical[np.arange(labels.size), labels] = 1.0
    return categorical.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Divide ``x`` by its ``order``-norm along ``axis``, as ``keras.utils.normalize`` on arrays.

    Vectors with norm 0 are left as they are (their norm is taken as 1).

    >>> normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]])
    """
    array = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    norm = np.atleast_1d(np.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / np.expand_dims(norm, axis)
