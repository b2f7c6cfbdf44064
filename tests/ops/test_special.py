"""The private error-function helpers behind exact GELU, against Python's math.erf / math.erfc."""

import math

import numpy as np
import pytest

from scratchdl.ops._special import erf, erfc, normal_cdf

# Dense over both branches (the series below |x| = 2, the continued fraction above), the split
# point itself, tiny and signed zeros, and the far tails.
GRID = np.concatenate([
    np.linspace(-9.0, 9.0, 3601), [1.9999999999999998, 2.0, -2.0, 1e-300, -1e-300, 5e-324, 27.0],
])
RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}


def _reference(fn, values):
    return np.array([fn(v) for v in values])


def test_erf_is_exact_to_a_few_ulps():
    with np.errstate(**RAISE):
        got = erf(GRID)
    np.testing.assert_allclose(got, _reference(math.erf, GRID), rtol=1e-15, atol=0)


def test_erfc_is_exact_to_a_few_ulps_except_where_it_is_one_minus_erf():
    with np.errstate(**RAISE):
        got = erfc(GRID)
    expected = _reference(math.erfc, GRID)
    eps = np.finfo(np.float64).eps
    # 1 < x < 2 is computed as 1 - erf(x): absolute accuracy ~1e-16, relative up to ~5e-14.
    cancelling = (GRID > 1) & (GRID < 2)
    np.testing.assert_allclose(got[cancelling], expected[cancelling], rtol=1e-13, atol=2e-16)
    # Elsewhere a few ulps, growing like 2 x**2 ulps in the far tail where exp(-x**2) amplifies
    # the rounding of x**2; below the smallest normal number only absolute accuracy is left.
    normal = ~cancelling & (expected > np.finfo(np.float64).tiny)
    relative = np.abs(got[normal] - expected[normal]) / expected[normal]
    allowed = eps * np.maximum(20.0, 2.0 * GRID[normal] ** 2)
    assert np.all(relative <= allowed), GRID[normal][relative > allowed]
    subnormal = ~cancelling & ~normal
    np.testing.assert_allclose(got[subnormal], expected[subnormal], rtol=0, atol=1e-320)


def test_normal_cdf_is_accurate_in_both_tails():
    x = np.array([-37.0, -20.0, -8.0, -1.0, 0.0, 1.0, 8.0, 20.0])
    expected = _reference(lambda v: 0.5 * math.erfc(-v / math.sqrt(2.0)), x)
    np.testing.assert_allclose(normal_cdf(x), expected, rtol=1e-13, atol=0)
    assert normal_cdf(np.array(-37.0)) > 0  # 5.7e-300, not 0 from 1 + erf cancelling


def test_special_values():
    with np.errstate(**RAISE):
        x = np.array([np.inf, -np.inf, 0.0, -0.0, 1e308, -1e308])
        np.testing.assert_array_equal(erf(x), [1.0, -1.0, 0.0, -0.0, 1.0, -1.0])
        assert math.copysign(1.0, erf(np.array(-0.0))) == -1.0
        np.testing.assert_array_equal(erfc(x), [0.0, 2.0, 1.0, 1.0, 0.0, 2.0])
        np.testing.assert_array_equal(normal_cdf(np.array([np.inf, -np.inf])), [1.0, 0.0])
    assert np.isnan(erf(np.array([np.nan]))).all()
    assert np.isnan(erfc(np.array([np.nan]))).all()


@pytest.mark.parametrize("fn", [erf, erfc, normal_cdf])
def test_keeps_float32_and_0d_shapes(fn):
    x = np.linspace(-4, 4, 9, dtype=np.float32)
    out = fn(x)
    assert out.dtype == np.float32 and out.shape == (9,)
    exact = fn(x.astype(np.float64))
    np.testing.assert_allclose(out, exact, rtol=3e-6, atol=1e-7)
    scalar = fn(np.array(0.5))
    assert isinstance(scalar, np.ndarray) and scalar.shape == ()
