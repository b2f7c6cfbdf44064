"""Activation ops through the op harness (NumPy and PyTorch references), plus kinks, extremes, dtypes."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests

# 0-d, odd sizes, and one shape past the harness's 300-element limit for a full numerical Jacobian.
SHAPES = [(), (7,), (3, 5), (2, 3, 5), (19, 17)]

# Written out independently of scratchdl (Keras 3 / the SELU paper).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_leaky_relu(x, negative_slope=0.2):
    return np.where(x > 0, x, negative_slope * x)


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1.0))


def np_gelu(x, approximate=True):
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def np_relu6(x):
    return np.minimum(np.maximum(x, 0.0), 6.0)


def torch_gelu(x, approximate=True):
    return F.gelu(x, approximate="tanh" if approximate else "none")


# name, op, NumPy reference, PyTorch reference, input range, kinks to keep away from, kwargs
ACTIVATIONS = [
    ("sigmoid", ops.sigmoid, np_sigmoid, torch.sigmoid, -6.0, 6.0, (), {}),
    ("relu", ops.relu, lambda x: np.maximum(x, 0.0), F.relu, -2.0, 2.0, (0.0,), {}),
    ("relu6", ops.relu6, np_relu6, F.relu6, -2.0, 8.0, (0.0, 6.0), {}),
    ("leaky_relu", ops.leaky_relu, np_leaky_relu, lambda x: F.leaky_relu(x, negative_slope=0.2),
     -2.0, 2.0, (0.0,), {}),
    ("leaky_relu_slope", ops.leaky_relu, np_leaky_relu, F.leaky_relu, -2.0, 2.0, (0.0,),
     {"negative_slope": 0.05}),
    ("elu", ops.elu, np_elu, F.elu, -4.0, 2.0, (0.0,), {}),
    ("elu_alpha", ops.elu, np_elu, F.elu, -4.0, 2.0, (0.0,), {"alpha": 0.7}),
    ("selu", ops.selu, lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA), F.selu, -4.0, 2.0, (0.0,), {}),
    ("gelu_tanh", ops.gelu, np_gelu, torch_gelu, -5.0, 5.0, (), {"approximate": True}),
    # +-5 reaches |x/sqrt(2)| > 2: both branches of the erf (series and continued fraction).
    ("gelu_erf", ops.gelu, np_gelu, torch_gelu, -5.0, 5.0, (), {"approximate": False}),
    ("softplus", ops.softplus, lambda x: np.logaddexp(0.0, x), F.softplus, -6.0, 6.0, (), {}),
    ("softsign", ops.softsign, lambda x: x / (1.0 + np.abs(x)), lambda x: x / (1 + x.abs()),
     -4.0, 4.0, (), {}),
    ("silu", ops.silu, lambda x: x * np_sigmoid(x), F.silu, -6.0, 6.0, (), {}),
    ("hard_sigmoid", ops.hard_sigmoid, lambda x: np_relu6(x + 3.0) / 6.0, F.hardsigmoid,
     -5.0, 5.0, (-3.0, 3.0), {}),
    ("hard_silu", ops.hard_silu, lambda x: x * np_relu6(x + 3.0) / 6.0, F.hardswish,
     -5.0, 5.0, (-3.0, 3.0), {}),
]

CASES = [
    OpCase(f"{name}{shape}", fn, [Arg(shape, low, high, away_from=away)], numpy_fn=np_fn,
           torch_fn=torch_fn, kwargs=kwargs)
    for name, fn, np_fn, torch_fn, low, high, away, kwargs in ACTIVATIONS
    for shape in SHAPES
]

test_activation = op_tests(CASES)

PUBLIC = {
    "sigmoid": ops.sigmoid, "relu": ops.relu, "relu6": ops.relu6, "leaky_relu": ops.leaky_relu,
    "elu": ops.elu, "selu": ops.selu, "gelu": ops.gelu,
    "gelu_erf": lambda x: ops.gelu(x, approximate=False), "softplus": ops.softplus,
    "softsign": ops.softsign, "silu": ops.silu, "hard_sigmoid": ops.hard_sigmoid,
    "hard_silu": ops.hard_silu,
}
TORCH = {
    "sigmoid": torch.sigmoid, "relu": F.relu, "relu6": F.relu6,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2), "elu": F.elu, "selu": F.selu,
    "gelu": lambda x: F.gelu(x, approximate="tanh"), "gelu_erf": F.gelu, "softplus": F.softplus,
    "softsign": F.softsign, "silu": F.silu, "hard_sigmoid": F.hardsigmoid, "hard_silu": F.hardswish,
}
RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}


def _value_and_grad(fn, values, dtype=np.float64):
    x = Tensor(np.asarray(values, dtype=dtype), requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.numpy(), x.grad


@pytest.mark.parametrize("name", list(PUBLIC))
def test_kinks_and_extremes_follow_pytorch(name):
    """Exactly at the kinks (where the tests above stay away) and far out, value and gradient
    agree with PyTorch, with no overflow or invalid-value warning on the way."""
    points = [-1000.0, -30.0, -6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 30.0, 1000.0]
    with np.errstate(**RAISE):
        value, grad = _value_and_grad(PUBLIC[name], points)
    x = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    expected = TORCH[name](x)
    expected.sum().backward()
    # PyTorch's exact GELU, 0.5 x (1 + erf(x / sqrt 2)), cancels in the negative tail (ours uses
    # erfc; checked against math.erfc below), so there only absolute agreement is asked.
    atol = 1e-15 if name == "gelu_erf" else 1e-300
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-12, atol=atol)
    # rtol 1e-7: PyTorch's hardsigmoid backward multiplies by a float32 1/6 even in float64.
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=1e-7, atol=atol)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))


def test_relu_gradient_at_exactly_zero_is_zero():
    value, grad = _value_and_grad(ops.relu, [-0.0, 0.0, 1e-300])
    np.testing.assert_array_equal(value, [0.0, 0.0, 1e-300])
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_of_huge_inputs_is_finite_and_exact(dtype):
    with np.errstate(**RAISE):
        value, grad = _value_and_grad(ops.sigmoid, [-1000.0, -80.0, 0.0, 80.0, 1000.0], dtype)
    assert value.dtype == dtype and grad.dtype == dtype
    np.testing.assert_array_equal(value[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(grad[[0, 4]], [0.0, 0.0])
    # sigmoid(-80) = e**-80 / (1 + e**-80) to full relative precision (a normal float32 number)
    np.testing.assert_allclose(value[1], math.exp(-80.0) / (1 + math.exp(-80.0)),
                               rtol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_of_huge_inputs_is_finite(dtype):
    with np.errstate(**RAISE):
        value, grad = _value_and_grad(ops.softplus, [-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype)
    assert value.dtype == dtype and grad.dtype == dtype
    np.testing.assert_allclose(value, [0.0, math.log1p(math.exp(-30.0)), math.log(2.0), 30.0, 1000.0],
                               rtol=1e-6 if dtype == np.float32 else 1e-14)
    # the gradient is sigmoid(x), exact also where it is tiny
    expected = [0.0, 1 / (1 + math.exp(30.0)), 0.5, 1 / (1 + math.exp(-30.0)), 1.0]
    np.testing.assert_allclose(grad, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_exact_gelu_stays_accurate_in_the_negative_tail():
    # 0.5 * (1 + erf(x / sqrt 2)) cancels to 0 here; erfc does not.
    x = np.array([-8.0, -12.0, -20.0])
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x]
    value, grad = _value_and_grad(lambda t: ops.gelu(t, approximate=False), x)
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    assert np.all(value < 0)
    assert np.all(grad != 0)


@pytest.mark.parametrize("name", list(PUBLIC))
def test_float32_is_kept_for_value_and_gradient(name):
    x = Tensor(np.linspace(-4, 4, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    y = PUBLIC[name](x)
    assert y.dtype == np.float32, f"{name} turned float32 into {y.dtype}"
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (3, 4)


def test_numpy_float64_hyperparameters_keep_float32():
    # NumPy scalars are not "weak" in type promotion: a float64 slope would promote float32.
    x = Tensor(np.ones(3, dtype=np.float32))
    assert ops.leaky_relu(x, negative_slope=np.float64(0.1)).dtype == np.float32
    assert ops.elu(x, alpha=np.float64(0.5)).dtype == np.float32


@pytest.mark.parametrize("name", list(PUBLIC))
def test_integer_inputs_are_computed_in_floatx(name):
    y = PUBLIC[name](Tensor(np.array([-2, 0, 3])))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), PUBLIC[name](Tensor(np.array([-2.0, 0.0, 3.0]))).numpy(),
                               rtol=1e-6)


def test_keras_defaults():
    x = Tensor(np.array([-1.0, 2.0]))
    np.testing.assert_allclose(ops.leaky_relu(x).numpy(), [-0.2, 2.0])  # negative_slope=0.2
    np.testing.assert_allclose(ops.elu(x).numpy(), [math.expm1(-1.0), 2.0])  # alpha=1.0
    approx = 0.5 * 2.0 * (1 + math.tanh(math.sqrt(2 / math.pi) * (2.0 + 0.044715 * 8.0)))
    assert ops.gelu(Tensor(np.array(2.0))).item() == pytest.approx(approx, rel=1e-15)  # tanh form
    np.testing.assert_allclose(ops.hard_sigmoid(Tensor(np.array([-3.0, 0.0, 3.0]))).numpy(),
                               [0.0, 0.5, 1.0])  # relu6(x + 3) / 6, not Keras 2's 0.2 x + 0.5
    np.testing.assert_allclose(ops.selu(Tensor(np.array([1.0, -50.0]))).numpy(),
                               [SELU_SCALE, -SELU_SCALE * SELU_ALPHA], rtol=1e-15)


def test_saved_output_is_reused_by_sigmoid():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    y = ops.sigmoid(x)
    (saved,) = y.creator.saved
    assert saved is y.data


@pytest.mark.parametrize(("fn", "name", "argument"), [
    (ops.leaky_relu, "negative_slope", "negative_slope"), (ops.elu, "alpha", "alpha"),
])
def test_non_numeric_hyperparameters_are_rejected_with_the_op_name(fn, name, argument):
    with pytest.raises(TypeError, match=rf"{fn.__name__}: {name} must be a number, got 'big'"):
        fn(Tensor(np.ones(2)), **{argument: "big"})


KERAS_CALLS = [
    *[(name, {}) for name in ["sigmoid", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu",
                              "softplus", "softsign", "silu", "hard_sigmoid", "hard_silu"]],
    ("gelu", {"approximate": False}), ("leaky_relu", {"negative_slope": 0.05}),
    ("elu", {"alpha": 0.5}),
]


@pytest.mark.parametrize(("name", "kwargs"), KERAS_CALLS,
                         ids=[f"{n}{''.join(f'-{k}={v}' for k, v in kw.items())}" for n, kw in KERAS_CALLS])
def test_matches_keras_ops_with_the_same_name_and_defaults(name, kwargs):
    import keras  # the torch backend (tests/conftest.py); imported here to keep collection fast

    x = np.linspace(-7.0, 7.0, 57)  # includes -6, -3, 0, 3, 6
    expected = getattr(keras.ops, name)(x, **kwargs).detach().cpu().numpy()
    actual = getattr(ops, name)(Tensor(x), **kwargs).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-12)
