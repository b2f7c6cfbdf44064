"""Indexing ops (getitem, take, take_along_axis, one_hot) through the op harness, plus the
scatter-with-accumulation backward, random basic slicing (Hypothesis) and error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import scratchdl.ops.indexing as indexing_module
from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests, run_all_checks


def _torch_by_positions(t, index):
    """PyTorch reference for any NumPy index (negative steps included, which torch slicing lacks).

    NumPy only maps the index to flat element positions; PyTorch does the gather and its
    accumulating backward.
    """
    positions = np.array(np.arange(t.numel()).reshape(tuple(t.shape))[index], order="C")
    return t.reshape(-1)[torch.from_numpy(positions)]


def _getitem_case(name, shape, index):
    return OpCase(
        f"getitem_{name}", lambda x: ops.getitem(x, index), [Arg(shape)],
        numpy_fn=lambda x: x[index], torch_fn=lambda t: _torch_by_positions(t, index),
    )


REPEATED = np.array([0, 0, 2, 0])

GETITEM_CASES = [
    # basic indexing: ints, slices with steps, negative steps, None, Ellipsis
    OpCase("getitem_int", lambda x: x[1], [Arg((3, 4))], numpy_fn=lambda x: x[1],
           torch_fn=lambda t: t[1]),
    OpCase("getitem_negative_ints_scalar", lambda x: x[-1, -2], [Arg((3, 4))],
           numpy_fn=lambda x: x[-1, -2], torch_fn=lambda t: t[-1, -2]),
    OpCase("getitem_step_slice", lambda x: x[1:6:2, ::3], [Arg((7, 5))],
           numpy_fn=lambda x: x[1:6:2, ::3], torch_fn=lambda t: t[1:6:2, ::3]),
    OpCase("getitem_ellipsis_none", lambda x: x[..., None, 1], [Arg((2, 3, 4))],
           numpy_fn=lambda x: x[..., None, 1], torch_fn=lambda t: t[..., None, 1]),
    OpCase("getitem_none_ellipsis_step", lambda x: x[None, ..., ::2], [Arg((2, 3, 5))],
           numpy_fn=lambda x: x[None, ..., ::2], torch_fn=lambda t: t[None, ..., ::2]),
    _getitem_case("negative_steps", (5, 6), (slice(None, None, -1), slice(4, 0, -2))),
    _getitem_case("negative_step_ellipsis", (2, 3, 7), (Ellipsis, slice(-2, None, -3))),
    # advanced indexing: integer arrays (repeated), several arrays broadcasting, lists, masks
    OpCase("getitem_repeated_ints", lambda x, i: x[i], [Arg((3, 4)), REPEATED],
           numpy_fn=lambda x, i: x[i], torch_fn=lambda t, i: t[i]),
    OpCase("getitem_list", lambda x: x[[2, 0, 2]], [Arg((3, 4))],
           numpy_fn=lambda x: x[[2, 0, 2]], torch_fn=lambda t: t[[2, 0, 2]]),
    OpCase("getitem_broadcast_arrays", lambda x, i, j: x[i, j],
           [Arg((3, 4)), np.array([[0], [2], [2]]), np.array([1, 1, 3])],
           numpy_fn=lambda x, i, j: x[i, j], torch_fn=lambda t, i, j: t[i, j]),
    OpCase("getitem_arrays_split_by_slice", lambda x, i, j: x[i, :, j],
           [Arg((2, 3, 4)), np.array([0, 1, 1]), np.array([2, 2, 0])],
           numpy_fn=lambda x, i, j: x[i, :, j], torch_fn=lambda t, i, j: t[i, :, j]),
    OpCase("getitem_slice_then_array", lambda x, i: x[:, i], [Arg((3, 4, 2)), np.array([1, 1, 0])],
           numpy_fn=lambda x, i: x[:, i], torch_fn=lambda t, i: t[:, i]),
    OpCase("getitem_negative_int_array", lambda x, i: x[1:, i], [Arg((3, 5)), np.array([-1, -1, 0])],
           numpy_fn=lambda x, i: x[1:, i], torch_fn=lambda t, i: t[1:, i]),
    OpCase("getitem_mask", lambda x, m: x[m], [Arg((3, 4)), Arg((3, 4), kind="bool")],
           numpy_fn=lambda x, m: x[m], torch_fn=lambda t, m: t[m]),
    OpCase("getitem_row_mask_and_slice", lambda x, m: x[m, 1:],
           [Arg((3, 4)), np.array([True, False, True])],
           numpy_fn=lambda x, m: x[m, 1:], torch_fn=lambda t, m: t[m, 1:]),
    OpCase("getitem_ellipsis_mask", lambda x, m: x[..., m], [Arg((2, 3, 4)), np.array([True, False, False, True])],
           numpy_fn=lambda x, m: x[..., m], torch_fn=lambda t, m: t[..., m]),
]

TAKE_CASES = [
    OpCase("take_flat", lambda x, i: ops.take(x, i), [Arg((3, 4)), np.array([[0, 11], [5, 5]])],
           numpy_fn=np.take, torch_fn=torch.take),
    OpCase("take_axis0_embedding", lambda x, i: ops.take(x, i, axis=0),
           [Arg((5, 3)), np.array([[4, 0, 4], [1, 4, 4]])],
           numpy_fn=lambda x, i: np.take(x, i, axis=0),
           torch_fn=lambda t, i: torch.index_select(t, 0, i.reshape(-1)).reshape(2, 3, 3)),
    OpCase("take_axis1_negative", lambda x, i: ops.take(x, i, axis=1),
           [Arg((2, 4, 3)), np.array([-1, 0, -1])],
           numpy_fn=lambda x, i: np.take(x, i, axis=1),
           torch_fn=lambda t, i: torch.index_select(t, 1, torch.where(i < 0, i + 4, i))),
    OpCase("take_last_axis_2d_indices", lambda x, i: ops.take(x, i, axis=-1),
           [Arg((2, 3, 4)), np.array([[3, 3], [0, 2]])],
           numpy_fn=lambda x, i: np.take(x, i, axis=-1),
           torch_fn=lambda t, i: torch.index_select(t, 2, i.reshape(-1)).reshape(2, 3, 2, 2)),
    OpCase("take_scalar_index", lambda x: ops.take(x, 2, axis=0), [Arg((4, 3))],
           numpy_fn=lambda x: np.take(x, 2, axis=0), torch_fn=lambda t: t[2]),
    OpCase("take_along_axis_last", lambda x, i: ops.take_along_axis(x, i, axis=1),
           [Arg((3, 5)), np.array([[4, 4], [0, 1], [2, 2]])],
           numpy_fn=lambda x, i: np.take_along_axis(x, i, axis=1),
           torch_fn=lambda t, i: torch.take_along_dim(t, i, dim=1)),
    OpCase("take_along_axis_broadcast", lambda x, i: ops.take_along_axis(x, i, axis=0),
           [Arg((4, 3)), np.array([[1], [1], [3]])],
           numpy_fn=lambda x, i: np.take_along_axis(x, i, axis=0),
           torch_fn=lambda t, i: torch.take_along_dim(t, i, dim=0)),
    OpCase("take_along_axis_3d_middle", lambda x, i: ops.take_along_axis(x, i, axis=-2),
           [Arg((2, 4, 3)), np.array([[[0, 3, 3]], [[2, 2, 1]]])],
           numpy_fn=lambda x, i: np.take_along_axis(x, i, axis=-2),
           torch_fn=lambda t, i: torch.take_along_dim(t, i, dim=-2)),
    OpCase("take_along_axis_flat", lambda x, i: ops.take_along_axis(x, i, axis=None),
           [Arg((3, 4)), np.array([7, 0, 7, 11])],
           numpy_fn=lambda x, i: np.take_along_axis(x, i, axis=None),
           torch_fn=lambda t, i: torch.take_along_dim(t, i)),
    OpCase("one_hot", lambda i: ops.one_hot(i, 5), [Arg((3, 4), 0, 5, kind="int")],
           numpy_fn=lambda i: np.eye(5)[i],
           torch_fn=lambda i: torch.nn.functional.one_hot(i, 5).double(), differentiable=False),
    OpCase("one_hot_axis0", lambda i: ops.one_hot(i, 3, axis=0), [Arg((4,), 0, 3, kind="int")],
           numpy_fn=lambda i: np.eye(3)[i].T,
           torch_fn=lambda i: torch.nn.functional.one_hot(i, 3).T.double(), differentiable=False),
]

test_getitem = op_tests(GETITEM_CASES)
test_take = op_tests(TAKE_CASES)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_random_basic_slicing(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5), label="shape")
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True), label="index")
    run_all_checks(_getitem_case(f"hypothesis_{shape}_{index}", shape, index))


# --------------------------------------------------------------------------- accumulation
def test_repeated_indices_accumulate_counts():
    x = Tensor(np.zeros((4, 2)), requires_grad=True)
    x[[0, 0, 3, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad, [[3, 3], [1, 1], [0, 0], [1, 1]])


def test_repeated_index_pairs_accumulate():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    rows, cols = np.array([1, 1, 0, 1]), np.array([2, 2, 0, 2])
    x[rows, cols].sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 0], [0, 0, 3]])


def test_take_accumulates_counts_along_axis():
    x = Tensor(np.zeros((3, 2)), requires_grad=True)
    ops.take(x, np.array([[2, 2], [0, 2]]), axis=0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 1], [0, 0], [3, 3]])
    y = Tensor(np.zeros(5), requires_grad=True)
    ops.take(y, [4, -1, 0]).sum().backward()
    np.testing.assert_array_equal(y.grad, [1, 0, 0, 0, 2])


def test_take_along_axis_accumulates_counts():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    ops.take_along_axis(x, np.array([[1, 1, 1], [0, 2, 0]]), axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 3, 0], [2, 0, 1]])


def test_scatter_add_only_where_indices_can_repeat(monkeypatch):
    calls = []
    real = indexing_module._scatter_add
    monkeypatch.setattr(indexing_module, "_scatter_add", lambda *a: calls.append(1) or real(*a))
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    for basic in [np.s_[::-1, 1::2], np.s_[None, ..., 2], np.s_[1], np.s_[x.data > 4]]:
        x.grad = None
        x[basic].sum().backward()
    assert calls == []
    x[[0, 0]].sum().backward()
    assert calls == [1]


# --------------------------------------------------------------------------- index conversion
def test_tensor_indices_become_arrays():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    index = Tensor(np.array([2, 2, 0]))
    out = x[index, Tensor(np.array(1))]
    np.testing.assert_array_equal(out.data, [9.0, 9.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad[:, 1], [1, 0, 2])


def test_bool_tensor_is_a_mask():
    x = Tensor(np.array([[-1.0, 2.0], [3.0, -4.0]]), requires_grad=True)
    positive = x[x > 0]
    np.testing.assert_array_equal(positive.data, [2.0, 3.0])
    (positive * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 2], [2, 0]])


def test_getitem_keeps_float32_and_empty_list_index():
    x = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    out = x[1:, 0]
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert x[[]].shape == (0, 2)


def test_iterating_a_tensor_uses_getitem():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    total = None
    for row in x:
        total = row.sum() if total is None else total + row.sum() * 2.0
    total.backward()
    np.testing.assert_array_equal(x.grad, [[1, 1], [2, 2], [2, 2]])


# --------------------------------------------------------------------------- one_hot
def test_one_hot_defaults_to_floatx_and_is_not_differentiable():
    encoded = ops.one_hot(Tensor(np.array([1, 0, 2])), 3)
    assert encoded.dtype == np.float32
    assert not encoded.requires_grad
    np.testing.assert_array_equal(encoded.data, np.eye(3)[[1, 0, 2]])
    assert ops.one_hot([[0], [1]], 2, dtype="int32").dtype == np.int32


def test_one_hot_accepts_whole_float_labels():
    np.testing.assert_array_equal(ops.one_hot(np.array([2.0, 0.0]), 3).data, [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="one_hot: float labels must hold whole numbers"):
        ops.one_hot(np.array([0.5]), 3)


@pytest.mark.parametrize("labels, bad", [([0, 3, 1], 3), ([-1, 0], -1)])
def test_one_hot_out_of_range_labels(labels, bad):
    with pytest.raises(ValueError, match=rf"one_hot: label {bad} is out of range for num_classes=3"):
        ops.one_hot(np.array(labels), 3)


def test_one_hot_bad_num_classes():
    with pytest.raises(ValueError, match="one_hot: num_classes must be a positive integer"):
        ops.one_hot([0], 0)


# --------------------------------------------------------------------------- errors
def test_getitem_out_of_bounds_names_op_and_shape():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds.*tensor of shape \(3, 4\)"):
        x[5]
    with pytest.raises(IndexError, match=r"getitem: .*boolean.*tensor of shape \(3, 4\)"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match=r"getitem: shape mismatch.*tensor of shape \(3, 4\)"):
        x[np.array([0, 1]), np.array([0, 1, 2])]


def test_getitem_rejects_float_indices():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(TypeError, match="getitem: indices must be integers or booleans, got .* float"):
        x[Tensor(np.array([0.0, 1.0]))]
    with pytest.raises(TypeError, match="getitem: unsupported index item 1.5"):
        x[1.5]


def test_take_errors():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"take: index 4 is out of bounds.*axis 1 of a tensor of shape \(3, 4\)"):
        ops.take(x, [0, 4], axis=1)
    with pytest.raises(ValueError, match="take: axis 2 is out of range"):
        ops.take(x, [0], axis=2)
    with pytest.raises(TypeError, match="take: indices must be integers"):
        ops.take(x, np.array([True, False, True]))


def test_take_along_axis_errors():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"take_along_axis: indices must have the tensor's 2 dimensions, got indices of shape \(2,\)"):
        ops.take_along_axis(x, np.array([0, 1]), axis=1)
    with pytest.raises(IndexError, match=r"take_along_axis: .*out of bounds.*tensor of shape \(3, 4\)"):
        ops.take_along_axis(x, np.array([[0], [9], [1]]), axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("vocab, tokens", [(5, 300), (65, 2048), (1000, 400)])
def test_take_rows_gradient_equals_add_at(dtype, vocab, tokens) -> None:
    """take along axis 0 (an embedding lookup) sums its gradient rows per index with
    ``sum_rows_by_index`` (a sparse product for 5 and 65 rows, sorted runs for 1000 rows read
    400 times); the result equals np.add.at's, negative indices included."""
    rng = np.random.default_rng(0)
    weights = Tensor(rng.standard_normal((vocab, 3, 4)).astype(dtype), requires_grad=True)
    indices = rng.integers(-vocab, vocab, (tokens // 4, 4))
    upstream = rng.standard_normal((tokens // 4, 4, 3, 4)).astype(dtype)
    (ops.take(weights, indices, axis=0) * Tensor(upstream)).sum().backward()
    expected = np.zeros((vocab, 3, 4), dtype=dtype)
    np.add.at(expected, indices.reshape(-1) % vocab, upstream.reshape(-1, 3, 4))
    assert weights.grad.dtype == dtype
    tolerance = 1e-5 if dtype == np.float32 else 1e-12  # the sums' rounding order may differ
    np.testing.assert_allclose(weights.grad, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lead, count, n", [
    ((), 65, 2048), ((4,), 65, 512),  # at least as many rows as results: the sparse product
    ((), 1000, 400), ((2,), 600, 300),  # more results than rows: sorted runs
    ((4,), 7, 30), ((2, 3), 1, 5),  # few rows: add.at
])
def test_sum_rows_by_index_equals_add_at(dtype, lead, count, n) -> None:
    """The per-index row sums (a row lookup's gradient) equal np.add.at's in each of the
    helper's three ways, for every leading block; rows no index reads stay zero."""
    rng = np.random.default_rng(1)
    rows = rng.standard_normal((*lead, n, 6)).astype(dtype)
    index = rng.integers(0, max(count - 1, 1), n)  # the last row is never read (count > 1)
    sums = indexing_module.sum_rows_by_index(rows, index, count)
    expected = np.zeros((*lead, count, 6), dtype=dtype)
    np.add.at(expected, (..., index, slice(None)), rows)
    assert sums.shape == expected.shape and sums.dtype == dtype
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(sums, expected, rtol=tolerance, atol=tolerance)
    if count > 1:
        assert not np.any(sums[..., -1, :])
