"""Elementwise ops (exp, log, log1p, expm1, sin, cos, tanh) through the op harness, plus edge cases."""

import math

import numpy as np
import pytest
import torch

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests

# 0-d, odd sizes, and one shape past the harness's 300-element limit for a full numerical Jacobian
# (checked along random directions instead).
SHAPES = [(), (7,), (3, 5), (2, 3, 5), (19, 17)]

# name, op, NumPy reference, PyTorch reference, input range (kept where the function is smooth
# and well conditioned: log needs x > 0, log1p x > -1).
OPS = [
    ("exp", ops.exp, np.exp, torch.exp, -3.0, 3.0),
    ("log", ops.log, np.log, torch.log, 0.1, 5.0),
    ("log1p", ops.log1p, np.log1p, torch.log1p, -0.5, 3.0),
    ("expm1", ops.expm1, np.expm1, torch.expm1, -3.0, 3.0),
    ("sin", ops.sin, np.sin, torch.sin, -4.0, 4.0),
    ("cos", ops.cos, np.cos, torch.cos, -4.0, 4.0),
    ("tanh", ops.tanh, np.tanh, torch.tanh, -3.0, 3.0),
]

CASES = [
    OpCase(f"{name}{shape}", fn, [Arg(shape, low, high)], numpy_fn=np_fn, torch_fn=torch_fn)
    for name, fn, np_fn, torch_fn, low, high in OPS
    for shape in SHAPES
]

test_elementwise = op_tests(CASES)


PUBLIC = [(name, fn) for name, fn, *_ in OPS]


@pytest.mark.parametrize(("name", "fn"), PUBLIC, ids=[n for n, _ in PUBLIC])
def test_float32_is_kept_for_value_and_gradient(name, fn):
    x = Tensor(np.linspace(0.2, 0.9, 6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32, f"{name} turned float32 into {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)


@pytest.mark.parametrize(("name", "fn"), PUBLIC, ids=[n for n, _ in PUBLIC])
def test_integer_and_python_inputs_are_computed_in_floatx(name, fn):
    from_ints = fn(Tensor(np.array([1, 2, 3])))
    assert from_ints.dtype == np.float32
    np.testing.assert_allclose(from_ints.numpy(), fn(Tensor(np.array([1.0, 2.0, 3.0]))).numpy(),
                               rtol=1e-6)
    from_python = fn(0.5)
    assert from_python.dtype == np.float32 and from_python.shape == ()


@pytest.mark.parametrize(("fn", "saved_is_output"), [(ops.exp, True), (ops.expm1, True),
                                                     (ops.tanh, True), (ops.log, False)])
def test_backward_reuses_the_output_where_it_is_the_derivative(fn, saved_is_output):
    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    y = fn(x)
    (saved,) = y.creator.saved
    assert (saved is y.data) == saved_is_output


def test_log1p_and_expm1_are_exact_for_tiny_inputs():
    tiny = np.array([1e-12, -3e-15, 1e-300])
    np.testing.assert_allclose(ops.log1p(Tensor(tiny)).numpy(), [math.log1p(v) for v in tiny],
                               rtol=1e-15)
    np.testing.assert_allclose(ops.expm1(Tensor(tiny)).numpy(), [math.expm1(v) for v in tiny],
                               rtol=1e-15)
    # the naive forms lose everything here
    assert np.log(1 + tiny[0]) != pytest.approx(tiny[0], rel=1e-6, abs=0)


def test_tanh_saturates_without_overflow_and_with_zero_gradient():
    x = Tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = ops.tanh(x)
        y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [-1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_log_of_zero_is_minus_infinity_as_in_numpy():
    with np.errstate(divide="ignore"):
        assert ops.log(Tensor(np.array([0.0]))).numpy()[0] == -np.inf


def test_exp_and_log_are_inverse_and_chain_gradients():
    x = Tensor(np.array([0.3, 1.7, 4.0]), requires_grad=True)
    y = ops.log(ops.exp(x))
    np.testing.assert_allclose(y.numpy(), x.numpy(), rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.ones(3), rtol=1e-15)


def test_tensor_methods_call_these_ops():
    x = Tensor(np.array([0.25, 2.0]))
    np.testing.assert_array_equal(x.exp().numpy(), np.exp([0.25, 2.0]))
    np.testing.assert_array_equal(x.log().numpy(), np.log([0.25, 2.0]))
    np.testing.assert_array_equal(x.tanh().numpy(), np.tanh([0.25, 2.0]))
