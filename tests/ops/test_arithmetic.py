"""Arithmetic ops through the op harness, plus their error messages."""

import numpy as np
import pytest
import torch

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests

BROADCASTS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 6))]


def _binary_cases(name, fn, np_fn, torch_fn, low=-1.0, high=1.0, y_low=None, y_high=None, away=()):
    cases = []
    for a, b in BROADCASTS:
        cases.append(OpCase(
            f"{name}{a}{b}", fn,
            [Arg(a, low, high, away_from=away), Arg(b, y_low if y_low is not None else low,
                                                   y_high if y_high is not None else high, away_from=away)],
            numpy_fn=np_fn, torch_fn=torch_fn,
        ))
    return cases


CASES = [
    *_binary_cases("add", ops.add, np.add, torch.add),
    *_binary_cases("subtract", ops.subtract, np.subtract, torch.subtract),
    *_binary_cases("multiply", ops.multiply, np.multiply, torch.multiply),
    *_binary_cases("divide", ops.divide, np.divide, torch.divide, y_low=0.5, y_high=2.0),
    *_binary_cases("power", ops.power, np.power, torch.pow, low=0.5, high=2.0),
    *_binary_cases("maximum", ops.maximum, np.maximum, torch.maximum),
    *_binary_cases("minimum", ops.minimum, np.minimum, torch.minimum),
    OpCase("add_scalar", lambda x: ops.add(x, 2.5), [Arg((3, 4))], numpy_fn=lambda x: x + 2.5,
           torch_fn=lambda x: x + 2.5),
    OpCase("rsub_scalar", lambda x: 1.5 - x, [Arg((3,))], numpy_fn=lambda x: 1.5 - x,
           torch_fn=lambda x: 1.5 - x),
    OpCase("rdiv_scalar", lambda x: 2.0 / x, [Arg((3,), 0.5, 2.0)], numpy_fn=lambda x: 2.0 / x,
           torch_fn=lambda x: 2.0 / x),
    OpCase("power_scalar_exponent", lambda x: x ** 3, [Arg((4, 2))], numpy_fn=lambda x: x ** 3,
           torch_fn=lambda x: x ** 3),
    OpCase("power_scalar_base", lambda x: 2.0 ** x, [Arg((4,))], numpy_fn=lambda x: 2.0 ** x,
           torch_fn=lambda x: 2.0 ** x),
    OpCase("floor_divide", ops.floor_divide, [Arg((3, 4), -3, 3), Arg((4,), 0.5, 2.0)],
           numpy_fn=np.floor_divide, differentiable=False),
    OpCase("negative", ops.negative, [Arg((3, 4))], numpy_fn=np.negative, torch_fn=torch.negative),
    OpCase("abs", ops.abs, [Arg((3, 4), away_from=(0.0,))], numpy_fn=np.abs, torch_fn=torch.abs),
    OpCase("sign", ops.sign, [Arg((3, 4), away_from=(0.0,))], numpy_fn=np.sign, torch_fn=torch.sign),
    OpCase("square", ops.square, [Arg((3, 4))], numpy_fn=np.square, torch_fn=torch.square),
    OpCase("sqrt", ops.sqrt, [Arg((3, 4), 0.2, 3.0)], numpy_fn=np.sqrt, torch_fn=torch.sqrt),
    OpCase("reciprocal", ops.reciprocal, [Arg((3, 4), 0.5, 2.0)], numpy_fn=np.reciprocal,
           torch_fn=torch.reciprocal),
    OpCase("clip", ops.clip, [Arg((4, 5), -2, 2, away_from=(-0.5, 0.7)), -0.5, 0.7],
           numpy_fn=np.clip, torch_fn=torch.clamp),
    OpCase("clip_low_only", lambda x: ops.clip(x, 0.0), [Arg((6,), away_from=(0.0,))],
           numpy_fn=lambda x: np.clip(x, 0.0, None), torch_fn=lambda x: torch.clamp(x, min=0.0)),
    OpCase("where", lambda c, x, y: ops.where(c, x, y),
           [Arg((3, 4), kind="bool"), Arg((3, 4)), Arg((4,))],
           numpy_fn=np.where, torch_fn=torch.where),
    OpCase("cast", lambda x: ops.cast(x, np.float64), [Arg((3,))],
           numpy_fn=lambda x: x.astype(np.float64), torch_fn=lambda x: x.to(torch.float64),
           preserves_dtype=False),
]

test_arithmetic = op_tests(CASES)


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast"):
        ops.add(Tensor(np.zeros((3, 4))), Tensor(np.zeros(5)))


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip"):
        ops.clip(Tensor([1.0]))


def test_scalar_keeps_float32():
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = 2.0 * x + 1 - x / 3.0
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_operators_with_numpy_arrays_on_the_left():
    x = Tensor(np.ones(3), requires_grad=True)
    y = np.full(3, 2.0) * x
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_cast_between_float_dtypes_carries_the_gradient_back():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = ops.cast(x, np.float32)
    assert y.dtype == np.float32
    (y * np.float32(3.0)).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
