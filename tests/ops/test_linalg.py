"""Linear algebra ops (matmul, einsum, tensordot, outer, dot, norm) through the op harness, plus
the zero-vector norm gradient, dtype behaviour and error messages."""

import numpy as np
import pytest
import torch

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),  # 1-D x 2-D
    ((3, 4), (4,)),  # 2-D x 1-D
    ((4,), (4,)),  # inner product
    ((2, 1, 3, 4), (5, 4, 2)),  # batch broadcasting
    ((2, 3, 4), (4, 5)),  # Dense on sequences: batch folded into the rows (forward, dx, dy)
    ((2, 3, 2, 4), (4, 5)),  # the same with two leading axes
    ((3, 4), (2, 4, 5)),  # 2-D x batch: dx summed inside the product
    ((4,), (2, 4, 3)),  # 1-D x batch
    ((2, 3, 4), (4,)),  # batch x 1-D
    ((1, 3, 4), (2, 4, 1)),
]

MATMUL_CASES = [
    OpCase(f"matmul{a}{b}", ops.matmul, [Arg(a), Arg(b)], numpy_fn=np.matmul, torch_fn=torch.matmul)
    for a, b in MATMUL_SHAPES
] + [
    OpCase("matmul_operator", lambda x, y: x @ y, [Arg((2, 3)), Arg((3, 2))],
           numpy_fn=np.matmul, torch_fn=torch.matmul),
    OpCase("matmul_rmatmul_array", lambda y: np.ones((2, 3)) @ y, [Arg((3, 2))],
           numpy_fn=lambda y: np.ones((2, 3)) @ y, torch_fn=lambda y: torch.ones(2, 3, dtype=y.dtype) @ y,
           preserves_dtype=False),  # a float64 array on the left promotes, as in NumPy
]


def _torch_linear(x, kernel, bias=None):
    return torch.nn.functional.linear(x, kernel.T, bias)


LINEAR_CASES = [
    OpCase(f"linear{x}{k}{'_bias' if bias else ''}",
           (lambda x, k, b: ops.linear(x, k, b)) if bias else (lambda x, k: ops.linear(x, k)),
           [Arg(x), Arg(k)] + ([Arg((k[1],))] if bias else []),
           numpy_fn=(lambda x, k, b: x @ k + b) if bias else (lambda x, k: x @ k),
           torch_fn=_torch_linear)
    for x, k in [((4, 3), (3, 5)), ((2, 3, 4), (4, 6)), ((2, 1, 3, 4), (4, 2)), ((3,), (3, 2))]
    for bias in (True, False)
] + [
    # fused ReLU: inputs kept away from the kink so that no output sits at 0
    OpCase("linear_relu", lambda x, k, b: ops.linear(x, k, b, activation="relu"),
           [Arg((4, 3), low=0.1, high=1.0), Arg((3, 5), low=-1.0, high=1.0), Arg((5,), low=-0.05, high=0.05)],
           numpy_fn=lambda x, k, b: np.maximum(x @ k + b, 0),
           torch_fn=lambda x, k, b: torch.relu(_torch_linear(x, k, b))),
]

def _einsum_case(name, subscripts, shapes):
    return OpCase(
        f"einsum_{name}", lambda *xs: ops.einsum(subscripts, *xs), [Arg(s) for s in shapes],
        numpy_fn=lambda *xs: np.einsum(subscripts, *xs),
        torch_fn=lambda *xs: torch.einsum(subscripts, *xs),
    )


