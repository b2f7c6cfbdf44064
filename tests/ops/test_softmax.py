"""softmax and log_softmax through the op harness: axes, odd shapes, extreme logits, errors."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests, run_all_checks


def np_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def torch_softmax(x, axis=-1):
    return torch.softmax(x, dim=axis)


def torch_log_softmax(x, axis=-1):
    return torch.log_softmax(x, dim=axis)


def _extreme(shape):
    # Logits of +-1000 with near ties, so the softmax is neither 0/1 everywhere nor uniform.
    def make(rng):
        base = rng.choice([-1000.0, 1000.0], size=shape)
        return [base + rng.uniform(-2.0, 2.0, size=shape)]
    return make


LAYOUTS = [((7,), -1), ((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 5), -2), ((1, 1), -1),
           ((4, 1, 3), 1)]

CASES = []
for name, fn, np_fn, torch_fn in [("softmax", ops.softmax, np_softmax, torch_softmax),
                                  ("log_softmax", ops.log_softmax, np_log_softmax, torch_log_softmax)]:
    for shape, axis in LAYOUTS:
        CASES.append(OpCase(f"{name}{shape}axis{axis}", fn, [Arg(shape, -3.0, 3.0)],
                            kwargs={"axis": axis}, numpy_fn=np_fn, torch_fn=torch_fn))
    CASES.append(OpCase(f"{name}_extreme", fn, [], kwargs={"axis": -1}, make_inputs=_extreme((4, 6)),
                        numpy_fn=np_fn, torch_fn=torch_fn))
    CASES.append(OpCase(f"{name}_extreme_axis0", fn, [], kwargs={"axis": 0},
                        make_inputs=_extreme((5, 3)), numpy_fn=np_fn, torch_fn=torch_fn))

test_softmax = op_tests(CASES)


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), data=st.data())
def test_softmax_and_log_softmax_on_generated_shapes(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    shape = tuple(shape)
    run_all_checks(OpCase(f"softmax_gen{shape}{axis}", ops.softmax, [Arg(shape, -4.0, 4.0)],
                          kwargs={"axis": axis}, numpy_fn=np_softmax, torch_fn=torch_softmax))
    run_all_checks(OpCase(f"log_softmax_gen{shape}{axis}", ops.log_softmax, [Arg(shape, -4.0, 4.0)],
                          kwargs={"axis": axis}, numpy_fn=np_log_softmax, torch_fn=torch_log_softmax))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_stay_finite_with_exact_gradients(dtype):
    x = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], dtype=dtype),
               requires_grad=True)
    y = ops.softmax(x)
    np.testing.assert_allclose(y.data, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    log_y = ops.log_softmax(x)
    assert np.all(np.isfinite(log_y.data))
    np.testing.assert_allclose(log_y.data[0], [0.0, -2000.0, -1000.0], rtol=1e-6)
    (log_y * Tensor(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype))).sum().backward()
    # d/dx of log_softmax_k = onehot_k - softmax: finite and exact even where softmax underflows.
    np.testing.assert_allclose(x.grad, [[0.0, 0.0, 0.0], [-1 / 3, 2 / 3, -1 / 3]], atol=1e-6)
    assert x.grad.dtype == dtype


def test_softmax_sums_to_one_and_keeps_shape():
    x = Tensor(np.random.default_rng(0).normal(size=(3, 4, 5)))
    for axis in (0, 1, 2, -1):
        y = ops.softmax(x, axis=axis)
        assert y.shape == x.shape
        np.testing.assert_allclose(y.data.sum(axis=axis), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.exp(ops.log_softmax(x, axis=axis).data), y.data, rtol=1e-12)


def test_integer_input_is_computed_in_floatx():
    y = ops.softmax(Tensor(np.array([1, 2, 3])))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, np_softmax(np.array([1.0, 2.0, 3.0])), rtol=1e-6)


def test_minus_infinity_entries_get_zero_probability():
    x = Tensor(np.array([0.0, -np.inf, 0.0]), requires_grad=True)
    y = ops.softmax(x)
    np.testing.assert_allclose(y.data, [0.5, 0.0, 0.5])
    (y * Tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, [-0.5, 0.0, 0.5])


def test_axis_errors_name_the_op():
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of range for a tensor with 2 dimensions"):
        ops.softmax(Tensor(np.zeros((2, 3))), axis=2)
    with pytest.raises(ValueError, match=r"log_softmax: axis -3 is out of range"):
        ops.log_softmax(Tensor(np.zeros((2, 3))), axis=-3)
    with pytest.raises(TypeError, match="softmax: axis must be an int"):
        ops.softmax(Tensor(np.zeros((2, 3))), axis=(0, 1))
    with pytest.raises(ValueError, match=r"log_softmax: expected a tensor with at least 1 dimension"):
        ops.log_softmax(Tensor(np.float64(1.0)))


# ------------------------------------------------- last-axis reductions (ops/softmax.py helpers)
def _reduction_inputs():
    """(name, array, axis): short and long rows around the transposed-max threshold, N-D,
    transposed, sliced and broadcast views, NaN and infinities, float16 and empty arrays."""
    rng = np.random.default_rng(7)
    wide = rng.standard_normal((9, 16)) * 4
    special = rng.standard_normal((6, 5))
    special[0, 1], special[1, :] = np.nan, -np.inf
    special[2, 3], special[3, 0] = np.inf, -np.inf
    return [
        ("128x10", rng.standard_normal((128, 10)), -1),
        ("5x32", rng.standard_normal((5, 32)), 1),
        ("5x33", rng.standard_normal((5, 33)), -1),
        ("4x1000", rng.standard_normal((4, 1000)), -1),
        ("one class", rng.standard_normal((6, 1)), -1),
        ("3d", rng.standard_normal((2, 3, 7)), 2),
        ("3d axis1", rng.standard_normal((2, 3, 7)), 1),
        ("1d", rng.standard_normal(7), 0),
        ("transposed", wide.T, -1),
        ("sliced", wide[::2, 1::3], -1),
        ("broadcast", np.broadcast_to(rng.standard_normal((1, 6)), (5, 6)), -1),
        ("nan and inf", special, -1),
        ("float16", rng.standard_normal((8, 5)).astype(np.float16), -1),
        ("empty rows", np.zeros((0, 4)), -1),
    ]


@pytest.mark.parametrize("name, x, axis", _reduction_inputs(), ids=[c[0] for c in _reduction_inputs()])
@pytest.mark.parametrize("dtype", [None, np.float32])
def test_row_max_and_row_sum_equal_the_plain_reductions(name, x, axis, dtype):
    """The transposed-copy maximum and the BLAS row sum against ``max``/``sum(keepdims=True)``,
    and the log-softmax built on them against the plain formula."""
    from scratchdl.ops.softmax import _row_max, _row_sum, stable_log_softmax

    if dtype is not None and x.dtype != np.float16:
        x = x.astype(dtype, copy=False)
    tolerance = {np.dtype(np.float16): 2e-3, np.dtype(np.float32): 2e-6}.get(x.dtype, 1e-13)
    with np.errstate(all="ignore"):
        peak = _row_max(x, axis % x.ndim)
        np.testing.assert_array_equal(peak, x.max(axis=axis, keepdims=True))  # exact, NaN included
        assert peak.dtype == x.dtype
        total = _row_sum(x, axis % x.ndim)
        np.testing.assert_allclose(total, x.sum(axis=axis, keepdims=True), rtol=tolerance, atol=tolerance)
        assert total.dtype == x.dtype and total.shape == peak.shape
        log_probs = stable_log_softmax(x, axis % x.ndim)
        assert log_probs.dtype == x.dtype
        np.testing.assert_allclose(log_probs, np_log_softmax(x, axis), rtol=tolerance, atol=tolerance)


def test_row_max_keeps_the_error_for_rows_without_classes():
    from scratchdl.ops.softmax import _row_max

    with pytest.raises(ValueError, match="zero-size array"):
        _row_max(np.zeros((3, 0)), 1)
