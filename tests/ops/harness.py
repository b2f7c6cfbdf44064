"""The shared op-test harness (after Chainer's FunctionTestCase and MyGrad's uber tests).

Declare an op once as an ``OpCase``: how to call it, how its inputs are made, and its NumPy and
PyTorch references. ``op_tests(CASES)`` turns a list of cases into a parametrized pytest test that
runs every check that applies to each case:

* ``forward``: float64 output against the NumPy reference;
* ``gradient``: backward against the float64 numerical gradient (``scratchdl.gradcheck``; along
  random directions for large inputs);
* ``torch64`` / ``torch32``: output and input gradients against PyTorch (CPU) for the same upstream
  gradient, in float64 (tight) and float32 (loose);
* ``float32``: float32 inputs give float32 outputs and float32 gradients;
* ``noncontiguous``: non-contiguous (strided, Fortran-ordered) inputs give the same results.

Usage::

    CASES = [OpCase("exp", ops.exp, [Arg((3, 4))], numpy_fn=np.exp, torch_fn=torch.exp)]
    test_exp = op_tests(CASES)
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch

from scratchdl import Tensor
from scratchdl.autograd.gradcheck import gradcheck

torch.set_num_threads(1)


@dataclass(frozen=True)
class Arg:
    """How to make one input of an op.

    ``kind`` is ``'float'`` (uniform in [low, high)), ``'int'`` (integers in [low, high)) or
    ``'bool'``. Float inputs are differentiated when ``grad`` is True. ``away_from`` keeps float
    values at least ``margin`` away from the listed points (kinks such as 0 for relu or abs).
    """

    shape: tuple[int, ...]
    low: float = -1.0
    high: float = 1.0
    grad: bool = True
    kind: str = "float"
    away_from: tuple[float, ...] = ()
    margin: float = 0.05


@dataclass
class OpCase:
    """One op under test with one set of input shapes and arguments."""

    name: str
    fn: Callable[..., Any]
    args: Sequence[Any]
    numpy_fn: Callable[..., Any] | None = None
    torch_fn: Callable[..., Any] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    make_inputs: Callable[[np.random.Generator], list[Any]] | None = None
    differentiable: bool = True
    rtol64: float = 1e-7
    atol64: float = 1e-10
    rtol32: float = 1e-4
    atol32: float = 1e-5
    grad_threshold: float = 1e-6
    preserves_dtype: bool = True

    def arrays(self) -> list[Any]:
        """The float64 inputs (arrays for ``Arg`` entries, constants passed through)."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        if self.make_inputs is not None:
            return self.make_inputs(rng)
        values = []
        for arg in self.args:
            if not isinstance(arg, Arg):
                values.append(arg)
            elif arg.kind == "int":
                values.append(rng.integers(int(arg.low), int(arg.high), size=arg.shape))
            elif arg.kind == "bool":
                values.append(rng.random(arg.shape) < 0.5)
            else:
                value = rng.uniform(arg.low, arg.high, size=arg.shape)
                for point in arg.away_from:
                    close = np.abs(value - point) < arg.margin
                    value = np.where(close, point + np.copysign(arg.margin * 2, value - point + 1e-300), value)
                values.append(value)
        return values

    def grad_mask(self) -> list[bool]:
        """Which inputs are differentiated."""
        if self.make_inputs is not None:
            return [isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in self.arrays()]
        return [isinstance(a, Arg) and a.kind == "float" and a.grad for a in self.args]


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray)


