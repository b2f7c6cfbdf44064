"""``add``'s wide-row path for a vector along a short last axis (a bias over few channels)
against NumPy's plain broadcast: same values, dtypes and gradients, and the cases it declines."""

import numpy as np
import pytest

from scratchdl import Tensor, ops
from scratchdl.ops import arithmetic


def _spy(monkeypatch):
    calls = []
    real = arithmetic._add_along_short_last_axis

    def spy(x, y):
        result = real(x, y)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(arithmetic, "_add_along_short_last_axis", spy)
    return calls


@pytest.mark.parametrize("shape, bias_shape", [
    ((16, 32, 32, 8), (8,)),
    ((16, 32, 32, 8), (1, 1, 1, 8)),
    ((4, 64, 64, 3), (3,)),
    ((7, 11, 13, 29, 17), (17,)),  # 29029 rows, no factor in common with 512 // 17: declined
    ((5, 100, 66, 2), (2,)),
])
@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float32, np.float64),
                                    (np.int32, np.float32)])
@pytest.mark.parametrize("bias_first", [False, True])
def test_wide_rows_equal_the_plain_broadcast(monkeypatch, shape, bias_shape, dtypes, bias_first):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 10).astype(dtypes[0])
    b = rng.standard_normal(bias_shape).astype(dtypes[1])
    calls = _spy(monkeypatch)
    y = ops.add(b, x) if bias_first else ops.add(x, b)
    expected = x + b
    assert y.shape == expected.shape and y.dtype == expected.dtype
    np.testing.assert_array_equal(y.numpy(), expected)
    declined = shape == (7, 11, 13, 29, 17)
    assert calls == [not declined]


def test_bias_gradient_through_the_wide_path(monkeypatch):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 32, 32, 8)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.standard_normal(8).astype(np.float32), requires_grad=True)
    upstream = rng.standard_normal(x.shape).astype(np.float32)
    calls = _spy(monkeypatch)
    (ops.add(x, b) * upstream).sum().backward()
    assert calls == [True]
    np.testing.assert_array_equal(x.grad, upstream)
    np.testing.assert_allclose(b.grad, upstream.reshape(-1, 8).sum(0, dtype=np.float64),
                               rtol=1e-5)


@pytest.mark.parametrize("x_shape, y_shape", [
    ((64, 64, 64, 8), (64, 8)),  # not a vector
    ((64, 64, 64, 32), (32,)),  # the last axis is long enough already
    ((4, 8, 8), (8,)),  # too small to matter
    ((64, 64, 64, 1), (1,)),  # one value: NumPy's loop is long already
    ((64, 64, 64, 8), ()),
])
def test_declined_cases_use_the_plain_broadcast(monkeypatch, x_shape, y_shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    y = rng.standard_normal(y_shape).astype(np.float32)
    calls = _spy(monkeypatch)
    np.testing.assert_array_equal(ops.add(x, y).numpy(), x + y)
    assert calls == [False]


def test_non_contiguous_input_is_declined(monkeypatch):
    x = np.random.default_rng(0).standard_normal((64, 64, 8, 64)).astype(np.float32)
    x = x.transpose(0, 1, 3, 2)  # last axis of 8 values, but strided
    b = np.arange(8, dtype=np.float32)
    calls = _spy(monkeypatch)
    np.testing.assert_array_equal(ops.add(x, b).numpy(), x + b)
    assert calls == [False]


def test_python_scalars_are_declined(monkeypatch):
    calls = _spy(monkeypatch)
    x = np.ones((64, 64, 8, 8), dtype=np.float32)
    y = ops.add(x, 2.0)
    assert y.dtype == np.float32 and calls == [False]
