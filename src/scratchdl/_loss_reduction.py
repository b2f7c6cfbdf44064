"""Keras's reduction of per-sample losses: the rank fix-up of targets, predictions and weights,
sample weights and masks, and the reductions (``'sum_over_batch_size'``, ``'sum'``, ...).

``scratchdl.losses`` builds every loss on these (they are re-exported there under the same names,
as Keras keeps them in ``keras.src.losses.loss``); the metrics share the rank fix-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import backend, ops
from scratchdl.autograd.tensor import Tensor

__all__ = [
    "REDUCTIONS", "raw_values", "squeeze_or_expand_to_same_rank", "standardize_reduction", "reduce_values",
    "reduce_weighted_values",
]

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def raw_values(value: Any) -> Any:
    """The array behind a tensor, or ``value`` as an array."""
    return value.data if isinstance(value, Tensor) else backend.as_array(value)


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True) -> tuple[Any, Any]:
    """Keras's rank fix-up: when the ranks differ by one and the longer has a trailing 1, match them.

    The trailing axis of length 1 is squeezed, except that a rank-1 partner is expanded instead
    (when ``expand_rank_1``), so ``(n,)`` against ``(n, 1)`` gives two ``(n, 1)`` operands.
    Works on tensors and arrays alike.
    """
    rank1, rank2 = len(x1.shape), len(x2.shape)
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.reshape(tuple(x2.shape) + (1,))
        else:
            x1 = x1.reshape(tuple(x1.shape[:-1]))
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.reshape(tuple(x1.shape) + (1,))
        else:
            x2 = x2.reshape(tuple(x2.shape[:-1]))
    return x1, x2


def standardize_reduction(reduction: Any) -> Any:
    """Check ``reduction`` against Keras's allowed values and return it."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Loss: invalid reduction {reduction!r}; expected one of {list(REDUCTIONS)}"
        )
    return reduction


def reduce_values(values: Tensor, sample_weight: Any = None,
                  reduction: Any = "sum_over_batch_size") -> Tensor:
    """Reduce (already weighted) per-sample losses as Keras's ``reduce_values``.

    Scalars and empty ``(0,)`` losses are returned as they are, whatever the reduction.
    """
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = float(np.sum(sample_weight))
    elif values.size:
        # sum / size as one op (the same float rounding: NumPy's mean sums the same way).
        return ops.mean(values)
    else:
        divisor = 0.0
    # divide_no_nan: a zero divisor gives 0 rather than nan.
    loss = ops.sum(values)
    return loss / divisor if divisor != 0.0 else loss * 0.0


def _check_weights(values: Any, sample_weight: Any) -> None:
    try:
        np.broadcast_shapes(tuple(values.shape), tuple(sample_weight.shape))
    except ValueError:
        raise ValueError(
            f"Loss: sample_weight of shape {tuple(sample_weight.shape)} cannot be broadcast to the "
            f"per-sample losses of shape {tuple(values.shape)}"
        ) from None


def reduce_weighted_values(values: Tensor, sample_weight: Any = None, mask: Any = None,
                           reduction: Any = "sum_over_batch_size", dtype: Any = None) -> Tensor:
    """Weight per-sample losses by ``sample_weight`` and ``mask``, then reduce them (Keras 3).

    With a mask and a mean-like reduction, valid entries are weighted ``total / valid`` so that
    the mean runs over the valid entries only.
    """
    reduction = standardize_reduction(reduction)
    dtype = np.dtype(dtype or values.dtype)
    if sample_weight is not None:
        sample_weight = raw_values(sample_weight).astype(dtype, copy=False)
    if mask is not None:
        mask = raw_values(mask).astype(bool, copy=False)
        if reduction in ("mean", "sum_over_batch_size"):
            valid = int(mask.sum())
            weight = mask.size / valid if valid else 0.0
            float_mask = np.where(mask, weight, 0.0).astype(dtype)
        else:
            float_mask = mask.astype(dtype)
        if sample_weight is not None:
            float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
            _check_weights(float_mask, sample_weight)
            sample_weight = sample_weight * float_mask
        else:
            sample_weight = float_mask
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        _check_weights(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)