def _as_list(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _run_scratchdl(case: OpCase, arrays: list[Any], dtype: Any, upstream: list[np.ndarray] | None):
    """Run the op; return (outputs, input grads)."""
    mask = case.grad_mask()
    inputs = []
    for value, grad in zip(arrays, mask):
        if _is_array(value):
            data = value.astype(dtype) if value.dtype.kind == "f" else value
            inputs.append(Tensor(data, requires_grad=grad and case.differentiable))
        else:
            inputs.append(value)
    outputs = _as_list(case.fn(*inputs, **case.kwargs))
    grads: list[Any] = []
    if upstream is not None and case.differentiable:
        total = None
        for out, w in zip(outputs, upstream):
            term = (out * Tensor(w.astype(out.dtype))).sum()
            total = term if total is None else total + term
        total.backward()
        grads = [t.grad if isinstance(t, Tensor) and t.requires_grad else None for t in inputs]
    return outputs, grads, inputs


def _run_torch(case: OpCase, arrays: list[Any], dtype: torch.dtype, upstream: list[np.ndarray] | None):
    mask = case.grad_mask()
    inputs = []
    for value, grad in zip(arrays, mask):
        if _is_array(value):
            tensor = torch.from_numpy(np.array(value, order="C"))  # ascontiguousarray makes 0-d 1-d
            if value.dtype.kind == "f":
                tensor = tensor.to(dtype).requires_grad_(grad and case.differentiable)
            inputs.append(tensor)
        else:
            inputs.append(value)
    outputs = _as_list(case.torch_fn(*inputs, **case.kwargs))
    grads: list[Any] = []
    if upstream is not None and case.differentiable:
        total = sum((out * torch.from_numpy(w).to(out.dtype)).sum() for out, w in zip(outputs, upstream))
        total.backward()
        grads = [t.grad.numpy() if isinstance(t, torch.Tensor) and t.requires_grad else None for t in inputs]
    return [o.detach().numpy() for o in outputs], grads


def _upstream(outputs: list[Any]) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.standard_normal(o.shape) for o in outputs]


def check_forward(case: OpCase) -> None:
    arrays = case.arrays()
    outputs, _, _ = _run_scratchdl(case, arrays, np.float64, None)
    expected = _as_list(case.numpy_fn(*arrays, **case.kwargs))
    assert len(outputs) == len(expected), f"{case.name}: {len(outputs)} outputs, expected {len(expected)}"
    for out, ref in zip(outputs, expected):
        ref = np.asarray(ref)
        assert out.shape == ref.shape, f"{case.name}: output shape {out.shape}, expected {ref.shape}"
        np.testing.assert_allclose(out.data, ref, rtol=case.rtol64, atol=case.atol64,
                                   err_msg=f"{case.name}: forward differs from NumPy")


def check_gradient(case: OpCase) -> None:
    arrays = case.arrays()
    mask = case.grad_mask()
    positions = [i for i, m in enumerate(mask) if m]
    tensors = [Tensor(arrays[i].astype(np.float64), requires_grad=True) for i in positions]

    def fn(*differentiated: Tensor) -> Tensor:
        call = list(arrays)
        for i, t in zip(positions, differentiated):
            call[i] = t
        call = [Tensor(v) if _is_array(v) and i not in positions else v for i, v in enumerate(call)]
        outputs = _as_list(case.fn(*call, **case.kwargs))
        weights = _upstream(outputs)
        total = None
        for out, w in zip(outputs, weights):
            term = (out * Tensor(w)).sum()
            total = term if total is None else total + term
        return total

    size = sum(t.size for t in tensors)
    mode = "full" if size <= 300 else "random_projection"
    report = gradcheck(fn, tensors, eps=1e-6, threshold=case.grad_threshold, mode=mode)
    assert report.passed, f"{case.name}:\n{report}"


def _check_torch(case: OpCase, np_dtype: Any, torch_dtype: torch.dtype, rtol: float, atol: float) -> None:
    arrays = case.arrays()
    outputs, grads, _ = _run_scratchdl(case, arrays, np_dtype, None)
    upstream = _upstream(outputs)
    outputs, grads, _ = _run_scratchdl(case, arrays, np_dtype, upstream)
    torch_outputs, torch_grads = _run_torch(case, arrays, torch_dtype, upstream if case.differentiable else None)
    for out, ref in zip(outputs, torch_outputs):
        assert out.shape == ref.shape, f"{case.name}: output shape {out.shape}, PyTorch {ref.shape}"
        np.testing.assert_allclose(out.data, ref, rtol=rtol, atol=atol,
                                   err_msg=f"{case.name}: forward differs from PyTorch")
    for index, (grad, ref) in enumerate(zip(grads, torch_grads)):
        if ref is None:
            continue
        assert grad is not None, f"{case.name}: no gradient for input {index}"
        np.testing.assert_allclose(grad, ref, rtol=rtol, atol=atol,
                                   err_msg=f"{case.name}: gradient of input {index} differs from PyTorch")


