"""``_loss_reduction.reduce_values``: the mean-like reductions run as one ``ops.mean``; they must
give exactly ``ops.sum(values) / values.size`` (value and gradient), the plain two-op form."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor, ops
from scratchdl._loss_reduction import reduce_values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128,), (37,), (7, 13), (3, 5, 2)])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean", "mean_with_sample_weight"])
def test_mean_reductions_equal_sum_divided_by_size(shape: tuple, dtype: type,
                                                   reduction: str) -> None:
    data = np.random.default_rng(0).normal(size=shape).astype(dtype)
    fast, plain = Tensor(data.copy(), requires_grad=True), Tensor(data.copy(), requires_grad=True)
    fast_loss = reduce_values(fast, reduction=reduction)
    plain_loss = ops.sum(plain) / float(data.size)
    assert fast_loss.dtype == plain_loss.dtype == dtype
    np.testing.assert_array_equal(fast_loss.data, plain_loss.data)
    fast_loss.backward()
    plain_loss.backward()
    assert fast.grad.dtype == plain.grad.dtype == dtype
    np.testing.assert_array_equal(fast.grad.data, plain.grad.data)


def test_sum_and_weighted_mean_and_empty_reductions() -> None:
    values = Tensor(np.array([[1.0, 2.0], [3.0, 6.0]], dtype=np.float32))
    assert float(reduce_values(values, reduction="sum").data) == 12.0
    weights = np.array([1.0, 3.0], dtype=np.float32)
    assert float(reduce_values(values, weights, "mean_with_sample_weight").data) == 3.0
    empty = Tensor(np.zeros((0, 3), dtype=np.float32))
    assert float(reduce_values(empty, reduction="sum_over_batch_size").data) == 0.0