EINSUM_CASES = [
    _einsum_case("matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
    _einsum_case("batched", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    _einsum_case("diagonal", "ii->i", [(4, 4)]),
    _einsum_case("dot", "i,i->", [(5,), (5,)]),
    _einsum_case("ellipsis_broadcast", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    _einsum_case("transpose", "ij->ji", [(3, 4)]),
    _einsum_case("total_sum", "ijk->", [(2, 3, 4)]),
    _einsum_case("three_operands", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    _einsum_case("bilinear", "bn,anm,bm->ba", [(3, 4), (2, 4, 5), (3, 5)]),
    _einsum_case("implicit_matmul", "ij,jk", [(3, 4), (4, 2)]),
    _einsum_case("implicit_transpose", "ba", [(3, 4)]),
    _einsum_case("implicit_trace", "ii", [(3, 3)]),
    _einsum_case("summed_own_label", "ij,j->j", [(3, 4), (4,)]),
    _einsum_case("partial_diagonal", "iij->ji", [(3, 3, 2)]),
    _einsum_case("diagonal_times_vector", "ii,i->i", [(3, 3), (3,)]),
    _einsum_case("ellipsis_middle", "i...j,j->i...", [(2, 3, 4), (4,)]),
    _einsum_case("size_one_broadcast", "ij,ij->ij", [(1, 3), (2, 3)]),
    _einsum_case("outer", "i,j->ij", [(3,), (4,)]),
    _einsum_case("mixed_case_labels", "aB,Bc->ac", [(2, 3), (3, 4)]),
]

TENSORDOT_CASES = [
    OpCase("tensordot_axes2", ops.tensordot, [Arg((2, 3, 4)), Arg((3, 4, 5))],
           numpy_fn=np.tensordot, torch_fn=torch.tensordot),
    OpCase("tensordot_axes1", lambda x, y: ops.tensordot(x, y, axes=1), [Arg((2, 3)), Arg((3, 4, 2))],
           numpy_fn=lambda x, y: np.tensordot(x, y, axes=1),
           torch_fn=lambda x, y: torch.tensordot(x, y, dims=1)),
    OpCase("tensordot_axes0", lambda x, y: ops.tensordot(x, y, axes=0), [Arg((2, 3)), Arg((4,))],
           numpy_fn=lambda x, y: np.tensordot(x, y, axes=0),
           torch_fn=lambda x, y: torch.tensordot(x, y, dims=0)),
    OpCase("tensordot_permuted_pairs", lambda x, y: ops.tensordot(x, y, axes=([1, 0], [0, 2])),
           [Arg((3, 4, 5)), Arg((4, 2, 3))],
           numpy_fn=lambda x, y: np.tensordot(x, y, axes=([1, 0], [0, 2])),
           torch_fn=lambda x, y: torch.tensordot(x, y, dims=([1, 0], [0, 2]))),
    OpCase("tensordot_negative_axes", lambda x, y: ops.tensordot(x, y, axes=(-1, 0)),
           [Arg((2, 3)), Arg((3, 2))],
           numpy_fn=lambda x, y: np.tensordot(x, y, axes=(-1, 0)),
           torch_fn=lambda x, y: torch.tensordot(x, y, dims=([1], [0]))),
    OpCase("outer", ops.outer, [Arg((3,)), Arg((4,))], numpy_fn=np.outer, torch_fn=torch.outer),
    OpCase("outer_flattens", ops.outer, [Arg((2, 3)), Arg((2, 1))], numpy_fn=np.outer,
           torch_fn=lambda x, y: torch.outer(x.reshape(-1), y.reshape(-1))),
]


def _torch_dot(x, y):
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if y.ndim == 1 or (x.ndim <= 2 and y.ndim <= 2):
        return torch.matmul(x, y)
    return torch.tensordot(x, y, dims=([x.ndim - 1], [y.ndim - 2]))


DOT_CASES = [
    OpCase(f"dot{a}{b}", ops.dot, [Arg(a), Arg(b)], numpy_fn=np.dot, torch_fn=_torch_dot)
    for a, b in [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 2)),
                 ((3,), (2, 3, 4)), ((), (3, 2)), ((2, 3), ())]
]


def _vector_case(name, shape, ord=None, axis=None, keepdims=False, differentiable=True, **arg):
    return OpCase(
        f"norm_{name}", lambda x: ops.norm(x, ord=ord, axis=axis, keepdims=keepdims), [Arg(shape, **arg)],
        numpy_fn=lambda x: np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims),
        torch_fn=lambda x: torch.linalg.vector_norm(x, ord=2 if ord is None else ord, dim=axis,
                                                    keepdim=keepdims),
        differentiable=differentiable,
    )


def _matrix_case(name, shape, ord=None, axis=None, keepdims=False):
    dim = (0, 1) if axis is None else axis
    return OpCase(
        f"norm_{name}", lambda x: ops.norm(x, ord=ord, axis=axis, keepdims=keepdims), [Arg(shape)],
        numpy_fn=lambda x: np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims),
        torch_fn=lambda x: torch.linalg.matrix_norm(x, ord="fro" if ord is None else ord, dim=dim,
                                                    keepdim=keepdims),
    )


