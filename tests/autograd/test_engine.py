"""The backward engine: ordering, accumulation, freeing, modes and errors."""

import gc
import weakref

import numpy as np
import pytest

from scratchdl import Function, Tensor, enable_grad, no_grad, ops
from scratchdl.autograd import engine
from scratchdl.autograd.engine import sum_to


def test_deep_chain_of_100000_ops_runs_without_recursion():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 0.0 if False else y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_diamond_graph_accumulates_both_paths():
    x = Tensor(np.array(3.0), requires_grad=True)
    a = x * 2.0
    b = x * x
    y = a + b  # dy/dx = 2 + 2x
    y.backward()
    assert x.grad == pytest.approx(8.0)


def test_tensor_reused_many_times_gets_summed_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * x * x  # 3x^2
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 12.0])


def test_generation_order_waits_for_every_consumer():
    # z uses t through a long and a short path; t's creator must run only after both arrive.
    x = Tensor(np.array(2.0), requires_grad=True)
    t = x * 3.0
    long = t
    for _ in range(5):
        long = long * 1.0
    z = long + t
    z.backward()
    assert x.grad == pytest.approx(6.0)


def test_gradients_accumulate_across_backward_calls_until_cleared():
    x = Tensor(np.array([1.0]), requires_grad=True)
    (x * 2.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [5.0])
    x.zero_grad()
    assert x.grad is None


def test_leaf_gradients_never_share_memory():
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).backward(np.ones(3))
    a.grad *= 10  # must not change b's gradient
    np.testing.assert_array_equal(b.grad, np.ones(3))


def test_broadcast_gradient_is_reduced_to_input_shape():
    a = Tensor(np.ones((2, 1, 3)), requires_grad=True)
    b = Tensor(np.ones((4, 1)), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1)
    np.testing.assert_allclose(a.grad, np.full((2, 1, 3), 4.0))
    np.testing.assert_allclose(b.grad, np.full((4, 1), 6.0))


def test_sum_to_reduces_leading_and_stretched_axes():
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_allclose(sum_to(g, (3, 1)), g.sum(axis=(0, 2)).reshape(3, 1))
    np.testing.assert_allclose(sum_to(g, ()), g.sum())
    assert sum_to(g, (2, 3, 4)) is g


