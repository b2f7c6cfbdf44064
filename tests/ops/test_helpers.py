"""The op modules' shared helpers (ops/_helpers.py)."""

import numpy as np

from scratchdl.ops._helpers import in_place


def test_in_place_writes_into_the_target_unless_the_dtype_would_promote():
    target = np.ones(3, dtype=np.float32)
    result = in_place(np.add, target, np.float32(2.0))
    assert result is target and target.tolist() == [3.0, 3.0, 3.0]
    result = in_place(np.multiply, target, np.full(3, 0.5))  # a float64 value promotes
    assert result is not target and result.dtype == np.float64
    assert result.tolist() == [1.5, 1.5, 1.5] and target.tolist() == [3.0, 3.0, 3.0]
