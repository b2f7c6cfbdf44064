"""Reduction ops through the op harness (NumPy and PyTorch references), Hypothesis-generated shapes
and axes, ties for max/min, prod with zeros, and error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests, run_all_checks


def _dims(axis, ndim):
    """A NumPy ``axis`` as the ``dim`` tuple that PyTorch reductions take."""
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_reduce(name):
    """A PyTorch reference taking NumPy-style (axis, keepdims)."""

    def reference(x, axis, keepdims):
        dims = _dims(axis, x.ndim)
        if x.ndim == 0:
            dims = None if name in ("var", "std") else ()
        if name == "sum":
            return torch.sum(x, dim=dims, keepdim=keepdims)
        if name == "mean":
            return torch.mean(x, dim=dims, keepdim=keepdims)
        if name == "var":
            return torch.var(x, dim=dims, unbiased=False, keepdim=keepdims)
        if name == "std":
            return torch.std(x, dim=dims, unbiased=False, keepdim=keepdims)
        if name == "max":
            return torch.amax(x, dim=dims, keepdim=keepdims)
        if name == "min":
            return torch.amin(x, dim=dims, keepdim=keepdims)
        if name == "logsumexp":
            return torch.logsumexp(x, dim=dims if x.ndim else 0, keepdim=keepdims)
        if name == "prod":  # torch.prod takes one dim: reduce the highest first
            for dim in sorted((d % x.ndim for d in dims), reverse=True):
                x = torch.prod(x, dim=dim, keepdim=keepdims)
            return x
        raise ValueError(name)

    return reference


def _numpy_logsumexp(x, axis=None, keepdims=False):
    shift = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return out if keepdims else np.squeeze(out, axis=axis if axis is not None else None)


REDUCTIONS = {
    "sum": (ops.sum, np.sum, (-1.0, 1.0)),
    "mean": (ops.mean, np.mean, (-1.0, 1.0)),
    "var": (ops.var, np.var, (-1.0, 1.0)),
    "std": (ops.std, np.std, (-1.0, 1.0)),
    "max": (ops.max, np.max, (-1.0, 1.0)),
    "min": (ops.min, np.min, (-1.0, 1.0)),
    "prod": (ops.prod, np.prod, (0.5, 1.5)),
    "logsumexp": (ops.logsumexp, _numpy_logsumexp, (-3.0, 3.0)),
}

CONFIGS = [
    ((3, 4, 5), None, False),
    ((3, 4, 5), 1, False),
    ((3, 4, 5), -1, True),
    ((3, 4, 5), (0, 2), False),
    ((3, 4, 5), (-1, 0), True),
    ((7,), 0, False),
    ((2, 3, 1, 5), (1, 2), True),
    ((5, 3), None, True),
    ((), None, False),
]


def _reduction_case(name, shape, axis, keepdims, torch_ok=True):
    fn, np_fn, (low, high) = REDUCTIONS[name]
    kwargs = {"axis": axis, "keepdims": keepdims}
    if name == "std" and shape == ():
        torch_ok = False  # std of one value is 0: PyTorch's gradient is nan there, ours is 0
    return OpCase(
        f"{name}{shape}_axis{axis}_keep{keepdims}", fn, [Arg(shape, low, high)],
        numpy_fn=lambda x, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims),
        torch_fn=_torch_reduce(name) if torch_ok else None, kwargs=kwargs,
    )


def _tied(kind):
    """Rows of a (4, 6) array whose maximum (or minimum) appears exactly twice."""

    def make(rng):
        x = rng.uniform(-1.0, 0.0, size=(4, 6))
        for row in range(4):
            first, second = rng.choice(6, size=2, replace=False)
            x[row, [first, second]] = 1.0
        return [x if kind == "max" else -x]

    return make


def _with_zeros(rng):
    x = rng.uniform(0.5, 2.0, size=(4, 5)) * rng.choice([-1.0, 1.0], size=(4, 5))
    x[1, 2] = 0.0  # one zero: only that element gets a gradient
    x[2, 0] = x[2, 3] = 0.0  # two zeros: every gradient of the row is 0
    return [x]


def _large(rng):
    return [rng.uniform(-50.0, 50.0, size=(3, 6)) + 700.0]


def _cumsum_torch(x, axis=None):
    return torch.cumsum(x.flatten(), 0) if axis is None else torch.cumsum(x, dim=axis)


def _arg_case(name, shape, axis, keepdims):
    np_fn, torch_fn = (np.argmax, torch.argmax) if name == "argmax" else (np.argmin, torch.argmin)
    return OpCase(
        f"{name}{shape}_axis{axis}_keep{keepdims}", getattr(ops, name), [Arg(shape)],
        numpy_fn=lambda x, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims),
        torch_fn=lambda x, axis, keepdims: torch_fn(x, dim=axis, keepdim=keepdims),
        kwargs={"axis": axis, "keepdims": keepdims}, differentiable=False,
    )


CASES = [
    *[_reduction_case(name, *config) for name in REDUCTIONS for config in CONFIGS],
    OpCase("max_pairwise_ties", lambda x: ops.max(x, axis=1), [], make_inputs=_tied("max"),
           numpy_fn=lambda x: np.max(x, axis=1), torch_fn=lambda x: torch.amax(x, dim=1)),
    OpCase("min_pairwise_ties", lambda x: ops.min(x, axis=-1, keepdims=True), [],
           make_inputs=_tied("min"), numpy_fn=lambda x: np.min(x, axis=-1, keepdims=True),
           torch_fn=lambda x: torch.amin(x, dim=-1, keepdim=True)),
    OpCase("prod_with_zeros_axis1", lambda x: ops.prod(x, axis=1), [], make_inputs=_with_zeros,
           numpy_fn=lambda x: np.prod(x, axis=1), torch_fn=lambda x: torch.prod(x, dim=1)),
    OpCase("prod_with_zeros_all", ops.prod, [], make_inputs=lambda rng: [_with_zeros(rng)[0][:2]],
           numpy_fn=np.prod, torch_fn=torch.prod),
    OpCase("prod_signed_axis0", lambda x: ops.prod(x, axis=0), [Arg((6, 3), -1.5, 1.5)],
           numpy_fn=lambda x: np.prod(x, axis=0), torch_fn=lambda x: torch.prod(x, dim=0)),
    OpCase("logsumexp_large_values", lambda x: ops.logsumexp(x, axis=1), [], make_inputs=_large,
           numpy_fn=lambda x: _numpy_logsumexp(x, axis=1),
           torch_fn=lambda x: torch.logsumexp(x, dim=1), rtol32=1e-6),
    OpCase("cumsum_flat", ops.cumsum, [Arg((3, 4))], numpy_fn=np.cumsum, torch_fn=_cumsum_torch),
    OpCase("cumsum_axis0", ops.cumsum, [Arg((3, 4)), 0], numpy_fn=np.cumsum,
           torch_fn=_cumsum_torch),
    OpCase("cumsum_axis_neg1", ops.cumsum, [Arg((2, 3, 5)), -1], numpy_fn=np.cumsum,
           torch_fn=_cumsum_torch),
    OpCase("cumsum_odd_1d", ops.cumsum, [Arg((7,)), 0], numpy_fn=np.cumsum, torch_fn=_cumsum_torch),
    OpCase("cumsum_0d", ops.cumsum, [Arg(())], numpy_fn=np.cumsum, torch_fn=_cumsum_torch),
    *[_arg_case(name, shape, axis, keepdims)
      for name in ("argmax", "argmin")
      for shape, axis, keepdims in [((3, 4, 5), None, False), ((3, 4, 5), 1, False),
                                    ((3, 4, 5), -1, True), ((7,), 0, False), ((4, 3), None, True)]],
]

test_reduction = op_tests(CASES)


# ------------------------------------------------------------------------------- Hypothesis
@st.composite
def shapes_and_axes(draw):
    """A shape of up to 4 axes and a random subset of its axes (None, int or tuple, some negative)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    ndim = len(shape)
    if ndim == 0 or draw(st.booleans()) and draw(st.booleans()):
        return shape, None
    subset = draw(st.lists(st.sampled_from(range(ndim)), min_size=1, max_size=ndim, unique=True))
    subset = [a - ndim if draw(st.booleans()) else a for a in subset]
    return shape, subset[0] if len(subset) == 1 and draw(st.booleans()) else tuple(subset)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=15, deadline=None)