INF = np.inf
NORM_CASES = [
    _vector_case("flatten_2norm", (3, 4)),
    _vector_case("flatten_keepdims", (2, 3, 2), keepdims=True),
    _vector_case("2norm_axis1", (3, 5), 2, 1),
    _vector_case("default_axis_neg", (2, 3, 4), None, -1, True),
    _vector_case("l1_axis0", (4, 3), 1, 0, away_from=(0.0,)),
    _vector_case("inf_axis_last", (3, 5), INF, -1, away_from=(0.0,)),
    _vector_case("neg_inf", (3, 5), -INF, 1, away_from=(0.0,)),
    _vector_case("l3", (2, 6), 3, 1, away_from=(0.0,)),
    _vector_case("l_half", (2, 4), 0.5, 1, away_from=(0.0,)),
    # ord=0 counts non-zeros: piecewise constant (PyTorch gives no gradient; ours is zero, below)
    _vector_case("count_nonzero", (3, 4), 0, 1, differentiable=False, away_from=(0.0,)),
    _vector_case("vector_1d_ord1", (5,), 1, None, away_from=(0.0,)),
    _matrix_case("fro", (3, 4), "fro"),
    _matrix_case("fro_batched", (2, 3, 4), None, (1, 2)),
    _matrix_case("ord1", (3, 4), 1),
    _matrix_case("ord_neg1", (3, 4), -1),
    _matrix_case("ord_inf", (4, 3), INF),
    _matrix_case("ord_neg_inf", (4, 3), -INF),
    _matrix_case("ord1_reversed_axes", (2, 3, 4), 1, (2, 0), True),
    _matrix_case("nuc", (3, 4), "nuc"),
    _matrix_case("spectral", (2, 4, 3), 2, (1, 2)),
    _matrix_case("spectral_min_axes_0_2", (3, 2, 4), -2, (0, 2), True),
]

test_matmul = op_tests(MATMUL_CASES)
test_linear = op_tests(LINEAR_CASES)
test_einsum = op_tests(EINSUM_CASES)
test_tensordot_outer = op_tests(TENSORDOT_CASES)
test_dot = op_tests(DOT_CASES)
test_norm = op_tests(NORM_CASES)


# --------------------------------------------------------------------------- behaviour
def test_matmul_keeps_float32_without_promotion():
    x = Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    out = x @ w
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, np.full((3, 2), 4.0))


def test_matmul_forward_is_not_copied_for_saving():
    x, w = np.ones((4, 3)), np.ones((3, 2))
    op = ops.linalg.MatMul()
    op(Tensor(x, requires_grad=True), Tensor(w))
    assert op.saved[0] is x and op.saved[1] is w


def test_norm_gradient_is_zero_at_the_zero_vector():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    x.data[1] = [3.0, 0.0, 4.0]
    ops.norm(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0, 0], [0.6, 0, 0.8]], rtol=1e-12, atol=0)
    for order in (None, 1, np.inf, 3):
        z = Tensor(np.zeros(4), requires_grad=True)
        ops.norm(z, ord=order).backward()
        assert np.all(np.isfinite(z.grad)) and not np.any(z.grad), order


def test_norm_ord0_counts_and_has_zero_gradient():
    x = Tensor(np.array([[0.0, 2.0, -1.0], [0.0, 0.0, 5.0]]), requires_grad=True)
    out = ops.norm(x, ord=0, axis=1)
    np.testing.assert_array_equal(out.data, [2.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


def test_norm_ties_share_the_gradient():
    x = Tensor(np.array([3.0, -3.0, 1.0]), requires_grad=True)
    ops.norm(x, ord=np.inf).backward()
    np.testing.assert_array_equal(x.grad, [0.5, -0.5, 0.0])


def test_einsum_accumulates_when_an_operand_is_used_twice():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    ops.einsum("i,i->", x, x).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_einsum_accepts_spaces_and_constants():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = ops.einsum("ij, j -> i", x, np.ones(3))
    np.testing.assert_array_equal(out.data, [3.0, 12.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


# --------------------------------------------------------------------------- errors
def test_matmul_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"^matmul: shapes \(3, 4\) and \(5, 2\) are incompatible: 4 != 5$"):
        ops.matmul(Tensor(np.zeros((3, 4))), Tensor(np.zeros((5, 2))))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4, 2\) are incompatible: 3 != 4"):
        ops.matmul(Tensor(np.zeros(3)), Tensor(np.zeros((4, 2))))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3, 4\) and \(5, 4, 2\) are incompatible: "
                                         r"batch dimensions \(2,\) and \(5,\) cannot be broadcast"):
        ops.matmul(Tensor(np.zeros((2, 3, 4))), Tensor(np.zeros((5, 4, 2))))
    with pytest.raises(ValueError, match=r"matmul: shapes \(\) and \(3,\) are incompatible: 0-d"):
        ops.matmul(Tensor(np.array(2.0)), Tensor(np.zeros(3)))


