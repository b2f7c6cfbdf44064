"""Array backends: which array module (NumPy or CuPy) an array lives in, the default float dtype, seeding.

There is no global backend switch. Every op asks its input arrays which module they belong to, so a
NumPy array is computed with NumPy and a CuPy array with CuPy; mixing the two in one op is an error.
"""

from __future__ import annotations

import functools
import random as _python_random
from types import ModuleType
from typing import Any

import numpy as np

try:  # CuPy is optional; without it every array is a NumPy array.
    import cupy as _cupy  # type: ignore[import-not-found]
except Exception:  # pragma: no cover - depends on the machine
    _cupy = None

ArrayModule = ModuleType

_FLOATX = "float32"
_generator: np.random.Generator = np.random.default_rng()


def cupy_available() -> bool:
    """Return True when CuPy is importable (a GPU may still be absent)."""
    return _cupy is not None


def get_array_module(*arrays: Any) -> ArrayModule:
    """Return the array module (``numpy`` or ``cupy``) that ``arrays`` belong to.

    Python scalars and NumPy scalars belong to any module and are ignored. Arrays from different
    modules raise a ``TypeError`` naming both.

    >>> get_array_module(np.zeros(3)) is np
    True
    """
    if _cupy is None:
        return np
    module: ArrayModule | None = None
    for array in arrays:
        if isinstance(array, _cupy.ndarray):
            found: ArrayModule = _cupy
        elif isinstance(array, np.ndarray):
            found = np
        else:
            continue
        if module is not None and found is not module:
            raise TypeError(
                "cannot mix NumPy and CuPy arrays in one operation: move every input to the same "
                "device first"
            )
        module = found
    return module if module is not None else np


def floatx() -> str:
    """Return the default float dtype name (``'float32'`` unless changed), as ``keras.config.floatx``."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype: one of ``'float16'``, ``'float32'``, ``'float64'``."""
    global _FLOATX
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"set_floatx: expected 'float16', 'float32' or 'float64', got {value!r}")
    _FLOATX = value


def as_array(value: Any, dtype: Any = None) -> Any:
    """Convert ``value`` to an array of its own module.

    Arrays keep their dtype and are not copied. Python floats and nested lists of floats become the
    default float dtype (``floatx()``); Python ints and bools keep NumPy's integer and bool dtypes.
    """
    if dtype is not None:
        if isinstance(value, np.ndarray) or (_cupy is not None and isinstance(value, _cupy.ndarray)):
            return value.astype(dtype, copy=False)
        return np.asarray(value, dtype=dtype)
    if isinstance(value, np.ndarray) or (_cupy is not None and isinstance(value, _cupy.ndarray)):
        return value
    array = np.asarray(value)
    if array.dtype == np.float64 and not isinstance(value, np.generic):
        array = array.astype(_FLOATX)
    return array


def is_floating(dtype: Any) -> bool:
    """Return True for a floating-point dtype (``np.issubdtype(dtype, np.floating)``).

    The answer is cached per dtype: ops check their inputs' dtype on every call, and
    ``np.issubdtype`` takes ~1.5 us each time.
    """
    return _is_floating_dtype(np.dtype(dtype))


@functools.lru_cache(maxsize=None)
def _is_floating_dtype(dtype: np.dtype) -> bool:
    return bool(np.issubdtype(dtype, np.floating))


def random_generator() -> np.random.Generator:
    """Return the one seeded generator behind every random op of scratchdl."""
    return _generator


def set_random_seed(seed: int) -> None:
    """Seed scratchdl's generator, NumPy's global generator and Python's ``random`` module.

    After this call a whole run (initial weights, dropout masks, shuffling) is reproducible, as with
    ``keras.utils.set_random_seed``.
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed: expected a non-negative integer seed, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    np.random.seed(int(seed) % (2**32))
    _python_random.seed(int(seed))


_name_counters: dict[str, int] = {}


def get_uid(prefix: str) -> int:
    """Return 1, 2, 3, ... on successive calls with the same ``prefix`` (for unique layer names)."""
    _name_counters[prefix] = _name_counters.get(prefix, 0) + 1
    return _name_counters[prefix]


def clear_session() -> None:
    """Reset the automatic layer-name counters (``dense``, ``dense_1``, ... start again)."""
    _name_counters.clear()
