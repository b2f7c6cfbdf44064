"""Numerical gradient checking: compare backward's gradients with central differences.

``gradcheck`` checks a function of tensors, input by input; ``gradcheck_parameters`` checks a
loss against every parameter of a model at once, by flattening them into one vector (the way the
Deep Learning Specialization teaches it) and naming the parameter and index that disagree most.

Both work in float64: with ``eps=1e-7`` a float32 difference quotient would be rounding noise
(float32 holds about 7 significant digits), so float32 inputs are refused unless ``upcast=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scratchdl.autograd.mode import enable_grad, no_grad
from scratchdl.autograd.tensor import Tensor

__all__ = [
    "gradcheck", "gradcheck_parameters", "GradcheckReport", "InputGradcheck",
    "ParameterGradcheckReport",
]


def _relative_difference(analytic: np.ndarray, numerical: np.ndarray) -> float:
    numerator = float(np.linalg.norm((analytic - numerical).ravel()))
    denominator = float(np.linalg.norm(analytic.ravel()) + np.linalg.norm(numerical.ravel()))
    return 0.0 if denominator == 0.0 else numerator / denominator


@dataclass
class InputGradcheck:
    """The check of one input: the relative difference and both gradients."""

    index: int
    name: str
    shape: tuple[int, ...]
    relative_difference: float
    passed: bool
    analytic: np.ndarray
    numerical: np.ndarray

    @property
    def worst_index(self) -> tuple[int, ...]:
        """The element where the two gradients differ most."""
        if self.analytic.size == 0:
            return ()
        flat = int(np.argmax(np.abs(self.analytic - self.numerical)))
        return tuple(int(i) for i in np.unravel_index(flat, self.analytic.shape))


@dataclass
class GradcheckReport:
    """The result of ``gradcheck``: one ``InputGradcheck`` per input that requires grad."""

    inputs: list[InputGradcheck]
    threshold: float
    eps: float
    mode: str

    @property
    def passed(self) -> bool:
        """True when every input passed."""
        return all(item.passed for item in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [f"gradcheck ({self.mode}, eps={self.eps:g}, threshold={self.threshold:g})"]
        lines.append(f"{'input':<16}{'shape':<18}{'relative difference':>22}  result")
        for item in self.inputs:
            verdict = "pass" if item.passed else f"FAIL (worst at {item.worst_index})"
            lines.append(
                f"{item.name:<16}{str(item.shape):<18}{item.relative_difference:>22.3e}  {verdict}"
            )
        lines.append("PASSED" if self.passed else "FAILED")
        return "\n".join(lines)


def _scalar_output(fn: Callable[..., Any], tensors: Sequence[Tensor],
                   weights: list[np.ndarray]) -> Tensor:
    out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: the function must return a Tensor, got {type(out).__name__}")
    if out.size == 1:
        return out.sum() if out.ndim else out
    # A non-scalar output is checked through a fixed random projection <out, w>, which checks
    # the full vector-Jacobian product that backward computes.
    if not weights:
        weights.append(np.random.default_rng(1234).standard_normal(out.shape))
    return (out * Tensor(weights[0].astype(out.dtype))).sum()


def _evaluate(fn: Callable[..., Any], tensors: Sequence[Tensor], weights: list[np.ndarray]) -> float:
    with no_grad():
        return float(_scalar_output(fn, tensors, weights).item())


def _prepare(inputs: Sequence[Any], upcast: bool, what: str) -> list[Tensor]:
    prepared = []
    for index, value in enumerate(inputs):
        tensor = value if isinstance(value, Tensor) else Tensor(np.asarray(value, dtype=np.float64))
        if tensor.requires_grad and tensor.dtype != np.float64:
            if not upcast:
                raise TypeError(
                    f"{what}: input {index} has dtype {tensor.dtype}; central differences need "
                    "float64 (in float32 the difference quotient with a small eps is mostly "
                    "rounding noise). Pass float64 inputs, or upcast=True to check in float64"
                )
            tensor = Tensor(tensor.data.astype(np.float64), requires_grad=True, name=tensor.name)
        prepared.append(tensor)
    return prepared


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-7,
              threshold: float = 1e-7, *, upcast: bool = False, mode: str = "full",
              num_directions: int = 8, seed: int = 0,
              raise_on_failure: bool = False) -> GradcheckReport:
    """Check backward's gradients of ``fn(*inputs)`` against central differences.

    For each input that requires grad, the numerical gradient is
    ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element ``i`` (``mode='full'``), or
    the directional derivative along ``num_directions`` random unit directions
    (``mode='random_projection'``, for large inputs). The relative difference
    ``||g - g_num|| / (||g|| + ||g_num||)`` must stay below ``threshold``.

    A non-scalar output is reduced with a fixed random projection ``sum(out * w)``.

    Args:
        fn: a function of tensors returning a tensor.
        inputs: tensors (those with ``requires_grad`` are checked) or arrays (treated as float64
            constants).
        eps: the finite-difference step.
        threshold: the largest relative difference that passes.
        upcast: check float32 inputs in float64 instead of refusing them.
        mode: ``'full'`` or ``'random_projection'``.
        num_directions: directions used by ``'random_projection'``.
        seed: seeds the random directions.
        raise_on_failure: raise ``AssertionError`` with the report when a check fails.

    Returns:
        A ``GradcheckReport`` (truthy when every input passed; ``print`` it for a table).

    >>> x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    >>> gradcheck(lambda t: (t * t).sum(), [x]).passed
    True
    """
    if mode not in ("full", "random_projection"):
        raise ValueError(f"gradcheck: mode must be 'full' or 'random_projection', got {mode!r}")
    tensors = _prepare(inputs, upcast, "gradcheck")
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check")

    weights: list[np.ndarray] = []
    saved_grads = [t.grad for t in tensors]
    for t in tensors:
        t.grad = None
    with enable_grad():
        _scalar_output(fn, tensors, weights).backward()
    analytic = {
        i: (tensors[i].grad if tensors[i].grad is not None else np.zeros(tensors[i].shape))
        for i in checked
    }
    for t, grad in zip(tensors, saved_grads):
        t.grad = grad

    results = []
    rng = np.random.default_rng(seed)
    for i in checked:
        data = tensors[i].data
        name = tensors[i].name or f"input {i}"
        if mode == "full":
            numerical = np.zeros(data.shape, dtype=np.float64)
            flat = data.reshape(-1)  # a view when contiguous; otherwise perturb a copy
            if not np.shares_memory(flat, data):
                data = tensors[i].data = np.ascontiguousarray(data)
                flat = data.reshape(-1)
            numerical_flat = numerical.reshape(-1)
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                plus = _evaluate(fn, tensors, weights)
                flat[k] = original - eps
                minus = _evaluate(fn, tensors, weights)
                flat[k] = original
                numerical_flat[k] = (plus - minus) / (2 * eps)
            difference = _relative_difference(analytic[i], numerical)
            results.append(InputGradcheck(i, name, tuple(data.shape), difference,
                                          difference <= threshold, analytic[i], numerical))
        else:
            original = data.copy()
            along_analytic, along_numerical = [], []
            for _ in range(num_directions):
                direction = rng.standard_normal(data.shape)
                direction /= max(np.linalg.norm(direction), 1e-300)
                tensors[i].data = original + eps * direction
                plus = _evaluate(fn, tensors, weights)
                tensors[i].data = original - eps * direction
                minus = _evaluate(fn, tensors, weights)
                along_numerical.append((plus - minus) / (2 * eps))
                along_analytic.append(float(np.sum(analytic[i] * direction)))
            tensors[i].data = original
            a, n = np.array(along_analytic), np.array(along_numerical)
            difference = _relative_difference(a, n)
            results.append(InputGradcheck(i, name, tuple(data.shape), difference,
                                          difference <= threshold, a, n))
    report = GradcheckReport(results, threshold, eps, mode)
    if raise_on_failure and not report.passed:
        raise AssertionError(str(report))
    return report


@dataclass
class ParameterGradcheckReport:
    """The result of ``gradcheck_parameters`` over all parameters flattened into one vector."""

    relative_difference: float
    passed: bool
    threshold: float
    per_parameter: dict[str, float]
    worst_parameter: str
    worst_index: tuple[int, ...]
    worst_analytic: float
    worst_numerical: float
    analytic: np.ndarray = field(repr=False)
    numerical: np.ndarray = field(repr=False)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [f"{'parameter':<20}{'relative difference':>22}"]
        for name, value in self.per_parameter.items():
            flag = "   <- worst" if name == self.worst_parameter and not self.passed else ""
            lines.append(f"{name:<20}{value:>22.3e}{flag}")
        lines.append(f"{'all parameters':<20}{self.relative_difference:>22.3e}")
        lines.append(
            f"largest disagreement: {self.worst_parameter}{list(self.worst_index)} "
            f"analytic {self.worst_analytic:.6e} vs numerical {self.worst_numerical:.6e}"
        )
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(f"{verdict}: difference {self.relative_difference:.3e} "
                     f"{'<=' if self.passed else '>'} threshold {self.threshold:g}")
        return "\n".join(lines)


def gradcheck_parameters(loss_fn: Callable[[], Tensor],
                         parameters: Sequence[Tensor] | Mapping[str, Tensor], eps: float = 1e-7,
                         threshold: float = 1e-7, *, upcast: bool = False) -> ParameterGradcheckReport:
    """Check the gradient of ``loss_fn()`` with respect to every parameter, entry by entry.

    All parameters are flattened into one vector ``theta``; each entry is moved by ``+-eps``,
    the loss re-evaluated, and the resulting gradient vector compared with backward's:
    ``||g - g_num|| / (||g|| + ||g_num||) <= threshold``. The report names the parameter and
    index with the largest disagreement: where to look for a bug in a hand-written backward.

    Args:
        loss_fn: a function of no arguments returning a scalar loss built from ``parameters``.
        parameters: tensors that require grad, as a list or a ``{name: tensor}`` mapping.
        eps: the finite-difference step.
        threshold: the largest relative difference that passes.
        upcast: check float32 parameters by computing in float64 (restored afterwards).
    """
    if isinstance(parameters, Mapping):
        named = list(parameters.items())
    else:
        named = [(p.name or f"param_{i}", p) for i, p in enumerate(parameters)]
    if not named:
        raise ValueError("gradcheck_parameters: no parameters given")
    originals = [p.data for _, p in named]
    saved_grads = [p.grad for _, p in named]
    for name, p in named:
        if not p.requires_grad:
            raise ValueError(f"gradcheck_parameters: parameter {name!r} does not require grad")
        if p.dtype != np.float64:
            if not upcast:
                raise TypeError(
                    f"gradcheck_parameters: parameter {name!r} has dtype {p.dtype}; central "
                    "differences need float64. Pass upcast=True to check in float64"
                )
            p.data = p.data.astype(np.float64)
    try:
        for _, p in named:
            p.grad = None
        with enable_grad():
            loss = loss_fn()
            if loss.size != 1:
                raise ValueError(f"gradcheck_parameters: the loss must be a scalar, got shape {loss.shape}")
            loss.backward()
        analytic = np.concatenate([
            (p.grad if p.grad is not None else np.zeros(p.shape)).ravel() for _, p in named
        ])
        numerical = np.zeros_like(analytic)
        offset = 0
        for _, p in named:
            p.data = np.ascontiguousarray(p.data)
            flat = p.data.reshape(-1)
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                with no_grad():
                    plus = float(loss_fn().item())
                flat[k] = original - eps
                with no_grad():
                    minus = float(loss_fn().item())
                flat[k] = original
                numerical[offset + k] = (plus - minus) / (2 * eps)
            offset += flat.size
    finally:
        for (_, p), data, grad in zip(named, originals, saved_grads):
            p.data = data
            p.grad = grad

    per_parameter, offset = {}, 0
    worst, worst_gap, worst_where = named[0][0], -1.0, (0, 0)
    for name, p in named:
        a, n = analytic[offset:offset + p.size], numerical[offset:offset + p.size]
        per_parameter[name] = _relative_difference(a, n)
        if p.size:
            k = int(np.argmax(np.abs(a - n)))
            if abs(a[k] - n[k]) > worst_gap:
                worst_gap, worst, worst_where = abs(a[k] - n[k]), name, (offset, k)
        offset += p.size
    shape = dict(named)[worst].shape
    start, k = worst_where
    difference = _relative_difference(analytic, numerical)
    return ParameterGradcheckReport(
        relative_difference=difference,
        passed=difference <= threshold,
        threshold=threshold,
        per_parameter=per_parameter,
        worst_parameter=worst,
        worst_index=tuple(int(i) for i in np.unravel_index(k, shape)) if shape else (),
        worst_analytic=float(analytic[start + k]),
        worst_numerical=float(numerical[start + k]),
        analytic=analytic,
        numerical=numerical,
    )
