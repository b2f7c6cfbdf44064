"""Shape ops through the op harness (NumPy and PyTorch references), Hypothesis-generated shapes for
reshape/transpose/broadcast_to, and error messages."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests, run_all_checks


def _case(name, fn, args, numpy_fn, torch_fn, **kwargs):
    """An OpCase; a tuple in ``args`` that is not wrapped in Arg is a constant (a shape, axes)."""
    return OpCase(name, fn, args, numpy_fn=numpy_fn, torch_fn=torch_fn, **kwargs)


# ------------------------------------------------------------------------------- references
def _torch_transpose(x, axes=None):
    return x.permute(tuple(range(x.ndim))[::-1] if axes is None else axes)


def _torch_expand_dims(x, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    out_ndim = x.ndim + len(axes)
    for position in sorted(a % out_ndim for a in axes):
        x = x.unsqueeze(position)
    return x


def _torch_squeeze(x, axis=None):
    return torch.squeeze(x) if axis is None else torch.squeeze(x, dim=axis)


def _torch_split(x, indices_or_sections, axis=0):
    return torch.tensor_split(x, indices_or_sections, dim=axis)


def _torch_repeat(x, repeats, axis=None):
    if not isinstance(repeats, int):
        repeats = torch.tensor(repeats)
    return torch.repeat_interleave(x, repeats, dim=axis)


def _torch_pad(pad_width, mode="constant", value=0.0, trailing=None):
    """F.pad for a NumPy-style per-axis ``pad_width``: F.pad lists the last axis first, and its
    'reflect'/'replicate' modes pad only the ``trailing`` last axes."""

    def reference(x):
        pairs = pad_width[-trailing:] if trailing else pad_width
        flat = [p for pair in reversed(pairs) for p in pair]
        if mode == "constant":
            return F.pad(x, flat, mode="constant", value=value)
        return F.pad(x, flat, mode=mode)

    return reference


def _torch_tile(x, repeats):
    return torch.tile(x, (repeats,) if isinstance(repeats, int) else repeats)


def _torch_flip(x, axis=None):
    if axis is None:
        axis = tuple(range(x.ndim))
    return torch.flip(x, dims=(axis,) if isinstance(axis, int) else axis)


# ------------------------------------------------------------------------------- cases
RESHAPES = [((3, 4), (2, 6)), ((2, 3, 4), (4, -1)), ((6,), (1, 2, 3, 1)), ((), (1, 1)),
            ((1,), ()), ((5, 7), (-1,)), ((2, 3, 5), (5, 3, 2))]
TRANSPOSES = [((3, 4), None), ((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (-1, 0, 1)), ((2, 3, 4, 5), None),
              ((7,), None), ((), None)]
MOVEAXES = [((2, 3, 4), 0, -1), ((2, 3, 4), -1, 0), ((2, 3, 4, 5), (0, 1), (3, 0)), ((2, 3), 1, 1)]
EXPANDS = [((3, 4), 0), ((3, 4), -1), ((3, 4), (0, 3)), ((), 0), ((5,), (-1, 0))]
SQUEEZES = [((1, 3, 1, 4), None), ((1, 3, 1, 4), 0), ((1, 3, 1, 4), (0, 2)), ((1, 3, 1, 4), -2),
            ((3, 4), None)]
BROADCASTS = [((3,), (4, 3)), ((3, 1), (2, 3, 5)), ((), (2, 2)), ((1, 4), (1, 4)),
              ((5, 1, 1), (5, 2, 3))]
TILES = [((2, 3), (2, 1)), ((2, 3), 3), ((3,), (2, 2)), ((2, 3), (1, 2, 2)), ((2, 1, 3), (2,)),
         ((), (3,))]
REPEATS = [((3, 4), 2, None), ((3, 4), 3, 1), ((3, 4), [1, 0, 2], 0), ((2, 5), [2, 1, 0, 3, 1], -1),
           ((4,), [3], 0), ((2, 3), [2, 2, 2, 2, 2, 2], None)]
SPLITS = [((6, 4), 3, 0), ((2, 5), [1, 3], 1), ((3, 5), [2, 2, 7], -1), ((4, 3), 1, 0),
          ((2, 6, 2), 2, 1)]
FLIPS = [((3, 4), None), ((3, 4), 0), ((2, 3, 4), (0, 2)), ((5,), -1)]

def _unary_cases(op, table, numpy_fn, torch_fn):
    """One case per row ``(input shape, *constant arguments)`` of ``table``."""
    return [
        _case(f"{op.__name__}{row[0]}_{'_'.join(map(str, row[1:]))}", op, [Arg(row[0]), *row[1:]],
              numpy_fn, torch_fn)
        for row in table
    ]


def _pad_case(name, shape, pad_width, torch_fn=None, **kwargs):
    return _case(f"pad_{name}", lambda x: ops.pad(x, pad_width, **kwargs), [Arg(shape)],
                 lambda x: np.pad(x, pad_width, **kwargs), torch_fn)


def _joined(name, op, np_op, torch_op, shapes, **kwargs):
    """concatenate/stack of len(shapes) differentiated inputs."""
    return _case(name, lambda *xs: op(list(xs), **kwargs), [Arg(s) for s in shapes],
                 lambda *xs: np_op(list(xs), **kwargs),
                 lambda *xs: torch_op(list(xs), **({"dim": kwargs["axis"]} if kwargs else {})))


CASES = [
    *_unary_cases(ops.reshape, RESHAPES, np.reshape, torch.reshape),
    *_unary_cases(ops.transpose, TRANSPOSES, np.transpose, _torch_transpose),
    *_unary_cases(ops.moveaxis, MOVEAXES, np.moveaxis, torch.movedim),
    *_unary_cases(ops.expand_dims, EXPANDS, np.expand_dims, _torch_expand_dims),
    *_unary_cases(ops.squeeze, SQUEEZES, np.squeeze, _torch_squeeze),
    *_unary_cases(ops.broadcast_to, BROADCASTS, np.broadcast_to, torch.broadcast_to),
    *_unary_cases(ops.tile, TILES, np.tile, _torch_tile),
    *_unary_cases(ops.repeat, REPEATS, np.repeat, _torch_repeat),
    *_unary_cases(ops.split, SPLITS, np.split, _torch_split),
    *_unary_cases(ops.flip, FLIPS, np.flip, _torch_flip),
    _case("split_one_part_used", lambda x: ops.split(x, 3, axis=1)[1], [Arg((2, 6))],
          lambda x: np.split(x, 3, axis=1)[1], lambda x: torch.tensor_split(x, 3, dim=1)[1]),
    _joined("concatenate_axis0", ops.concatenate, np.concatenate, torch.cat,
            [(2, 3), (1, 3), (4, 3)]),
    _joined("concatenate_axis1", ops.concatenate, np.concatenate, torch.cat,
            [(2, 3, 4), (2, 5, 4)], axis=1),
    _joined("concatenate_single", ops.concatenate, np.concatenate, torch.cat, [(3,)]),
    _case("concatenate_axis_neg1_constant", lambda a, b: ops.concatenate([a, b], axis=-1),
          [Arg((3, 2)), Arg((3, 5), grad=False)], lambda a, b: np.concatenate([a, b], axis=-1),
          lambda a, b: torch.cat([a, b], -1)),
    *[_joined(f"stack_axis{axis}", ops.stack, np.stack, torch.stack, [(2, 3)] * 3, axis=axis)
      for axis in (0, 1, -1, 2)],
    _joined("stack_0d", ops.stack, np.stack, torch.stack, [(), ()]),
    # constant mode: any axes, any widths
    _pad_case("constant_pairs", (3, 4), ((1, 2), (0, 3)), _torch_pad(((1, 2), (0, 3)), value=0.5),
              constant_values=0.5),
    _pad_case("constant_int", (2, 3, 1), 2, _torch_pad(((2, 2),) * 3)),
    _pad_case("constant_before_after", (5,), (1, 3), _torch_pad(((1, 3),))),
    # reflect / edge against PyTorch on the trailing axes it supports
    _pad_case("reflect_2d", (2, 3, 5, 6), ((0, 0), (0, 0), (2, 1), (1, 3)),
              _torch_pad(((2, 1), (1, 3)), mode="reflect", trailing=2), mode="reflect"),
    _pad_case("reflect_1d_widest", (2, 3, 5), ((0, 0), (0, 0), (4, 4)),
              _torch_pad(((4, 4),), mode="reflect", trailing=1), mode="reflect"),
    _pad_case("edge_2d", (2, 3, 4), ((0, 0), (2, 3), (1, 4)),
              _torch_pad(((2, 3), (1, 4)), mode="replicate", trailing=2), mode="edge"),
    # every axis padded (corners included): NumPy forward and the numerical gradient
    *[_pad_case(f"{mode}_all_axes", (3, 4, 5), ((1, 2), (3, 0), (2, 2)), mode=mode)
      for mode in ("reflect", "symmetric", "edge")],
    _pad_case("symmetric_full_width", (3, 3), (3, 2), mode="symmetric"),
    _pad_case("edge_wide", (2, 3), ((7, 0), (1, 9)), mode="edge"),
]

test_shape = op_tests(CASES)


# ------------------------------------------------------------------------------- Hypothesis
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)


@st.composite
def reshape_targets(draw):
    """A shape and a different shape with the same size (its sides regrouped, maybe one -1)."""
    shape = draw(SHAPES)
    factors = draw(st.permutations([f for side in shape for f in _prime_factors(side)]))
    groups, current = [], 1
    for factor in factors:
        current *= factor
        if draw(st.booleans()):
            groups.append(current)
            current = 1
    groups.append(current)
    groups += [1] * draw(st.integers(0, 1))
    groups = draw(st.permutations(groups))
    if groups and draw(st.booleans()):
        groups[draw(st.integers(0, len(groups) - 1))] = -1
    return shape, tuple(groups)


def _prime_factors(n):
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


@st.composite
def permutations_of(draw):
    shape = draw(SHAPES)
    perm = draw(st.permutations(range(len(shape))))
    perm = [a - len(shape) if draw(st.booleans()) else a for a in perm]
    return shape, (None if draw(st.integers(0, 4)) == 0 else tuple(perm))


@st.composite
def broadcast_targets(draw):
    shape = draw(SHAPES)
    target = [draw(st.integers(1, 3)) if side == 1 else side for side in shape]
    leading = draw(st.lists(st.integers(1, 3), max_size=2))
    return shape, tuple(leading + target)


@settings(max_examples=15, deadline=None)
@given(shapes=reshape_targets())
def test_reshape_hypothesis(shapes):
    shape, target = shapes
    run_all_checks(_case(f"reshape{shape}->{target}", ops.reshape, [Arg(shape), target], np.reshape,
                         torch.reshape))


@settings(max_examples=15, deadline=None)
@given(shape_axes=permutations_of())
def test_transpose_hypothesis(shape_axes):
    shape, axes = shape_axes
    run_all_checks(_case(f"transpose{shape}_{axes}", ops.transpose, [Arg(shape), axes],
                         np.transpose, _torch_transpose))


@settings(max_examples=15, deadline=None)
@given(shapes=broadcast_targets())
def test_broadcast_to_hypothesis(shapes):
    shape, target = shapes
    run_all_checks(_case(f"broadcast_to{shape}->{target}", ops.broadcast_to, [Arg(shape), target],
                         np.broadcast_to, torch.broadcast_to))


# ------------------------------------------------------------------------------- direct tests
def test_split_returns_a_tuple_and_unused_parts_get_zero_gradient():
    x = Tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    parts = ops.split(x, [1, 4])
    assert isinstance(parts, tuple) and [p.shape for p in parts] == [(1, 2), (3, 2), (2, 2)]
    (parts[2] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, np.r_[np.zeros((4, 2)), np.full((2, 2), 2.0)])


def test_repeat_with_zero_counts_gives_zero_gradient_to_dropped_elements():
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    out = ops.repeat(x, [2, 0, 3, 0])
    np.testing.assert_array_equal(out.numpy(), [1.0, 1.0, 3.0, 3.0, 3.0])
    out.backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 12.0, 0.0])


def test_pad_reflect_backward_folds_the_mirror_onto_the_interior():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    out = ops.pad(x, (2, 1), mode="reflect")  # [3 2 | 1 2 3 | 2]
    out.backward(np.array([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]))
    np.testing.assert_array_equal(x.grad, [100.0, 101010.0, 10001.0])


def test_broadcast_to_gradient_sums_over_broadcast_axes():
    x = Tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    ops.broadcast_to(x, (3, 2, 4)).sum().backward()
    np.testing.assert_array_equal(x.grad, [[12.0], [12.0]])


def test_tensor_methods_call_the_shape_ops():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert x.T.shape == (3, 2) and x.transpose(1, 0).shape == (3, 2)
    assert x.expand_dims(0).squeeze(0).shape == (2, 3)
    assert x.flatten().shape == (6,)
    (x.T * Tensor(np.arange(6.0).reshape(3, 2))).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(3, 2).T)


@pytest.mark.parametrize(("call", "error", "pattern"), [
    (lambda: ops.reshape(Tensor(np.zeros((3, 4))), (5, 3)), ValueError,
     r"reshape: cannot reshape a tensor of shape \(3, 4\) \(12 elements\) into shape \(5, 3\)"),
    (lambda: ops.reshape(Tensor(np.zeros(12)), (-1, 5)), ValueError,
     r"reshape: cannot reshape a tensor of shape \(12,\) \(12 elements\) into shape \(-1, 5\)"),
    (lambda: ops.reshape(Tensor(np.zeros(12)), (-1, -1)), ValueError, r"reshape: invalid target shape"),
    (lambda: ops.transpose(Tensor(np.zeros((2, 3))), (0, 0)), ValueError,
     r"transpose: axes \(0, 0\) are not a permutation of the 2 axes of a tensor of shape \(2, 3\)"),
    (lambda: ops.moveaxis(Tensor(np.zeros((2, 3))), 2, 0), ValueError,
     r"moveaxis: axis 2 is out of range for a tensor of shape \(2, 3\)"),
    (lambda: ops.moveaxis(Tensor(np.zeros((2, 3))), (0, 1), 0), ValueError,
     r"moveaxis: source \(0, 1\) and destination \(0,\)"),
    (lambda: ops.expand_dims(Tensor(np.zeros((2, 3))), 3), ValueError,
     r"expand_dims: axis 3 is out of range for a result with 3 dimensions \(input shape \(2, 3\)\)"),
    (lambda: ops.squeeze(Tensor(np.zeros((1, 3))), 1), ValueError,
     r"squeeze: cannot squeeze axis 1 of a tensor of shape \(1, 3\): its length is 3, not 1"),
    (lambda: ops.squeeze(Tensor(np.zeros((1, 3))), 2), ValueError, r"squeeze: axis 2 is out of range"),
    (lambda: ops.broadcast_to(Tensor(np.zeros(3)), (4, 2)), ValueError,
     r"broadcast_to: cannot broadcast a tensor of shape \(3,\) to shape \(4, 2\)"),
    (lambda: ops.concatenate([Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4)))]), ValueError,
     r"concatenate: all tensors must have the same shape except along axis 0, got shapes \(2, 3\), \(2, 4\)"),
    (lambda: ops.concatenate([Tensor(np.zeros((2, 3))), Tensor(np.zeros(3))]), ValueError,
     r"concatenate: all tensors must have the same number of dimensions, got shapes \(2, 3\), \(3,\)"),
    (lambda: ops.concatenate([Tensor(np.zeros((2, 3)))], axis=2), ValueError,
     r"concatenate: axis 2 is out of range for a tensor with 2 dimensions"),
    (lambda: ops.concatenate([]), ValueError, r"concatenate: needs at least one tensor"),
    (lambda: ops.stack([Tensor(np.zeros(3)), Tensor(np.zeros(4))]), ValueError,
     r"stack: all tensors must have the same shape, got shapes \(3,\), \(4,\)"),
    (lambda: ops.stack([Tensor(np.zeros(3))], axis=-3), ValueError, r"stack: axis -3 is out of range"),
    (lambda: ops.split(Tensor(np.zeros((7, 2))), 3), ValueError,
     r"split: a tensor of shape \(7, 2\) \(length 7 along axis 0\) cannot be split into 3 equal"),
    (lambda: ops.tile(Tensor(np.zeros(3)), (-1,)), ValueError, r"tile: repeats must be non-negative"),
    (lambda: ops.repeat(Tensor(np.zeros((3, 2))), [1, 2], axis=0), ValueError,
     r"repeat: repeats has 2 entries but axis 0 of the tensor of shape \(3, 2\) has length 3"),
    (lambda: ops.repeat(Tensor(np.zeros(3)), 1.5), TypeError, r"repeat: repeats must be an int"),
    (lambda: ops.pad(Tensor(np.zeros((2, 3))), ((0, 0), (3, 0)), mode="reflect"), ValueError,
     r"pad: mode 'reflect' needs pad widths smaller than the axis length; axis 1 of shape \(2, 3\) "
     r"has length 3 but pad widths \(3, 0\)"),
    (lambda: ops.pad(Tensor(np.zeros((2, 3))), ((0, 0), (0, 4)), mode="symmetric"), ValueError,
     r"pad: mode 'symmetric' needs pad widths at most the axis length"),
    (lambda: ops.pad(Tensor(np.zeros((2, 3))), ((1, 1), (1, 1), (1, 1))), ValueError,
     r"pad: pad_width .* does not fit a tensor of shape \(2, 3\)"),
    (lambda: ops.pad(Tensor(np.zeros(3)), -1), ValueError, r"pad: pad widths must be non-negative"),
    (lambda: ops.pad(Tensor(np.zeros(3)), 1, mode="wrap"), ValueError, r"pad: mode must be one of"),
    (lambda: ops.pad(Tensor(np.zeros(3)), 1, mode="edge", constant_values=2.0), ValueError,
     r"pad: constant_values is only used with mode='constant'"),
    (lambda: ops.flip(Tensor(np.zeros((2, 3))), 2), ValueError, r"flip: axis 2 is out of range"),
    (lambda: ops.reshape(Tensor(np.zeros(3)), (1.5, 2)), TypeError, r"reshape: shape must be an int"),
])
def test_errors_name_the_op_and_shapes(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()