def check_torch64(case: OpCase) -> None:
    _check_torch(case, np.float64, torch.float64, max(case.rtol64, 1e-6), max(case.atol64, 1e-9))


def check_torch32(case: OpCase) -> None:
    _check_torch(case, np.float32, torch.float32, case.rtol32, case.atol32)


def check_float32(case: OpCase) -> None:
    arrays = case.arrays()
    outputs, _, _ = _run_scratchdl(case, arrays, np.float32, None)
    upstream = _upstream(outputs)
    outputs, grads, inputs = _run_scratchdl(case, arrays, np.float32, upstream)
    reference, _, _ = _run_scratchdl(case, arrays, np.float64, None)
    for out, ref in zip(outputs, reference):
        if ref.dtype == np.float64 and case.preserves_dtype:
            assert out.dtype == np.float32, f"{case.name}: float32 inputs gave a {out.dtype} output"
            np.testing.assert_allclose(out.data, ref.data, rtol=case.rtol32, atol=case.atol32)
    for tensor, grad in zip(inputs, grads):
        if grad is not None:
            assert grad.dtype == np.float32, f"{case.name}: float32 input got a {grad.dtype} gradient"
            assert grad.shape == tensor.shape


def _noncontiguous(value: Any) -> Any:
    if not _is_array(value) or value.ndim == 0:
        return value
    if value.ndim >= 2:
        result = np.asfortranarray(value)
    else:
        doubled = np.repeat(value, 2, axis=-1)
        result = doubled[..., ::2]
    assert np.array_equal(result, value)
    return result


def check_noncontiguous(case: OpCase) -> None:
    arrays = case.arrays()
    outputs, _, _ = _run_scratchdl(case, arrays, np.float64, None)
    upstream = _upstream(outputs)
    outputs, grads, _ = _run_scratchdl(case, arrays, np.float64, upstream)
    strided = [_noncontiguous(v) for v in arrays]
    outputs2, grads2, _ = _run_scratchdl(case, strided, np.float64, upstream)
    for a, b in zip(outputs, outputs2):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-14)
    for a, b in zip(grads, grads2):
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def checks_for(case: OpCase) -> list[Callable[[OpCase], None]]:
    """The checks that apply to ``case``."""
    checks: list[Callable[[OpCase], None]] = []
    if case.numpy_fn is not None:
        checks.append(check_forward)
    if case.differentiable and any(case.grad_mask()):
        checks.append(check_gradient)
    if case.torch_fn is not None:
        checks += [check_torch64, check_torch32]
    checks += [check_float32, check_noncontiguous]
    return checks


def op_tests(cases: Sequence[OpCase]) -> Callable[..., None]:
    """Return a pytest test function parametrized over every (case, applicable check)."""
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), f"duplicate case names: {names}"
    params = [
        pytest.param(case, check, id=f"{case.name}-{check.__name__.removeprefix('check_')}")
        for case in cases
        for check in checks_for(case)
    ]

    @pytest.mark.parametrize(("case", "check"), params)
    def test_op(case: OpCase, check: Callable[[OpCase], None]) -> None:
        check(case)

    return test_op


def run_all_checks(case: OpCase) -> None:
    """Run every applicable check of ``case`` (for Hypothesis-driven tests)."""
    for check in checks_for(case):
        check(case)


def record_fast_path(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Wrap the fast path ``module.name`` (a function that returns None when it declines) so
    that every call appends whether it answered; return that list (for asserting the fast path
    really ran in a test that compares it with the plain path)."""
    calls: list[bool] = []
    real = getattr(module, name)

    def spy(*args: Any) -> Any:
        found = real(*args)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(module, name, spy)
    return calls
