"""Shared helpers of the optimizer tests: run the same gradient sequence through a scratchdl
optimizer and through Keras 3's (torch backend) or a ``torch.optim`` optimizer, and compare.

Keras and torch are test-only oracles: they are imported here, never by the package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import scratchdl

SHAPES: tuple[tuple[int, ...], ...] = ((3, 4), (5,), (2, 3, 2), ())
NAMES: tuple[str, ...] = ("dense/kernel", "dense/bias", "conv/kernel", "scale")
RTOL = ATOL = 1e-6


def make_problem(seed: int = 0, steps: int = 5, shapes: Sequence[tuple[int, ...]] = SHAPES,
                 grad_scale: float = 1.0, dtype: Any = np.float32,
                 ) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Initial values and ``steps`` lists of gradients (one per variable), all of ``dtype``."""
    rng = np.random.default_rng(seed)
    initial = [np.asarray(rng.normal(size=s), dtype=dtype) for s in shapes]
    grads = [[np.asarray(grad_scale * rng.normal(size=s), dtype=dtype) for s in shapes]
             for _ in range(steps)]
    return initial, grads


def make_parameters(initial: Sequence[np.ndarray],
                    names: Sequence[str] = NAMES) -> list[scratchdl.Parameter]:
    return [scratchdl.Parameter(v.copy(), name=n) for v, n in zip(initial, names)]


def run_ours(optimizer: Any, initial: Sequence[np.ndarray],
             grads: Sequence[Sequence[np.ndarray | None]],
             before: Callable[[Any, list[scratchdl.Parameter]], None] | None = None,
             ) -> list[np.ndarray]:
    """Apply every step of ``grads`` with ``optimizer``; return the final values."""
    params = make_parameters(initial)
    if before is not None:
        before(optimizer, params)
    for step in grads:
        optimizer.apply_gradients(list(zip(step, params)))
    for p, v in zip(params, initial):
        assert p.data.dtype == v.dtype, f"dtype changed: {p.data.dtype} != {v.dtype}"
    return [p.data.copy() for p in params]


def keras_variables(initial: Sequence[np.ndarray], names: Sequence[str] = NAMES) -> list[Any]:
    import keras

    # Keras variable names cannot contain '/': keep the part a var_names pattern matches.
    return [keras.Variable(v.copy(), name=n.replace("/", "_")) for v, n in zip(initial, names)]


def run_keras(optimizer: Any, initial: Sequence[np.ndarray],
              grads: Sequence[Sequence[np.ndarray | None]],
              before: Callable[[Any, list[Any]], None] | None = None,
              ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Same as ``run_ours`` with a Keras optimizer; returns (values, optimizer variables)."""
    import keras

    variables = keras_variables(initial)
    if before is not None:
        before(optimizer, variables)
    for step in grads:
        tensors = [None if g is None else keras.ops.convert_to_tensor(g) for g in step]
        optimizer.apply_gradients(list(zip(tensors, variables)))
    values = [keras.ops.convert_to_numpy(v.value) for v in variables]
    state = [keras.ops.convert_to_numpy(v.value) for v in optimizer.variables]
    return values, state


def check_against_torch(ours: Any, make_torch: Callable[[list[Any]], Any], seed: int = 0,
                        steps: int = 5) -> None:
    """Compare with a ``torch.optim`` optimizer in float64, where Keras's float32 rounding of its
    scalar constants (e.g. ``1 - 0.999`` in float32) does not blur the comparison. The learning
    rate is stored in float32 as Keras does: use one exact in float32 (e.g. ``2**-5``)."""
    initial, grads = make_problem(seed, steps, dtype=np.float64)
    ours_values = run_ours(ours, initial, grads)
    torch_values = run_torch(make_torch, initial, grads)
    assert_all_close(ours_values, torch_values, f"torch {type(ours).__name__}", tol=1e-11)


def run_torch(make_optimizer: Callable[[list[Any]], Any], initial: Sequence[np.ndarray],
              grads: Sequence[Sequence[np.ndarray]]) -> list[np.ndarray]:
    """Same as ``run_ours`` with a ``torch.optim`` optimizer built by ``make_optimizer(params)``."""
    import torch

    params = [torch.nn.Parameter(torch.tensor(v.copy())) for v in initial]
    optimizer = make_optimizer(params)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.tensor(g.copy())
        optimizer.step()
    return [p.detach().numpy().copy() for p in params]


def assert_all_close(actual: Sequence[np.ndarray], expected: Sequence[np.ndarray],
                     what: str = "", tol: float = RTOL) -> None:
    assert len(actual) == len(expected), f"{what}: {len(actual)} arrays vs {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        a = np.asarray(a)
        e = np.asarray(e)
        assert a.shape == e.shape, f"{what}[{i}]: shape {a.shape} vs {e.shape}"
        np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=tol,
                                   atol=tol, err_msg=f"{what}[{i}]")


def check_against_keras(ours: Any, theirs: Any, seed: int = 0, steps: int = 5,
                        grad_scale: float = 1.0,
                        before_ours: Callable[[Any, list[Any]], None] | None = None,
                        before_keras: Callable[[Any, list[Any]], None] | None = None,
                        grads: Sequence[Sequence[np.ndarray | None]] | None = None,
                        initial: Sequence[np.ndarray] | None = None) -> None:
    """Run both optimizers on the same problem; compare the variables and the whole optimizer
    state (``ours.variables`` against Keras's ``optimizer.variables``, in order)."""
    if grads is None or initial is None:
        initial, grads = make_problem(seed, steps, grad_scale=grad_scale)
    ours_values = run_ours(ours, initial, grads, before_ours)
    keras_values, keras_state = run_keras(theirs, initial, grads, before_keras)
    assert_all_close(ours_values, keras_values, "variables")
    assert_all_close(ours.variables, keras_state, "optimizer variables")
