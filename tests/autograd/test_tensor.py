"""Tensor construction, conversions, operators and errors."""

import numpy as np
import pytest

from scratchdl import Parameter, Tensor, backend


def test_python_floats_become_float32_and_arrays_keep_dtype():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([[1.0, 2.0]]).dtype == np.float32
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert Tensor([1, 2]).dtype.kind == "i"
    assert Tensor([True]).dtype == np.bool_
    assert Tensor([1, 2], dtype="float64").dtype == np.float64


def test_arrays_are_wrapped_without_copying():
    array = np.zeros(3)
    assert Tensor(array).data is array


def test_properties_and_conversions():
    t = Tensor(np.arange(6.0).reshape(2, 3), name="t")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6 and len(t) == 2
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(t), t.data)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert Tensor(3.0).item() == 3.0 and float(Tensor(2.0)) == 2.0
    with pytest.raises(ValueError, match="only one-element"):
        t.item()
    assert t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert "name='t'" in repr(t)


def test_iteration_yields_rows():
    t = Tensor(np.arange(6.0).reshape(3, 2))
    rows = list(t)
    assert len(rows) == 3
    np.testing.assert_array_equal(rows[1].data, [2.0, 3.0])
    with pytest.raises(TypeError):
        list(Tensor(1.0))


def test_comparisons_return_boolean_tensors_without_grad():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    result = x > 1.5
    assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal(result.data, [False, True, True])
    np.testing.assert_array_equal((x == 2.0).data, [False, True, False])
    np.testing.assert_array_equal((x != 2.0).data, [True, False, True])
    np.testing.assert_array_equal((x <= 2.0).data, [True, True, False])


def test_tensors_are_hashable_by_identity():
    a, b = Tensor(1.0), Tensor(1.0)
    assert len({a, b}) == 2


def test_truth_value_of_many_elements_is_ambiguous():
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor(np.ones(3)))
    assert bool(Tensor(1.0))


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        Tensor([1, 2], requires_grad=True)


def test_requires_grad_cannot_be_dropped_on_op_results():
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        (x * 2.0).requires_grad = False


def test_all_python_operators():
    x = Tensor(np.array([4.0, 9.0]), requires_grad=True)
    results = [x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / x, x // 2, 7 // x,
               x ** 2, 2 ** x, -x, +x, abs(-x)]
    expected = [[5, 10], [5, 10], [3, 8], [-3, -8], [8, 18], [8, 18], [2, 4.5], [0.5, 2 / 9],
                [2, 4], [1, 0], [16, 81], [16, 512], [-4, -9], [4, 9], [4, 9]]
    for result, values in zip(results, expected):
        np.testing.assert_allclose(result.data, values)


def test_matmul_operator():
    a = Tensor(np.ones((2, 3)))
    b = Tensor(np.ones((3, 4)))
    assert (a @ b).shape == (2, 4)
    assert (np.ones((5, 2)) @ a).shape == (5, 3)


def test_astype_is_differentiable():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float64


def test_parameter_defaults_and_assign():
    p = Parameter([1.0, 2.0], name="w")
    assert p.requires_grad and p.trainable and p.dtype == np.float32
    source = np.array([3.0, 4.0])
    p.assign(source)
    source[0] = 100.0
    np.testing.assert_array_equal(p.data, [3.0, 4.0])
    assert p.dtype == np.float32
    with pytest.raises(ValueError, match=r"Parameter w: cannot assign a value of shape \(3,\)"):
        p.assign(np.zeros(3))
    p.trainable = False
    assert not p.requires_grad


def test_floatx_changes_the_default_float_dtype():
    backend.set_floatx("float64")
    try:
        assert Tensor(1.0).dtype == np.float64
    finally:
        backend.set_floatx("float32")
    with pytest.raises(ValueError, match="set_floatx"):
        backend.set_floatx("int8")


def test_get_array_module_is_numpy_for_numpy_arrays():
    assert backend.get_array_module(np.zeros(2), 1.0) is np


def test_parameters_are_c_contiguous_whatever_they_are_given() -> None:
    """Weights, their gradients and optimizer slots share one memory order (C): a Fortran-ordered
    weight made every elementwise optimizer update of it several times slower."""
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    p = Parameter(fortran)
    assert p.data.flags.c_contiguous
    np.testing.assert_array_equal(p.data, fortran)
    p.assign(np.asfortranarray(np.ones((3, 4))))
    assert p.data.flags.c_contiguous
    p.assign(np.arange(12.0).reshape(4, 3).T)  # a transposed view
    assert p.data.flags.c_contiguous
    np.testing.assert_array_equal(p.data, np.arange(12.0).reshape(4, 3).T)


def test_orthogonal_initializer_and_recurrent_kernels_are_c_contiguous() -> None:
    import scratchdl as sd

    for shape in [(4, 16), (16, 4), (8, 8)]:
        assert sd.initializers.Orthogonal(seed=1)(shape).flags.c_contiguous
    layer = sd.layers.LSTM(8)
    layer.build((2, 3, 5))
    assert all(weight.data.flags.c_contiguous for weight in layer.weights)


def test_backend_is_floating_agrees_with_numpy_for_every_dtype() -> None:
    from scratchdl import backend

    for dtype in [*np.sctypeDict.values(), "float32", np.dtype("float16"), ">f8", "complex64"]:
        assert backend.is_floating(dtype) == np.issubdtype(np.dtype(dtype), np.floating), dtype