@given(shape_axes=shapes_and_axes(), keepdims=st.booleans())
def test_reduction_hypothesis(name, shape_axes, keepdims):
    shape, axis = shape_axes
    count = int(np.prod([shape[a] for a in _dims(axis, len(shape))])) if shape else 1
    # std over a single value is 0, where PyTorch's gradient is nan (ours is 0).
    run_all_checks(_reduction_case(name, shape, axis, keepdims, torch_ok=name != "std" or count > 1))


@settings(max_examples=15, deadline=None)
@given(shape_axes=shapes_and_axes())
def test_cumsum_hypothesis(shape_axes):
    shape, axes = shape_axes
    axis = axes[0] if isinstance(axes, tuple) else axes
    run_all_checks(OpCase(f"cumsum{shape}_{axis}", ops.cumsum, [Arg(shape), axis], numpy_fn=np.cumsum,
                          torch_fn=_cumsum_torch))


@settings(max_examples=15, deadline=None)
@given(shape_axes=shapes_and_axes(), keepdims=st.booleans(), name=st.sampled_from(["argmax", "argmin"]))
def test_argmax_argmin_hypothesis(shape_axes, keepdims, name):
    shape, axes = shape_axes
    axis = axes[0] if isinstance(axes, tuple) else axes
    run_all_checks(_arg_case(name, shape, axis, keepdims))


# ------------------------------------------------------------------------------- direct tests
def _torch_grad(fn, x, weights):
    t = torch.tensor(x, requires_grad=True)
    (fn(t) * torch.tensor(weights)).sum().backward()
    return t.grad.numpy()


