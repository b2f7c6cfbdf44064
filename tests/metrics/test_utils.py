"""``metrics._utils``: the shortcuts (``divide_no_nan`` on two scalars, ``broadcast_weight`` to
its own shape) give what the general path gives: the same values, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.metrics._utils import broadcast_weight, divide_no_nan


def _general(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    safe = np.where(denominator == 0, 1, denominator)
    return np.where(denominator == 0, 0, numerator / safe)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize(("numerator", "denominator"),
                         [(7, 3), (0, 5), (4, 0), (-1, 0), (5, -7)])
def test_divide_no_nan_on_scalars_matches_the_general_path(numerator: int, denominator: int,
                                                          dtype: type) -> None:
    n, d = np.asarray(numerator, dtype=dtype), np.asarray(denominator, dtype=dtype)
    result, expected = divide_no_nan(n, d), _general(n, d)
    assert isinstance(result, np.ndarray) and result.shape == ()
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


def test_divide_no_nan_on_scalars_keeps_nan_and_inf() -> None:
    nan = np.asarray(np.nan, dtype=np.float32)
    np.testing.assert_array_equal(divide_no_nan(nan, np.float32(2)), _general(nan, np.float32(2)))
    inf = divide_no_nan(np.float32(1), np.asarray(np.inf, dtype=np.float32))
    assert inf == 0.0 and inf.dtype == np.float32


def test_divide_no_nan_on_arrays() -> None:
    n = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    d = np.array([2.0, 0.0, 4.0], dtype=np.float32)
    np.testing.assert_array_equal(divide_no_nan(n, d), [0.5, 0.0, 0.75])


def test_broadcast_weight() -> None:
    weight = np.array([1.0, 2.0], dtype=np.float32)
    assert broadcast_weight("m", weight, (2,)) is weight
    np.testing.assert_array_equal(broadcast_weight("m", weight, (3, 2)), [[1.0, 2.0]] * 3)
    with pytest.raises(ValueError, match="m: sample_weight of shape \\(2,\\) cannot be broadcast"):
        broadcast_weight("m", weight, (3,))
