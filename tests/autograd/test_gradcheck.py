"""The public gradient checker finds correct and planted-wrong gradients."""

import numpy as np
import pytest

from scratchdl import Function, Parameter, Tensor, gradcheck, gradcheck_parameters


class WrongSquare(Function):
    """x**2 with a planted bug in backward (3x instead of 2x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, grad):
        (x,) = self.saved
        return grad * 3 * x


def test_correct_gradient_passes_in_full_mode():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    y = Tensor(np.random.default_rng(1).standard_normal(4), requires_grad=True)
    report = gradcheck(lambda a, b: (a * b - b / (a * a + 1.0)), [x, y])
    assert report.passed and bool(report)
    assert all(item.relative_difference < 1e-7 for item in report.inputs)
    assert "PASSED" in str(report)


def test_planted_bug_fails_and_points_at_the_input():
    x = Tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    c = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    report = gradcheck(lambda a, b: WrongSquare()(a) + b, [x, c])
    assert not report.passed
    assert not report.inputs[0].passed and report.inputs[1].passed
    assert report.inputs[0].relative_difference == pytest.approx(0.2, rel=1e-4)  # |3-2|/(3+2)
    assert "FAIL" in str(report)


def test_random_projection_mode_detects_the_bug_too():
    x = Tensor(np.random.default_rng(2).standard_normal(500), requires_grad=True)
    assert gradcheck(lambda a: a * a, [x], mode="random_projection").passed
    assert not gradcheck(lambda a: WrongSquare()(a), [x], mode="random_projection").passed


def test_float32_inputs_are_refused_with_an_explanation_or_upcast():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * a, [x])
    assert gradcheck(lambda a: a * a, [x], upcast=True).passed
    assert x.dtype == np.float32


def test_raise_on_failure():
    x = Tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(AssertionError, match="FAILED"):
        gradcheck(lambda a: WrongSquare()(a), [x], raise_on_failure=True)


def test_gradcheck_leaves_inputs_and_grads_untouched():
    data = np.array([1.0, 2.0])
    x = Tensor(data.copy(), requires_grad=True)
    x.grad = np.array([7.0, 7.0])
    gradcheck(lambda a: a * a, [x])
    np.testing.assert_array_equal(x.data, data)
    np.testing.assert_array_equal(x.grad, [7.0, 7.0])


def test_parameters_check_names_the_worst_parameter_and_index():
    rng = np.random.default_rng(3)
    w1 = Parameter(rng.standard_normal((3, 2)), name="W1")
    w2 = Parameter(rng.standard_normal((2,)), name="b1")
    x = rng.standard_normal((4, 3))

    def good_loss():
        return ((Tensor(x) @ w1 + w2) ** 2).mean()

    report = gradcheck_parameters(good_loss, [w1, w2])
    assert report.passed and report.relative_difference < 1e-7
    assert set(report.per_parameter) == {"W1", "b1"}

    def buggy_loss():
        return (Tensor(x) @ w1).mean() + WrongSquare()(w2).sum()

    report = gradcheck_parameters(buggy_loss, {"W1": w1, "b1": w2})
    assert not report.passed
    assert report.worst_parameter == "b1"
    assert report.per_parameter["W1"] < 1e-7
    assert "b1" in str(report) and "FAILED" in str(report)


def test_parameters_check_upcasts_float32_and_restores_it():
    p = Parameter(np.array([0.5, 1.5], dtype=np.float32), name="p")
    with pytest.raises(TypeError, match="upcast=True"):
        gradcheck_parameters(lambda: (p * p).sum(), [p])
    report = gradcheck_parameters(lambda: (p * p).sum(), [p], upcast=True)
    assert report.passed
    assert p.dtype == np.float32
