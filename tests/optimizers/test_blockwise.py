"""Block-by-block updates (``optimizers/_blockwise.py``) give exactly the whole-array results.

Every optimizer runs the same gradients three ways: on whole arrays (blocking off), with the
default block size (one parameter is bigger than a default block), and with tiny blocks that
leave a ragged last block on every odd-sized parameter. Weights and optimizer state must agree
bit for bit, since every pass of the rules is elementwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import scratchdl
from scratchdl import optimizers
from scratchdl.optimizers._blockwise import BLOCK_BYTES, update_blockwise

# (263, 257) has 67,591 elements: more than one default block in float32 and float64 alike.
SHAPES = ((263, 257), (37, 23), (101,), (5,), ())
STEPS = 3

CONFIGS = [
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"learning_rate": 0.01}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}),
]


def _problem(dtype: Any, seed: int = 0) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    initial = [np.asarray(rng.normal(size=s), dtype=dtype) for s in SHAPES]
    grads = [[np.asarray(rng.normal(size=s), dtype=dtype) for s in SHAPES] for _ in range(STEPS)]
    return initial, grads


def _run(name: str, config: dict, block_bytes: int | None, initial: list[np.ndarray],
         grads: list[list[np.ndarray]], fortran: bool = False) -> list[np.ndarray]:
    """Final weights followed by the optimizer's variables."""
    optimizer = getattr(optimizers, name)(**config)
    optimizer._update_block_bytes = block_bytes
    order = "F" if fortran else "C"
    params = [scratchdl.Parameter(np.array(v, order=order)) for v in initial]
    for step in grads:
        optimizer.apply(step, params)
    return [p.data.copy() for p in params] + [np.array(v) for v in optimizer.variables]


def _assert_identical(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.dtype == e.dtype, f"array {i}: dtype {a.dtype} vs {e.dtype}"
        np.testing.assert_array_equal(a, e, err_msg=f"array {i}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "config"), CONFIGS, ids=lambda c: str(c))
def test_blocked_update_equals_whole_arrays(name: str, config: dict, dtype: Any) -> None:
    initial, grads = _problem(dtype)
    whole = _run(name, config, None, initial, grads)
    itemsize = np.dtype(dtype).itemsize
    for block_bytes in (BLOCK_BYTES, 7 * itemsize):
        _assert_identical(_run(name, config, block_bytes, initial, grads), whole)


@pytest.mark.parametrize(("name", "config"), CONFIGS[:2], ids=lambda c: str(c))
def test_fortran_ordered_weights_fall_back_to_whole_arrays(name: str, config: dict) -> None:
    initial, grads = _problem(np.float32)
    expected = _run(name, config, None, initial, grads)
    _assert_identical(_run(name, config, 7 * 4, initial, grads, fortran=True), expected)


def test_non_contiguous_gradient_is_blocked_in_the_weights_order() -> None:
    initial, grads = _problem(np.float32)
    transposed = [[np.array(g, order="F") for g in step] for step in grads]
    assert not transposed[0][0].flags.c_contiguous
    expected = _run("Adam", {}, None, initial, grads)
    _assert_identical(_run("Adam", {}, 7 * 4, initial, transposed), expected)


def test_update_blockwise_covers_every_element_once() -> None:
    data = np.zeros((5, 7), dtype=np.float32)
    slot = np.zeros_like(data)
    gradient = np.arange(35, dtype=np.float32).reshape(5, 7)
    sizes: list[int] = []

    def kernel(constants: Any, g: np.ndarray, w: np.ndarray, s: np.ndarray, missing: None,
               tmp: np.ndarray) -> None:
        assert missing is None and g.shape == w.shape == s.shape == tmp.shape
        sizes.append(g.size)
        np.add(g, constants, out=tmp)
        w += tmp
        s += 1

    update_blockwise(kernel, np.float32(1), gradient, data, (slot, None), block_bytes=8 * 4)
    assert sizes == [8, 8, 8, 8, 3]
    np.testing.assert_array_equal(data, gradient + 1)
    np.testing.assert_array_equal(slot, np.ones_like(slot))
    sizes.clear()
    update_blockwise(kernel, np.float32(1), gradient, data, (slot, None), block_bytes=None)
    assert sizes == [35]
