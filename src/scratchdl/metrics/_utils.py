"""Array helpers shared by the metric modules (not public).

Metrics never build an autograd graph: every input is turned into a plain NumPy array first
(a scratchdl ``Tensor`` gives its ``.data``, a CuPy array is copied to the host), and the running
state is updated with NumPy. The helpers mirror the few Keras utilities whose exact behaviour the
metrics depend on (``squeeze_or_expand_to_same_rank``, ``divide_no_nan``, dtype names).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from scratchdl import backend
# The losses' rank fix-up, re-exported for the metric modules.
from scratchdl._loss_reduction import squeeze_or_expand_to_same_rank  # noqa: F401
from scratchdl._naming import to_snake_case
from scratchdl.autograd.tensor import Tensor

EPSILON = 1e-7  # keras.backend.epsilon()

_name_uids: defaultdict[str, int] = defaultdict(int)


def auto_name(prefix: str) -> str:
    """A unique snake-case name: ``'precision'``, then ``'precision_1'``, ... (as Keras)."""
    base = to_snake_case(prefix)
    unique = f"{base}_{_name_uids[base]}" if base in _name_uids else base
    _name_uids[base] += 1
    return unique


def standardize_dtype(dtype: Any) -> str:
    """Return a dtype name; ``'int'`` means int32 and ``'float'`` means float32, as in Keras."""
    if dtype == "int":
        return "int32"
    if dtype == "float":
        return "float32"
    try:
        return np.dtype(dtype).name
    except TypeError as error:
        raise ValueError(f"Metric: unknown dtype {dtype!r}") from error


def to_numpy(value: Any, dtype: Any = None) -> np.ndarray:
    """Return ``value`` as a NumPy array (Tensor -> its data, CuPy -> host copy, list -> array).

    Python floats become ``floatx()`` as with ``convert_to_tensor``; arrays keep their dtype unless
    ``dtype`` is given.
    """
    if isinstance(value, Tensor):
        value = value.data
    if hasattr(value, "__cuda_array_interface__") and hasattr(value, "get"):
        value = value.get()  # a CuPy array: metrics run on the host
    if not isinstance(value, np.ndarray):
        value = backend.as_array(value)
        value = np.asarray(value)
    if dtype is not None:
        value = value.astype(dtype, copy=False)
    return value


def divide_no_nan(numerator: Any, denominator: Any) -> np.ndarray:
    """``numerator / denominator`` with 0 wherever the denominator is 0 (``ops.divide_no_nan``)."""
    numerator = np.asarray(numerator)
    denominator = np.asarray(denominator)
    if numerator.ndim == 0 and denominator.ndim == 0 and denominator != 0:
        # The common case (a running mean's total / count, read after every batch), without
        # the two np.where passes; the same value and dtype.
        return np.asarray(numerator / denominator)
    safe = np.where(denominator == 0, 1, denominator)
    return np.where(denominator == 0, 0, numerator / safe)


def broadcast_weight(name: str, sample_weight: np.ndarray, shape: tuple[int, ...],
                     what: str = "y_pred") -> np.ndarray:
    """Broadcast ``sample_weight`` to ``shape`` or raise an error naming the metric and shapes."""
    if sample_weight.shape == shape:
        return sample_weight
    try:
        return np.broadcast_to(sample_weight, shape)
    except ValueError:
        raise ValueError(
            f"{name}: sample_weight of shape {sample_weight.shape} cannot be broadcast to the "
            f"shape of {what} {shape}"
        ) from None