def test_max_ties_split_the_gradient_evenly():
    x = Tensor(np.array([[2.0, 2.0, 1.0, 2.0], [0.0, 5.0, 5.0, -1.0]]), requires_grad=True)
    ops.max(x, axis=1).backward(np.array([3.0, 1.0]))
    expected = np.array([[1.0, 1.0, 0.0, 1.0], [0.0, 0.5, 0.5, 0.0]])
    np.testing.assert_allclose(x.grad, expected)
    np.testing.assert_allclose(
        x.grad, _torch_grad(lambda t: torch.amax(t, dim=1), x.numpy(), np.array([3.0, 1.0])))


def test_min_ties_over_all_axes_match_torch_amin():
    values = np.array([[1.0, 4.0, 1.0], [1.0, 3.0, 2.0]])
    x = Tensor(values, requires_grad=True)
    ops.min(x).backward()
    np.testing.assert_allclose(x.grad, np.where(values == 1.0, 1.0 / 3.0, 0.0))
    np.testing.assert_allclose(x.grad, _torch_grad(torch.amin, values, np.array(1.0)))


def test_prod_gradient_with_zeros_is_the_product_of_the_others():
    values = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    x = Tensor(values, requires_grad=True)
    ops.prod(x, axis=1).sum().backward()
    others = np.array([[np.prod(np.delete(row, i)) for i in range(3)] for row in values])
    np.testing.assert_array_equal(x.grad, others)
    assert np.all(np.isfinite(x.grad))
    assert x.grad[0, 1] == 6.0 and not x.grad[1].any()


def test_logsumexp_is_stable_for_large_inputs():
    values = np.array([1000.0, 1000.0, -1000.0], dtype=np.float32)
    x = Tensor(values, requires_grad=True)
    out = ops.logsumexp(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.item(), 1000.0 + np.log(2.0), rtol=1e-6)
    out.backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5, 0.0], atol=1e-7)
    assert ops.logsumexp(Tensor(np.array([-np.inf, -np.inf]))).item() == -np.inf


def test_argmax_returns_integer_tensor_without_gradient():
    x = Tensor(np.array([[0.1, 0.9, 0.3], [0.7, 0.2, 0.7]]), requires_grad=True)
    index = ops.argmax(x, axis=1)
    assert index.dtype.kind == "i" and not index.requires_grad
    np.testing.assert_array_equal(index.numpy(), [1, 0])
    assert ops.argmin(x).item() == 0 and ops.argmin(x, axis=1).tolist() == [0, 1]
    assert ops.argmax(x, axis=-1, keepdims=True).shape == (2, 1)


def test_var_and_std_are_population_statistics():
    values = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]])
    np.testing.assert_allclose(ops.var(Tensor(values), axis=1).numpy(), [1.25, 0.0])
    x = Tensor(values, requires_grad=True)
    ops.std(x, axis=1).sum().backward()
    assert np.all(np.isfinite(x.grad)) and not x.grad[1].any()


def test_tensor_methods_call_the_reductions():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.max(axis=0).tolist() == [3.0, 4.0, 5.0]
    assert x.min().item() == 0.0
    assert x.prod(axis=1).tolist() == [0.0, 60.0]
    assert x.var().item() == pytest.approx(np.var(np.arange(6.0)))
    assert x.std(axis=1, keepdims=True).shape == (2, 1)
    assert x.argmax().item() == 5


def test_zero_d_tensor_accepts_axis_zero():
    x = Tensor(np.array(3.0), requires_grad=True)
    for fn in (ops.sum, ops.mean, ops.max, ops.prod, ops.logsumexp):
        out = fn(x, axis=0)
        assert out.shape == () and out.item() == pytest.approx(3.0)
    ops.sum(x, axis=-1).backward()
    assert x.grad == 1.0


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: ops.sum(Tensor(np.zeros((3, 4))), axis=2), ValueError,
     r"sum: axis 2 is out of range for a tensor with 2 dimensions"),
    (lambda: ops.var(Tensor(np.zeros((3, 4))), axis=(0, -2)), ValueError, r"var: repeated axis"),
    (lambda: ops.max(Tensor(np.zeros((0, 3))), axis=0), ValueError,
     r"max: cannot reduce over zero elements \(input shape \(0, 3\), axis 0\)"),
    (lambda: ops.logsumexp(Tensor(np.zeros((2, 0))), axis=1), ValueError,
     r"logsumexp: cannot reduce over zero elements \(input shape \(2, 0\)"),
    (lambda: ops.argmax(Tensor(np.zeros((3, 4))), axis=(0, 1)), TypeError,
     r"argmax: axis must be an int or None"),
    (lambda: ops.argmin(Tensor(np.zeros((0,)))), ValueError, r"argmin: the input of shape \(0,\)"),
    (lambda: ops.mean(Tensor(np.zeros(3)), axis=1.5), TypeError, r"mean: axis must be an int"),
    (lambda: ops.cumsum(Tensor(np.zeros((2, 3))), axis=(0, 1)), TypeError, r"cumsum: axis must be"),
    (lambda: ops.min(Tensor(np.array(1.0)), axis=1), ValueError,
     r"min: axis 1 is out of range for a 0-d tensor"),
])
def test_errors_name_the_op(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