@pytest.mark.parametrize("shape, target", [
    ((64, 9, 7, 8), (8,)), ((64, 9, 7, 8), (1, 1, 1, 8)), ((5, 3), (1, 3)), ((5, 3), ()),
    ((2, 3, 4), (3, 4)), ((0, 4), (4,)), ((6, 1, 4), (1, 1, 4)),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sum_to_leading_axes_fast_path_equals_the_plain_sum(shape, target, dtype, monkeypatch):
    """Reductions over leading axes run as ones @ matrix; they must equal numpy's sum."""
    monkeypatch.setattr(engine, "SUM_LEADING_MIN_SIZE", 1)  # every case through the fast path
    g = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    leading = len(shape) - len(target)
    axes = tuple(range(leading)) + tuple(
        leading + i for i, size in enumerate(target) if size == 1 and shape[leading + i] != 1)
    expected = g.astype(np.float64).sum(axis=axes, keepdims=True).reshape(target)
    result = sum_to(g, target)
    assert result.shape == target and result.dtype == g.dtype
    np.testing.assert_allclose(result, expected, rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=1e-4 if dtype == "float32" else 1e-12)
    # Non-contiguous and integer gradients take the plain path and agree too.
    view = np.asfortranarray(g)
    np.testing.assert_allclose(sum_to(view, target), expected, rtol=1e-5, atol=1e-4)
    ints = np.arange(int(np.prod(shape))).reshape(shape)
    monkeypatch.setattr(engine, "SUM_LEADING_MIN_SIZE", 1 << 16)
    np.testing.assert_array_equal(sum_to(ints, target), ints.sum(axis=axes, keepdims=True).reshape(target))


@pytest.mark.parametrize("rows", [3, 1 << 14])  # the plain sum and the matrix-vector product
def test_sum_to_over_leading_axes_returns_an_array_that_owns_its_memory(rows):
    """A bias's gradient: no reshaped view, which the engine would copy again for .grad."""
    total = sum_to(np.ones((rows, 4), dtype=np.float32), (4,))
    assert total.flags.owndata and total.shape == (4,)
    np.testing.assert_array_equal(total, np.full(4, rows, dtype=np.float32))


def test_intermediate_gradients_are_not_kept_unless_retained():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    hidden = x * 2.0
    kept = (x * 3.0).retain_grad()
    (hidden * kept).sum().backward()
    assert hidden.grad is None
    np.testing.assert_allclose(kept.grad, hidden.data)


def test_root_retain_grad_keeps_seed():
    x = Tensor(np.array(2.0), requires_grad=True)
    y = (x * x).retain_grad()
    y.backward()
    assert y.grad == 1.0


def test_graph_is_freed_and_second_walk_raises_clearly():
    x = Tensor(np.array(2.0), requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor(np.array(2.0), requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == pytest.approx(8.0)


def test_backward_frees_saved_arrays():
    x = Tensor(np.ones(1000), requires_grad=True)
    y = x * x
    creator = y.creator
    assert creator.saved
    y.sum().backward()
    assert creator.saved == () and creator.inputs is None


def test_graph_is_released_by_reference_counting():
    x = Tensor(np.ones(10), requires_grad=True)
    y = (x * 2.0) * 3.0
    ref = weakref.ref(y.creator)
    del y
    gc.disable()
    try:
        assert ref() is None  # no reference cycles: freed without the garbage collector
    finally:
        gc.enable()


def test_no_grad_records_nothing_and_enable_grad_reenables():
    x = Tensor(np.array([1.0]), requires_grad=True)
    with no_grad():
        y = x * 2.0
        with enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y.creator is None
    assert z.requires_grad and z.creator is not None


def test_constants_do_not_require_grad():
    x = Tensor(np.array([1.0]))
    y = x * 2.0
    assert not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_non_scalar_backward_without_gradient_raises():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*one-element"):
        (x * 2.0).backward()


def test_backward_gradient_shape_is_checked():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient shape \(2,\) does not match the tensor shape \(3,\)"):
        (x * 2.0).backward(np.ones(2))


def test_detach_cuts_the_graph():
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = (x * x).detach() * x
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [4.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved_through_forward_and_backward(dtype):
    x = Tensor(np.ones((2, 3), dtype=dtype), requires_grad=True)
    w = Tensor(np.ones((3,), dtype=dtype), requires_grad=True)
    y = ((x * w) / 3.0 - 1.0) ** 2
    assert y.dtype == dtype
    y.sum().backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_multi_output_function_with_unused_output():
    class SplitHalves(Function):
        def forward(self, x):
            return x[:2].copy(), x[2:].copy()

        def backward(self, grad_first, grad_second):
            return np.concatenate([grad_first, grad_second])

    x = Tensor(np.arange(4.0), requires_grad=True)
    first, _ = SplitHalves()(x)
    (first * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0, 0.0, 0.0])


def test_backward_returning_wrong_count_is_reported():
    class Broken(Function):
        def forward(self, x, y):
            return x + y

        def backward(self, grad):
            return (grad,)

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="Broken.backward returned 1 gradients for 2 inputs"):
        Broken()(x, x).sum().backward()


def test_ops_accept_arrays_and_scalars_as_constants():
    x = Tensor(np.ones(3), requires_grad=True)
    y = ops.add(np.arange(3.0), x) * 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0, 2.0])


def test_function_call_records_what_backward_needs_for_every_kind_of_input():
    """One recorded call: which inputs need a gradient (a tensor requiring grad, a constant
    tensor, an array, a Python scalar, a list), the generation after its inputs' creators, the
    output linked to the function; an integer output is a plain tensor; under no_grad nothing
    is recorded, for one output and for several."""
    class Combine(Function):
        def forward(self, a, b, c, d, e):
            return a * b + c + d + np.asarray(e).sum()

        def backward(self, grad):
            return grad, None, None, None, None

    class ArgMaxAndMax(Function):
        def forward(self, x):
            return x.argmax(keepdims=True), x.max(keepdims=True)

    x = Tensor(np.arange(3.0), requires_grad=True)
    y = x * 2.0  # generation 1
    function = Combine()
    out = function(y, Tensor(np.ones(3)), np.ones(3), 2.0, [1.0, 2.0])
    assert out.creator is function and out.requires_grad
    assert function.needs_input_grad == (True, False, False, False, False)
    assert function.generation == y.creator.generation + 1
    assert function.output_meta == (((3,), np.dtype("float64")),)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0, 2.0])

    index, value = ArgMaxAndMax()(x)
    assert index.creator is None and not index.requires_grad and index.dtype.kind == "i"
    assert value.creator is not None
    with no_grad():
        single = Combine()(x, x, x, x, [0.0])
        pair = ArgMaxAndMax()(x)
    assert single.creator is None and not single.requires_grad
    assert isinstance(pair, tuple) and all(t.creator is None for t in pair)
