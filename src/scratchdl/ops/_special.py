"""Special functions on raw arrays (not public): SciPy's for NumPy arrays, CuPy's for GPU arrays.

Exact GELU needs the normal CDF ``Phi(x) = erfc(-x / sqrt(2)) / 2``; written with ``erfc`` it
stays accurate in the negative tail, where ``(1 + erf(x / sqrt(2))) / 2`` cancels to 0.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from scratchdl.backend import get_array_module

_SQRT_HALF = 1.0 / math.sqrt(2.0)


def _special(x: Any) -> ModuleType:
    if get_array_module(x) is np:
        import scipy.special

        return scipy.special
    import cupyx.scipy.special  # type: ignore[import-not-found]

    return cupyx.scipy.special


def _float(x: Any) -> Any:
    xp = get_array_module(x)
    x = xp.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def erf(x: Any) -> Any:
    """The error function, elementwise, keeping a float input's dtype."""
    x = _float(x)
    return get_array_module(x).asarray(_special(x).erf(x))


def erfc(x: Any) -> Any:
    """The complementary error function ``1 - erf(x)``, accurate in the tails."""
    x = _float(x)
    return get_array_module(x).asarray(_special(x).erfc(x))


def normal_cdf(x: Any) -> Any:
    """The standard normal CDF ``Phi(x) = erfc(-x / sqrt(2)) / 2``."""
    x = _float(x)
    return get_array_module(x).asarray(_special(x).erfc(-x * x.dtype.type(_SQRT_HALF)) * x.dtype.type(0.5))
