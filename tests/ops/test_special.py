"""The private error-function helpers behind exact GELU, against Python's math.erf / math.erfc."""

import math

import numpy as np
import pytest

from scratchdl.ops._special import erf, erfc, normal_cdf

# Dense over the usual range, tiny and signed zeros, and the far tails.
GRID = np.concatenate([
    np.linspace(-9.0, 9.0, 3601), [1.9999999999999998, 2.0, -2.0, 1e-300, -1e-300, 5e-324, 27.0],
])
RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}


def _reference(fn, values):
    return np.array([fn(v) for v in values])


def test_erf_and_erfc_match_the_standard_library():
    with np.errstate(**RAISE):
        got_erf, got_erfc = erf(GRID), erfc(GRID)
    np.testing.assert_allclose(got_erf, _reference(math.erf, GRID), rtol=1e-14, atol=1e-300)
    expected = _reference(math.erfc, GRID)
    normal = expected > np.finfo(np.float64).tiny
    np.testing.assert_allclose(got_erfc[normal], expected[normal], rtol=1e-13, atol=0)
    np.testing.assert_allclose(got_erfc[~normal], expected[~normal], rtol=0, atol=1e-300)


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
