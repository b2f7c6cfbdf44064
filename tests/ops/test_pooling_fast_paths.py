"""Max pooling's fast path for non-overlapping windows against the plain loop over window offsets.

``pooling.DISJOINT_FAST_PATH`` switches the fast path off; each test runs both paths on the same
data and asserts equal values and gradients (so the gradient reaches the same element: the first
maximum in row-major window order), and that the fast path really ran (or, for overlapping windows
and NaNs, did not).
"""

import numpy as np
import pytest

from scratchdl import Tensor, ops
from scratchdl.ops import pooling
from tests.ops.harness import record_fast_path


def _run_both(monkeypatch, x_np, pool, strides, padding, data_format="channels_last",
              dims=2):
    """Forward values, input gradients and fast-path use, first with the fast path, then without."""
    calls = record_fast_path(monkeypatch, pooling, "_first_max_disjoint")
    pool_fn = ops.max_pool2d if dims == 2 else ops.max_pool1d
    rng = np.random.default_rng(1)
    upstream = None
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(pooling, "DISJOINT_FAST_PATH", enabled)
        floating = np.issubdtype(x_np.dtype, np.floating)
        x = Tensor(x_np, requires_grad=floating)
        y = pool_fn(x, pool, strides, padding, data_format)
        grad = None
        if floating:
            if upstream is None:
                upstream = rng.standard_normal(y.shape).astype(x_np.dtype)
            (y * upstream).sum().backward()
            grad = x.grad
        results.append((y.numpy(), grad))
    (fast_y, fast_grad), (plain_y, plain_grad) = results
    return fast_y, fast_grad, plain_y, plain_grad, calls


def _assert_identical(fast, plain):
    np.testing.assert_array_equal(fast, plain)


DISJOINT = [
    # (input shape, pool, strides, padding, data_format, dims)
    ((2, 8, 8, 3), 2, None, "valid", "channels_last", 2),
    ((2, 9, 7, 2), (3, 2), None, "valid", "channels_last", 2),  # rows/columns left over
    ((2, 7, 10, 2), (2, 3), (3, 4), "valid", "channels_last", 2),  # strides beyond the pool
    ((2, 7, 5, 3), 2, None, "same", "channels_last", 2),  # padded bottom/right
    ((1, 5, 6, 2), (4, 3), (4, 5), "same", "channels_last", 2),
    ((2, 3, 6, 5), 2, None, "same", "channels_first", 2),
    ((3, 16, 16, 4), 8, 8, "same", "channels_last", 2),  # the benchmark CNN's first pool, small
    ((2, 9, 3), 3, None, "valid", "channels_last", 1),
    ((2, 3, 10), 4, 5, "same", "channels_first", 1),
]


@pytest.mark.parametrize("shape, pool, strides, padding, data_format, dims", DISJOINT)
@pytest.mark.parametrize("values", ["normal", "ties", "signed_zeros"])
def test_fast_path_matches_the_offset_loop(monkeypatch, shape, pool, strides, padding,
                                           data_format, dims, values):
    rng = np.random.default_rng(0)
    if values == "normal":
        x = rng.standard_normal(shape)
    elif values == "ties":  # many windows hold several equal maxima, in different rows/columns
        x = rng.integers(0, 3, size=shape).astype(np.float64)
    else:  # -0.0 == +0.0: the first of them in row-major order gets the gradient
        x = rng.choice([-0.0, 0.0, -1.0], size=shape)
    fast_y, fast_grad, plain_y, plain_grad, calls = _run_both(
        monkeypatch, x, pool, strides, padding, data_format, dims)
    assert calls == [True]
    _assert_identical(fast_y, plain_y)
    _assert_identical(fast_grad, plain_grad)


def test_ties_across_rows_pick_the_row_major_first():
    """Column 1's maximum is in an earlier row than column 0's: it must win, not the lower column."""
    x = np.zeros((1, 2, 2, 1))
    x[0, 1, 0, 0] = x[0, 0, 1, 0] = 5.0
    t = Tensor(x, requires_grad=True)
    ops.max_pool2d(t, 2).sum().backward()
    np.testing.assert_array_equal(t.grad[0, :, :, 0], [[0.0, 1.0], [0.0, 0.0]])


def test_float32_and_integers(monkeypatch):
    rng = np.random.default_rng(0)
    x32 = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    fast_y, fast_grad, plain_y, plain_grad, calls = _run_both(monkeypatch, x32, 4, None, "same")
    assert calls == [True] and fast_y.dtype == np.float32 and fast_grad.dtype == np.float32
    _assert_identical(fast_y, plain_y)
    _assert_identical(fast_grad, plain_grad)
    x_int = rng.integers(-5, 5, size=(2, 7, 7, 2)).astype(np.int16)
    fast_y, _, plain_y, _, calls = _run_both(monkeypatch, x_int, 2, None, "same")
    assert calls == [True] and fast_y.dtype == np.int16
    np.testing.assert_array_equal(fast_y, plain_y)


def test_large_window_uses_wide_offsets(monkeypatch):
    """Windows of more than 256 pixels number their offsets in int32."""
    x = np.random.default_rng(0).integers(0, 4, size=(1, 17, 17, 2)).astype(np.float64)
    fast_y, fast_grad, plain_y, plain_grad, calls = _run_both(monkeypatch, x, 17, None, "valid")
    assert calls == [True]
    _assert_identical(fast_y, plain_y)
    _assert_identical(fast_grad, plain_grad)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_nan_falls_back_to_the_offset_loop(monkeypatch, padding):
    """With a NaN the fast path gives up, and the last NaN of each window gets the gradient."""
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 2))
    x[0, 0, 0, 0] = x[0, 1, 1, 0] = x[1, 4, 5, 1] = np.nan
    fast_y, fast_grad, plain_y, plain_grad, calls = _run_both(monkeypatch, x, 3, None, padding)
    assert calls == [False]
    _assert_identical(fast_y, plain_y)
    _assert_identical(fast_grad, plain_grad)
    assert np.isnan(fast_y[0, 0, 0, 0]) and fast_grad[0, 1, 1, 0] != 0 and fast_grad[0, 0, 0, 0] == 0


@pytest.mark.parametrize("pool, strides", [(3, 2), ((2, 3), (2, 1)), (2, 1)])
def test_overlapping_windows_take_the_offset_loop(monkeypatch, pool, strides):
    x = np.random.default_rng(0).integers(0, 3, size=(2, 7, 7, 2)).astype(np.float64)
    _, _, _, _, calls = _run_both(monkeypatch, x, pool, strides, "same")
    assert calls == []