def test_einsum_errors():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij,jk->ik' name 2 operand\(s\), got 1"):
        ops.einsum("ij,jk->ik", x)
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij,jk->ik' do not fit shapes \(3, 4\), \(5, 2\): "
                                         r"label j has size 4 in operand 0 and 5 in operand 1"):
        ops.einsum("ij,jk->ik", x, Tensor(np.zeros((5, 2))))
    with pytest.raises(ValueError, match=r"einsum: operand 0 has shape \(3, 4\) \(2 dimensions\) but its subscripts 'ijk' name 3"):
        ops.einsum("ijk->i", x)
    with pytest.raises(ValueError, match="einsum: output label 'z' of 'ij->z' is not in any input"):
        ops.einsum("ij->z", x)
    with pytest.raises(ValueError, match=r"einsum: the inputs of '...j->j' have 1 dimension\(s\) under '...'"):
        ops.einsum("...j->j", x)
    with pytest.raises(ValueError, match="einsum: invalid subscripts"):
        ops.einsum("i1->i", x)
    with pytest.raises(TypeError, match="einsum: subscripts must be a string"):
        ops.einsum(x, [0, 1])


def test_tensordot_errors():
    x, y = Tensor(np.zeros((3, 4))), Tensor(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"tensordot: shapes \(3, 4\) and \(5, 2\) are incompatible: "
                                         r"axis 1 of x has size 4 but axis 0 of y has size 5"):
        ops.tensordot(x, y, axes=1)
    with pytest.raises(ValueError, match=r"tensordot: axes=3 is invalid for shapes \(3, 4\) and \(5, 2\)"):
        ops.tensordot(x, y, axes=3)
    with pytest.raises(ValueError, match="tensordot: axes .* pair 2 axes of x with 1 of y"):
        ops.tensordot(x, y, axes=([0, 1], [0]))


def test_dot_error_names_dot():
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(4,\) are incompatible: 3 != 4"):
        ops.dot(Tensor(np.zeros((2, 3))), Tensor(np.zeros(4)))
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3, 4\) and \(5, 3, 2\) are incompatible: 4 != 3"):
        ops.dot(Tensor(np.zeros((2, 3, 4))), Tensor(np.zeros((5, 3, 2))))


def test_norm_errors():
    x = Tensor(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"norm: ord=1 with axis=None needs a 1-D or 2-D tensor, got shape \(2, 3, 4\)"):
        ops.norm(x, ord=1)
    with pytest.raises(ValueError, match="norm: invalid matrix norm order 3"):
        ops.norm(x, ord=3, axis=(0, 1))
    with pytest.raises(ValueError, match="norm: invalid vector norm order 'fro'"):
        ops.norm(x, ord="fro", axis=1)
    with pytest.raises(ValueError, match="norm: axis 3 is out of range"):
        ops.norm(x, axis=3)
    with pytest.raises(ValueError, match="norm: repeated axis"):
        ops.norm(x, axis=(1, -2))


def _linear_against_composition(shape: tuple[int, ...], units: int, fused, plain) -> list:
    """Run ``fused`` and ``plain`` (each ``(x, kernel, bias) -> Tensor``) on the same float32
    data; assert equal outputs and gradients; return the fused output."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    kernel = Tensor(rng.standard_normal((shape[-1], units)).astype(np.float32), requires_grad=True)
    bias = Tensor(rng.standard_normal(units).astype(np.float32), requires_grad=True)
    upstream = rng.standard_normal((*shape[:-1], units)).astype(np.float32)
    results = []
    for fn in (fused, plain):
        out = fn(x, kernel, bias)
        assert out.dtype == np.float32
        (out * Tensor(upstream)).sum().backward()
        results.append([out.numpy(), x.grad, kernel.grad, bias.grad])
        x.grad = kernel.grad = bias.grad = None
    for fused_value, plain_value in zip(*results):
        np.testing.assert_allclose(fused_value, plain_value, rtol=1e-6, atol=1e-6)
    return results[0][0]


def test_linear_equals_matmul_plus_bias() -> None:
    _linear_against_composition((5, 7, 3), 4, ops.linear, lambda x, k, b: ops.matmul(x, k) + b)
    # a float64 bias promotes the output, as matmul + bias would
    promoted = ops.linear(Tensor(np.ones((2, 3), np.float32)), Tensor(np.ones((3, 4), np.float32)),
                          Tensor(np.zeros(4)))
    assert promoted.dtype == np.float64


def test_linear_relu_equals_relu_of_linear() -> None:
    out = _linear_against_composition(
        (6, 5, 4), 8, lambda x, k, b: ops.linear(x, k, b, activation="relu"),
        lambda x, k, b: ops.relu(ops.linear(x, k, b)))
    assert (out == 0).any() and (out > 0).any()
    with pytest.raises(ValueError, match="linear: activation must be None or 'relu', got 'tanh'"):
        ops.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4))), activation="tanh")


def test_linear_errors_name_the_op_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"^linear: shapes \(2, 3\) and \(4, 5\) are incompatible"):
        ops.linear(Tensor(np.zeros((2, 3))), Tensor(np.zeros((4, 5))))
    with pytest.raises(ValueError, match=r"linear: expected x \(\.\.\., in\) and a 2-D kernel"):
        ops.linear(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3, 4))))
